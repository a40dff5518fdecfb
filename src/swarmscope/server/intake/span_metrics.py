"""The catalog's agent, tool, handoff and LLM families, derived from the spans that arrive.

An app instrumented by OpenInference, OpenLLMetry, the Agents SDK or a Node SDK sends spans
and no swarmscope metrics, and the dashboards and alerts read metrics. So the writer counts
what the spans it commits say in the families our SDK would have pushed, under the same
names and labels: an agent run adds one to ``agent_sessions_total`` and its duration to
``agent_session_duration_seconds``, a tool call to the tool families, an LLM call to the
request, duration and token families, a handoff to the handoff families (``RULES``).

Counting is columnar and happens once per flush (Arrow's group-by over the spans of every
commit stored since the last), so it costs the intake a few percent. The counts are written
every ``FLUSH_SECONDS`` as one delta point per series,
added to a running total by the delta accumulator (``metric_delta``) like any sender's
deltas: derived series are cumulative, survive restarts and are read by the same engine.
They are stored with ``source`` ``spans`` under a series key of their own, so they never
mix with a pushed series of the same name; where a service pushes a family itself (our SDK
does, beside its spans), queries read the pushed one and leave the derived one out
(``store.queries.series``), so a run is never counted twice.

The metric name's prefix is the span's ``service.namespace``, or the SDK's default when the
resource has none, written as a Prometheus name (other characters become ``_``).
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.compute

from swarmscope.conventions.attributes import (
    SERVICE_NAMESPACE,
)
from swarmscope.conventions.catalog import (
    DEFAULT_BUCKETS,
    FAILURE,
    METRICS_BY_NAME,
    SUCCESS,
    MetricSpec,
)
from swarmscope.conventions.spans import (
    EXECUTE_TOOL,
    HANDOFF,
    HITL_APPROVAL,
    INVOKE_AGENT,
    LLM_OPERATIONS,
)
from swarmscope.server.namespaces import DEFAULT_NAMESPACE
from swarmscope.server.store.rows import DERIVED_FROM_SPANS, DeltaRow, arrow_batch

# Arrow's kernels, untyped here: the stubs' overloads refuse a plain number or string
# where Arrow takes any scalar (a fill value, a bound), which is all this module passes.
pc: Any = pyarrow.compute
# How often counts become points: a dashboard is this much behind the spans at most.
FLUSH_SECONDS = 2.0
# Spans kept for the next flush at most: more, and it is due at once. In process, counting
# costs a little less a span in larger pieces, but the server ran 2% faster counting pieces
# of 32k than of 64k (8 paired rounds of server_ingest.py): the kept columns, about 230 bytes
# a span, and the count's copies of them are half the size.
MAX_ROWS = 32_768
# How far up a span's parents the agent of a tool or LLM call is looked for.
MAX_DEPTH = 32
_NOT_A_NAME = re.compile(r"[^a-zA-Z0-9_]")


def bounds(spec: MetricSpec) -> tuple[float, ...]:
    return spec.buckets or DEFAULT_BUCKETS


@dataclass(frozen=True)
class Rule:
    """One family counted from the spans of some operations.

    ``labels`` name, for each of the family's catalog labels in order, the column of the
    counted spans it takes; a name that is no column is the label's value itself (``""``
    leaves it empty, ``input`` is a token type). A counter counts spans, or sums the column
    ``adds``; a histogram observes the spans' durations.
    """

    family: str
    operations: tuple[str, ...]
    labels: tuple[str, ...]
    adds: str = ""


_RUN = (INVOKE_AGENT,)
_TOOL = (EXECUTE_TOOL,)
_HANDOFF = (HANDOFF,)
# A wait for a human (or another agent): any span the agent model says waits (our approvals,
# a LangGraph interrupt, an A2A task needing input) is also counted under this operation.
_WAIT = (HITL_APPROVAL,)
_LLM = LLM_OPERATIONS
RULES = (
    Rule("agent_sessions_total", _RUN, ("agent", "status", "")),
    Rule("agent_session_duration_seconds", _RUN, ("agent", "")),
    Rule("agent_tool_calls_total", _TOOL, ("agent", "tool", "status")),
    Rule("agent_tool_call_duration_seconds", _TOOL, ("agent", "tool")),
    Rule("agent_handoffs_total", _HANDOFF, ("from_agent", "to_agent", "status")),
    Rule("agent_handoff_duration_seconds", _HANDOFF, ("from_agent", "to_agent")),
    Rule("llm_requests_total", _LLM, ("model", "provider", "agent", "status")),
    Rule("llm_request_duration_seconds", _LLM, ("model", "provider", "agent")),
    Rule("llm_tokens_total", _LLM, ("model", "provider", "agent", "input"), "input_tokens"),
    Rule("llm_tokens_total", _LLM, ("model", "provider", "agent", "output"), "output_tokens"),
    Rule("llm_cost_usd_total", _LLM, ("model", "provider", "agent"), "cost_usd"),
    Rule("hitl_approvals_requested_total", _WAIT, ("wait", "agent")),
    Rule("hitl_approval_latency_seconds", _WAIT, ("wait", "agent")),
)
_RULES_BY_OPERATION = {
    operation: tuple(rule for rule in RULES if operation in rule.operations)
    for rule in RULES
    for operation in rule.operations
}
# Each operation's one duration histogram: the bounds its spans are bucketed by.
_HISTOGRAM_BOUNDS = {
    operation: tuple(bounds(METRICS_BY_NAME[rule.family]))
    for operation, rules in _RULES_BY_OPERATION.items()
    for rule in rules
    if METRICS_BY_NAME[rule.family].kind == "histogram"
}
_DERIVED = pa.array(sorted({op for rule in RULES for op in rule.operations}), pa.string())
_OPERATIONS = {rule.operations: pa.array(rule.operations, pa.string()) for rule in RULES}
# Arrow scalars made once: without numpy installed, Arrow tries to import it each time it
# converts a Python number or string, which cost 0.2 ms a call (most of this module's time).
_EMPTY = pa.scalar("", pa.string())
_ERROR = pa.scalar("error", pa.string())
_RUN_OPERATION = pa.scalar(INVOKE_AGENT, pa.string())
_HANDOFF_OPERATION = pa.scalar(HANDOFF, pa.string())
_ZERO = pa.scalar(0.0, pa.float64())
_NO_TEXT = pa.scalar(None, pa.string())
_MS_PER_S = pa.scalar(1000.0, pa.float64())
_NONE_ABOVE = pa.scalar(0, pa.int64())
# The columns spans are grouped by: what every label a rule reads is made of, and the bucket.
# Raw where a label is a column with "" for null (Python fills it, per group), and the
# resource by number: string columns are the group-by's cost, and copies made to fill them
# the rest of it.
_COLUMNS = (
    "resource",
    "operation",
    "agent",
    "tool",
    "model",
    "provider",
    "from_agent",
    "to_agent",
    "wait",
    "failed",
    "bucket",
)
# The stored span columns counting reads: the rules' columns, and what finds a span's agent.
_KEPT = [
    "trace_id",
    "span_id",
    "parent_span_id",
    "start_ns",
    "resource_id",
    "service",
    "operation",
    "agent",
    "tool",
    "model",
    "provider",
    "handoff_from",
    "handoff_to",
    "wait",
    "status",
    "duration_ms",
    "input_tokens",
    "output_tokens",
    "cost_usd",
]


@dataclass
class _Series:
    """One derived series' counts since the last flush."""

    spec: MetricSpec
    namespace: str
    service: str
    values: tuple[str, ...]
    value: float = 0.0
    count: float = 0.0
    total: float = 0.0
    buckets: list[float] = field(default_factory=list)


