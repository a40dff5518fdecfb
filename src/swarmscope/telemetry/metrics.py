"""Prometheus families built from the catalog, with bounded label vocabularies.

Each catalog entry becomes one prometheus-client family in a registry of swarmscope's own,
wrapped in a ``Family`` that caches labelled children (the hot path is one dict lookup) and
folds label values past a per-label limit into ``other``, counting what it folded. Ids
never become series: an unbounded label costs at most ``max_label_values`` series.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable
from typing import Any

import psutil
from prometheus_client import (
    GC_COLLECTOR,
    PLATFORM_COLLECTOR,
    PROCESS_COLLECTOR,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    Summary,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from swarmscope.conventions.catalog import METRICS, SCRAPE_TIME_METRICS, MetricSpec

OTHER = "other"
UNKNOWN = "unknown"


def multiprocess_dir() -> str | None:
    """The prometheus-client multiprocess directory, when running under a pre-fork server."""
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


class Family:
    """One catalog metric. ``child(*values)`` returns the labelled series, label order as declared."""

    __slots__ = ("_children", "_lock", "_overflow", "_seen", "limit", "metric", "spec")

    def __init__(self, spec: MetricSpec, metric: Any, limit: int, overflow: Family | None) -> None:
        self.spec = spec
        self.metric = metric
        self.limit = limit
        self._overflow = overflow
        self._children: dict[tuple[Any, ...], Any] = {}
        self._seen: list[set[str]] = [set() for _ in spec.labels]
        self._lock = threading.Lock()

    def child(self, *values: Any) -> Any:
        try:
            return self._children[values]
        except KeyError:
            return self._admit(values)

    def _admit(self, values: tuple[Any, ...]) -> Any:
        if not self.spec.labels:
            return self.metric
        if len(values) != len(self.spec.labels):
            raise ValueError(f"{self.spec.name} takes labels {self.spec.labels}, got {values!r}")
        with self._lock:
            folded = []
            exact = True
            for index, value in enumerate(values):
                text = UNKNOWN if value is None or value == "" else str(value)
                seen = self._seen[index]
                if text not in seen:
                    if len(seen) >= self.limit:
                        exact = False
                        if self._overflow is not None:
                            self._overflow.child(self.spec.name, self.spec.labels[index]).inc()
                        text = OTHER
                    else:
                        seen.add(text)
                folded.append(text)
            child = self.metric.labels(*folded)
            # Folded values are never cached, so the cache is as bounded as the series.
            if exact:
                self._children[values] = child
            return child

    def value(self, *values: Any) -> float:
        """The current value of a counter or gauge series (tests and the demo's live view)."""
        return float(self.child(*values)._value.get())


class MetricSet(dict[str, Family]):
    """All catalog families for one namespace, in one registry, by catalog name.

    A plain dict underneath: the lookup runs on every instrumented call.
    """

    def __init__(
        self,
        namespace: str,
        max_label_values: int,
        registry: CollectorRegistry | None = None,
        specs: Iterable[MetricSpec] = METRICS,
    ) -> None:
        super().__init__()
        self.namespace = namespace
        self.registry = registry or CollectorRegistry(auto_describe=True)
        specs = list(specs)
        # The overflow counter is made first so every other family can report into it.
        overflow_spec = next(s for s in specs if s.name == "telemetry_label_overflow_total")
        # Its label values are catalog names, bounded by the catalog, not by the user limit.
        catalog_size = sum(len(spec.labels) for spec in specs)
        overflow = self._build(overflow_spec, max(max_label_values, catalog_size), None)
        for spec in specs:
            if spec is overflow_spec or spec.name in SCRAPE_TIME_METRICS:
                continue
            self._build(spec, max_label_values, overflow)
        if multiprocess_dir() is None:
            self.registry.register(ProcessCollector(namespace, specs))
            for collector in (PROCESS_COLLECTOR, PLATFORM_COLLECTOR, GC_COLLECTOR):
                self.registry.register(_Forward(collector))

    def _build(self, spec: MetricSpec, limit: int, overflow: Family | None) -> Family:
        name = spec.full_name(self.namespace)
        kwargs: dict[str, Any] = {"registry": self.registry, "labelnames": spec.labels}
        if spec.kind == "counter":
            metric: Any = Counter(name, spec.help, **kwargs)
        elif spec.kind == "gauge":
            metric = Gauge(name, spec.help, multiprocess_mode=spec.multiprocess_mode, **kwargs)
        elif spec.kind == "histogram":
            metric = Histogram(
                name, spec.help, buckets=spec.buckets or Histogram.DEFAULT_BUCKETS, **kwargs
            )
        else:
            metric = Summary(name, spec.help, **kwargs)
        family = Family(spec, metric, limit, overflow)
        self[spec.name] = family
        return family


class ProcessCollector(Collector):
    """The catalog's process families, read from the OS when Prometheus scrapes."""

    def __init__(self, namespace: str, specs: Iterable[MetricSpec]) -> None:
        self._process = psutil.Process()
        self._specs = {s.name: s for s in specs if s.name in SCRAPE_TIME_METRICS}
        self._namespace = namespace

    def collect(self) -> Iterable[Metric]:
        names = {name: spec.full_name(self._namespace) for name, spec in self._specs.items()}
        helps = {name: spec.help for name, spec in self._specs.items()}
        with self._process.oneshot():
            rss = self._process.memory_info().rss
            cpu = self._process.cpu_times()
            fds = self._process.num_fds() if hasattr(self._process, "num_fds") else 0
        if "process_memory_bytes" in names:
            yield GaugeMetricFamily(
                names["process_memory_bytes"], helps["process_memory_bytes"], value=rss
            )
        if "process_cpu_seconds_total" in names:
            yield CounterMetricFamily(
                names["process_cpu_seconds_total"],
                helps["process_cpu_seconds_total"],
                value=cpu.user + cpu.system,
            )
        if "process_open_fds" in names:
            yield GaugeMetricFamily(names["process_open_fds"], helps["process_open_fds"], value=fds)


class _Forward(Collector):
    """Re-exposes one of prometheus-client's default collectors in another registry."""

    def __init__(self, collector: Any) -> None:
        self._collector = collector

    def collect(self) -> Iterable[Metric]:
        return self._collector.collect()
