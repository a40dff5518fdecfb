"""Delta points accumulated into the cumulative series the store keeps, and refused points
counted: the writer's share of metric intake (the decoders keep no state).

A stream is what OTLP calls one: a sender's resource (here its service and
``service.instance.id``), the metric and its attributes, i.e. one stored series key. As
the Collector's ``deltatocumulative`` processor does, each stream keeps its running total
and the end of the last interval it added:

- a point whose interval starts where the last one ended (or that has no start time) is
  added: the stored point carries the new total and the stream's first start time;
- a point that starts later than the last one ended (a gap: the sender restarted, or
  intervals were lost) starts the series again from its own value, with its own start time,
  which the engine reads as a counter reset (never a negative rate);
- a point ending at or before the last one (a retry, a duplicate, a late arrival) or
  starting before the last one ended (overlapping intervals) is refused, counted and
  logged: adding it would count its observations twice. (It is not in the request's
  partial success: the request was decoded, and its answer built, without this state.)

Restarts: the totals live in memory and are loaded, the first time a stream is seen, from
its latest stored point (one statement per batch for all new streams), so a server
restarted between two deltas goes on adding to the stored total; a gap or an overlap
between the stored point and the next delta is handled as above. After a failed write the
memory is dropped and loaded again from what was stored. A histogram whose bounds change
starts again too; exponential histograms are merged on the coarser scale (``metric_expo``).

Runs on the writer thread, in commit order, so state follows what is stored; cumulative
points never come here.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from swarmscope.server.intake import metric_expo
from swarmscope.server.intake.metric_expo import Expo
from swarmscope.server.store.database import Store
from swarmscope.server.store.queries.metrics import last_points
from swarmscope.server.store.rows import DERIVED_FROM_SPANS, MetricRow, arrow_batch

log = logging.getLogger("swarmscope.server")

# How long before a derived series' first count its zero sample is (the engine reads ms).
ZERO_LEAD_NS = 1_000_000
OUT_OF_ORDER = "delta_out_of_order"
OVERLAP = "delta_overlap"
OVERFLOW = "bucket_bound_overflow"
# Streams kept in memory; past this, all are forgotten and loaded again from the store.
MAX_STREAMS = 200_000
# A reason is logged at most this often (with the count since): a broken sender pushes
# every few seconds, and its log line would drown the others.
LOG_EVERY_S = 60.0


@dataclass
class _Stream:
    start_ns: int
    time_ns: int
    value: float | None
    count: float | None
    total: float | None
    bounds: list[float] | None
    buckets: list[float] | None
    expo: Expo | None


class Refusals:
    """Points refused since the server started, by reason; each reason logged on the
    ``swarmscope.server`` logger when first seen and then at most once a minute."""

    def __init__(self) -> None:
        self._counts: Counter[str] = Counter()
        self._unlogged: Counter[str] = Counter()
        self._logged_at: dict[str, float] = {}
        self._lock = threading.Lock()

    def add(self, reason: str, points: int, detail: str) -> None:
        now = time.monotonic()
        with self._lock:
            self._counts[reason] += points
            self._unlogged[reason] += points
            last = self._logged_at.get(reason)
            if last is not None and now - last < LOG_EVERY_S:
                return
            self._logged_at[reason] = now
            count = self._unlogged.pop(reason)
        log.warning("refused %d metric point(s) (%s): %s", count, reason, detail)

    def counts(self) -> dict[str, int]:
        with self._lock:
            return dict(sorted(self._counts.items()))


class MetricWriter:
    """Turns a commit's decoded batches into what the store keeps (see the module's
    docstring): ``metric_deltas`` become ``metric_points``, ``metric_refusals`` counts."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.refusals = Refusals()
        self._streams: dict[str, _Stream] = {}

    def prepare(self, batches: Sequence[tuple[str, pa.Table]]) -> list[tuple[str, pa.Table]]:
        kept: list[tuple[str, pa.Table]] = []
        deltas: list[dict[str, Any]] = []
        for table, batch in batches:
            if table == "metric_deltas":
                deltas.extend(batch.to_pylist())
            elif table == "metric_refusals":
                for row in batch.to_pylist():
                    self.refusals.add(row["reason"], row["points"], row["detail"])
            else:
                kept.append((table, batch))
        if deltas:
            rows = self._accumulate(deltas)
            if rows:
                kept.append(("metric_points", arrow_batch(MetricRow, rows)))
        return kept

    def forget(self) -> None:
        """Drop every running total (after a failed write, say): the next delta of each
        stream loads its total from the store again."""
        self._streams.clear()

    def _accumulate(self, deltas: list[dict[str, Any]]) -> list[MetricRow]:
        deltas.sort(key=lambda row: (row["series"], row["time_ns"]))
        if len(self._streams) > MAX_STREAMS:
            self.forget()
        self._load_stored(deltas)
        rows = []
        for point in deltas:
            new = point["source"] == DERIVED_FROM_SPANS and point["series"] not in self._streams
            row = self._add(point)
            if row is not None and new:
                zero = _zero_before(row)
                self._streams[point["series"]].start_ns = zero.start_ns
                rows.append(zero)
                row = dataclasses.replace(row, start_ns=zero.start_ns)
            if row is not None:
                rows.append(row)
        return rows

    def _load_stored(self, deltas: list[dict[str, Any]]) -> None:
        """Load the latest stored point of every stream not in memory, in one statement."""
        new = {row["series"]: row["name"] for row in deltas if row["series"] not in self._streams}
        if not new:
            return
        stored = last_points(self.store, sorted(set(new.values())), sorted(new))
        for series, row in stored.items():
            self._streams[series] = _Stream(
                row["start_ns"],
                row["time_ns"],
                row["value"],
                row["count"],
                row["sum"],
                row["bounds"],
                row["buckets"],
                None,
            )

    def _add(self, point: dict[str, Any]) -> MetricRow | None:
        series = point["series"]
        start, end = point["start_ns"], point["time_ns"]
        stream = self._streams.get(series)
        if stream is not None and end <= stream.time_ns:
            self.refusals.add(
                OUT_OF_ORDER,
                1,
                f"{point['name']}: a delta point ending at or before the last one added"
                " (a retry, a duplicate or a late point)",
            )
            return None
        if stream is not None and start and start < stream.time_ns:
            self.refusals.add(
                OVERLAP,
                1,
                f"{point['name']}: a delta point starting before the last one ended"
                " (overlapping intervals)",
            )
            return None
        contiguous = stream is not None and (not start or start == stream.time_ns)
        if stream is None or not contiguous or not _adds_to(stream, point):
            stream = _Stream(start or end, end, None, None, None, None, None, None)
            self._streams[series] = stream
            fresh = True
        else:
            fresh = False
        stream.time_ns = end
        if not _added(stream, point, fresh):
            self._streams.pop(series, None)
            self.refusals.add(
                OVERFLOW, 1, f"{point['name']}: a bucket bound is past the largest float"
            )
            return None
        return MetricRow(
            end,
            stream.start_ns,
            point["service"],
            point["name"],
            point["kind"],
            series,
            point["labels"],
            stream.value,
            stream.count,
            stream.total,
            stream.bounds,
            stream.buckets,
            point["source"],
        )


