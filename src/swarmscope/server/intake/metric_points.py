"""OTLP metric requests as the rows the store keeps, named as Prometheus names them.

Each data point becomes a ``MetricRow`` of its Prometheus series (``metric_names``), one
per point and request, with no state: this runs in the decode workers. What needs state
goes to the writer beside the rows:

- Delta sums and histograms (the OpenTelemetry SDKs' choice with a delta temporality
  preference) become ``DeltaRow``s, which the writer accumulates into cumulative series
  (``metric_delta``) before they are stored; the engine and Prometheus only read
  cumulative counters.
- Points the server does not keep become ``RefusalRow``s: the writer logs them and counts
  them by reason (``GET /api/metrics`` shows the counts), and the request's answer reports
  them in OTLP's partial success too.
- Each metric's type, unit and description become a ``MetricFamilyRow``.

Resources are as Prometheus keeps them: every series has ``job`` (``service.name``) and
``instance`` (``service.instance.id``, else the service) labels, and the other resource
attributes are the labels of a ``target_info`` gauge of value 1. Prometheus's ``job`` is
``service.namespace/service.name``; here it stays ``service.name``, the name the console,
the traces and the SDK's own dashboards use, and the namespace is the metric prefix.

Exponential histograms are stored with explicit bounds (``metric_expo`` says why).
Summaries are stored as Prometheus exposes them: ``name_count`` and ``name_sum`` (one row
with ``count`` and ``sum``) and one series per quantile, ``name{quantile="0.9"}`` (rows
with ``value``).
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
)

from swarmscope.conventions.attributes import (
    SERVICE_INSTANCE_ID,
    SERVICE_NAME,
    SERVICE_NAMESPACE,
)
from swarmscope.definitions.numbers import le_value
from swarmscope.server.intake import metric_expo
from swarmscope.server.intake.metric_names import label_name, metric_name
from swarmscope.server.intake.span_fields import LAST_TIME_TEXT, MAX_TIME_NS, service_name
from swarmscope.server.store.rows import DeltaRow, MetricFamilyRow, MetricRow

_DELTA, _CUMULATIVE = 1, 2
# Resource attributes every series carries as job and instance, left out of target_info.
_PROMOTED = frozenset({SERVICE_NAME, SERVICE_NAMESPACE, SERVICE_INSTANCE_ID})
TARGET_INFO = "target_info"
# Refusal reasons: the keys the server counts refused points under.
TIME_OUT_OF_RANGE = "time_out_of_range"
NO_DATA = "no_data"
NO_TEMPORALITY = "unspecified_temporality"
BAD_BUCKETS = "bad_buckets"
OUT_OF_RANGE_BOUNDS = "bucket_bound_overflow"


@dataclass
class MetricBatch:
    """One request's metric points, sorted by where they go."""

    rows: list[MetricRow] = field(default_factory=list)
    deltas: list[DeltaRow] = field(default_factory=list)
    families: dict[tuple[str, str], MetricFamilyRow] = field(default_factory=dict)
    refused: Counter[str] = field(default_factory=Counter)
    details: dict[str, str] = field(default_factory=dict)

    def refuse(self, reason: str, points: int, detail: str) -> None:
        if points:
            self.refused[reason] += points
            self.details.setdefault(reason, detail)

    @property
    def rejected(self) -> int:
        return sum(self.refused.values())

    def reason(self) -> str:
        """OTLP's partial-success message: one example per reason."""
        return "; ".join(self.details[reason] for reason in sorted(self.refused))


def _value(any_value: Any) -> str:
    text = any_value.string_value
    if text:
        return text
    kind = any_value.WhichOneof("value")
    return "" if kind is None else str(getattr(any_value, kind))


