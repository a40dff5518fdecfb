"""The rows the store keeps, and their Arrow form: the one place a column's type is said.

The OTLP decoders fill these columns; tests and tools can also build rows directly and
``Store.add`` them.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pyarrow as pa


@dataclass(frozen=True)
class SpanRow:
    trace_id: str
    span_id: str
    parent_span_id: str | None
    name: str
    kind: str
    service: str
    start_ns: int
    end_ns: int
    duration_ms: float
    status: str
    status_message: str
    operation: str | None
    agent: str | None
    tool: str | None
    model: str | None
    input_tokens: int | None
    output_tokens: int | None
    attributes: str
    events: str
    links: str
    # The span's resource attributes live once in the resources table, under this id.
    resource_id: str
    # The agent model's later columns (conventions.agent_model), at the end so that an
    # older store gains them by ALTER TABLE in this order. None where a span does not say.
    provider: str | None = None
    cost_usd: float | None = None
    session: str | None = None
    cache_read_tokens: int | None = None
    cache_creation_tokens: int | None = None
    reasoning_tokens: int | None = None
    handoff_from: str | None = None
    handoff_to: str | None = None
    wait: str | None = None


@dataclass(frozen=True)
class LogRow:
    time_ns: int
    trace_id: str | None
    span_id: str | None
    severity: str
    event: str | None
    body: str
    service: str
    agent: str | None
    attributes: str


# The values of a metric point's ``source``.
PUSHED = "pushed"
DERIVED_FROM_SPANS = "spans"


@dataclass(frozen=True)
class MetricRow:
    """One data point: a counter or gauge value, or a histogram's count, sum and buckets.

    ``name`` is the Prometheus name (what the ops bundle's queries use); ``series`` names
    the time series (service, name and labels) so points of one series can be found.
    Histogram ``buckets`` are per bucket, as OTLP sends them, not cumulative.
    """

    time_ns: int
    start_ns: int
    service: str
    name: str
    kind: str
    series: str
    labels: list[tuple[str, str]]
    value: float | None
    count: float | None
    sum: float | None
    bounds: list[float] | None
    buckets: list[float] | None
    # Who made the point: a sender that pushed it, or the server counting spans
    # (``intake/span_metrics.py``); queries prefer a service's pushed series.
    source: str = PUSHED


@dataclass(frozen=True)
class DeltaRow(MetricRow):
    """A delta point on its way to the accumulator (``intake/metric_delta.py``), never
    stored as such: its ``time_ns``/``start_ns`` are the interval it counts. An exponential
    histogram's carries its ``scale`` and positive ``offset``, with ``buckets`` the zero
    and negative count followed by the positive bucket counts (``bounds`` None)."""

    scale: int | None = None
    offset: int | None = None


@dataclass(frozen=True)
class MetricFamilyRow:
    """What a sender says of a metric: its type, unit and description, per service.

    Kept once per (name, service): the first description a service sends stays.
    """

    name: str
    service: str
    kind: str
    unit: str
    help: str


@dataclass(frozen=True)
class RefusalRow:
    """Points a request sent that the server does not keep, and why: counted and logged by
    the writer (``intake/metric_delta.py``), never stored."""

    reason: str
    points: int
    detail: str


# Arrow types for the columns whose Python values alone do not say their SQL type.
_ARROW_TYPES: dict[str, pa.DataType] = {
    "start_ns": pa.int64(),
    "end_ns": pa.int64(),
    "time_ns": pa.int64(),
    "input_tokens": pa.int64(),
    "output_tokens": pa.int64(),
    "cache_read_tokens": pa.int64(),
    "cache_creation_tokens": pa.int64(),
    "reasoning_tokens": pa.int64(),
    "cost_usd": pa.float64(),
    "duration_ms": pa.float64(),
    "value": pa.float64(),
    "count": pa.float64(),
    "sum": pa.float64(),
    "labels": pa.map_(pa.string(), pa.string()),
    "bounds": pa.list_(pa.float64()),
    "buckets": pa.list_(pa.float64()),
    "scale": pa.int64(),
    "offset": pa.int64(),
    "points": pa.int64(),
}


@dataclass(frozen=True)
class ResourceRow:
    resource_id: str
    attributes: str


SPAN_COLUMNS = tuple(field.name for field in dataclasses.fields(SpanRow))


def columns_to_arrow(row_type: type, columns: dict[str, list[Any]]) -> pa.Table:
    """Column lists named after ``row_type``'s fields, as an Arrow table of the right types."""
    return pa.table(
        {
            field.name: pa.array(
                columns[field.name], type=_ARROW_TYPES.get(field.name, pa.string())
            )
            for field in dataclasses.fields(row_type)
        }
    )


def arrow_batch(row_type: type, rows: Sequence[Any]) -> pa.Table:
    """Rows of one dataclass as an Arrow table."""
    return columns_to_arrow(
        row_type,
        {
            field.name: [getattr(row, field.name) for row in rows]
            for field in dataclasses.fields(row_type)
        },
    )
