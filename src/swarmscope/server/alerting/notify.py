"""Where firing and resolved alerts go: Alertmanager's API, and a webhook in its format.

Both are sent to as Prometheus and Alertmanager would, so existing receivers work unchanged:
Alertmanager gets every firing alert again at each evaluation with an ``endsAt`` a few
intervals ahead (it resolves alerts whose ``endsAt`` passes, so a server that stops does not
leave alerts firing forever) and each resolved alert until it acknowledges it; the webhook
gets Alertmanager's webhook payload (version 4), one message per alert name whenever an
alert of that name starts firing or resolves. A receiver that is down or slow is logged and
tried again next round: delivery never raises and never holds evaluation up for long.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx

log = logging.getLogger("swarmscope.server.alerting")

# Go's zero time: what Alertmanager's webhook says as the end of an alert still firing.
ZERO_TIME = "0001-01-01T00:00:00Z"
RECEIVER = "swarmscope"
_FNV_OFFSET = 14695981039346656037
_FNV_PRIME = 1099511628211
_MASK = (1 << 64) - 1


def fingerprint(labels: dict[str, str]) -> str:
    """Alertmanager's fingerprint of a label set: 64-bit FNV-1a over the sorted names and
    values, each followed by a 0xff byte, as 16 hex digits."""
    value = _FNV_OFFSET
    for name in sorted(labels):
        for text in (name, labels[name]):
            for byte in (*text.encode(), 0xFF):
                value = ((value ^ byte) * _FNV_PRIME) & _MASK
    return f"{value:016x}"


def timestamp(seconds: float | None) -> str:
    """RFC 3339 in UTC, as Alertmanager's API takes it; ``None`` is Go's zero time."""
    if seconds is None:
        return ZERO_TIME
    return datetime.fromtimestamp(seconds, UTC).isoformat().replace("+00:00", "Z")


@dataclass(frozen=True)
class Outgoing:
    """A firing or resolved alert, as the notifiers send it."""

    labels: dict[str, str]
    annotations: dict[str, str]
    starts_at: float
    ends_at: float | None
    generator_url: str

    @property
    def status(self) -> str:
        return "firing" if self.ends_at is None else "resolved"

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.labels)


class _Destination:
    """One URL posted to, whose failures are logged when they start and when they end."""

    def __init__(self, url: str, client: httpx.Client) -> None:
        self.url = url
        self.client = client
        self.failing = False

    def post(self, body: Any) -> bool:
        try:
            response = self.client.post(self.url, json=body)
        except httpx.HTTPError as problem:
            return self._failed(f"{type(problem).__name__}: {problem}")
        if not response.is_success:
            return self._failed(f"HTTP {response.status_code}: {response.text[:200]}")
        if self.failing:
            log.info("alerts reach %s again", self.url)
            self.failing = False
        return True

    def _failed(self, reason: str) -> bool:
        if not self.failing:
            log.warning("cannot send alerts to %s (%s); trying again each round", self.url, reason)
            self.failing = True
        return False


class AlertmanagerNotifier(_Destination):
    """``POST /api/v2/alerts``: firing alerts every round, resolved ones until accepted."""

    def __init__(self, base_url: str, client: httpx.Client, valid_for_seconds: float) -> None:
        super().__init__(f"{base_url.rstrip('/')}/api/v2/alerts", client)
        self.valid_for_seconds = valid_for_seconds
        self._accepted: set[tuple[str, float]] = set()

    def send(self, alerts: list[Outgoing], now: float) -> None:
        resolved = {(alert.fingerprint, alert.ends_at or 0.0) for alert in alerts if alert.ends_at}
        self._accepted &= resolved  # forget alerts no longer retained
        batch = [
            alert
            for alert in alerts
            if alert.ends_at is None or (alert.fingerprint, alert.ends_at) not in self._accepted
        ]
        if not batch:
            return
        body = [self.payload(alert, now) for alert in batch]
        if self.post(body):
            self._accepted |= {(a.fingerprint, a.ends_at) for a in batch if a.ends_at is not None}

    def payload(self, alert: Outgoing, now: float) -> dict[str, Any]:
        ends_at = alert.ends_at if alert.ends_at is not None else now + self.valid_for_seconds
        body: dict[str, Any] = {
            "labels": alert.labels,
            "annotations": alert.annotations,
            "startsAt": timestamp(alert.starts_at),
            "endsAt": timestamp(ends_at),
        }
        if alert.generator_url:
            body["generatorURL"] = alert.generator_url
        return body


class WebhookNotifier(_Destination):
    """Alertmanager's webhook message per alert name, when one of its alerts changes."""

    def __init__(self, url: str, client: httpx.Client, external_url: str = "") -> None:
        super().__init__(url, client)
        self.external_url = external_url
        self._delivered: dict[str, str] = {}  # fingerprint -> the status last delivered

    def send(self, alerts: list[Outgoing], now: float) -> None:
        groups: dict[str, list[Outgoing]] = {}
        for alert in alerts:
            groups.setdefault(alert.labels["alertname"], []).append(alert)
        for name, group in sorted(groups.items()):
            due = [a for a in group if self._delivered.get(a.fingerprint) != a.status]
            if not due:
                continue
            # Like Alertmanager: the group's firing alerts, and the resolved ones not yet said.
            told = [a for a in group if a.status == "firing" or a in due]
            if self.post(message(name, told, self.external_url)):
                self._delivered.update((a.fingerprint, a.status) for a in told)
        present = {alert.fingerprint for alert in alerts}
        self._delivered = {fp: s for fp, s in self._delivered.items() if fp in present}


def _common(maps: list[dict[str, str]]) -> dict[str, str]:
    first, *rest = maps
    return {k: v for k, v in first.items() if all(other.get(k) == v for other in rest)}


def message(name: str, alerts: list[Outgoing], external_url: str = "") -> dict[str, Any]:
    """Alertmanager's webhook payload for one group (grouped by ``alertname``)."""
    return {
        "version": "4",
        "groupKey": f'{{}}:{{alertname="{name}"}}',
        "truncatedAlerts": 0,
        "status": "firing" if any(a.status == "firing" for a in alerts) else "resolved",
        "receiver": RECEIVER,
        "groupLabels": {"alertname": name},
        "commonLabels": _common([a.labels for a in alerts]),
        "commonAnnotations": _common([a.annotations for a in alerts]),
        "externalURL": external_url,
        "alerts": [
            {
                "status": alert.status,
                "labels": alert.labels,
                "annotations": alert.annotations,
                "startsAt": timestamp(alert.starts_at),
                "endsAt": timestamp(alert.ends_at),
                "generatorURL": alert.generator_url,
                "fingerprint": alert.fingerprint,
            }
            for alert in alerts
        ],
    }
