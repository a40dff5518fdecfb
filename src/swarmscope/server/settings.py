"""What an embedded server is told at start: limits, retention, key, alert destinations.

Declared with ``setting(...)`` as the SDK's settings are: each field's default, the
variables that set it and its check sit beside it. ``ServerSettings.load(**overrides)``
takes ``swarmscope serve``'s flags first and the environment second; any way a value
arrives, a bad one is a ``ConfigError`` that names the field.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from swarmscope.server.cors import is_origin, parse_origins
from swarmscope.server.namespaces import is_namespace
from swarmscope.server.store.retention import Retention
from swarmscope.settings_fields import check_fields, positive, read_fields, setting

MiB = 1024 * 1024


def _http_url(value: str) -> bool:
    return value.startswith(("http://", "https://"))


def _not_negative(value: float) -> bool:
    return value >= 0


def _origins(value: tuple[str, ...]) -> bool:
    return all(is_origin(origin) for origin in value)


@dataclass(frozen=True)
class ServerSettings:
    # Metric names in dashboards and alerts are read under this prefix, as the SDK wrote
    # them. None: under the namespaces that arrive (``server.namespaces``), alerts for each.
    namespace: str | None = setting(None, check=is_namespace)
    max_body_bytes: int = setting(
        16 * MiB, env=("SWARMSCOPE_MAX_BODY_BYTES",), parse=int, check=positive
    )
    max_queued_rows: int = setting(
        200_000, env=("SWARMSCOPE_MAX_QUEUED_ROWS",), parse=int, check=positive
    )
    max_inflight_bytes: int = setting(
        32 * MiB, env=("SWARMSCOPE_MAX_INFLIGHT_BYTES",), parse=int, check=positive
    )
    """Bytes of OTLP requests held at once: bodies being read, waiting for a decode worker,
    being decoded (a compressed body counts inflated too) or waiting to be committed. Past
    it a request gets 503 and ``Retry-After`` before its body is read; one that needs more
    than all of it gets 413.

    32 MiB is sized for the small install ``swarmscope serve`` targets, two cores: two
    14 MiB bodies in flight, one per decode worker, and room for the largest request
    allowed (a ``max_body_bytes`` gzip body with as many bytes inflated). Each byte held
    costs several in memory (its copies to and from a worker, the rows it becomes: decoding
    a 14 MiB body takes a worker from 130 to 250 MiB), on top of a server that idles at
    about 450 MiB with its two workers and a DuckDB that may cache 256 MB more. With 80
    clients posting 14 MiB bodies, the peak RSS of server and workers measured 870 to 960
    MiB (``benchmarks/server_memory.py``, on a loaded two-core machine); 64 MiB came to
    980, and with no bound it was 2.2 to 3.4 GiB. More budget keeps the workers busier
    with such large bodies (with no bound more of them were accepted per second), at a
    memory cost the 1 GiB floor does not allow.
    """
    # Worker processes decoding OTLP bodies; 0 decodes on a thread of the server process.
    decode_processes: int = setting(0, check=_not_negative)
    retention: Retention = field(default_factory=Retention)
    housekeeping_seconds: float = setting(60.0, check=positive)
    # With a key, every request must carry it (receiver, API and console alike).
    api_key: str | None = setting(None, env=("SWARMSCOPE_API_KEY",))
    # Web pages of these origins may send and read (``*``: any); none by default, loopback
    # included (``server/cors.py`` says why).
    cors_origins: tuple[str, ...] = setting(
        (), env=("SWARMSCOPE_CORS_ORIGINS",), parse=parse_origins, check=_origins
    )
    alert_webhook_url: str | None = setting(
        None, env=("SWARMSCOPE_ALERT_WEBHOOK_URL",), check=_http_url
    )
    alertmanager_url: str | None = setting(
        None, env=("SWARMSCOPE_ALERTMANAGER_URL",), check=_http_url
    )
    alert_interval_seconds: float = setting(15.0, check=positive)
    # Alert rules' windows and `for` are multiplied by this, as `swarmscope stack export
    # --time-scale` does for Prometheus: a test or a demo sees a five-minute alert in seconds.
    alert_time_scale: float = setting(1.0, check=positive)
    # Where people reach this server, for links in alert notifications; None: no links.
    external_url: str | None = setting(None, env=("SWARMSCOPE_EXTERNAL_URL",), check=_http_url)

    def __post_init__(self) -> None:
        check_fields(self)

    @classmethod
    def load(cls, env: Mapping[str, str] | None = None, **overrides: Any) -> ServerSettings:
        """Settings from keyword arguments (None: not given), falling back to the environment."""
        return cls(**read_fields(cls, env, overrides))
