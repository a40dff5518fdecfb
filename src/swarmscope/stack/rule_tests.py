"""``promtool test rules`` cases for every alert, synthesised from the alert's own definition.

Each alert gets two cases: series that push its expression past the threshold (it must fire,
with its labels and rendered annotations) and series that keep it on the healthy side (it
must stay silent). Counters grow by a whole number per minute, gauges hold a value, and
histograms put every observation in one chosen bucket. The expected ``$value`` is computed
with the same float operations Prometheus performs on such series (no extrapolation: samples
sit on the window's edges), so annotations are compared exactly.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

from swarmscope.app_catalog import every_alert
from swarmscope.conventions.catalog import METRICS_BY_NAME
from swarmscope.definitions.alerts import AlertRule
from swarmscope.definitions.durations import seconds
from swarmscope.definitions.query import (
    Change,
    Current,
    Increase,
    Offset,
    Quantile,
    Query,
    Rate,
    Ratio,
    Scaled,
    Series,
    Sum,
    Up,
)
from swarmscope.definitions.templates import render

_INVERSE = {"=": "!=", "!=": "=", "=~": "!~", "!~": "=~"}


def minutes(duration: str) -> int:
    """Whole minutes: the cases' series have a sample a minute."""
    return int(seconds(duration) // 60)


@dataclass
class Case:
    series: dict[str, str] = field(default_factory=dict)
    value: float = 0.0
    labels: dict[str, str] = field(default_factory=dict)


def _label_value(op: str, value: str) -> str:
    if op == "=":
        return value
    if op == "!=":
        return f"not_{value}"
    # A regex's own alternatives first ("success|interrupted" matches "success").
    for candidate in (*value.split("|"), "500", "404", "failure", "x"):
        if (re.fullmatch(value, candidate) is not None) == (op == "=~"):
            return candidate
    raise ValueError(f"no test value for {op}{value!r}")


def _name(series: Series, namespace: str, suffix: str, labels: dict[str, str]) -> str:
    values = dict(labels)
    for label, op, value in series.where:
        values[label] = _label_value(op, value)
    base = series.selector(namespace, suffix).split("{")[0]
    body = ",".join(f'{k}="{v}"' for k, v in sorted(values.items()))
    return f"{base}{{{body}}}" if body else base


def _windows(query: Any) -> list[int]:
    found = [minutes(query.window)] if hasattr(query, "window") else []
    for child in vars(query).values():
        if hasattr(child, "promql"):
            found += _windows(child)
    return found


class Synthesizer:
    """Builds input series for one query, aiming at a value on one side of a threshold."""

    def __init__(self, namespace: str, length: int, above: bool, threshold: float) -> None:
        self.namespace = namespace
        self.length = length
        # Histograms put their observations in a bucket wholly above (or below) the threshold.
        self.above = above
        self.threshold = threshold

    def counter(self, step: int) -> str:
        return f"0+{step}x{self.length}"

    @staticmethod
    def rate(step: int, window: str) -> float:
        # Prometheus: increase * ((extrapolated / sampled interval) / range seconds), where
        # samples on both window edges make the extrapolation factor exactly 1.
        seconds = minutes(window) * 60.0
        return float(step * minutes(window)) * ((seconds / seconds) / seconds)

    def build(self, query: Query, target: float, labels: dict[str, str]) -> Case:
        return getattr(self, f"_{type(query).__name__.lower()}")(query, target, labels)

    @staticmethod
    def group(by: tuple[str, ...]) -> dict[str, str]:
        return {label: f"test_{label}" for label in by}

    def _rate(self, query: Rate, target: float, labels: dict[str, str]) -> Case:
        step = max(round(target * 60), 0)
        group = self.group(query.by)
        suffix = "_count" if query.series.kind() in ("histogram", "summary") else ""
        name = _name(query.series, self.namespace, suffix, {**labels, **group})
        return Case({name: self.counter(step)}, self.rate(step, query.window), group)

    def _increase(self, query: Increase, target: float, labels: dict[str, str]) -> Case:
        span = minutes(query.window)
        step = max(math.ceil(target / span), 0)
        group = self.group(query.by)
        name = _name(query.series, self.namespace, "", {**labels, **group})
        return Case({name: self.counter(step)}, float(step * span) * 1.0, group)

    def _current(self, query: Current, target: float, labels: dict[str, str]) -> Case:
        group = self.group(query.by)
        name = _name(query.series, self.namespace, "", {**labels, **group})
        return Case({name: f"{target!r}x{self.length}"}, target, group)

    def _change(self, query: Change, target: float, labels: dict[str, str]) -> Case:
        span = minutes(query.window)
        step = int(target / span)
        group = self.group(query.by)
        name = _name(query.series, self.namespace, "", {**labels, **group})
        values = f"100000{'+' if step >= 0 else '-'}{abs(step)}x{self.length}"
        return Case({name: values}, float(step * span) * 1.0, group)

    def _scaled(self, query: Scaled, target: float, labels: dict[str, str]) -> Case:
        inner = self.build(query.query, float(round(target / query.factor)), labels)
        return Case(inner.series, inner.value * query.factor, inner.labels)

    def _up(self, query: Up, target: float, labels: dict[str, str]) -> Case:
        group = {"instance": "app:8000", "job": query.job}
        name = "up{" + ",".join(f'{k}="{v}"' for k, v in group.items()) + "}"
        return Case({name: f"{target!r}x{self.length}"}, target, group)

    def _quantile(self, query: Quantile, target: float, labels: dict[str, str]) -> Case:
        bounds = [float(b) for b in METRICS_BY_NAME[query.series.metric].buckets or ()]
        lower = [0.0, *bounds[:-1]]
        total = self.rate(60, query.window)
        rank = query.q * total
        # histogram_quantile with every observation in bucket i: start + (end - start) * rank/count.
        values = [lower[i] + (bounds[i] - lower[i]) * (rank / total) for i in range(len(bounds))]
        if self.above:
            chosen = next((i for i, v in enumerate(values) if v > self.threshold), None)
        else:
            chosen = max((i for i, v in enumerate(values) if v < self.threshold), default=None)
        if chosen is None:
            raise ValueError(
                f"no bucket of {query.series.metric} puts its "
                f"{query.q} quantile {'above' if self.above else 'below'} "
                f"{self.threshold}"
            )
        group = self.group(query.by)
        series = {}
        for index, le in enumerate([*map(repr, bounds), "+Inf"]):
            name = _name(query.series, self.namespace, "_bucket", {**labels, **group, "le": le})
            series[name] = self.counter(60 if index >= chosen else 0)
        return Case(series, values[chosen], group)

    def _ratio(self, query: Ratio, target: float, labels: dict[str, str]) -> Case:
        part = min(max(round(target * 60), 0), 60)
        top = self.build(query.numerator, part / 60, labels)
        if isinstance(query.denominator, Offset):
            return self._versus_yesterday(query, target, labels)
        if isinstance(query.denominator, Sum):
            rest = self.build(query.denominator.right, (60 - part) / 60, labels)
            return Case(
                {**top.series, **rest.series}, top.value / (top.value + rest.value), top.labels
            )
        if query.numerator.metrics() == query.denominator.metrics():
            rest = self.build(_complement(query.numerator), (60 - part) / 60, labels)
            return Case(
                {**top.series, **rest.series}, top.value / (top.value + rest.value), top.labels
            )
        bottom = self.build(query.denominator, 1.0, labels)
        return Case({**top.series, **bottom.series}, top.value / bottom.value, top.labels)

    def _versus_yesterday(self, query: Ratio, target: float, labels: dict[str, str]) -> Case:
        now = query.numerator
        assert isinstance(now, Rate)
        before, after = 10, max(round(10 * target), 0)
        name = _name(now.series, self.namespace, "", labels)
        day = 1440
        values = f"0+{before}x{day} {before * day + after}+{after}x{self.length - day}"
        value = self.rate(after, now.window) / self.rate(before, now.window)
        return Case({name: values}, value, {})


def _complement(query: Query) -> Query:
    """The same family with its filter inverted: the healthy part of a share."""
    assert isinstance(query, Rate)
    inverted = tuple((label, _INVERSE[op], value) for label, op, value in query.series.where)
    return Rate(Series(query.series.metric, inverted), query.window, query.by)


def _targets(rule: AlertRule) -> tuple[float, float]:
    """A value that fires the alert and one that keeps it silent."""
    threshold, op = rule.threshold, rule.op
    if op == "==":
        return threshold, 1.0 - threshold if threshold in (0, 1) else threshold + 1
    if op == ">":
        if isinstance(rule.query, Ratio) and threshold < 1:
            return min(threshold + 0.25, 59 / 60), threshold / 2
        return threshold * 1.5 + 1, threshold / 2
    return (threshold * 2 if threshold < 0 else threshold / 2), (abs(threshold) + 1)


# promtool evaluates every rule at every evaluation step from 0 to the case's eval_time, so
# the cases that need a day of history (a 24h window, an offset of a day) take most of the
# run at 1m steps; they get their own file stepping every 5m, which a `for` of 15m or 30m
# still sees hold over several evaluations.
TEST_FILES = {"alerts_test.yml": 1, "daily_alerts_test.yml": 5}
_DAY = 1440


def alert_test_files(namespace: str, runbook_base: str) -> dict[str, dict[str, Any]]:
    """The promtool test files, by name: for every alert a firing and a silent case, in the
    daily file when the case needs a day of series, otherwise in ``alerts_test.yml``."""
    tests: dict[str, list[dict[str, Any]]] = {name: [] for name in TEST_FILES}
    for rule in every_alert():
        fire, calm = _targets(rule)
        eval_minutes = max(_windows(rule.query) or [5]) + minutes(rule.for_) + 5
        if any(isinstance(q, Offset) for q in vars(rule.query).values()):
            eval_minutes += _DAY
        file = "daily_alerts_test.yml" if eval_minutes >= _DAY else "alerts_test.yml"
        step = TEST_FILES[file]
        eval_minutes = math.ceil(eval_minutes / step) * step
        length = eval_minutes + 1
        for target, fires in ((fire, True), (calm, False)):
            above = (rule.op in (">", "==")) == fires
            synthesizer = Synthesizer(namespace, length, above, rule.threshold)
            case = synthesizer.build(rule.query, target, {})
            expected: list[dict[str, Any]] = []
            if fires:
                # The annotations Prometheus renders for this case's sample.
                description = render(rule.description, case.labels, float(case.value))
                expected.append(
                    {
                        "exp_labels": {**case.labels, **rule.labels},
                        "exp_annotations": {
                            **rule.annotations(runbook_base),
                            "description": description,
                        },
                    }
                )
            tests[file].append(
                {
                    "name": f"{rule.name} {'fires' if fires else 'stays silent'}",
                    "interval": "1m",
                    "input_series": [{"series": s, "values": v} for s, v in case.series.items()],
                    "alert_rule_test": [
                        {
                            "eval_time": f"{eval_minutes}m",
                            "alertname": rule.name,
                            "exp_alerts": expected,
                        }
                    ],
                }
            )
    rule_files = ["../rules/recording.yml", "../rules/alerts.yml"]
    return {
        name: {"rule_files": rule_files, "evaluation_interval": f"{step}m", "tests": tests[name]}
        for name, step in TEST_FILES.items()
    }