Counts = dict[tuple[str, str, str, tuple[str, ...]], _Series]


@dataclass(frozen=True)
class Kept:
    """What one flush counts: stored commits' spans, the counts a failed store left
    unwritten, and the metric prefixes of the spans' resources."""

    spans: list[pa.Table]
    unwritten: Counts
    namespaces: dict[str, str]


def prometheus_namespace(raw: Any) -> str:
    """A resource's ``service.namespace`` as a metric name prefix, or the SDK's default."""
    if not isinstance(raw, str) or not raw:
        return DEFAULT_NAMESPACE
    name = _NOT_A_NAME.sub("_", raw)
    return name if not name[0].isdigit() else f"_{name}"


class SpanMetrics:
    """Keeps stored commits' spans (``select``, then ``keep``) and, when due, hands them
    over (``detach``) to be counted as points (``count``, on a thread of its own in the
    server: the writer goes on committing meanwhile).

    Counting waits for the flush: Arrow's kernels and the group-by cost about the same for
    a commit's thousand spans as for a flush's tens of thousands, so counting per flush costs
    the intake a fraction of what counting per commit did. What waits is a few columns of
    each span (``_KEPT``), at most ``max_rows`` of them: more, and the flush is due at once.
    """

    def __init__(self, flush_seconds: float = FLUSH_SECONDS, max_rows: int = MAX_ROWS) -> None:
        self.flush_seconds = flush_seconds
        self.max_rows = max_rows
        self._namespaces: dict[str, str] = {}
        self._spans: list[pa.Table] = []
        self._rows = 0
        self._unwritten: Counts = {}
        self._flushed_at = time.monotonic()
        self._last_ns = 0

    # -- keeping -----------------------------------------------------------------------------
    def select(self, batches: Iterable[tuple[str, pa.Table]]) -> list[pa.Table]:
        """A commit's spans as the columns counting reads (no copy), kept apart until the
        commit is stored (``keep``): a failed commit's spans must not be counted."""
        selected = []
        for table, batch in batches:
            if table == "resources":
                self._learn(batch)
            elif table == "spans" and batch.num_rows:
                selected.append(batch.select(_KEPT))
        return selected

    def keep(self, spans: list[pa.Table]) -> None:
        """Count a stored commit's spans at the next flush."""
        self._spans.extend(spans)
        self._rows += sum(batch.num_rows for batch in spans)

    def restore(self, counts: Counts) -> None:
        """Counts whose points could not be stored: written with the next flush."""
        for key, series in counts.items():
            unwritten = self._unwritten.get(key)
            if unwritten is None:
                self._unwritten[key] = series
                continue
            unwritten.value += series.value
            unwritten.count += series.count
            unwritten.total += series.total
            unwritten.buckets = [
                a + b for a, b in zip(unwritten.buckets, series.buckets, strict=True)
            ]

    def _learn(self, resources: pa.Table) -> None:
        if len(self._namespaces) > 100_000:
            self._namespaces = {}  # a new one: a count under way may be reading the last
        ids = resources["resource_id"].to_pylist()
        texts = resources["attributes"].to_pylist()
        for resource_id, attributes in zip(ids, texts, strict=True):
            if resource_id is not None and attributes and resource_id not in self._namespaces:
                found = orjson.loads(attributes).get(SERVICE_NAMESPACE)
                self._namespaces[resource_id] = prometheus_namespace(found)

    def _count(self, kept: Kept) -> Counts:
        """The kept spans' counts, added to the unwritten ones."""
        counts = kept.unwritten
        found = self._columns(pa.concat_tables(kept.spans)) if kept.spans else None
        if found is not None:
            columns, resources = found
            namespaces = [kept.namespaces.get(key, DEFAULT_NAMESPACE) for key in resources]
            _tally(counts, columns, namespaces)
        return counts

    def _columns(self, batch: pa.Table) -> tuple[pa.Table, list[str]] | None:
        """The batch's counted spans as the columns the rules read (its waits twice: as
        what they are and as waits), with the resources their ``resource`` numbers; or None
        if none counts."""
        waiting = pc.is_valid(batch["wait"])
        counted = pc.or_(pc.is_in(batch["operation"], value_set=_DERIVED), waiting)
        # An agent app's spans are mostly runs, tool and LLM calls: often all of them count,
        # and filtering would copy every column for nothing.
        kept = batch if pc.all(counted).as_py() else batch.filter(counted)
        if not kept.num_rows:
            return None
        resource = kept["resource_id"]
        resources = resource.unique()
        agent = _agents(kept, batch)
        seconds = pc.divide(pc.max_element_wise(kept["duration_ms"], _ZERO), _MS_PER_S)
        handing = pc.equal(kept["operation"], _HANDOFF_OPERATION)
        columns = {
            "resource": pc.index_in(resource, value_set=resources),
            "service": kept["service"],
            "operation": kept["operation"],
            "agent": agent,
            "tool": kept["tool"],
            "model": kept["model"],
            "provider": kept["provider"],
            # Who handed to whom, for handoffs only: other spans would only split groups.
            "from_agent": pc.if_else(handing, pc.coalesce(kept["handoff_from"], agent), _NO_TEXT),
            "to_agent": pc.if_else(handing, kept["handoff_to"], _NO_TEXT),
            "wait": kept["wait"],
            "failed": pc.equal(kept["status"], _ERROR),
            "seconds": seconds,
            "input_tokens": kept["input_tokens"],
            "output_tokens": kept["output_tokens"],
            "cost_usd": kept["cost_usd"],
        }
        spans = pa.table(columns)
        waits = spans.filter(pc.is_valid(kept["wait"]))
        if waits.num_rows:
            waits = waits.set_column(
                waits.column_names.index("operation"),
                "operation",
                pa.array([HITL_APPROVAL] * waits.num_rows, pa.string()),
            )
            spans = pa.concat_tables([spans, waits])
        bucket = _buckets(spans["operation"], spans["seconds"])
        return spans.append_column("bucket", bucket), [str(key) for key in resources.to_pylist()]

    # -- writing -------------------------------------------------------------------------------
    @property
    def pending(self) -> bool:
        return bool(self._spans or self._unwritten)

    @property
    def full(self) -> bool:
        """As many spans are kept as a flush counts at most."""
        return self._rows >= self.max_rows

    def seconds_to_flush(self) -> float:
        if self.full:
            return 0.0
        return max(self._flushed_at + self.flush_seconds - time.monotonic(), 0.0)

    def detach(self, force: bool = False) -> Kept | None:
        """The kept spans and unwritten counts once they are due (or ``force``), for
        ``count``; what is kept next waits for the next flush. Cheap: the writer calls it,
        and counting can go on elsewhere while commits go on."""
        if not self.pending or (not force and self.seconds_to_flush() > 0):
            return None
        self._flushed_at = time.monotonic()
        kept = Kept(self._spans, self._unwritten, self._namespaces)
        self._spans, self._rows, self._unwritten = [], 0, {}
        return kept

    def count(self, kept: Kept) -> tuple[pa.Table, Counts] | None:
        """Detached spans' counts as delta points, with the counts themselves (``restore``
        them if the points could not be stored); None if there are none. Raises what
        counting raised; the spans it failed on are not counted again. One count at a time:
        the points' times follow the last count's."""
        counts = self._count(kept)
        return (self._points(counts), counts) if counts else None

    def take(self, force: bool = False) -> tuple[pa.Table, Counts] | None:
        """``count`` what is due, here and now."""
        kept = self.detach(force)
        return None if kept is None else self.count(kept)

    def _points(self, counts: Counts) -> pa.Table:
        # One time per flush, later than the last: each derived stream adds contiguously.
        now = max(time.time_ns(), self._last_ns + 1)
        self._last_ns = now
        rows = []
        for series in counts.values():
            spec = series.spec
            name = spec.full_name(series.namespace)
            labels = sorted(zip(spec.labels, series.values, strict=True))
            key = json.dumps(
                [series.service, "", name, labels, DERIVED_FROM_SPANS], separators=(",", ":")
            )
            histogram = spec.kind == "histogram"
            rows.append(
                DeltaRow(
                    time_ns=now,
                    start_ns=0,
                    service=series.service,
                    name=name,
                    kind=spec.kind,
                    series=key,
                    labels=labels,
                    value=None if histogram else series.value,
                    count=series.count if histogram else None,
                    sum=series.total if histogram else None,
                    bounds=list(bounds(spec)) if histogram else None,
                    buckets=series.buckets if histogram else None,
                    source=DERIVED_FROM_SPANS,
                )
            )
        return arrow_batch(DeltaRow, rows)


