"""Metric points read as Prometheus series: what each window of a query's leaves holds.

The statements of the metric query engine (``server.query``): a query's leaves are read in
one statement (``window_edges``), built from the leaves' names, matchers and windows; the
engine's module ``query.series`` says what the rows mean and turns them into values.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

import duckdb

from swarmscope.server.store.database import Store
from swarmscope.server.store.rows import DERIVED_FROM_SPANS, PUSHED

NS_PER_MS = 1_000_000
# Instant selectors see a series' latest sample up to this long before the evaluation time.
LOOKBACK_MS = 5 * 60_000
PARTS = ("value", "count", "sum", "bucket")
# How a leaf combines the series of one group (the engine applies them, Prometheus-style).
AGGREGATES = ("sum", "max", "min")
# The process that pushed a series: ``service.instance.id`` is the series key's second item
# (keys written before it was recorded have three items and fall back to the service).
_INSTANCE = (
    "CASE WHEN json_array_length(series) = 4 "
    "THEN coalesce(nullif(json_extract_string(series, '$[1]'), ''), service) ELSE service END"
)


@dataclass(frozen=True)
class Leaf:
    """One range function or selector over one family, aggregated by ``by``.

    Evaluated at ``start_ms + k * step_ms`` for ``k < steps``. ``range_ms`` 0 is an instant
    selector (latest sample within the lookback); otherwise ``rate`` (counter, per second),
    ``increase`` (counter) or ``delta`` (neither). ``part`` ``bucket`` reads the cumulative
    bucket series, grouped by ``by`` and ``le``.
    """

    name: str
    part: str
    where: tuple[tuple[str, str, str], ...]
    by: tuple[str, ...]
    range_ms: int
    counter: bool
    per_second: bool
    aggregate: str
    start_ms: int
    step_ms: int
    steps: int

    def __post_init__(self) -> None:
        if self.part not in PARTS:
            raise ValueError(f"unknown series part {self.part!r}")
        if self.aggregate not in AGGREGATES:
            raise ValueError(f"unknown aggregate {self.aggregate!r} (use max, min or sum)")
        if self.steps < 1 or self.step_ms < 1:
            raise ValueError("a leaf needs at least one evaluation time, 1 ms or more apart")
        for label, op, wanted in self.where:
            if op not in ("=", "!=", "=~", "!~"):
                raise ValueError(f"unknown matcher {op!r}")
            if op in ("=~", "!~") and (problem := regex_problem(wanted)) is not None:
                raise ValueError(f"bad regex {wanted!r} for {label}: {problem}")

    @property
    def reach_ms(self) -> int:
        """How far before an evaluation time a sample counts."""
        return self.range_ms or LOOKBACK_MS

    def labels(self) -> tuple[str, ...]:
        """The ``by`` labels, in the order the SQL returns their values."""
        return tuple(sorted(set(self.by) - {"le"}))


@functools.lru_cache(maxsize=1024)
def regex_problem(pattern: str) -> str | None:
    """Why DuckDB refuses ``pattern`` (RE2 syntax: no lookarounds, no backreferences), or None.

    Asked of DuckDB itself, on a constant, when the query is built. In a statement DuckDB
    2.0 compiles a pattern only when it first evaluates it, which a condition before it
    that no row passes (the family's name, say) skips: a bad pattern over a family with no
    points ran without a word, and failed once points arrived. Python's ``re`` is no judge:
    it reads what RE2 refuses and refuses what RE2 reads. A connection of its own (in
    memory, some 15 ms, once per pattern) is safe from any thread or forked process.
    """
    try:
        with duckdb.connect() as check:
            check.execute("SELECT regexp_full_match('', ?)", [pattern]).fetchall()
    except duckdb.InvalidInputException as refused:
        return str(refused).removeprefix("Invalid Input Error: ")
    return None


def push_times(store: Store, first_ms: int, last_ms: int) -> dict[tuple[str, str], list[int]]:
    """When each (service, instance) pushed, in ms: one group per push, not per point."""
    rows = store.rows(
        f"""
        SELECT service, {_INSTANCE} AS instance,
               list(time_ns // {NS_PER_MS} ORDER BY time_ns) AS times
        FROM (
            SELECT service, time_ns, any_value(series) AS series FROM metric_points
            WHERE time_ns BETWEEN ? AND ? GROUP BY service, time_ns
        )
        GROUP BY service, instance
        """,
        [first_ms * NS_PER_MS, last_ms * NS_PER_MS + NS_PER_MS - 1],
    )
    return {(row["service"], row["instance"]): row["times"] for row in rows}


def family_sources(
    store: Store, names: list[str], first_ns: int, last_ns: int
) -> dict[str, set[str]]:
    """Where each family's figures come from between the two times: ``pushed`` for the
    services that push it, ``spans`` for those the server counts from spans only (as the
    series statement below reads them)."""
    if not names:
        return {}
    rows = store.rows(
        f"""
        SELECT name, bool_or(coalesce(source, '{PUSHED}') <> '{DERIVED_FROM_SPANS}') AS pushed
        FROM metric_points
        WHERE name IN ({", ".join("?" for _ in names)}) AND time_ns BETWEEN ? AND ?
        GROUP BY name, service
        """,
        [*names, first_ns, last_ns],
    )
    found: dict[str, set[str]] = {}
    for row in rows:
        found.setdefault(row["name"], set()).add(PUSHED if row["pushed"] else DERIVED_FROM_SPANS)
    return found


def window_edges(store: Store, leaves: list[Leaf]) -> list[dict[str, Any]]:
    """Per leaf, group and evaluation time, the value of a leaf that is no histogram's
    buckets (``kind`` ``value``); for bucket leaves, per series and evaluation time, the
    window's first and last sample and count (``kind`` ``sample``), and each counter reset
    (``kind`` ``reset``)."""
    return store.rows(_statement(leaves))


def text(value: str) -> str:
    """A SQL string literal."""
    return "'" + value.replace("'", "''") + "'"


def _label(label: str) -> str:
    """A label's value in a point row ('' when missing, as Prometheus reads it)."""
    if label == "job":
        return "service"
    if label == "instance":
        return _INSTANCE
    return f"coalesce(labels[{text(label)}], '')"


def _matcher(label: str, op: str, wanted: str) -> str:
    return matches(_label(label), op, wanted)


def matches(have: str, op: str, wanted: str) -> str:
    """SQL: the value ``have`` (an expression) matches ``op wanted``, as Prometheus matches."""
    if op == "=":
        return f"{have} = {text(wanted)}"
    if op == "!=":
        return f"{have} <> {text(wanted)}"
    # DuckDB's regexes are RE2, like Prometheus's; fully anchored, like Prometheus's.
    found = f"regexp_full_match({have}, {text(wanted)})"
    return found if op == "=~" else f"NOT {found}"


def _window(leaf: Leaf) -> tuple[int, int]:
    """The times (ms, closed) of the samples the leaf's evaluation times can see."""
    return leaf.start_ms - leaf.reach_ms, leaf.start_ms + (leaf.steps - 1) * leaf.step_ms


def _groups(index: int, leaf: Leaf) -> str:
    """Each matching series of the leaf and the values of its ``by`` labels (its group)."""
    group = f"[{', '.join(_label(label) for label in leaf.labels())}]::VARCHAR[]"
    matching = " AND ".join(_matcher(*matcher) for matcher in leaf.where) or "true"
    return (
        f"SELECT {index} AS leaf, sid, {group} AS g FROM named "
        f"WHERE name = {text(leaf.name)} AND {matching}"
    )


def _scan(leaves: list[Leaf]) -> str:
    """The rows every leaf needs: its name over its window (windows of one name merged).

    ``IN`` and the outer bounds are what DuckDB filters inside the scan; a name read over a
    shorter span than the others (or over two, with an offset) is narrowed after that.
    """
    windows: dict[str, list[list[int]]] = {}
    for leaf in sorted(leaves, key=_window):
        first, last = _window(leaf)
        spans = windows.setdefault(leaf.name, [])
        if spans and first <= spans[-1][1]:
            spans[-1][1] = max(spans[-1][1], last)
        else:
            spans.append([first, last])
    outer = (min(_window(leaf)[0] for leaf in leaves), max(_window(leaf)[1] for leaf in leaves))

    def between(first: int, last: int) -> str:
        return f"time_ns BETWEEN {first * NS_PER_MS} AND {last * NS_PER_MS + NS_PER_MS - 1}"

    names = ", ".join(text(name) for name in sorted(windows))
    condition = f"name IN ({names}) AND {between(*outer)}"
    narrower = [
        f"(name = {text(name)} AND {between(first, last)})"
        for name, spans in sorted(windows.items())
        for first, last in spans
    ]
    if any(spans != [list(outer)] for spans in windows.values()):
        condition += f" AND ({' OR '.join(narrower)})"
    return condition


def _spec(leaf: Leaf) -> tuple[str, str, int, int, int, int, bool]:
    """What a leaf's windows read: leaves that differ only in their matchers, ``by`` labels
    or aggregate (a panel's series and its breakdown, say) share their samples' work."""
    return (
        leaf.name,
        leaf.part,
        leaf.start_ms,
        leaf.step_ms,
        leaf.steps,
        leaf.reach_ms,
        leaf.counter and leaf.range_ms > 0,
    )


def _statement(leaves: list[Leaf]) -> str:
    specs: dict[tuple[str, str, int, int, int, int, bool], int] = {}
    for leaf in leaves:
        specs.setdefault(_spec(leaf), len(specs))
    spec_rows = ", ".join(
        f"({index}, {text(name)}, {text(part)}, {start_ms}, {step_ms}, {steps}, {reach_ms}, "
        f"{start_ms - reach_ms}, {start_ms + (steps - 1) * step_ms}, {counter})"
        for (name, part, start_ms, step_ms, steps, reach_ms, counter), index in specs.items()
    )
    leaf_rows = ", ".join(
        f"({index}, {specs[_spec(leaf)]}, {leaf.range_ms == 0}, {leaf.per_second}, "
        f"{text(leaf.aggregate)})"
        for index, leaf in enumerate(leaves)
    )
    groups = " UNION ALL ".join(_groups(index, leaf) for index, leaf in enumerate(leaves))
    return f"""
    WITH
    specs(spec, name, part, start_ms, step_ms, steps, reach_ms, first_ms, last_ms, counter)
        AS (VALUES {spec_rows}),
    leaves AS (
        SELECT * FROM (VALUES {leaf_rows}) AS given(leaf, spec, instant, per_second, aggregate)
        JOIN specs USING (spec)
    ),
    -- Every spec's samples, in the slots a and b of the module's docstring (a sample in no
    -- window, a > b, is left out), folded per series, start time and slot pair into their
    -- earliest and latest sample and count: a few rows per series and evaluation time,
    -- however often the series was pushed. Buckets are carried as the row (r) they are in,
    -- and read for the few rows the answer needs (a bucket row whose counts do not match
    -- its bounds, which intake refuses, is read as undefined there). A histogram's rows
    -- are told by their kind: intake gives each one its buckets, and testing the lists
    -- themselves would read every one of them.
    slots AS MATERIALIZED (
        SELECT spec, sid, derived, origin, a, b, any_value(service) AS service,
               min(t) AS ft, arg_min(v, t) AS fv, arg_min(r, t) AS fr,
               max(t) AS lt, arg_max(v, t) AS lv, arg_max(r, t) AS lr, count(*) AS n
        FROM (
            SELECT spec, sid, derived, origin, t, r, service,
                   CASE part WHEN 'value' THEN value WHEN 'count' THEN count WHEN 'sum' THEN sum
                   END AS v,
                   greatest(CAST(ceil((t - start_ms) / step_ms) AS BIGINT), 0) AS a,
                   least(CAST(floor((t - start_ms + reach_ms) / step_ms) AS BIGINT), steps - 1)
                       AS b
            FROM (
                SELECT rowid AS r, hash(series) AS sid, time_ns // {NS_PER_MS} AS t, name,
                       start_ns AS origin, value, count, sum, kind = 'histogram' AS histogram,
                       service,
                       coalesce(source, '{PUSHED}') = '{DERIVED_FROM_SPANS}' AS derived
                FROM metric_points WHERE {_scan(leaves)}
            ) JOIN specs USING (name)
            WHERE t BETWEEN first_ms AND last_ms
              AND CASE part WHEN 'value' THEN value IS NOT NULL
                            WHEN 'count' THEN count IS NOT NULL
                            WHEN 'sum' THEN sum IS NOT NULL
                            ELSE histogram END
        )
        WHERE a <= b
        GROUP BY spec, sid, derived, origin, a, b
    ),
    -- Each series once: its family, service, whether the server counted it from spans, and
    -- one of its rows (to read its labels from).
    series AS MATERIALIZED (
        SELECT sid, derived, any_value(name) AS name, any_value(service) AS service,
               min(fr) AS r
        FROM slots JOIN specs USING (spec) GROUP BY sid, derived
    ),
    -- A family a service pushes is read from its pushes; what the server counted from the
    -- same service's spans would count its runs twice.
    kept AS (
        SELECT * FROM series WHERE NOT derived
        UNION ALL
        SELECT d.* FROM series AS d
        ANTI JOIN (SELECT DISTINCT service, name FROM series WHERE NOT derived) AS pushed
            USING (service, name)
        WHERE d.derived
    ),
    named AS (
        SELECT name, hash(series) AS sid, series, service, labels
        FROM metric_points WHERE rowid IN (SELECT r FROM kept)
    ),
    points AS MATERIALIZED (SELECT * FROM slots SEMI JOIN kept USING (sid, derived)),
    groups AS MATERIALIZED ({groups}),
    -- Per slot a: its latest sample, and how many samples up to it.
    upto AS (
        SELECT *, sum(n) OVER (PARTITION BY spec, sid ORDER BY a) AS until_here
        FROM (
            SELECT spec, sid, a, max(lt) AS lt, arg_max(lv, lt) AS lv, arg_max(lr, lt) AS lr,
                   sum(n)::BIGINT AS n
            FROM points GROUP BY spec, sid, a
        )
    ),
    -- Per slot b: its earliest sample, and how many samples from it on.
    onward AS (
        SELECT *, sum(n) OVER (PARTITION BY spec, sid ORDER BY b DESC) AS from_here,
               sum(n) OVER (PARTITION BY spec, sid) AS total
        FROM (
            SELECT spec, sid, b, min(ft) AS ft, arg_min(fv, ft) AS fv, arg_min(fr, ft) AS fr,
                   sum(n)::BIGINT AS n
            FROM points GROUP BY spec, sid, b
        )
    ),
    grid AS (
        SELECT leaf, spec, sid, g, part = 'bucket' AS bucket, unnest(range(steps)) AS k
        FROM groups JOIN leaves USING (leaf)
    ),
    -- Window k's last sample: the latest with a <= k; its first: the earliest with b >= k.
    -- Every sample has a <= k or b >= k, so the window holds until_here + from_here - total.
    edges AS MATERIALIZED (
        SELECT grid.leaf, grid.spec, grid.sid, grid.k, grid.g, grid.bucket,
               upto.lt, upto.lv, upto.lr, onward.ft, onward.fv, onward.fr,
               (upto.until_here + onward.from_here - onward.total)::BIGINT AS n
        FROM grid
        ASOF JOIN upto ON grid.spec = upto.spec AND grid.sid = upto.sid AND grid.k >= upto.a
        ASOF LEFT JOIN onward
            ON grid.spec = onward.spec AND grid.sid = onward.sid AND grid.k <= onward.b
    ),
    -- A counter's stretches with one start time; each one after the first is a reset:
    -- the last sample before it (lt, lv) and the first after it (ft, fv).
    resets AS MATERIALIZED (
        SELECT * FROM (
            SELECT spec, sid, bucket, lag(lt) OVER w AS lt, lag(lv) OVER w AS lv,
                   lag(lr) OVER w AS lr, ft, fv, fr
            FROM (
                SELECT spec, sid, part = 'bucket' AS bucket, min(ft) AS ft,
                       arg_min(fv, ft) AS fv, arg_min(fr, ft) AS fr, max(lt) AS lt,
                       arg_max(lv, lt) AS lv, arg_max(lr, lt) AS lr
                FROM points JOIN specs USING (spec) WHERE counter
                GROUP BY spec, sid, origin, part
            )
            WINDOW w AS (PARTITION BY spec, sid ORDER BY ft)
        )
        WHERE lt IS NOT NULL
    ),
    -- What the resets inside each window of a series that is no histogram lost: the value
    -- before each reset where the value dropped, in every window that holds both its sides.
    lost AS (
        SELECT spec, sid, k, sum(lv) AS lost FROM (
            SELECT spec, sid, lv,
                   unnest(range(
                       greatest(CAST(ceil((ft - start_ms) / step_ms) AS BIGINT), 0),
                       least(CAST(floor((lt - start_ms + reach_ms) / step_ms) AS BIGINT),
                             steps - 1) + 1
                   )) AS k
            FROM resets JOIN specs USING (spec) WHERE NOT bucket AND fv < lv
        )
        GROUP BY spec, sid, k
    ),
    -- Prometheus's rate, increase and delta (``promql.extrapolated``), and its instant
    -- selector, per series and window of the leaves that are no histogram's buckets.
    windows AS (
        SELECT leaf, g, k, aggregate, instant, per_second, lt, lv, n,
               start_ms + k * step_ms AS at_ms, start_ms + k * step_ms - reach_ms AS since_ms,
               CAST(ft AS DOUBLE) AS ft, fv, lt - ft AS sampled_ms,
               lv - fv + CASE WHEN counter THEN coalesce(lost, 0.0) ELSE 0.0 END AS change,
               counter, reach_ms
        FROM edges JOIN leaves USING (leaf, spec) LEFT JOIN lost USING (spec, sid, k)
        WHERE NOT edges.bucket
    ),
    shaped AS (
        SELECT *, (ft - since_ms) / 1000 AS to_start, (at_ms - lt) / 1000 AS to_end,
               sampled_ms / 1000 AS sampled, sampled_ms / 1000 / (n - 1) AS average
        FROM windows WHERE NOT instant AND ft IS NOT NULL AND n >= 2 AND sampled_ms > 0
    ),
    stretched AS (
        SELECT leaf, g, k, aggregate, per_second, reach_ms, change, sampled, average,
               CASE WHEN counter AND change > 0 AND fv >= 0
                    THEN least(to_start, sampled * (fv / change)) ELSE to_start END AS begin,
               CASE WHEN to_end < average * 1.1 THEN to_end ELSE average / 2 END AS finish
        FROM shaped
    ),
    valued AS (
        SELECT leaf, g, k, aggregate,
               change * ((sampled + CASE WHEN begin < average * 1.1 THEN begin
                                         ELSE average / 2 END + finish) / sampled)
               / CASE WHEN per_second THEN reach_ms / 1000 ELSE 1 END AS v
        FROM stretched
        UNION ALL
        SELECT leaf, g, k, aggregate, lv FROM windows WHERE instant AND lt >= since_ms
    ),
    -- Summed, or the largest or smallest (which, as Prometheus's, pass over NaN), by group.
    combined AS (
        SELECT leaf, g, k, CASE any_value(aggregate)
            WHEN 'sum' THEN sum(v)
            WHEN 'max' THEN coalesce(max(v) FILTER (WHERE NOT isnan(v)), max(v))
            ELSE coalesce(min(v) FILTER (WHERE NOT isnan(v)), min(v)) END AS v
        FROM valued WHERE v IS NOT NULL GROUP BY leaf, g, k
    ),
    answer AS (
        SELECT 'sample' AS kind, leaf, sid, k, g, lt, lv, lr, ft, fv, fr, n FROM edges
        WHERE bucket
        UNION ALL
        SELECT 'reset', leaf, sid, NULL, NULL, lt, lv, lr, ft, fv, fr, NULL
        FROM resets JOIN leaves USING (spec) WHERE bucket
    ),
    -- Bucket counts only for the rows of the answer.
    counts AS (
        SELECT rowid AS r, bounds, buckets FROM metric_points
        WHERE rowid IN (SELECT lr FROM answer UNION SELECT fr FROM answer)
    )
    SELECT answer.* EXCLUDE (lr, fr, lv, fv), NULL AS v, last.buckets AS lvs,
           first.buckets AS fvs, last.bounds AS lbs, first.bounds AS fbs
    FROM answer
    LEFT JOIN counts last ON last.r = answer.lr
    LEFT JOIN counts first ON first.r = answer.fr
    UNION ALL
    SELECT 'value', leaf, NULL, k, g, NULL, NULL, NULL, v, NULL, NULL, NULL, NULL
    FROM combined
    """
