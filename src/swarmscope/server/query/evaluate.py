"""The ops bundle's queries (``ops/query.py``) computed from the server's own metric points.

One definition, two engines: a panel or alert rule compiles to PromQL for Prometheus, and
is computed here from what the SDK pushed, with Prometheus's semantics so both give the same
answer: ``sum by`` over ``rate``/``increase``/``delta`` with extrapolation, one-to-one
matching on the ``by`` labels for ``/ + -``, ``histogram_quantile``, ``topk``, ``offset``,
instant selectors with a five-minute lookback.

What differs, and why:

- Non-finite results are omitted, not returned: a JSON client cannot read NaN or Inf, and
  Prometheus's NaN means "no data" anyway (a quantile without observations, ``0/0``).
  ``x/0`` is +Inf in Prometheus; here that sample is omitted too.
- ``up`` has no scrapes to come from: a process (``instance``: its
  ``service.instance.id``) is up (1) while its latest push is at most two of its push
  intervals old (the median gap between its recent pushes; 10 s, the SDK's default, until
  it has pushed twice), and down (0) after that. Processes that pushed in the hour before
  are listed; older ones are forgotten. ``job`` is the query's.
- Every series has ``job`` (the service) and ``instance`` labels, as scraped series have;
  counter resets are read from OTLP's start times (see ``series``).

Quantiles of the duration families the server derives from spans (agent runs, tool, LLM
and handoff durations, waits for a person) are not read from their buckets: they are the
exact quantiles of the stored spans' durations in each window
(``store/queries/span_quantiles.py``), whether the app pushed the histogram or not, since
its buckets may be far coarser than its durations. Where the namespace has no such spans
in the range (an app that pushes metrics and sends its spans elsewhere), the buckets answer.
A quantile read from buckets is Prometheus's interpolation inside the bucket the quantile
falls in, off by at most that bucket's width; in the lowest bucket or the +Inf one it says
no more than "at most the lowest bound" or "at least the highest finite one", and the
series says so (``RangeSeries.bounds``).

Every query is first run over no data to learn the span quantiles it reads and the leaves
it reads whatever the spans answer (a range function or a selector over one family, with
its windows), and to reject what cannot be computed with a ``ValueError``; then one
statement computes every span quantile and, at the same time on a cursor of its own, one
computes every leaf of every query (``Batch``), so a whole dashboard costs two reads side
by side. What combines leaves (``/ + - *``, ``topk``, ``histogram_quantile``) runs in Python
over a few values per group and time.
"""

from __future__ import annotations

import itertools
import math
import operator
import statistics
from bisect import bisect_right
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace

import duckdb

from swarmscope.definitions.query import (
    Buckets,
    Change,
    Current,
    Difference,
    Increase,
    Mean,
    Offset,
    Quantile,
    Query,
    Rate,
    RateOfSum,
    Ratio,
    Scaled,
    Series,
    Sum,
    TopK,
    Up,
)
from swarmscope.server.namespaces import DEFAULT_NAMESPACE
from swarmscope.server.query.promql import bucket_quantile_within, divide, duration_ms
from swarmscope.server.query.series import Frame, LabelKey, compute
from swarmscope.server.store.database import Store
from swarmscope.server.store.queries.series import NS_PER_MS, Leaf, push_times
from swarmscope.server.store.queries.span_quantiles import FAMILIES, SpanLeaf, span_quantiles

# Prometheus refuses range queries with more points than this per series.
MAX_POINTS = 11_000
# ``up``: how far back a process's pushes are looked for, and its push interval until known.
UP_MEMORY_MS = 3_600_000
DEFAULT_PUSH_MS = 10_000
# Points of one push closer than this are one push (a registry is not collected in one ms).
SAME_PUSH_MS = 1000


@dataclass(frozen=True)
class Sample:
    labels: dict[str, str]
    value: float


# Where a quantile series' values come from.
FROM_SPANS = "spans"
FROM_BUCKETS = "buckets"
# A quantile read from buckets that is only a bound: the truth is at most (``le``) the
# lowest bucket's bound, or at least (``ge``) the highest finite bound.
AT_MOST = "le"
AT_LEAST = "ge"
# Per group, per evaluation time: (AT_MOST or AT_LEAST, the bound), or None.
Marks = dict[LabelKey, list[tuple[str, float] | None]]


