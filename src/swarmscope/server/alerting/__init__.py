"""The server's own alerting: the ops bundle's rules evaluated against the store."""

from __future__ import annotations

from swarmscope.server.alerting.engine import Alerting

__all__ = ["Alerting"]
