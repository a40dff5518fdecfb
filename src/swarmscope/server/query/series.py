"""Selectors and range functions over stored metric points: what each window holds.

A query's leaves (``rate(name[5m])`` summed by some labels, a gauge's latest value...) are
read in one SQL statement per dashboard. An hour of points pushed every 2 s is too much to
move into Python, or even to sort in DuckDB, for a one-second answer; but a window function
only needs, per series and evaluation time, the window's first and last sample, how many
samples it holds, and the counter resets inside it. DuckDB finds those with hash
aggregates: each sample falls in the slot of the first evaluation time at or after it
(``a``) and of the last one whose window starts at or before it (``b``); the last sample of
window ``k`` is the latest of the slots ``a <= k``, the first the earliest of the slots
``b >= k``, and the count follows from running totals over slots. The samples are first
folded per slot pair, so the work after the scan grows with series and evaluation times,
not with how often a series was pushed. The statement then applies Prometheus's
extrapolation to each window and sums by the ``by`` labels, so a value per group and time
comes back. A histogram's buckets come back per series and time instead, with their counts:
Python reads them on one set of bounds and extrapolates each bucket
(``promql.extrapolated``, the same arithmetic).

How stored points read as Prometheus series: a counter or gauge is one series; a histogram
is ``_count``, ``_sum`` and one cumulative ``_bucket`` series per ``le``; a summary is
``_count``, ``_sum`` and one series per ``quantile`` (rows with a value). A series'
bounds may change between points (an exponential histogram's move with its range and
scale, see ``intake/metric_expo.py``): a window's samples are then read on the bounds of
its last sample, each count at a bound being the sample's cumulative count at the nearest
bound at or below it (exact for exponential bounds, whose coarser bounds are among the
finer ones; below a sample's first bound, its first bucket's count).
Every series has ``job`` (the service) and ``instance`` (the pushing process's
``service.instance.id``, else the service) labels, as a scrape target's series would:
series from several services or processes are just more series.

Counter resets: OTLP's cumulative points carry the time their count started from; a reset
is where it changes (the process restarted), and, as Prometheus does at every drop, the
value before it is added when the value dropped. Within one start time a cumulative stream
never decreases, so no drop is looked for there (a sender that leaves the start time out
and restarts under the same series key shows a negative increase). A point stored twice (a
push retried after its answer was lost; the SDK does not retry) counts twice here where
Prometheus keeps one: it only moves the extrapolation threshold, and finding duplicates
would cost a sort.

Times are integer milliseconds, as Prometheus stores them, so window edges and
extrapolation fractions round the same way; windows are closed at both ends, as in
Prometheus 2 (Prometheus 3 opened the left end, which only matters for a sample exactly one
window before the evaluation time).
"""

from __future__ import annotations

import math
import operator
from bisect import bisect_right
from collections.abc import Callable
from itertools import accumulate
from typing import Any

from swarmscope.server.query.promql import extrapolated, format_le
from swarmscope.server.store.database import Store
from swarmscope.server.store.queries.series import AGGREGATES, Leaf, window_edges

LabelKey = tuple[tuple[str, str], ...]
# A query's result at every evaluation time: values by label set, None where undefined.
Frame = dict[LabelKey, list[float | None]]


def _larger(a: float, b: float) -> float:
    # Prometheus's max and min pass over NaN: any number replaces it.
    return b if a < b or math.isnan(a) else a


def _smaller(a: float, b: float) -> float:
    return b if a > b or math.isnan(a) else a


_COMBINE: dict[str, Callable[[float, float], float]] = dict(
    zip(AGGREGATES, (operator.add, _larger, _smaller), strict=True)
)


def compute(store: Store, leaves: list[Leaf]) -> list[Frame]:
    """Every leaf's groups, in one statement."""
    return frames_of(leaves, window_edges(store, leaves) if leaves else [])


