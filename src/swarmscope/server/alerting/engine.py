"""Alerts without Prometheus: every rule of the ops bundle, evaluated against the store.

A background thread evaluates all rules every ``alert_interval_seconds``, moves each rule's
alerts through pending, firing and resolved, and hands firing and resolved alerts to the
configured notifiers. A rule the server cannot compute is reported (``unsupported`` or
``error`` with the reason) and the others go on; nothing a rule, the store or a receiver
does stops the loop.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import httpx

from swarmscope.definitions.numbers import go_value
from swarmscope.server.alerting.inbox import Inbox
from swarmscope.server.alerting.notify import (
    AlertmanagerNotifier,
    Outgoing,
    WebhookNotifier,
    timestamp,
)
from swarmscope.server.alerting.rules import (
    NAMESPACE_LABEL,
    RUNBOOKS_PATH,
    Failure,
    Rule,
    compile_rules,
    evaluate_in_namespaces,
    evaluate_rules,
)
from swarmscope.server.alerting.states import Active, Alert, RuleAlerts
from swarmscope.server.namespaces import DEFAULT_NAMESPACE, metric_namespaces
from swarmscope.server.settings import ServerSettings
from swarmscope.server.store.database import Store

log = logging.getLogger("swarmscope.server.alerting")

# Prometheus's resend delay: a firing alert's endsAt is four of these (or of the evaluation
# interval, if longer) ahead, so Alertmanager keeps it through a few missed rounds.
RESEND_DELAY_SECONDS = 60.0
STATES = ("firing", "pending", "error", "unsupported", "inactive")
_HTTP_TIMEOUT = httpx.Timeout(3.0, connect=1.0)
# With time-scaled rules (a demo, a test) the rounds come faster too, down to this often.
SCALED_INTERVAL_FLOOR_SECONDS = 1.0


def evaluation_interval(settings: ServerSettings) -> float:
    """Seconds between rounds: the configured interval, shrunk with the rules' windows when
    they are time-scaled (as Prometheus's evaluation interval is in a scaled stack), but not
    below a second, nor above the configured one."""
    configured = settings.alert_interval_seconds
    scaled = max(SCALED_INTERVAL_FLOOR_SECONDS, configured * settings.alert_time_scale)
    return min(configured, scaled)


class Alerting:
    def __init__(
        self,
        store: Store,
        settings: ServerSettings,
        clock: Callable[[], float] = time.time,
        rules: list[Rule] | None = None,
    ) -> None:
        self.store = store
        self.settings = settings
        self.clock = clock
        self.rules = (
            rules
            if rules is not None
            else compile_rules(
                settings.namespace or DEFAULT_NAMESPACE,
                settings.alert_time_scale,
                f"{(settings.external_url or '').rstrip('/')}{RUNBOOKS_PATH}",
            )
        )
        self.alerts = {rule.name: RuleAlerts(rule.hold_seconds) for rule in self.rules}
        self.failures: dict[str, Failure] = {}
        self.evaluated_at: float | None = None
        self.inbox = Inbox()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._client = httpx.Client(timeout=_HTTP_TIMEOUT)
        self._external = (settings.external_url or "").rstrip("/")
        valid_for = 4 * max(RESEND_DELAY_SECONDS, settings.alert_interval_seconds)
        self.notifiers: list[AlertmanagerNotifier | WebhookNotifier] = []
        if settings.alertmanager_url:
            self.notifiers.append(
                AlertmanagerNotifier(settings.alertmanager_url, self._client, valid_for)
            )
        if settings.alert_webhook_url:
            self.notifiers.append(
                WebhookNotifier(settings.alert_webhook_url, self._client, self._external)
            )

    # --- the loop ---

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="swarmscope-alerts", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Ask the loop to end and wait for it (a round in progress ends within the timeouts)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            if self._thread.is_alive():
                log.warning("alert evaluation did not stop within %.0f s", timeout)
        self._client.close()

    def _run(self) -> None:
        interval = evaluation_interval(self.settings)
        while not self._stop.is_set():
            started = time.monotonic()
            try:
                self.evaluate()
            except Exception:
                log.exception("alert evaluation round failed; next round in %.1f s", interval)
            self._stop.wait(max(0.0, interval - (time.monotonic() - started)))

    def evaluate(self) -> None:
        """One round: every rule at the same instant, then the notifiers."""
        now = self.clock()
        results = self._results(int(now * 1e9))
        with self._lock:
            for rule in self.rules:
                result = results[rule.name]
                if isinstance(result, Failure):
                    # Alerts keep their state, as in Prometheus when a rule's query fails.
                    if self.failures.get(rule.name) != result:
                        log.warning("alert rule %s: %s: %s", rule.name, result.state, result.reason)
                    self.failures[rule.name] = result
                else:
                    self.failures.pop(rule.name, None)
                    self.alerts[rule.name].update(result, now)
            self.evaluated_at = now
            outgoing = self.outgoing()
        for notifier in self.notifiers:
            if self._stop.is_set():
                return
            notifier.send(outgoing, now)

    def _results(self, at_ns: int) -> dict[str, list[Active] | Failure]:
        """Under the configured namespace, or, with none, under each one that has metrics
        stored, each alert labelled with its namespace. Before any metrics arrive the rules
        are still evaluated once, so one the server cannot compute is reported."""
        if self.settings.namespace is not None:
            return evaluate_rules(self.store, self.rules, self.settings.namespace, at_ns)
        try:
            namespaces = list(metric_namespaces(self.store))
        except Exception as problem:
            # As a rule whose read fails: reported, alerts kept, the next round tries again.
            failure = Failure(
                "error", f"reading the namespaces: {type(problem).__name__}: {problem}"
            )
            return {rule.name: failure for rule in self.rules}
        if not namespaces:
            return evaluate_rules(self.store, self.rules, DEFAULT_NAMESPACE, at_ns)
        return evaluate_in_namespaces(self.store, self.rules, namespaces, at_ns)

    # --- views ---

    def firing_at(self, moment: float) -> int:
        """How many alerts were firing at ``moment`` (epoch seconds), over every rule."""
        with self._lock:
            return sum(alerts.firing_at(moment) for alerts in self.alerts.values())

    def generator_url(self, rule: Rule) -> str:
        return f"{self._external}/api/alerts?name={quote(rule.name)}" if self._external else ""

    def outgoing(self) -> list[Outgoing]:
        """Firing and resolved alerts, as notifiers send them (call under the lock)."""
        found = []
        for rule in self.rules:
            for alert in self.alerts[rule.name].alerts.values():
                if alert.state == "pending" or alert.fired_at is None:
                    continue
                found.append(
                    Outgoing(
                        dict(alert.labels),
                        dict(alert.annotations),
                        alert.fired_at,
                        alert.resolved_at,
                        self.generator_url(rule),
                    )
                )
        return found

    def snapshot(self) -> dict[str, Any]:
        """Every rule's alerts (or the rule itself when it has none), firing first."""
        entries = []
        with self._lock:
            for rule in self.rules:
                failure = self.failures.get(rule.name)
                alerts = [
                    alert
                    for alert in self.alerts[rule.name].alerts.values()
                    if alert.state in ("pending", "firing")
                ]
                if failure is not None:
                    entries.append(_rule_entry(rule, failure.state, failure.reason))
                elif alerts:
                    entries.extend(
                        _alert_entry(rule, alert, self.settings.namespace is None)
                        for alert in alerts
                    )
                else:
                    entries.append(_rule_entry(rule, "inactive"))
            evaluated_at = self.evaluated_at
        entries.sort(
            key=lambda e: (STATES.index(e["state"]), e["name"], sorted(e["labels"].items()))
        )
        return {
            "alerts": entries,
            "evaluated_at": timestamp(evaluated_at) if evaluated_at is not None else None,
            "rules": len(self.rules),
            # Windows and `for` as evaluated: below 1 in a demo or a test, where they shrink.
            "time_scale": self.settings.alert_time_scale,
        }


def _base(rule: Rule, namespace: str | None = None) -> dict[str, Any]:
    return {
        "name": rule.name,
        "severity": rule.severity,
        "expr": rule.expr,
        # The series the query reads, for links to the metrics view.
        "metrics": rule.metrics_read(namespace or rule.namespace),
    }


def _rule_entry(rule: Rule, state: str, reason: str = "") -> dict[str, Any]:
    entry = {
        **_base(rule),
        "state": state,
        "labels": {**rule.labels, "alertname": rule.name},
        "annotations": dict(rule.annotations),
        "value": None,
        "active_since": None,
        "fired_at": None,
    }
    if reason:
        entry["reason"] = reason
    return entry


def _alert_entry(rule: Rule, alert: Alert, per_namespace: bool) -> dict[str, Any]:
    namespace = alert.labels.get(NAMESPACE_LABEL) if per_namespace else None
    return {
        **_base(rule, namespace),
        # An alert of one of several namespaces shows the query it was computed with.
        **({"expr": rule.expr_in(namespace)} if namespace else {}),
        "state": alert.state,
        "labels": dict(alert.labels),
        "annotations": dict(alert.annotations),
        # JSON has no infinities: a share over nothing is said the way Prometheus says it.
        "value": alert.value if math.isfinite(alert.value) else go_value(alert.value),
        "active_since": timestamp(alert.active_at),
        "fired_at": timestamp(alert.fired_at) if alert.fired_at is not None else None,
    }
