"""What an embedded server is told at start: limits, retention, key, alert destinations."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from swarmscope.server.retention import Retention

MiB = 1024 * 1024


@dataclass(frozen=True)
class ServerSettings:
    # Metric names in dashboards and alerts are read under this prefix, as the SDK wrote them.
    namespace: str = "swarmscope"
    max_body_bytes: int = 16 * MiB
    max_queued_rows: int = 200_000
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