def frames_of(leaves: list[Leaf], edges: list[dict[str, Any]]) -> list[Frame]:
    """Every leaf's groups from its ``window_edges``."""
    frames: list[Frame] = [{} for _ in leaves]
    samples: list[dict[str, Any]] = []
    resets: dict[tuple[int, int], list[dict[str, Any]]] = {}
    for row in edges:
        kind = row["kind"]
        if kind == "value":
            index = row["leaf"]
            leaf = leaves[index]
            key = _group(leaf, row["g"])
            series = frames[index].get(key)
            if series is None:
                series = frames[index][key] = [None] * leaf.steps
            series[row["k"]] = row["v"]
        elif kind == "reset":
            resets.setdefault((row["leaf"], row["sid"]), []).append(row)
        else:
            samples.append(row)
    # Each series' label sets (one per le), worked out once, not once per time.
    keys: dict[tuple[int, int], tuple[Any, list[LabelKey]]] = {}
    for row in samples:
        index, k = row["leaf"], row["k"]
        leaf = leaves[index]
        values = _bucket_values(
            leaf, row, leaf.start_ms + k * leaf.step_ms, resets.get((index, row["sid"]))
        )
        if not values:
            continue
        bounds = row["lbs"]
        cached = keys.get((index, row["sid"]))
        if cached is None or cached[0] != bounds:
            cached = keys[index, row["sid"]] = (bounds, _bucket_keys(leaf, row, bounds))
        found = cached[1]
        combine = _COMBINE[leaf.aggregate]
        frame = frames[index]
        for key, value in zip(found, values, strict=True):
            series = frame.get(key)
            if series is None:
                series = frame[key] = [None] * leaf.steps
            have = series[k]
            series[k] = value if have is None else combine(have, value)
    return frames


def _group(leaf: Leaf, values: list[str]) -> LabelKey:
    """The label set of a group under ``by`` (labels without a value left out)."""
    return tuple(
        (label, value) for label, value in zip(leaf.labels(), values, strict=True) if value
    )


def _bucket_keys(leaf: Leaf, row: dict[str, Any], bounds: list[float] | None) -> list[LabelKey]:
    """The label sets of a bucket series' group under ``by``: one per ``le``."""
    group = _group(leaf, row["g"])
    return [
        tuple(sorted((*group, ("le", format_le(bound))))) for bound in (*(bounds or ()), math.inf)
    ]


def _on_bounds(
    bounds: list[float] | None, counts: list[float] | None, target: list[float]
) -> list[float] | None:
    """A sample's cumulative bucket counts at the ``target`` bounds (and +Inf), or None if
    its counts do not match its bounds (see the module's docstring)."""
    bounds = bounds or []
    if counts is None or len(counts) != len(bounds) + 1:
        return None
    running = list(accumulate(counts))
    if bounds == target:
        return running
    out = [running[max(bisect_right(bounds, bound) - 1, 0)] for bound in target]
    out.append(running[-1])
    return out


def _bucket_values(
    leaf: Leaf, row: dict[str, Any], at: int, resets: list[dict[str, Any]] | None
) -> list[float]:
    """A bucket series' values at ``at``, one per ``le``; none where they are undefined."""
    start = at - leaf.reach_ms
    samples = row["n"]
    if leaf.range_ms == 0 or row["ft"] is None or samples is None or samples < 2:
        return []
    if row["lt"] == row["ft"]:
        return []  # two samples at one time (a point stored twice): no interval to divide
    target = row["lbs"] or []
    firsts = _on_bounds(row["fbs"], row["fvs"], target)
    lasts = _on_bounds(target, row["lvs"], target)
    if firsts is None or lasts is None:
        return []
    # What each reset inside the window lost: the value before it, where the value dropped.
    dropped = [0.0] * len(firsts)
    for reset in resets or ():
        if reset["lt"] < start or reset["ft"] > at:
            continue
        before = _on_bounds(reset["lbs"], reset["lvs"], target)
        after = _on_bounds(reset["fbs"], reset["fvs"], target)
        if before is not None and after is not None:
            dropped = [
                lost + (was if now < was else 0.0)
                for lost, was, now in zip(dropped, before, after, strict=True)
            ]
    return extrapolated(
        start,
        at,
        row["ft"],
        row["lt"],
        samples,
        firsts,
        lasts,
        dropped,
        leaf.counter,
        leaf.per_second,
    )
