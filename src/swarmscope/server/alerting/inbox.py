"""Alerts Alertmanager sent to the server's webhook, newest first, bounded.

The ops bundle's Alertmanager routes every alert to the server (``/api/alertmanager/webhook``)
so the console shows what Alertmanager decided (grouped, inhibited, silenced) beside what the
server itself evaluates. Only the latest notification of each alert (by fingerprint) is kept,
and only the most recent ``limit`` alerts: memory stays bounded whatever Alertmanager sends.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

from swarmscope.server.alerting.notify import fingerprint

LIMIT = 500


class Inbox:
    def __init__(self, limit: int = LIMIT) -> None:
        self.limit = limit
        self._alerts: OrderedDict[str, dict[str, Any]] = OrderedDict()
        self._lock = threading.Lock()

    def add(self, receiver: str, alerts: list[dict[str, Any]], received_at: str) -> None:
        """Keep each alert of one webhook message (Alertmanager's alert fields)."""
        with self._lock:
            for alert in alerts:
                key = alert.get("fingerprint") or fingerprint(alert["labels"])
                self._alerts.pop(key, None)
                self._alerts[key] = {
                    "source": "alertmanager",
                    "receiver": receiver,
                    **alert,
                    "fingerprint": key,
                    "received_at": received_at,
                }
            while len(self._alerts) > self.limit:
                self._alerts.popitem(last=False)

    def alerts(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(reversed(self._alerts.values()))
