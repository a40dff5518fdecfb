"""One rule's alerts and Prometheus's state machine for them, driven by an explicit clock.

Each evaluation hands over the label sets whose value passed the threshold. A new label set
is *pending* from that moment (``active_at``); once it has stayed active for the rule's
``for`` it is *firing* (``fired_at``, Prometheus's ``startsAt``). A pending alert that stops
being active is dropped without a word, as in Prometheus; a firing one becomes *resolved*
(``resolved_at``, the ``endsAt`` receivers get) and is kept a while so notifiers can still
say so. A resolved label set that comes back starts over as a new pending alert.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass

# Prometheus keeps resolved alerts this long, re-sending them, before forgetting them.
RESOLVED_RETENTION_SECONDS = 15 * 60
# The alerts that fired, newest last, kept for the overview's trend after they are forgotten.
FIRED_HISTORY = 1000

Key = tuple[tuple[str, str], ...]


def key(labels: dict[str, str]) -> Key:
    return tuple(sorted(labels.items()))


@dataclass(frozen=True)
class Active:
    """A sample past the threshold, already labelled and annotated as its alert."""

    labels: dict[str, str]
    annotations: dict[str, str]
    value: float


@dataclass
class Alert:
    labels: dict[str, str]
    annotations: dict[str, str]
    value: float
    active_at: float
    state: str = "pending"  # pending | firing | resolved
    fired_at: float | None = None
    resolved_at: float | None = None


class RuleAlerts:
    """The alerts of one rule by label set."""

    def __init__(self, hold_seconds: float) -> None:
        self.hold_seconds = hold_seconds
        self.alerts: dict[Key, Alert] = {}
        self.fired: deque[Alert] = deque(maxlen=FIRED_HISTORY)

    def update(self, active: Iterable[Active], now: float) -> None:
        seen = set()
        for sample in active:
            identity = key(sample.labels)
            seen.add(identity)
            alert = self.alerts.get(identity)
            if alert is not None and alert.state != "resolved":
                # Still active: the value and the text follow the data, the times do not.
                alert.value, alert.annotations = sample.value, sample.annotations
                continue
            self.alerts[identity] = Alert(sample.labels, sample.annotations, sample.value, now)
        for identity, alert in list(self.alerts.items()):
            if identity not in seen:
                if alert.state == "pending" or (
                    alert.resolved_at is not None
                    and now - alert.resolved_at > RESOLVED_RETENTION_SECONDS
                ):
                    del self.alerts[identity]
                elif alert.state == "firing":
                    alert.state, alert.resolved_at = "resolved", now
            elif alert.state == "pending" and now - alert.active_at >= self.hold_seconds:
                alert.state, alert.fired_at = "firing", now
                self.fired.append(alert)

    def firing_at(self, moment: float) -> int:
        """How many of the rule's alerts were firing at ``moment`` (as far as the history
        reaches back)."""
        return sum(
            1
            for alert in self.fired
            if alert.fired_at is not None
            and alert.fired_at <= moment
            and (alert.resolved_at is None or alert.resolved_at > moment)
        )

    def in_state(self, state: str) -> list[Alert]:
        return [alert for alert in self.alerts.values() if alert.state == state]
