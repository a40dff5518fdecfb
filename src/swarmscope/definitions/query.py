"""A small, fixed vocabulary of queries over catalog metrics, compiled to PromQL.

Panels and alert rules say *what* they measure (a rate, a ratio, a quantile, a current
value, a gauge's change) over catalog families; ``promql(namespace)`` writes the expression.
Only catalog names can be written, so a rule or panel cannot name a metric the SDK does not
export, and the same definition can later be computed by the embedded server from its
store instead of by Prometheus.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar, runtime_checkable

from swarmscope.conventions.catalog import METRICS_BY_NAME
from swarmscope.definitions.durations import scale


@runtime_checkable
class Query(Protocol):
    def promql(self, namespace: str) -> str: ...

    def metrics(self) -> set[str]:
        """The catalog families the query reads."""
        ...


Q = TypeVar("Q", bound=Query)
# The fields of a query that hold a duration: its range window and its offset.
_DURATIONS = ("window", "ago")


def scaled_query(query: Q, factor: float) -> Q:
    """``query`` with every range window and offset in its tree multiplied by ``factor``
    (:func:`~swarmscope.definitions.durations.scale`): the Prometheus rules of a test stack
    and the server's alerts run the same definitions faster. Factor 1 is the query itself."""
    if factor == 1:
        return query
    tree: Any = query
    changes: dict[str, Any] = {}
    for node in dataclasses.fields(tree):
        value = getattr(tree, node.name)
        if node.name in _DURATIONS:
            changes[node.name] = scale(value, factor)
        elif is_query(value):
            changes[node.name] = scaled_query(value, factor)
    return dataclasses.replace(tree, **changes)


def is_query(value: object) -> bool:
    """Whether ``value`` is one of the queries (a dataclass that is a ``Query``), told by
    its type once: ``isinstance`` against the Protocol lists the Protocol's members at each
    call, a tenth of a millisecond, and a dashboard asks it hundreds of times."""
    kind = type(value)
    known = _QUERY_TYPES.get(kind)
    if known is None:
        known = _QUERY_TYPES[kind] = dataclasses.is_dataclass(kind) and issubclass(kind, Query)
    return known


_QUERY_TYPES: dict[type, bool] = {}


@dataclass(frozen=True)
class Series:
    """A catalog family, optionally narrowed by label matchers ``(label, op, value)``."""

    metric: str
    where: tuple[tuple[str, str, str], ...] = ()

    def __post_init__(self) -> None:
        spec = METRICS_BY_NAME.get(self.metric)
        if spec is None:
            raise ValueError(f"{self.metric!r} is not a catalog metric")
        for label, op, _ in self.where:
            if label not in spec.labels:
                raise ValueError(f"{self.metric} has no label {label!r} (it has {spec.labels})")
            if op not in ("=", "!=", "=~", "!~"):
                raise ValueError(f"unknown matcher {op!r}")

    def selector(self, namespace: str, suffix: str = "") -> str:
        name = METRICS_BY_NAME[self.metric].full_name(namespace)
        if METRICS_BY_NAME[self.metric].kind == "counter" and not name.endswith("_total"):
            name += "_total"
        matchers = ",".join(f'{label}{op}"{value}"' for label, op, value in self.where)
        return f"{name}{suffix}{{{matchers}}}" if matchers else f"{name}{suffix}"

    def kind(self) -> str:
        return METRICS_BY_NAME[self.metric].kind


def _by(labels: tuple[str, ...]) -> str:
    return f" by ({', '.join(labels)})" if labels else ""


@dataclass(frozen=True)
class Rate:
    """Per-second rate of a counter (histograms: of observations), summed by ``by``."""

    series: Series
    window: str = "5m"
    by: tuple[str, ...] = ()

    def promql(self, namespace: str) -> str:
        suffix = "_count" if self.series.kind() in ("histogram", "summary") else ""
        return f"sum{_by(self.by)} (rate({self.series.selector(namespace, suffix)}[{self.window}]))"

    def metrics(self) -> set[str]:
        return {self.series.metric}


@dataclass(frozen=True)
class Increase:
    """How much a counter grew over ``window``, summed by ``by``."""

    series: Series
    window: str = "1h"
    by: tuple[str, ...] = ()

    def promql(self, namespace: str) -> str:
        return f"sum{_by(self.by)} (increase({self.series.selector(namespace)}[{self.window}]))"

    def metrics(self) -> set[str]:
        return {self.series.metric}


@dataclass(frozen=True)
class Ratio:
    """``numerator / denominator``: a share, never a count compared to a percentage."""

    numerator: Query
    denominator: Query

    def promql(self, namespace: str) -> str:
        return f"({self.numerator.promql(namespace)}) / ({self.denominator.promql(namespace)})"

    def metrics(self) -> set[str]:
        return self.numerator.metrics() | self.denominator.metrics()


@dataclass(frozen=True)
class Sum:
    """``left + right`` (hits plus misses, say)."""

    left: Query
    right: Query

    def promql(self, namespace: str) -> str:
        return f"({self.left.promql(namespace)}) + ({self.right.promql(namespace)})"

    def metrics(self) -> set[str]:
        return self.left.metrics() | self.right.metrics()