def _zero_before(row: MetricRow) -> MetricRow:
    """A series the server counts from spans began at zero just before its first count, as
    a counter an app registers at start-up does: without that sample its first commit's
    runs would be in no increase, and a rate would need two commits to show anything."""
    at = row.time_ns - ZERO_LEAD_NS
    zero = [0.0] * len(row.buckets) if row.buckets is not None else None
    counted = row.count is not None
    return dataclasses.replace(
        row,
        time_ns=at,
        start_ns=at,
        value=None if row.value is None else 0.0,
        count=0.0 if counted else None,
        sum=0.0 if counted else None,
        buckets=zero,
    )


def _adds_to(stream: _Stream, point: dict[str, Any]) -> bool:
    """Whether the point is of the stream's shape: a number to a number, buckets to buckets
    of the same bounds, an exponential histogram to one."""
    if point["scale"] is not None:
        if stream.expo is None and stream.count is not None and stream.bounds is not None:
            # Loaded from the store: read its buckets back as an exponential histogram.
            stream.expo = metric_expo.from_explicit(stream.bounds, stream.buckets or [])
        return stream.expo is not None
    if point["value"] is not None:
        return stream.value is not None
    if stream.count is None or stream.expo is not None:
        return False
    return stream.bounds == point["bounds"] and len(stream.buckets or ()) == len(
        point["buckets"] or ()
    )


def _added(stream: _Stream, point: dict[str, Any], fresh: bool) -> bool:
    """Add the point to the stream's totals; False if its bounds cannot be written."""
    if point["value"] is not None:
        stream.value = point["value"] + (0.0 if fresh else stream.value or 0.0)
        return True
    stream.count = point["count"] + (0.0 if fresh else stream.count or 0.0)
    stream.total = (point["sum"] or 0.0) + (0.0 if fresh else stream.total or 0.0)
    if point["scale"] is not None:
        counts = point["buckets"] or [0.0]
        delta = Expo(point["scale"], point["offset"], tuple(counts[1:]), counts[0])
        before = None if fresh else stream.expo
        stream.expo = delta if before is None else metric_expo.merged(before, delta)
        try:
            stream.bounds, stream.buckets = stream.expo.explicit()
        except OverflowError:
            return False
        return True
    if fresh or stream.buckets is None:
        stream.bounds, stream.buckets = point["bounds"], point["buckets"]
    else:
        stream.buckets = [a + b for a, b in zip(stream.buckets, point["buckets"], strict=True)]
    return True
