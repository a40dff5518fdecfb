"""Any stored metric queried by its name: raw values, rates and quantiles over a range.

The dashboards' queries name catalog families; the metrics API and the console's Metrics
page name whatever a sender pushed (``http_server_request_duration_seconds``). Both are
computed by the same engine (``series.compute`` with Prometheus's extrapolation and
``histogram_quantile``): this module only says which leaf a function of a stored metric is.

- ``value``: the latest sample at each step (five-minute lookback), summed by ``by``; for
  a histogram or summary, its ``_count``.
- ``rate`` / ``increase``: ``sum by (by) (rate(name[window]))`` of a counter, or of a
  histogram's or summary's ``_count``. A gauge has no rate (use ``value``).
- ``quantile``: ``histogram_quantile(q, sum by (le, by) (rate(name_bucket[window])))`` for
  a histogram; for a summary, its stored ``name{quantile="q"}`` (the largest of a group's
  series: a summary's quantiles cannot be added up).
"""

from __future__ import annotations

from dataclasses import dataclass

from swarmscope.definitions.numbers import le_value
from swarmscope.server.query.evaluate import (
    FROM_BUCKETS,
    RangeSeries,
    Steps,
    quantile_frame,
    range_series,
)
from swarmscope.server.query.series import compute
from swarmscope.server.store.database import Store
from swarmscope.server.store.queries.series import Leaf

FUNCTIONS = ("value", "rate", "increase", "quantile")
OBSERVED = ("histogram", "summary")


@dataclass(frozen=True)
class StoredQuery:
    """A function of one stored metric: ``kind`` is its stored kind (counter, gauge,
    histogram, summary), ``where`` label matchers ``(label, op, value)``."""

    name: str
    kind: str
    function: str
    where: tuple[tuple[str, str, str], ...] = ()
    by: tuple[str, ...] = ()
    window_ms: int = 300_000
    q: float = 0.9

    def check(self) -> None:
        """``ValueError`` saying why the function does not apply to this metric."""
        if self.function not in FUNCTIONS:
            raise ValueError(f"unknown function {self.function!r}: use one of {FUNCTIONS}")
        if self.function in ("rate", "increase") and self.kind == "gauge":
            raise ValueError(
                f"{self.name} is a gauge: it has no {self.function} (its values go up and"
                " down); ask for its value"
            )
        if self.function == "quantile" and self.kind not in OBSERVED:
            raise ValueError(
                f"{self.name} is a {self.kind}: only histograms and summaries have quantiles"
            )
        if not 0 <= self.q <= 1:
            raise ValueError("q must be between 0 and 1")

    def promql(self, window: str) -> str:
        """The same query in PromQL (``window`` as the user wrote it)."""
        observed = self.kind in OBSERVED
        by = f" by ({', '.join(self.by)})" if self.by else ""
        suffix = "_count" if observed and self.function != "quantile" else ""
        matchers = [f'{label}{op}"{value}"' for label, op, value in self.where]
        if self.function == "quantile" and self.kind == "summary":
            matchers.append(f'quantile="{le_value(self.q)}"')
            return f"max{by} ({self.name}{{{','.join(matchers)}}})"
        if self.function == "quantile":
            suffix = "_bucket"
        selector = f"{self.name}{suffix}" + (f"{{{','.join(matchers)}}}" if matchers else "")
        if self.function == "value":
            return f"sum{by} ({selector})"
        inner = f"{'rate' if self.function != 'increase' else 'increase'}({selector}[{window}])"
        if self.function == "quantile":
            grouped = ", ".join(("le", *self.by))
            return f"histogram_quantile({le_value(self.q)}, sum by ({grouped}) ({inner}))"
        return f"sum{by} ({inner})"

    def leaf(self, at: Steps) -> Leaf:
        """The engine's leaf for this query at ``at``; ``ValueError`` if it cannot be."""
        self.check()
        observed = self.kind in OBSERVED
        part, where, range_ms, aggregate = "value", self.where, 0, "sum"
        if self.function == "value" and observed:
            part = "count"
        elif self.function in ("rate", "increase"):
            part, range_ms = ("count" if observed else "value"), self.window_ms
        elif self.function == "quantile" and self.kind == "histogram":
            part, range_ms = "bucket", self.window_ms
        elif self.function == "quantile":
            where = (*where, ("quantile", "=", le_value(self.q)))
            aggregate = "max"
        counter = self.kind != "gauge"
        per_second = self.function == "rate" or part == "bucket"
        return Leaf(
            self.name,
            part,
            where,
            self.by,
            range_ms,
            counter,
            per_second,
            aggregate,
            at.start_ms,
            at.step_ms,
            at.count,
        )


def evaluate_stored(store: Store, query: StoredQuery, at: Steps) -> list[RangeSeries]:
    """The query's series at every step; ``ValueError`` for a query that cannot be."""
    leaf = query.leaf(at)
    [frame] = compute(store, [leaf])
    if leaf.part == "bucket":
        frame, marks = quantile_frame(query.q, frame)
        return range_series(frame, at, FROM_BUCKETS, marks)
    return range_series(frame, at)