@dataclass(frozen=True)
class RangeSeries:
    """One series' finite points; for a quantile, where its values come from
    (``quantile_from``) and, by time, the points that are only a bucket bound (``bounds``:
    time to ``(AT_MOST | AT_LEAST, bound)``)."""

    labels: dict[str, str]
    points: list[tuple[float, float]]
    quantile_from: str | None = None
    bounds: dict[float, tuple[str, float]] = field(default_factory=dict)

    def bound_points(self) -> list[tuple[float, str, float]]:
        """``bounds`` as ``(time, op, bound)``, in time order: what the API answers."""
        return [(time, op, bound) for time, (op, bound) in sorted(self.bounds.items())]


@dataclass(frozen=True)
class Steps:
    """Evaluation times: ``start_ms + k * step_ms`` for ``k < count`` (Prometheus's ms)."""

    start_ms: int
    step_ms: int
    count: int

    def times(self) -> list[int]:
        return [self.start_ms + k * self.step_ms for k in range(self.count)]

    def shifted(self, ms: int) -> Steps:
        return Steps(self.start_ms - ms, self.step_ms, self.count)


def instant(at_ns: int) -> Steps:
    return Steps(at_ns // NS_PER_MS, 1, 1)


def steps(start_ns: int, end_ns: int, step_ns: int) -> Steps:
    """The evaluation times of a range query; ``ValueError`` for a range that makes none."""
    if step_ns < NS_PER_MS:
        raise ValueError("step must be at least 1 ms")
    if end_ns < start_ns:
        raise ValueError("end must not be before start")
    count = (end_ns - start_ns) // step_ns + 1
    if count > MAX_POINTS:
        raise ValueError(f"{count} points per series is more than {MAX_POINTS}: raise step")
    return Steps(start_ns // NS_PER_MS, step_ns // NS_PER_MS, count)


def evaluate_at(store: Store, query: Query, namespace: str, at_ns: int) -> list[Sample]:
    """The query's value at one instant, like Prometheus's ``/api/v1/query?time=``."""
    batch = Batch(namespace)
    batch.add(query, instant(at_ns))
    [series] = batch.run(store)
    return [Sample(item.labels, item.points[0][1]) for item in series]


def evaluate_range(
    store: Store, query: Query, namespace: str, start_ns: int, end_ns: int, step_ns: int
) -> list[RangeSeries]:
    """The query at ``start``, ``start + step``, ... up to ``end``, like ``/api/v1/query_range``.

    Times are whole milliseconds, as Prometheus's are.
    """
    batch = Batch(namespace)
    batch.add(query, steps(start_ns, end_ns, step_ns))
    [series] = batch.run(store)
    return series


class Batch:
    """Several queries, each at its own evaluation times, computed over one read of the store."""

    def __init__(self, namespace: str) -> None:
        self.namespace = namespace
        self._plan = _Plan()
        self._jobs: list[tuple[Query, Steps]] = []

    def add(self, query: Query, at: Steps | Sequence[int]) -> int:
        """Queue a query; ``ValueError`` now if it cannot be computed (then nothing is queued).

        ``at``: its evaluation times, as ``Steps`` or as evenly spaced times in ns.
        """
        if not isinstance(at, Steps):
            at = _evenly_spaced(at)
        plan = _Plan()
        _evaluate(query, _Context(self.namespace, plan), at)
        self._plan.update(plan)
        self._jobs.append((query, at))
        return len(self._jobs) - 1

    def run(self, store: Store) -> list[list[RangeSeries]]:
        """Every queued query's series, in the order they were added.

        ``ValueError`` if DuckDB refuses the input: that fails the whole batch; run the
        queries alone to find it. (Regexes RE2 refuses are caught earlier, when queued.)
        """
        span_leaves = list(self._plan.span_leaves)
        try:
            # The spans' quantiles are read while the metric points' windows are worked out:
            # the leaves the queries read whatever the spans answer are known beforehand
            # (those planned as if every span leaf answered); the buckets of a quantile the
            # spans do not answer are read afterwards, in the rare case there is one.
            answered: dict[SpanLeaf, Frame] = {}
            for leaf in span_leaves:
                unknown: list[float | None] = [None] * leaf.steps
                answered[leaf] = {(): unknown}
            sure = list(self._planned(answered).leaves)
            if span_leaves:
                with ThreadPoolExecutor(1) as reader:
                    # Both statements run at once, each on a cursor of its own.
                    reading = reader.submit(span_frames, store, self.namespace, span_leaves)
                    computed = dict(zip(sure, compute(store, sure), strict=True))
                    spans = reading.result()
            else:  # most queries (every alert rule's): no thread to start
                computed = dict(zip(sure, compute(store, sure), strict=True))
                spans = {}
            plan = self._planned(spans)
            rest = [leaf for leaf in plan.leaves if leaf not in computed]
            computed.update(zip(rest, compute(store, rest), strict=True))
        except duckdb.InvalidInputException as problem:
            raise ValueError(str(problem)) from None
        pushed = {} if plan.pushes is None else push_times(store, *plan.pushes)
        out = []
        for query, at in self._jobs:
            context = _Context(self.namespace, plan, computed, pushed, spans)
            frame = _evaluate(query, context, at)
            # Marks name the groups of the quantile itself: a query over quantiles has its own.
            if isinstance(query, Quantile):
                out.append(range_series(frame, at, context.quantile_from, context.marks))
            else:
                out.append(range_series(frame, at))
        return out

    def _planned(self, spans: dict[SpanLeaf, Frame]) -> _Plan:
        """What the queued queries read, given what the spans answer."""
        plan = _Plan()
        planning = _Context(self.namespace, plan, spans=spans)
        for query, at in self._jobs:
            _evaluate(query, planning, at)
        return plan


def span_frames(store: Store, namespace: str, leaves: list[SpanLeaf]) -> dict[SpanLeaf, Frame]:
    """Each span quantile leaf's groups (a leaf of one q); leaves that differ only in their
    q are read together."""
    qs_of: dict[SpanLeaf, set[float]] = {}
    for leaf in leaves:
        qs_of.setdefault(replace(leaf, qs=()), set()).update(leaf.qs)
    asked = [replace(key, qs=tuple(sorted(qs))) for key, qs in qs_of.items()]
    frames: dict[SpanLeaf, Frame] = {leaf: {} for leaf in leaves}
    for row in span_quantiles(store, namespace, DEFAULT_NAMESPACE, asked):
        read = asked[row["leaf"]]
        key = tuple(
            (label, value) for label, value in zip(read.labels(), row["g"], strict=True) if value
        )
        for q, value in zip(read.qs, row["values"], strict=True):
            frame = frames.get(replace(read, qs=(q,)))
            if frame is not None:
                frame.setdefault(key, [None] * read.steps)[row["k"]] = value
    return frames


def _evenly_spaced(times_ns: Sequence[int]) -> Steps:
    times = sorted({time // NS_PER_MS for time in times_ns})
    if not times:
        raise ValueError("a query needs at least one evaluation time")
    if len(times) == 1:
        return Steps(times[0], 1, 1)
    step = times[1] - times[0]
    if any(later - earlier != step for earlier, later in itertools.pairwise(times)):
        raise ValueError("evaluation times must be evenly spaced")
    return Steps(times[0], step, len(times))


class _Plan:
    """What queries read: their leaves, and the window of push times ``up`` needs."""

    def __init__(self) -> None:
        self.leaves: dict[Leaf, None] = {}
        self.span_leaves: dict[SpanLeaf, None] = {}
        self.pushes: tuple[int, int] | None = None

    def add_pushes(self, first_ms: int, last_ms: int) -> None:
        if self.pushes is not None:
            first_ms, last_ms = min(first_ms, self.pushes[0]), max(last_ms, self.pushes[1])
        self.pushes = (first_ms, last_ms)

    def update(self, other: _Plan) -> None:
        self.leaves.update(other.leaves)
        self.span_leaves.update(other.span_leaves)
        if other.pushes is not None:
            self.add_pushes(*other.pushes)


@dataclass
class _Context:
    """Planning (no results: leaves are recorded), first without span quantiles (which are
    recorded), then with them, then evaluation over computed leaves.

    ``quantile_from`` and ``marks``: where the last quantile evaluated was read from, and
    which of its values are only bucket bounds."""

    namespace: str
    plan: _Plan
    computed: dict[Leaf, Frame] | None = None
    pushed: dict[tuple[str, str], list[int]] | None = None
    spans: dict[SpanLeaf, Frame] | None = None
    quantile_from: str | None = None
    marks: Marks = field(default_factory=dict)

    def span_quantile(self, query: Quantile, at: Steps) -> Frame | None:
        """The quantile of the spans, or None where the spans do not answer it (it is no
        family derived from spans, or no span of it is in the range)."""
        if query.series.metric not in FAMILIES:
            return None
        leaf = SpanLeaf(
            query.series.metric,
            (query.q,),
            query.series.where,
            query.by,
            duration_ms(query.window),
            at.start_ms,
            at.step_ms,
            at.count,
        )
        if self.spans is None:
            self.plan.span_leaves[leaf] = None
            return {}
        return self.spans[leaf] or None

    def leaf(
        self,
        series: Series,
        part: str,
        by: tuple[str, ...],
        at: Steps,
        range_ms: int = 0,
        counter: bool = True,
        per_second: bool = False,
        aggregate: str = "sum",
    ) -> Frame:
        # The name without matchers: what the SDK exports (``_total`` added to counters).
        name = Series(series.metric).selector(self.namespace)
        leaf = Leaf(
            name,
            part,
            series.where,
            by,
            range_ms,
            counter,
            per_second,
            aggregate,
            at.start_ms,
            at.step_ms,
            at.count,
        )
        if self.computed is None:
            self.plan.leaves[leaf] = None
            return {}
        return self.computed[leaf]


def _ranged(
    context: _Context,
    series: Series,
    part: str,
    window: str,
    by: tuple[str, ...],
    at: Steps,
    per_second: bool = False,
    counter: bool = True,
) -> Frame:
    """``sum by (by) (rate|increase|delta(name[window]))`` of one part of the stored series."""
    range_ms = duration_ms(window)
    return context.leaf(series, part, by, at, range_ms, counter, per_second)


def _evaluate(query: Query, context: _Context, at: Steps) -> Frame:
    if isinstance(query, Rate):
        observed = query.series.kind() in ("histogram", "summary")
        part = "count" if observed else "value"
        return _ranged(context, query.series, part, query.window, query.by, at, per_second=True)
    if isinstance(query, Increase):
        return _ranged(context, query.series, "value", query.window, query.by, at)
    if isinstance(query, Change):
        return _ranged(context, query.series, "value", query.window, query.by, at, counter=False)
    if isinstance(query, RateOfSum):
        return _ranged(context, query.series, "sum", query.window, query.by, at, per_second=True)
    if isinstance(query, Mean):
        total = _ranged(context, query.series, "sum", query.window, query.by, at, True)
        count = _ranged(context, query.series, "count", query.window, query.by, at, True)
        return _binary(total, count, divide)
    if isinstance(query, Quantile):
        spans = context.span_quantile(query, at)
        if spans is not None:
            context.quantile_from, context.marks = FROM_SPANS, {}
            return spans
        buckets = _ranged(context, query.series, "bucket", query.window, query.by, at, True)
        context.quantile_from = FROM_BUCKETS
        frame, context.marks = quantile_frame(query.q, buckets)
        return frame
    if isinstance(query, Buckets):
        return _ranged(context, query.series, "bucket", query.window, (), at, per_second=True)
    if isinstance(query, Current):
        return context.leaf(query.series, "value", query.by, at, aggregate=query.aggregate)
    if isinstance(query, Up):
        return _up(context, query, at)
    if isinstance(query, Ratio):
        return _binary(
            _evaluate(query.numerator, context, at),
            _evaluate(query.denominator, context, at),
            divide,
        )
    if isinstance(query, Sum | Difference):
        combine = operator.add if isinstance(query, Sum) else operator.sub
        return _binary(
            _evaluate(query.left, context, at), _evaluate(query.right, context, at), combine
        )
    if isinstance(query, Scaled):
        inner = _evaluate(query.query, context, at)
        return {
            key: [None if v is None else v * query.factor for v in values]
            for key, values in inner.items()
        }
    if isinstance(query, Offset):
        return _evaluate(query.query, context, at.shifted(duration_ms(query.ago)))
    if isinstance(query, TopK):
        return _topk(query.k, _evaluate(query.query, context, at), at.count)
    raise ValueError(f"the server cannot compute {type(query).__name__} queries")


def _key(labels: dict[str, str], by: tuple[str, ...]) -> LabelKey:
    """The group a series falls in under ``by``; an empty value is no label, as in Prometheus."""
    return tuple((label, labels[label]) for label in sorted(set(by)) if labels.get(label))


def quantile_frame(q: float, buckets: Frame) -> tuple[Frame, Marks]:
    """``histogram_quantile(q, ...)`` of each group of bucket rates (its labels minus
    ``le``), and which values are only a bound (the lowest bucket's, or the highest finite
    one for a quantile in the +Inf bucket)."""
    groups: dict[LabelKey, list[tuple[float, list[float | None]]]] = {}
    for key, values in buckets.items():
        rest = tuple(pair for pair in key if pair[0] != "le")
        groups.setdefault(rest, []).append((float(dict(key)["le"]), values))
    frame: Frame = {}
    marks: Marks = {}
    for rest, members in groups.items():
        out: list[float | None] = []
        marked: list[tuple[str, float] | None] = []
        for index in range(len(members[0][1])):
            pairs = [(bound, values[index]) for bound, values in members]
            defined = [(bound, value) for bound, value in pairs if value is not None]
            value, lower, upper = (
                bucket_quantile_within(q, defined) if defined else (None, math.nan, math.nan)
            )
            out.append(value)
            if upper == math.inf:
                marked.append((AT_LEAST, lower))
            elif lower == 0:
                marked.append((AT_MOST, upper))
            else:
                marked.append(None)
        frame[rest] = out
        marks[rest] = marked
    return frame, marks


def _up(context: _Context, query: Up, at: Steps) -> Frame:
    """``up{job=...}`` from push freshness (see the module's docstring)."""
    times = at.times()
    if context.pushed is None:
        context.plan.add_pushes(times[0] - UP_MEMORY_MS, times[-1])
        return {}
    frame: Frame = {}
    for (_, instance), pushed in context.pushed.items():
        seen = _distinct_pushes(pushed)
        values: list[float | None] = []
        for time in times:
            last = bisect_right(seen, time) - 1
            if last < 0 or seen[last] < time - UP_MEMORY_MS:
                values.append(None)
                continue
            recent = seen[max(last - 10, 0) : last + 1]
            gaps = [later - earlier for earlier, later in itertools.pairwise(recent)]
            interval = statistics.median(gaps) if gaps else DEFAULT_PUSH_MS
            values.append(1.0 if time - seen[last] <= 2 * interval else 0.0)
        frame[_key({"instance": instance, "job": query.job}, query.by)] = values
    return frame


def _distinct_pushes(times: list[int]) -> list[int]:
    """Push times with the points of one push (less than a second apart) counted once."""
    pushes: list[int] = []
    for time in times:
        if pushes and time - pushes[-1] < SAME_PUSH_MS:
            pushes[-1] = time
        else:
            pushes.append(time)
    return pushes


def _binary(left: Frame, right: Frame, combine: Callable[[float, float], float]) -> Frame:
    """``left <op> right`` matched one-to-one on label sets; no match, no sample."""
    frame: Frame = {}
    for key, values in left.items():
        others = right.get(key)
        if others is not None:
            frame[key] = [
                None if a is None or b is None else combine(a, b)
                for a, b in zip(values, others, strict=True)
            ]
    return frame


def _topk(k: int, inner: Frame, count: int) -> Frame:
    """``topk(k, ...)`` at each evaluation time; NaN counts as the smallest value."""
    frame: Frame = {key: [None] * count for key in inner}
    for index in range(count):
        present = [(values[index], key) for key, values in sorted(inner.items())]
        ranked = sorted(
            ((value, key) for value, key in present if value is not None),
            key=lambda item: (not math.isnan(item[0]), 0.0 if math.isnan(item[0]) else item[0]),
            reverse=True,
        )
        for value, key in ranked[: max(k, 0)]:
            frame[key][index] = value
    return frame


def range_series(
    frame: Frame, at: Steps, quantile_from: str | None = None, marks: Marks | None = None
) -> list[RangeSeries]:
    """Finite points only (see the module's docstring), series without any left out; a
    quantile's with where they come from and which are bounds."""
    times = at.times()
    out = []
    for key in sorted(frame):
        marked = (marks or {}).get(key) or [None] * len(times)
        points, bounds = [], {}
        for time, value, mark in zip(times, frame[key], marked, strict=True):
            if value is not None and math.isfinite(value):
                points.append((time / 1000, value))
                if mark is not None:
                    bounds[time / 1000] = mark
        if points:
            out.append(RangeSeries(dict(key), points, quantile_from, bounds))
    return out
