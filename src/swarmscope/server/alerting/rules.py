"""The alert definitions as the server evaluates them: the same labels, annotations and
``for`` that ``swarmscope stack export`` writes for Prometheus, windows scaled alike.

Both read them from the definition (``AlertRule.labels``, ``.annotations``, ``.scaled``), so
an alert from the server and one from Prometheus carry identical label sets and route the
same way in Alertmanager.
"""

from __future__ import annotations

import dataclasses
import operator
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from swarmscope.app_catalog import every_alert
from swarmscope.definitions.alerts import AlertRule
from swarmscope.definitions.durations import seconds
from swarmscope.definitions.query import Query, Series
from swarmscope.definitions.templates import render
from swarmscope.server.alerting.states import Active
from swarmscope.server.query.evaluate import Batch, Sample, evaluate_at
from swarmscope.server.store.database import Store

# The label that says which namespace an alert is about, when the server serves several.
NAMESPACE_LABEL = "namespace"
RUNBOOK_URL = "runbook_url"
# Where the server serves each alert's runbook (``api/runbooks``); alerts link there.
RUNBOOKS_PATH = "/runbooks"
COMPARE: dict[str, Callable[[float, float], bool]] = {
    ">": operator.gt,
    "<": operator.lt,
    ">=": operator.ge,
    "<=": operator.le,
    "==": operator.eq,
    "!=": operator.ne,
}


@dataclass(frozen=True)
class Rule:
    name: str
    severity: str
    query: Query
    op: str
    threshold: float
    hold_seconds: float
    labels: dict[str, str]
    annotations: dict[str, str]
    expr: str
    # The namespace ``expr`` was compiled for.
    namespace: str

    def expr_in(self, namespace: str) -> str:
        """The rule's PromQL under another namespace than the one it was compiled for."""
        return f"{self.query.promql(namespace)} {self.op} {self.threshold:g}"

    def metrics_read(self, namespace: str) -> list[dict[str, str]]:
        """Each series the query reads, as the metrics view is asked for it: the stored
        name and the label matchers (PromQL's), so an alert links to its figures' charts."""
        found: dict[str, dict[str, str]] = {}
        for series in _series(self.query):
            selector = series.selector(namespace)
            name, _, matchers = selector.partition("{")
            found.setdefault(selector, {"name": name, "match": matchers.removesuffix("}")})
        return list(found.values())

    def active(self, samples: list[Sample]) -> list[Active]:
        """The samples past the threshold, as labelled and annotated alerts."""
        found = []
        for sample in samples:
            if not COMPARE[self.op](sample.value, self.threshold):
                continue
            labels = {**sample.labels, **self.labels, "alertname": self.name}
            annotations = {
                name: render(text, sample.labels, sample.value)
                for name, text in self.annotations.items()
            }
            found.append(Active(labels, annotations, sample.value))
        return found


def _series(node: Any) -> list[Series]:
    """Every series in a query tree, in the order the query names them."""
    if isinstance(node, Series):
        return [node]
    if isinstance(node, tuple):
        return [series for item in node for series in _series(item)]
    if dataclasses.is_dataclass(node) and not isinstance(node, type):
        return [
            series
            for field in dataclasses.fields(node)
            for series in _series(getattr(node, field.name))
        ]
    return []


@dataclass(frozen=True)
class Failure:
    """Why a rule has no result: ``unsupported`` (the engine cannot compute its query from
    pushed data) or ``error`` (computing it failed)."""

    state: str
    reason: str


def evaluate_rules(
    store: Store, rules: list[Rule], namespace: str, at_ns: int
) -> dict[str, list[Active] | Failure]:
    """Every rule at one instant, over one read of the store for all of them.

    If the shared computation fails, each rule is computed alone, so the one that fails is
    reported and the others still give their alerts.
    """
    results: dict[str, list[Active] | Failure] = {}
    batch, planned = Batch(namespace), []
    for rule in rules:
        try:
            batch.add(rule.query, [at_ns])
        except ValueError as problem:
            results[rule.name] = Failure("unsupported", str(problem))
        else:
            planned.append(rule)
    try:
        for rule, series in zip(planned, batch.run(store), strict=True):
            results[rule.name] = rule.active([Sample(s.labels, s.points[0][1]) for s in series])
    except Exception:
        for rule in planned:
            try:
                results[rule.name] = rule.active(evaluate_at(store, rule.query, namespace, at_ns))
            except Exception as problem:
                results[rule.name] = Failure("error", f"{type(problem).__name__}: {problem}")
    return results


def evaluate_in_namespaces(
    store: Store, rules: list[Rule], namespaces: list[str], at_ns: int
) -> dict[str, list[Active] | Failure]:
    """Every rule at one instant under each namespace, each alert labelled ``namespace``:
    one store may hold several apps, each with its own metric prefix. A rule that fails
    under one namespace is reported as failing (alerts keep their state meanwhile)."""
    merged: dict[str, list[Active] | Failure] = {rule.name: [] for rule in rules}
    for namespace in namespaces:
        for name, result in evaluate_rules(store, rules, namespace, at_ns).items():
            found = merged[name]
            if isinstance(found, Failure):
                continue
            if isinstance(result, Failure):
                merged[name] = Failure(result.state, f"under {namespace}: {result.reason}")
            else:
                found.extend(_in_namespace(alert, namespace) for alert in result)
    return merged


def _in_namespace(alert: Active, namespace: str) -> Active:
    """The alert labelled with its namespace, its runbook link showing that namespace's
    queries (the runbook route reads ``?namespace=``)."""
    annotations = dict(alert.annotations)
    if RUNBOOK_URL in annotations:
        annotations[RUNBOOK_URL] += f"?{urlencode({NAMESPACE_LABEL: namespace})}"
    return Active({**alert.labels, NAMESPACE_LABEL: namespace}, annotations, alert.value)


def compile_rule(
    rule: AlertRule, namespace: str, time_scale: float = 1.0, runbook_base: str = RUNBOOKS_PATH
) -> Rule:
    scaled = rule.scaled(time_scale)
    return Rule(
        name=rule.name,
        severity=rule.severity,
        query=scaled.query,
        op=rule.op,
        threshold=rule.threshold,
        hold_seconds=seconds(scaled.for_),
        labels=rule.labels,
        annotations=rule.annotations(runbook_base),
        expr=scaled.expr(namespace),
        namespace=namespace,
    )


def compile_rules(
    namespace: str, time_scale: float = 1.0, runbook_base: str = RUNBOOKS_PATH
) -> list[Rule]:
    return [compile_rule(rule, namespace, time_scale, runbook_base) for rule in every_alert()]