def _labels(key_values: Any) -> list[tuple[str, str]]:
    """A point's attributes as sorted Prometheus labels; keys that become one label name
    have their values joined with ``;`` (in key order), as the translator joins them. A key
    sent twice is one attribute, the last value winning (the store's MAP column refuses
    duplicate keys: a 500 for the whole request)."""
    # Most values are strings: read that field first (this runs for every attribute).
    raw = {kv.key: kv.value.string_value or _value(kv.value) for kv in key_values}
    named: dict[str, str] = {}
    for key in sorted(raw):
        label = label_name(key)
        have = named.get(label)
        named[label] = raw[key] if have is None else f"{have};{raw[key]}"
    return sorted(named.items())


def _late_field(point: Any) -> str | None:
    """The first time field of a data point the store cannot hold, if any."""
    if point.time_unix_nano > MAX_TIME_NS:
        return "time_unix_nano"
    if point.start_time_unix_nano > MAX_TIME_NS:
        return "start_time_unix_nano"
    return None


def _number(point: Any) -> float:
    return float(point.as_double if point.WhichOneof("value") == "as_double" else point.as_int)


def metric_batch(request: ExportMetricsServiceRequest) -> MetricBatch:
    """Every data point of the request, as rows, deltas or refusals."""
    batch = MetricBatch()
    for group in request.resource_metrics:
        resource = {kv.key: _value(kv.value) for kv in group.resource.attributes}
        service = service_name(resource)
        # Two processes of one service (workers, replicas) are two series, as two scrape
        # targets would be in Prometheus: their counters must not be read as one.
        instance = resource.get(SERVICE_INSTANCE_ID, "")
        before = len(batch.rows), len(batch.deltas)
        for scope in group.scope_metrics:
            for metric in scope.metrics:
                _metric(batch, metric, service, instance)
        _target_info(batch, resource, service, instance, before)
    return batch


def _target_info(
    batch: MetricBatch,
    resource: dict[str, str],
    service: str,
    instance: str,
    before: tuple[int, int],
) -> None:
    """The resource's other attributes as ``target_info{job, instance, ...} 1``, as
    Prometheus keeps them (``job`` and ``instance`` are every series' own labels), at the
    time of the group's latest point; none for a resource with nothing more to say."""
    named: dict[str, str] = {}
    for key in sorted(resource):
        if key not in _PROMOTED:
            label = label_name(key)
            have = named.get(label)
            named[label] = resource[key] if have is None else f"{have};{resource[key]}"
    times = [row.time_ns for row in batch.rows[before[0] :]]
    times += [row.time_ns for row in batch.deltas[before[1] :]]
    if not named or not times:
        return
    labels = sorted(named.items())
    series = json.dumps([service, instance, TARGET_INFO, labels], separators=(",", ":"))
    at = max(times)
    batch.rows.append(
        MetricRow(
            at, at, service, TARGET_INFO, "gauge", series, labels, 1.0, None, None, None, None
        )
    )
    batch.families.setdefault(
        (TARGET_INFO, service),
        MetricFamilyRow(TARGET_INFO, service, "gauge", "", "Target metadata"),
    )