_AGGREGATES = (
    ("seconds", "count"),
    ("seconds", "sum"),
    ("input_tokens", "sum"),
    ("output_tokens", "sum"),
    ("cost_usd", "sum"),
    # One resource has one service: its first span's says it, with no key to hash.
    ("service", "first"),
)
# A grouped row, once ``_tally`` made labels of its columns: each label the rules read,
# each aggregate, then every rule's constant labels.
_LABELS = (
    "namespace",
    "service",
    "status",
    *(column for column in _COLUMNS if column not in ("resource", "failed")),
)
# Grouped columns whose null is the empty label, and sums whose null is none.
_TEXTS = ("tool", "model", "provider", "from_agent", "to_agent", "wait")
_SUMS = ("input_tokens_sum", "output_tokens_sum", "cost_usd_sum")
_CONSTANTS = tuple(
    sorted({label for rule in RULES for label in rule.labels if label not in _LABELS})
)
_ROW = (*_LABELS, *(f"{column}_{how}" for column, how in _AGGREGATES), *_CONSTANTS)
_AT = {name: index for index, name in enumerate(_ROW)}


@dataclass(frozen=True)
class _Plan:
    """A rule made ready for the per-group loop: its family, and where in a grouped row
    its label values and its measure are."""

    rule: Rule
    spec: MetricSpec
    values: Callable[[tuple[Any, ...]], tuple[str, ...]]
    histogram: bool
    measure: int


