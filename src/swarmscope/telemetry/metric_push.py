"""Metrics pushed over OTLP/HTTP: the same registry ``/metrics`` serves, on an interval.

With an OTLP endpoint (``swarmscope serve`` or a Collector) nothing has to scrape the app:
every interval the registry is collected and sent as one ``ExportMetricsServiceRequest``
of cumulative points, named as Prometheus names them, so queries written for Prometheus
read the same series from either place. The push runs on its own daemon thread; a failed
push is counted on ``telemetry_dropped_total{signal="metrics"}`` and the next one carries
the then-current totals, so nothing is lost but resolution.

The HTTP client is ``requests``, which the OTLP exporter package already depends on for the
spans and logs: the SDK's three signals leave the process through one HTTP stack, and an app
installs no second one for this. The runtime imports this module only when it pushes.
"""

from __future__ import annotations

import math
import os
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import psutil
import requests
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
)
from opentelemetry.proto.common.v1.common_pb2 import KeyValue
from opentelemetry.proto.metrics.v1.metrics_pb2 import AGGREGATION_TEMPORALITY_CUMULATIVE, Metric
from opentelemetry.util.re import parse_env_headers
from prometheus_client import CollectorRegistry
from prometheus_client.metrics_core import Metric as Family

from swarmscope import __version__
from swarmscope.telemetry.export_queue import call_within, mark_export_thread

_PROCESS_START_NS = int(psutil.Process().create_time() * 1e9)
# Per HTTP phase (connecting, then each read of the answer), as requests counts it; a
# closing push gets less.
_PUSH_TIMEOUT = 5.0


def encode(
    families: Iterable[Family], resource: dict[str, Any], now_ns: int
) -> ExportMetricsServiceRequest:
    """Prometheus families as OTLP metrics: counters as monotonic sums, histograms as such."""
    request = ExportMetricsServiceRequest()
    group = request.resource_metrics.add()
    for key, value in resource.items():
        group.resource.attributes.append(_key_value(key, value))
    scope = group.scope_metrics.add()
    scope.scope.name, scope.scope.version = "swarmscope", __version__
    for family in families:
        if family.type == "counter":
            _add_counter(scope.metrics, family, now_ns)
        elif family.type == "histogram":
            _add_histogram(scope.metrics, family, now_ns)
        elif family.type == "summary":
            _add_summary(scope.metrics, family, now_ns)
        else:
            # gauge, info, stateset, unknown: their samples are current values.
            _add_gauge(scope.metrics, family, now_ns)
    return request


def _key_value(key: str, value: Any) -> KeyValue:
    pair = KeyValue(key=key)
    pair.value.string_value = str(value)
    return pair


def _point(points: Any, labels: dict[str, str], now_ns: int) -> Any:
    point = points.add()
    point.time_unix_nano, point.start_time_unix_nano = now_ns, _PROCESS_START_NS
    for key, value in labels.items():
        point.attributes.append(_key_value(key, value))
    return point


def _new(metrics: Any, name: str, family: Family) -> Metric:
    metric = metrics.add()
    metric.name, metric.description = name, family.documentation
    return metric


def _add_counter(metrics: Any, family: Family, now_ns: int) -> None:
    totals = [s for s in family.samples if s.name.endswith("_total")]
    if not totals:
        return
    metric = _new(metrics, totals[0].name, family)
    metric.sum.is_monotonic = True
    metric.sum.aggregation_temporality = AGGREGATION_TEMPORALITY_CUMULATIVE
    for sample in totals:
        _point(metric.sum.data_points, sample.labels, now_ns).as_double = sample.value


def _add_gauge(metrics: Any, family: Family, now_ns: int) -> None:
    by_name: dict[str, Metric] = {}
    for sample in family.samples:
        metric = by_name.get(sample.name)
        if metric is None:
            metric = by_name[sample.name] = _new(metrics, sample.name, family)
        _point(metric.gauge.data_points, sample.labels, now_ns).as_double = sample.value


def _series_key(labels: dict[str, str]) -> tuple[tuple[str, str], ...]:
    return tuple(sorted((k, v) for k, v in labels.items() if k not in ("le", "quantile")))


def _by_series(family: Family) -> dict[tuple[tuple[str, str], ...], dict[str, Any]]:
    """A histogram's or summary's samples grouped per series: count, sum and the
    ``(le, cumulative count)`` buckets a histogram has."""
    series: dict[tuple[tuple[str, str], ...], dict[str, Any]] = {}
    for sample in family.samples:
        entry = series.setdefault(_series_key(sample.labels), {"buckets": []})
        if sample.name.endswith("_bucket"):
            entry["buckets"].append((float(sample.labels["le"]), sample.value))
        elif sample.name.endswith("_count"):
            entry["count"] = sample.value
        elif sample.name.endswith("_sum"):
            entry["sum"] = sample.value
    return series