def _metric(batch: MetricBatch, metric: Any, service: str, instance: str) -> None:
    data = metric.WhichOneof("data")
    if data is None:
        batch.refuse(NO_DATA, 1, f"{metric.name}: no data")
        return
    body = getattr(metric, data)
    points = body.data_points
    monotonic = data == "sum" and body.is_monotonic
    name = metric_name(metric.name, metric.unit, data, monotonic)
    if data == "gauge" or (data == "sum" and not monotonic):
        kind = "gauge"
    elif data == "sum":
        kind = "counter"
    elif data == "summary":
        kind = "summary"
    else:
        kind = "histogram"
    temporality = getattr(body, "aggregation_temporality", _CUMULATIVE)
    if temporality not in (_DELTA, _CUMULATIVE):
        batch.refuse(
            NO_TEMPORALITY,
            len(points),
            f"{metric.name}: aggregation temporality unspecified (send delta or cumulative)",
        )
        return
    batch.families.setdefault(
        (name, service), MetricFamilyRow(name, service, kind, metric.unit, metric.description)
    )
    delta = temporality == _DELTA
    for point in points:
        late = _late_field(point)
        if late is not None:
            batch.refuse(
                TIME_OUT_OF_RANGE,
                1,
                f"{metric.name}: a data point's {late} is past the last time the store can"
                f" hold, {LAST_TIME_TEXT}",
            )
            continue
        labels = _labels(point.attributes)
        if data == "summary":
            _summary(batch, point, name, service, instance, labels)
            continue
        series = json.dumps([service, instance, name, labels], separators=(",", ":"))
        time_ns, start_ns = point.time_unix_nano, point.start_time_unix_nano
        if data == "exponential_histogram":
            _exponential(batch, metric.name, point, name, kind, service, series, labels, delta)
            continue
        value = count = total = bounds = buckets = None
        if data == "histogram":
            bounds = list(point.explicit_bounds)
            buckets = [float(c) for c in point.bucket_counts]
            if buckets and len(buckets) != len(bounds) + 1:
                batch.refuse(
                    BAD_BUCKETS,
                    1,
                    f"{metric.name}: {len(buckets)} bucket counts for {len(bounds)} bounds"
                    " (OTLP sends one more count than bounds)",
                )
                continue
            count, total = float(point.count), point.sum
        else:
            value = _number(point)
        fields = (time_ns, start_ns, service, name, kind, series, labels, value, count, total)
        if delta:
            batch.deltas.append(DeltaRow(*fields, bounds, buckets))
        else:
            batch.rows.append(MetricRow(*fields, bounds, buckets))


def _exponential(
    batch: MetricBatch,
    otlp_name: str,
    point: Any,
    name: str,
    kind: str,
    service: str,
    series: str,
    labels: list[tuple[str, str]],
    delta: bool,
) -> None:
    if not metric_expo.MIN_SCALE <= point.scale <= metric_expo.MAX_SCALE:
        batch.refuse(
            BAD_BUCKETS,
            1,
            f"{otlp_name}: scale {point.scale} is outside OTLP's"
            f" {metric_expo.MIN_SCALE}..{metric_expo.MAX_SCALE}",
        )
        return
    expo = metric_expo.from_point(point)
    head = (point.time_unix_nano, point.start_time_unix_nano, service, name, kind, series)
    count, total = float(point.count), point.sum
    if delta:
        counts = [expo.low, *expo.counts]
        batch.deltas.append(
            DeltaRow(
                *head,
                labels,
                None,
                count,
                total,
                None,
                counts,
                scale=expo.scale,
                offset=expo.offset,
            )
        )
        return
    try:
        bounds, buckets = expo.explicit()
    except OverflowError:
        batch.refuse(
            OUT_OF_RANGE_BOUNDS,
            1,
            f"{otlp_name}: a bucket bound is past the largest float (scale {expo.scale},"
            f" offset {expo.offset})",
        )
        return
    batch.rows.append(MetricRow(*head, labels, None, count, total, bounds, buckets))


def _summary(
    batch: MetricBatch,
    point: Any,
    name: str,
    service: str,
    instance: str,
    labels: list[tuple[str, str]],
) -> None:
    """A summary point: its count and sum, and one series per quantile."""
    time_ns, start_ns = point.time_unix_nano, point.start_time_unix_nano
    series = json.dumps([service, instance, name, labels], separators=(",", ":"))
    batch.rows.append(
        MetricRow(
            time_ns, start_ns, service, name, "summary", series, labels,
            None, float(point.count), point.sum, None, None,
        )
    )  # fmt: skip
    for quantile in point.quantile_values:
        # The quantile is the series' own label, over any attribute of that name.
        kept = [pair for pair in labels if pair[0] != "quantile"]
        tagged = sorted([*kept, ("quantile", le_value(quantile.quantile))])
        key = json.dumps([service, instance, name, tagged], separators=(",", ":"))
        batch.rows.append(
            MetricRow(
                time_ns, start_ns, service, name, "summary", key, tagged,
                float(quantile.value), None, None, None, None,
            )
        )  # fmt: skip