def _plan(rule: Rule) -> _Plan:
    spec = METRICS_BY_NAME[rule.family]
    read = itemgetter(*(_AT[label] for label in rule.labels))
    values = (lambda row: (read(row),)) if len(rule.labels) == 1 else read
    measure = _AT[f"{rule.adds}_sum" if rule.adds else "seconds_count"]
    return _Plan(rule, spec, values, spec.kind == "histogram", measure)


_PLANS = {operation: tuple(map(_plan, rules)) for operation, rules in _RULES_BY_OPERATION.items()}


def _tally(counts: Counts, spans: pa.Table, namespaces: list[str]) -> None:
    """Add a commit's counted spans to their rules' series: one group-by for every family
    (Arrow's, in C), then a few additions per group in Python, over rows read as tuples.
    ``namespaces`` are the metric prefixes of the spans' ``resource`` numbers."""
    # In one piece: Acero's group-by pays per chunk, and there is one per request.
    by_group: Any = spans.combine_chunks().group_by(list(_COLUMNS), use_threads=False)
    grouped = by_group.aggregate(list(_AGGREGATES))
    found = grouped.to_pydict()
    size = grouped.num_rows
    found["namespace"] = [namespaces[at] for at in found["resource"]]
    found["service"] = found["service_first"]
    found["status"] = [FAILURE if failed else SUCCESS for failed in found["failed"]]
    for name in _TEXTS:
        found[name] = ["" if text is None else text for text in found[name]]
    for name in _SUMS:
        found[name] = [0 if total is None else total for total in found[name]]
    columns = [found[name] if name in found else [name] * size for name in _ROW]
    namespace_at, service_at, operation_at = _AT["namespace"], _AT["service"], _AT["operation"]
    agent_at, runs_at, total_at, bucket_at = (
        _AT["agent"],
        _AT["seconds_count"],
        _AT["seconds_sum"],
        _AT["bucket"],
    )
    for row in zip(*columns, strict=True):
        namespace, service, runs = row[namespace_at], row[service_at], row[runs_at]
        for plan in _PLANS.get(row[operation_at], ()):
            if plan.rule.operations == _RUN and not row[agent_at]:
                continue  # a run no convention names is no agent's
            values = plan.values(row)
            key = (namespace, service, plan.rule.family, values)
            series = counts.get(key)
            if series is None:
                series = counts[key] = _new_series(plan.spec, namespace, service, values)
            if plan.histogram:
                series.count += runs
                series.total += row[total_at]
                series.buckets[row[bucket_at]] += runs
            else:
                series.value += row[plan.measure]


