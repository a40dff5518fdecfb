"""What an embedded server is told at start: limits, retention, key, alert destinations."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from swarmscope.server.store.retention import Retention

MiB = 1024 * 1024


@dataclass(frozen=True)
class ServerSettings:
    # Metric names in dashboards and alerts are read under this prefix, as the SDK wrote them.
    namespace: str = "swarmscope"
    max_body_bytes: int = 16 * MiB
    max_queued_rows: int = 200_000
    max_inflight_bytes: int = 32 * MiB
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
    decode_processes: int = 0
    retention: Retention = field(default_factory=Retention)
    housekeeping_seconds: float = 60.0
    # With a key, every request must carry it (receiver, API and console alike).
    api_key: str | None = field(
        default_factory=lambda: os.environ.get("SWARMSCOPE_API_KEY") or None
    )
    alert_webhook_url: str | None = None
    alertmanager_url: str | None = None
    alert_interval_seconds: float = 15.0
    # Alert rules' windows and `for` are multiplied by this, as `swarmscope stack export
    # --time-scale` does for Prometheus: a test or a demo sees a five-minute alert in seconds.
    alert_time_scale: float = 1.0
    # Where people reach this server, for links in alert notifications; None: no links.
    external_url: str | None = None
