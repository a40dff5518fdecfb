"""OTLP exponential histograms as the explicit-bucket histograms the store keeps.

Why convert at ingest rather than store scale, offset and buckets: the query engine, its
SQL and its ``histogram_quantile`` (tested point for point against Prometheus) work on
``le`` bounds and cumulative bucket series; an exponential bucket ``(base**i,
base**(i+1)]`` is such a bucket, exactly, so the conversion loses nothing on the positive
side. What it changes:

- The bounds are ``base**offset ... base**(offset + n)``: they move as a stream's range
  grows and get coarser as the sender lowers its scale. A lower scale's bounds are a subset
  of a higher one's (``base`` squared), so the engine reads two points of a window on the
  newer one's bounds (``query.series``) without inventing counts.
- The first bucket, ``(-Inf, base**offset]``, holds the zero bucket and every negative
  observation: quantiles of negative values are not kept (durations and sizes, what these
  histograms measure, have none).

Delta exponential histograms are merged in this form (``Expo``), on the coarser scale of
the two, and bounded to ``MAX_BUCKETS`` as the OpenTelemetry SDK bounds its own.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

# The OpenTelemetry SDKs' default maximum of buckets per histogram (per sign).
MAX_BUCKETS = 160
# The scales OTLP allows; a histogram with only a zero count is given the highest.
MIN_SCALE, MAX_SCALE = -10, 20


def bound(scale: int, index: int) -> float:
    """``base ** index`` for ``base = 2 ** 2 ** -scale``, the same float for the same power
    at any scale (``index * 2 ** -scale`` is exact), so coarser bounds equal finer ones."""
    return math.pow(2.0, index * math.ldexp(1.0, -scale))


@dataclass(frozen=True)
class Expo:
    """The positive buckets from ``offset`` at ``scale``, and ``low``: the zero bucket's and
    the negative buckets' observations, all at or below the first bound."""

    scale: int
    offset: int
    counts: tuple[float, ...]
    low: float

    def explicit(self) -> tuple[list[float], list[float]]:
        """``(bounds, per-bucket counts)`` with a last (+Inf) bucket of 0.

        Raises ``OverflowError`` for a bound past the largest float.
        """
        if not self.counts:
            return [], [self.low]
        bounds = [bound(self.scale, self.offset + j) for j in range(len(self.counts) + 1)]
        return bounds, [self.low, *self.counts, 0.0]

    def downscaled(self, scale: int) -> Expo:
        """The same histogram at a coarser ``scale``: each bucket merged into its parent."""
        shift = self.scale - scale
        if shift <= 0 or not self.counts:
            return Expo(min(scale, self.scale), self.offset, self.counts, self.low)
        offset = self.offset >> shift
        counts = [0.0] * (((self.offset + len(self.counts) - 1) >> shift) - offset + 1)
        for j, count in enumerate(self.counts):
            counts[((self.offset + j) >> shift) - offset] += count
        return Expo(scale, offset, tuple(counts), self.low)


def merged(a: Expo, b: Expo) -> Expo:
    """The sum of two histograms, on the coarser scale, at most ``MAX_BUCKETS`` buckets."""
    if not a.counts:
        return Expo(b.scale, b.offset, b.counts, a.low + b.low)
    if not b.counts:
        return Expo(a.scale, a.offset, a.counts, a.low + b.low)
    scale = min(a.scale, b.scale)
    while True:
        x, y = a.downscaled(scale), b.downscaled(scale)
        first = min(x.offset, y.offset)
        last = max(x.offset + len(x.counts), y.offset + len(y.counts))
        if last - first <= MAX_BUCKETS:
            break
        scale -= 1
    counts = [0.0] * (last - first)
    for part in (x, y):
        for j, count in enumerate(part.counts):
            counts[part.offset - first + j] += count
    return Expo(scale, first, tuple(counts), a.low + b.low)


def from_point(point: object) -> Expo:
    """An OTLP ``ExponentialHistogramDataPoint`` as ``Expo``."""
    positive = point.positive  # type: ignore[attr-defined]
    negative = point.negative  # type: ignore[attr-defined]
    return Expo(
        int(point.scale),  # type: ignore[attr-defined]
        int(positive.offset),
        tuple(float(c) for c in positive.bucket_counts),
        float(point.zero_count) + float(sum(negative.bucket_counts)),  # type: ignore[attr-defined]
    )


def from_explicit(bounds: list[float], buckets: list[float]) -> Expo | None:
    """A stored point read back as ``Expo`` (to go on adding deltas to it after a restart),
    or None if its bounds are not an exponential histogram's."""
    if not bounds:
        return Expo(MAX_SCALE, 0, (), float(buckets[0])) if len(buckets) == 1 else None
    if len(bounds) < 2 or len(buckets) != len(bounds) + 1 or buckets[-1] != 0:
        return None
    if bounds[0] <= 0 or bounds[1] <= bounds[0]:
        return None
    scale = round(-math.log2(math.log2(bounds[1] / bounds[0])))
    offset = round(math.log2(bounds[0]) * math.ldexp(1.0, scale))
    expo = Expo(scale, offset, tuple(float(c) for c in buckets[1:-1]), float(buckets[0]))
    try:
        again, _ = expo.explicit()
    except OverflowError:
        return None
    if not all(math.isclose(x, y, rel_tol=1e-9) for x, y in zip(again, bounds, strict=True)):
        return None
    return expo