# Every histogram's bounds together, and per operation, for each number of them a duration
# exceeds, how many of its own bounds it exceeds: its bucket (each one's bounds are some of
# all of them, so that count is the operation's bucket).
_ALL_BOUNDS = sorted({bound for limits in _HISTOGRAM_BOUNDS.values() for bound in limits})
_BUCKET_OPERATIONS = pa.array(list(_HISTOGRAM_BOUNDS), pa.string())
_BUCKET_OF = pa.array(
    [
        sum(bound in limits for bound in _ALL_BOUNDS[:exceeded])
        for limits in [*_HISTOGRAM_BOUNDS.values(), ()]
        for exceeded in range(len(_ALL_BOUNDS) + 1)
    ],
    pa.int64(),
)
_BOUND_SCALARS = [pa.scalar(float(bound), pa.float64()) for bound in _ALL_BOUNDS]
_ROW_WIDTH = pa.scalar(len(_ALL_BOUNDS) + 1, pa.int64())
_NO_HISTOGRAM = pa.scalar(len(_HISTOGRAM_BOUNDS), pa.int64())


def _buckets(operations: Any, seconds: Any) -> Any:
    """Each span's bucket in its operation's duration histogram (Prometheus's ``le``: the
    first bound at or above it; 0 for an operation without one). Columnar: the number of
    all the bounds below each duration (a comparison per bound), then a lookup by operation,
    cheaper at a flush's thousands of spans than a bisection per span in Python."""
    exceeded = pc.cast(pc.less(_BOUND_SCALARS[0], seconds), pa.int64())
    for bound in _BOUND_SCALARS[1:]:
        exceeded = pc.add(exceeded, pc.cast(pc.less(bound, seconds), pa.int64()))
    exceeded = pc.fill_null(exceeded, _NONE_ABOVE)
    row = pc.fill_null(pc.index_in(operations, value_set=_BUCKET_OPERATIONS), _NO_HISTOGRAM)
    return pc.take(_BUCKET_OF, pc.add(pc.multiply(pc.cast(row, pa.int64()), _ROW_WIDTH), exceeded))


