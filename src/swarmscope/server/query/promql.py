"""Prometheus's arithmetic: durations, range functions, quantiles, ``le``, division.

A panel must show the same number in the console as in Grafana over Prometheus, so the edge
cases are Prometheus's, not ours: ``histogram_quantile``'s treatment of the +Inf bucket and
of the lowest bucket, extrapolation of ``rate``/``increase``/``delta`` to the window's
edges (unless the gap is more than 1.1 average sample intervals) but never below a
counter's zero, Go's float division, the canonical form of ``le`` values.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import lru_cache

from swarmscope.definitions.durations import milliseconds
from swarmscope.definitions.numbers import le_value


def duration_ms(text: str) -> int:
    """A range window, offset or step (``30s``, ``5m``, ``1h30m``, ``1d``) in whole
    milliseconds; ``ValueError`` unless it is a positive, finite duration."""
    found = milliseconds(text)
    if not found > 0:
        raise ValueError(f"{text!r} is not a positive duration")
    if not math.isfinite(found):
        raise ValueError(f"{text!r} is too long a duration")
    return round(found)


def extrapolated(
    start_ms: int,
    at_ms: int,
    first_ms: int,
    last_ms: int,
    samples: int,
    firsts: Sequence[float],
    lasts: Sequence[float],
    dropped: Sequence[float],
    counter: bool,
    per_second: bool,
) -> list[float]:
    """``rate`` (counter, per second), ``increase`` (counter) or ``delta`` over one window.

    The window ``[start_ms, at_ms]`` holds ``samples`` samples (two or more), the first at
    ``first_ms`` and the last at ``last_ms``; ``firsts`` and ``lasts`` are their values for
    one series or several that share those times (a histogram's buckets), ``dropped`` what
    counter resets inside the window lost (the value before each drop), added back as
    Prometheus does.
    """
    to_start = (first_ms - start_ms) / 1000
    to_end = (at_ms - last_ms) / 1000
    sampled = (last_ms - first_ms) / 1000
    average = sampled / (samples - 1)
    # Near an edge, assume the series goes on to it; farther than 1.1 average intervals, it
    # started or ended there (give it half an interval: a sample probably just missed it).
    threshold = average * 1.1
    end = to_end if to_end < threshold else average / 2
    seconds = (at_ms - start_ms) / 1000
    out = []
    for first, last, lost in zip(firsts, lasts, dropped, strict=True):
        result = last - first + (lost if counter else 0.0)
        begin = to_start
        if counter and result > 0 and first >= 0:
            # A counter starts at zero: never extrapolate back past where it would be 0.
            to_zero = sampled * (first / result)
            if to_zero < begin:
                begin = to_zero
        interval = sampled + (begin if begin < threshold else average / 2) + end
        result *= interval / sampled
        out.append(result / seconds if per_second else result)
    return out


def bucket_quantile_within(
    q: float, buckets: list[tuple[float, float]]
) -> tuple[float, float, float]:
    """``histogram_quantile`` over ``(upper bound, cumulative count)`` pairs of one group,
    and the bounds of the bucket it falls in: ``(value, lower, upper)``.

    The value is NaN when there is nothing to interpolate (no +Inf bucket, fewer than two
    buckets, no observations; the caller decides what a NaN becomes), the bounds NaN where
    the value is not read from a bucket.

    The true quantile of the observations is somewhere in that bucket, so the value is off
    by at most ``upper - lower``; in the +Inf bucket the value is the highest finite bound
    (``lower``) and the truth is anywhere above it; in the lowest, anywhere from 0 to it.
    """
    nothing = (math.nan, math.nan, math.nan)
    if math.isnan(q):
        return nothing
    if q < 0:
        return (-math.inf, math.nan, math.nan)
    if q > 1:
        return (math.inf, math.nan, math.nan)
    merged: list[list[float]] = []
    for bound, count in sorted(buckets):
        if merged and merged[-1][0] == bound:
            merged[-1][1] += count
        else:
            merged.append([bound, count])
    if not merged or merged[-1][0] != math.inf or len(merged) < 2:
        return nothing
    # Rates of separately extrapolated bucket series can cross by a hair: force monotony.
    highest = -math.inf
    for bucket in merged:
        highest = max(highest, bucket[1])
        bucket[1] = highest
    observations = merged[-1][1]
    if observations == 0:
        return nothing
    rank = q * observations
    index = next((i for i in range(len(merged) - 1) if merged[i][1] >= rank), len(merged) - 1)
    if index == len(merged) - 1:
        # In the +Inf bucket: the best answer is the highest finite bound.
        return (merged[-2][0], merged[-2][0], math.inf)
    if index == 0 and merged[0][0] <= 0:
        return (merged[0][0], math.nan, math.nan)
    start, end, count = 0.0, merged[index][0], merged[index][1]
    if index > 0:
        start = merged[index - 1][0]
        count -= merged[index - 1][1]
        rank -= merged[index - 1][1]
    return (start + (end - start) * (rank / count), start, end)


# An ``le`` label value in the canonical form Prometheus normalizes them to; cached, since the
# same few bounds are formatted for every bucket sample read.
format_le = lru_cache(maxsize=4096)(le_value)


def divide(numerator: float, denominator: float) -> float:
    """IEEE division as Go does it: ``x/0`` is ±Inf, ``0/0`` is NaN (Python would raise)."""
    if denominator != 0:
        return numerator / denominator
    if numerator == 0 or math.isnan(numerator):
        return math.nan
    return math.copysign(math.inf, numerator) * math.copysign(1.0, denominator)