@dataclass(frozen=True)
class Offset:
    """The same query as it stood ``ago`` (``offset``): compare with yesterday."""

    query: Rate | Increase
    ago: str = "1d"

    def promql(self, namespace: str) -> str:
        inner = self.query.promql(namespace)
        # The offset modifier belongs to the range selector, just after "]".
        head, _, tail = inner.rpartition("]")
        return f"{head}] offset {self.ago}{tail}"

    def metrics(self) -> set[str]:
        return self.query.metrics()


@dataclass(frozen=True)
class Quantile:
    """A quantile of a histogram over ``window``, by ``by``."""

    q: float
    series: Series
    window: str = "5m"
    by: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.series.kind() != "histogram":
            raise ValueError(f"{self.series.metric} is not a histogram")

    def promql(self, namespace: str) -> str:
        bucket = self.series.selector(namespace, "_bucket")
        return (
            f"histogram_quantile({self.q}, sum by ({', '.join((*self.by, 'le'))}) "
            f"(rate({bucket}[{self.window}])))"
        )

    def metrics(self) -> set[str]:
        return {self.series.metric}


@dataclass(frozen=True)
class Current:
    """A gauge's current value, aggregated by ``by`` (``max``, ``min`` or ``sum``)."""

    series: Series
    aggregate: str = "max"
    by: tuple[str, ...] = ()

    def promql(self, namespace: str) -> str:
        return f"{self.aggregate}{_by(self.by)} ({self.series.selector(namespace)})"

    def metrics(self) -> set[str]:
        return {self.series.metric}


@dataclass(frozen=True)
class Change:
    """How a gauge moved over ``window`` (``delta``): the right question for a gauge, not rate."""

    series: Series
    window: str = "5m"
    by: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.series.kind() != "gauge":
            raise ValueError(f"{self.series.metric} is not a gauge; use Rate or Increase")

    def promql(self, namespace: str) -> str:
        return f"sum{_by(self.by)} (delta({self.series.selector(namespace)}[{self.window}]))"

    def metrics(self) -> set[str]:
        return {self.series.metric}


@dataclass(frozen=True)
class Scaled:
    """A query times a constant (bytes to GiB, a ratio to a percentage)."""

    query: Query
    factor: float

    def promql(self, namespace: str) -> str:
        return f"({self.query.promql(namespace)}) * {self.factor!r}"

    def metrics(self) -> set[str]:
        return self.query.metrics()


@dataclass(frozen=True)
class Up:
    """Prometheus's own ``up`` series for the app's scrape job: is the app answering scrapes."""

    job: str = "swarmscope-app"
    by: tuple[str, ...] = field(default=("instance",))

    def promql(self, namespace: str) -> str:
        return f'up{{job="{self.job}"}}'

    def metrics(self) -> set[str]:
        return set()


# --- added for dashboards: the shapes panels need that alerts did not ---


def _observed(series: Series) -> None:
    if series.kind() not in ("histogram", "summary"):
        raise ValueError(f"{series.metric} is not a histogram or summary")


@dataclass(frozen=True)
class Mean:
    """Mean observation over ``window`` (``_sum`` rate over ``_count`` rate), by ``by``."""

    series: Series
    window: str = "5m"
    by: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        _observed(self.series)

    def promql(self, namespace: str) -> str:
        total = self.series.selector(namespace, "_sum")
        count = self.series.selector(namespace, "_count")
        return (
            f"sum{_by(self.by)} (rate({total}[{self.window}]))"
            f" / sum{_by(self.by)} (rate({count}[{self.window}]))"
        )

    def metrics(self) -> set[str]:
        return {self.series.metric}


@dataclass(frozen=True)
class RateOfSum:
    """Per-second growth of a histogram's ``_sum`` (bytes per second from a size histogram)."""

    series: Series
    window: str = "5m"
    by: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        _observed(self.series)

    def promql(self, namespace: str) -> str:
        total = self.series.selector(namespace, "_sum")
        return f"sum{_by(self.by)} (rate({total}[{self.window}]))"

    def metrics(self) -> set[str]:
        return {self.series.metric}


@dataclass(frozen=True)
class Buckets:
    """A histogram's bucket rates by ``le``: the whole distribution, for heatmaps."""

    series: Series
    window: str = "5m"

    def __post_init__(self) -> None:
        if self.series.kind() != "histogram":
            raise ValueError(f"{self.series.metric} is not a histogram")

    def promql(self, namespace: str) -> str:
        bucket = self.series.selector(namespace, "_bucket")
        return f"sum by (le) (rate({bucket}[{self.window}]))"

    def metrics(self) -> set[str]:
        return {self.series.metric}


@dataclass(frozen=True)
class TopK:
    """The ``k`` largest series of a query (a table of top offenders)."""

    k: int
    query: Query

    def promql(self, namespace: str) -> str:
        return f"topk({self.k}, {self.query.promql(namespace)})"

    def metrics(self) -> set[str]:
        return self.query.metrics()


@dataclass(frozen=True)
class Difference:
    """``left - right`` (idle connections are all connections minus active ones)."""

    left: Query
    right: Query

    def promql(self, namespace: str) -> str:
        return f"({self.left.promql(namespace)}) - ({self.right.promql(namespace)})"

    def metrics(self) -> set[str]:
        return self.left.metrics() | self.right.metrics()