def _new_series(spec: MetricSpec, namespace: str, service: str, values: tuple[str, ...]) -> _Series:
    series = _Series(spec, namespace, service, values)
    if spec.kind == "histogram":
        series.buckets = [0.0] * (len(bounds(spec)) + 1)
    return series


def _agents(kept: pa.Table, batch: pa.Table) -> pa.ChunkedArray | pa.Array:
    """The agent of each kept span: its own, or for a tool, LLM or handoff span that names
    none, the agent of the nearest agent run above it among the spans of the flush ("" if
    none).

    Most conventions name the agent on its run only, and the catalog's tool and LLM
    families are labelled by agent. A sender exports a trace's spans together (a batch
    processor), so the run is usually in the same flush; when it is not, the label is empty.
    """
    agent = kept["agent"]
    is_run = pc.equal(kept["operation"], _RUN_OPERATION)
    missing = pc.and_(pc.is_null(agent), pc.invert(is_run))
    if not pc.any(missing).as_py():
        return pc.fill_null(agent, _EMPTY)
    runs = batch.filter(
        pc.and_(pc.equal(batch["operation"], _RUN_OPERATION), pc.is_valid(batch["agent"]))
    )
    run_ids, run_agents = runs["span_id"].combine_chunks(), runs["agent"]
    ids, parents = batch["span_id"].combine_chunks(), batch["parent_span_id"]
    above = kept["parent_span_id"]
    found = agent
    for _ in range(MAX_DEPTH):
        found = pc.coalesce(found, pc.take(run_agents, pc.index_in(above, value_set=run_ids)))
        above = pc.take(parents, pc.index_in(above, value_set=ids))
        if not pc.any(pc.and_(pc.is_null(found), pc.is_valid(above))).as_py():
            break
    found = pc.if_else(is_run, agent, found)
    missing = pc.and_(pc.is_null(found), pc.invert(is_run))
    if pc.any(missing).as_py():
        found = _after_runs(kept, missing, found, runs)
    return pc.fill_null(found, _EMPTY)


# How far back in its trace a span looks for the agent run it follows: any distance.
_ANY_EARLIER = -(2**62)


def _after_runs(kept: pa.Table, missing: Any, found: Any, runs: pa.Table) -> Any:
    """``found``, with each span still without an agent given the agent of the latest run
    in its trace that started before it.

    A graph framework may run a tool beside the agent that asked for it rather than inside
    its run: LangGraph's tool node is a node of its own, after the agent node whose model
    call named the tools. The run it follows is the agent it works for.
    """
    missing, found = _one_chunk(missing), _one_chunk(found)
    later = (
        kept.select(["trace_id", "start_ns"])
        .filter(missing)
        .append_column("row", pc.indices_nonzero(missing))
        .sort_by("start_ns")
    )
    earlier = (
        runs.select(["trace_id", "start_ns", "agent"])
        .rename_columns(["trace_id", "start_ns", "run_agent"])
        .sort_by("start_ns")
    )
    joined = later.join_asof(earlier, on="start_ns", by="trace_id", tolerance=_ANY_EARLIER)
    agents = joined.sort_by("row")["run_agent"].combine_chunks()
    return pc.replace_with_mask(found, missing, agents)


def _one_chunk(values: Any) -> pa.Array:
    """An array in one piece: what a mask must be for Arrow's replace_with_mask."""
    return values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values