def _add_histogram(metrics: Any, family: Family, now_ns: int) -> None:
    series = _by_series(family)
    if not series:
        return
    metric = _new(metrics, family.name, family)
    metric.histogram.aggregation_temporality = AGGREGATION_TEMPORALITY_CUMULATIVE
    for key, entry in series.items():
        cumulative = sorted(entry["buckets"])
        point = _point(metric.histogram.data_points, dict(key), now_ns)
        point.count = int(entry.get("count", cumulative[-1][1] if cumulative else 0))
        point.sum = entry.get("sum", 0.0)
        previous = 0.0
        for bound, running in cumulative:
            if not math.isinf(bound):
                point.explicit_bounds.append(bound)
            point.bucket_counts.append(int(running - previous))
            previous = running


def _add_summary(metrics: Any, family: Family, now_ns: int) -> None:
    series = _by_series(family)
    if not series:
        return
    metric = _new(metrics, family.name, family)
    for key, entry in series.items():
        point = _point(metric.summary.data_points, dict(key), now_ns)
        point.count, point.sum = int(entry.get("count", 0)), entry.get("sum", 0.0)


def _point_count(metric: Metric) -> int:
    """How many data points the metric carries, whichever kind of data it holds."""
    kind = metric.WhichOneof("data")
    return 0 if kind is None else len(getattr(metric, kind).data_points)


def otlp_headers(signal: str) -> Mapping[str, str]:
    """Headers the OTLP environment variables ask for (an API key, say), as exporters read them."""
    raw = os.environ.get(f"OTEL_EXPORTER_OTLP_{signal}_HEADERS") or os.environ.get(
        "OTEL_EXPORTER_OTLP_HEADERS", ""
    )
    return parse_env_headers(raw, liberal=True)


class MetricPusher:
    """Collects ``registry`` every ``interval`` seconds and posts it to ``endpoint``.

    Each push is counted once: exported, or dropped when it fails, or dropped with reason
    ``shutdown`` when ``close`` stops waiting for it; a push still running then is left to
    its daemon thread, and what it comes back with is no longer counted.
    """

    def __init__(
        self,
        registry: CollectorRegistry,
        endpoint: str,
        resource: dict[str, Any],
        interval: float,
        dropped: Callable[[str, int], None],
        exported: Callable[[int], None],
    ) -> None:
        self._registry = registry
        self._endpoint = endpoint
        self._resource = resource
        self._interval = interval
        self._dropped = dropped
        self._exported = exported
        self._session = requests.Session()
        self._session.headers.update(otlp_headers("METRICS"))
        self._closed = False  # set, under the push lock, once the final push is done
        self._stop = threading.Event()
        # One push at a time: the interval's and the final one share the session.
        self._lock = threading.Lock()
        # Guards the counting: pushes started and not yet counted, and whether close gave up.
        self._outcomes = threading.Lock()
        self._pending = 0
        self._abandoned = False
        self._thread = threading.Thread(target=self._run, name="swarmscope-metrics", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        mark_export_thread()
        while not self._stop.wait(self._interval):
            self.push()

    def push(self) -> bool:
        """Send the registry now; False (and counted as dropped) when the endpoint refuses."""
        if not self._start():
            return False
        return self._push(None)

    def _start(self) -> bool:
        """Count a push as pending; False once close has given up (it counted what was left)."""
        with self._outcomes:
            if self._abandoned:
                return False
            self._pending += 1
            return True

    def _push(self, deadline: float | None) -> bool:
        """One pending push: post the registry and count the outcome unless close gave up."""
        with self._lock:
            # An interval push that waited behind the final one: that one carried the totals.
            skipped = self._closed
            ok, points = (False, 0) if skipped else self._send(deadline)
        with self._outcomes:
            if self._abandoned:
                return False
            self._pending -= 1
        if skipped:
            return False
        if ok:
            self._exported(points)
        else:
            self._dropped("export_failed", 1)
        return ok

    def _send(self, deadline: float | None) -> tuple[bool, int]:
        """Post the registry; the HTTP timeout is capped at what is left of ``deadline``."""
        timeout = _PUSH_TIMEOUT
        if deadline is not None:
            timeout = min(timeout, max(deadline - time.monotonic(), 0.001))
        try:
            request = encode(self._registry.collect(), self._resource, time.time_ns())
            points = sum(
                _point_count(metric)
                for metric in request.resource_metrics[0].scope_metrics[0].metrics
            )
            answer = self._session.post(
                self._endpoint,
                data=request.SerializeToString(),
                headers={"content-type": "application/x-protobuf"},
                timeout=timeout,
            )
        except Exception:
            return False, 0
        return answer.status_code < 400, points

    def close(self, timeout: float) -> bool:
        """Stop the interval and push once more, so a short-lived process's totals arrive.

        The push runs on a daemon thread and is waited for at most ``timeout`` seconds, its
        HTTP timeout capped at that too. Past it, the pushes not yet counted (this one, and an
        interval push stuck on the endpoint that it waits behind) are counted as dropped.
        True when the final push was counted in time, sent or failed.
        """
        deadline = time.monotonic() + timeout
        self._stop.set()
        if not self._start():
            return False

        def final_push() -> None:
            try:
                self._push(deadline)
            finally:
                with self._lock:
                    self._closed = True
                    self._session.close()

        finished = call_within(final_push, deadline - time.monotonic(), "metrics-final-push")
        if not finished:
            with self._outcomes:
                self._abandoned = True
                count, self._pending = self._pending, 0
            if count:
                self._dropped("shutdown", count)
        return finished
