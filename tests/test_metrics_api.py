"""Metrics from the official OpenTelemetry Python SDK, delta or cumulative, read back through
``GET /api/metrics`` and ``GET /api/metrics/{name}`` with Prometheus's names and arithmetic.

Rates are asked for over a window that starts exactly at a series' first sample and ends
at its last, where Prometheus's extrapolation adds nothing: the increase is then exactly
what was counted between the two exports, which the test knows.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
from opentelemetry.metrics import Observation
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
)
from opentelemetry.sdk.metrics import (
    Counter,
    Histogram,
    MeterProvider,
    ObservableCounter,
    UpDownCounter,
)
from opentelemetry.sdk.metrics.export import (
    AggregationTemporality,
    PeriodicExportingMetricReader,
)
from opentelemetry.sdk.metrics.view import ExponentialBucketHistogramAggregation, View
from opentelemetry.sdk.resources import Resource

from loopback import serve
from swarmscope.server.app import create_app
from swarmscope.server.store.database import Store

DELTA = {
    Counter: AggregationTemporality.DELTA,
    UpDownCounter: AggregationTemporality.DELTA,
    Histogram: AggregationTemporality.DELTA,
    ObservableCounter: AggregationTemporality.DELTA,
}


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    store = Store(tmp_path / "store.duckdb")
    yield store
    store.close()


def provider(url: str, service: str, delta: bool, instance: str = "pod-1") -> MeterProvider:
    exporter = OTLPMetricExporter(
        f"{url}/v1/metrics", preferred_temporality=DELTA if delta else None
    )
    reader = PeriodicExportingMetricReader(exporter, export_interval_millis=3_600_000)
    return MeterProvider(
        resource=Resource.create({"service.name": service, "service.instance.id": instance}),
        metric_readers=[reader],
        views=[
            View(instrument_name="app.payload", aggregation=ExponentialBucketHistogramAggregation())
        ],
    )


def record_workload(meters: MeterProvider) -> None:
    """Two exports: a first batch of observations, then the one the windows measure."""
    meter = meters.get_meter("shop")
    requests = meter.create_counter("app.requests", unit="{request}")
    queue = meter.create_up_down_counter("app.queue.depth", unit="{item}")
    latency = meter.create_histogram("app.latency", unit="ms")
    payload = meter.create_histogram("app.payload", unit="By")
    meter.create_observable_gauge(
        "app.cpu.utilization",
        callbacks=[lambda options: [Observation(0.25, {"core": "0"})]],
        unit="1",
    )
    requests.add(5, {"route": "/a"})
    requests.add(1, {"route": "/b"})
    queue.add(5)
    for _ in range(10):
        latency.record(200)
        payload.record(5000)
    meters.force_flush()
    requests.add(10, {"route": "/a"})
    requests.add(2, {"route": "/b"})
    queue.add(-2)
    for _ in range(50):
        latency.record(3)
        latency.record(30)
        payload.record(3)
        payload.record(300)
    meters.force_flush()


def sample_times(store: Store, name: str, service: str) -> list[int]:
    """When the series of ``name`` from ``service`` were sampled, in ms."""
    rows = store.rows(
        "SELECT DISTINCT time_ns // 1000000 AS ms FROM metric_points"
        " WHERE name = ? AND service = ? ORDER BY ms",
        [name, service],
    )
    return [row["ms"] for row in rows]


def _iso(ms: float) -> str:
    return (datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=ms)).isoformat()


def across(store: Store, name: str, service: str, **params: Any) -> dict[str, Any]:
    """Query parameters evaluating at the last sample, over a window from the first one."""
    times = sample_times(store, name, service)
    assert len(times) >= 2, times
    # Evaluated at whole ms from the start's: times[-1] - 2, - 1 and times[-1] itself
    # (parsing an ISO time as a float loses a few ns, so no bound sits on a whole ms).
    return {
        "start": _iso(times[-1] - 1.5),
        "end": _iso(times[-1] + 0.9),
        "step": "0.001",
        "window": f"{times[-1] - times[0]}ms",
        "match": f'job="{service}"',
        **params,
    }


def last_values(answer: httpx.Response) -> dict[str, float]:
    """Each series' last value, keyed by its labels as ``k=v,...``."""
    assert answer.status_code == 200, answer.text
    return {
        ",".join(f"{k}={v}" for k, v in sorted(series["labels"].items())): series["points"][-1][1]
        for series in answer.json()["series"]
    }


@pytest.mark.parametrize("delta", [True, False], ids=["delta", "cumulative"])
def test_official_sdk_metrics_read_back_with_prometheus_names(store: Store, delta: bool):
    service = "delta-app" if delta else "cumulative-app"
    with serve(create_app(store)) as url:
        meters = provider(url, service, delta)
        record_workload(meters)
        meters.shutdown()
        api = httpx.Client(base_url=url, timeout=30)
        listed = {m["name"]: m for m in api.get("/api/metrics").json()["metrics"]}
        # Prometheus's OTLP names: units as words, {annotations} dropped, _total, _ratio.
        assert {
            "app_requests_total": "counter",
            "app_queue_depth": "gauge",
            "app_latency_milliseconds": "histogram",
            "app_payload_bytes": "histogram",
            "app_cpu_utilization_ratio": "gauge",
        }.items() <= {name: m["type"] for name, m in listed.items()}.items()
        requests = listed["app_requests_total"]
        assert requests["unit"] == "{request}" and requests["services"] == [service]
        assert {"route", "job", "instance"} <= set(requests["labels"])

        # The resource's other attributes, as Prometheus keeps them.
        info = api.get(
            "/api/metrics/target_info",
            params={"by": "telemetry_sdk_language,instance", "match": f'job="{service}"'},
        )
        assert last_values(info) == {"instance=pod-1,telemetry_sdk_language=python": 1.0}

        # Cumulative totals, whatever the temporality sent.
        by_route = {"by": "route", "fn": "value", "match": f'job="{service}"'}
        totals = last_values(api.get("/api/metrics/app_requests_total", params=by_route))
        assert totals == {"route=/a": 15.0, "route=/b": 3.0}
        queue = api.get("/api/metrics/app_queue_depth", params={"match": f'job="{service}"'})
        assert last_values(queue) == {"": 3.0}
        cpu = api.get("/api/metrics/app_cpu_utilization_ratio", params={"by": "core"})
        assert last_values(cpu) == {"core=0": 0.25}

        # Increase and rate between the two exports: exactly what was counted between them.
        window = across(store, "app_requests_total", service, by="route")
        increase = api.get("/api/metrics/app_requests_total", params={**window, "fn": "increase"})
        assert last_values(increase) == pytest.approx({"route=/a": 10.0, "route=/b": 2.0})
        seconds = float(window["window"].removesuffix("ms")) / 1000
        rate = api.get("/api/metrics/app_requests_total", params={**window, "fn": "rate"})
        assert last_values(rate) == pytest.approx(
            {"route=/a": 10 / seconds, "route=/b": 2 / seconds}
        )

        # Quantiles of what was observed between the exports (50 x 3 ms, 50 x 30 ms), on the
        # default bounds (0, 5, 10, 25, 50, ...): histogram_quantile interpolates in a bucket.
        window = across(store, "app_latency_milliseconds", service, fn="quantile")
        median = api.get("/api/metrics/app_latency_milliseconds", params={**window, "q": "0.5"})
        assert last_values(median) == pytest.approx({"": 5.0})
        p90 = api.get("/api/metrics/app_latency_milliseconds", params={**window, "q": "0.9"})
        assert last_values(p90) == pytest.approx({"": 45.0})
        assert p90.json()["promql"].startswith("histogram_quantile(0.9, sum by (le)")

        # Exponential buckets (50 x 3 B, 50 x 300 B): within one bucket of the true value.
        window = across(store, "app_payload_bytes", service, fn="quantile")
        [median] = last_values(
            api.get("/api/metrics/app_payload_bytes", params={**window, "q": "0.5"})
        ).values()
        assert 3 <= median <= 3 * 1.1
        [p90] = last_values(
            api.get("/api/metrics/app_payload_bytes", params={**window, "q": "0.9"})
        ).values()
        assert 300 / 1.1 <= p90 <= 300 * 1.1
        api.close()


@pytest.mark.parametrize("delta", [True, False], ids=["delta", "cumulative"])
def test_a_restarted_sender_is_a_counter_reset_not_a_negative_rate(store: Store, delta: bool):
    with serve(create_app(store)) as url:
        for adds in ((5, 10), (2, 5)):  # a process, then the same one restarted
            meters = provider(url, "worker", delta)
            counter = meters.get_meter("w").create_counter("jobs.done")
            for amount in adds:
                counter.add(amount)
                meters.force_flush()
            meters.shutdown()
        window = across(store, "jobs_done_total", "worker", fn="increase")
        answer = httpx.get(f"{url}/api/metrics/jobs_done_total", params=window, timeout=30)
        # 10 after the first sample, then 2 + 5 counted by the restarted process.
        assert last_values(answer) == pytest.approx({"": 17.0})
        now = httpx.get(f"{url}/api/metrics/jobs_done_total", params={"fn": "value"}, timeout=30)
        assert last_values(now) == {"": 7.0}


def _delta_request(value: int, start_ns: int, end_ns: int) -> bytes:
    request = ExportMetricsServiceRequest()
    group = request.resource_metrics.add()
    group.resource.attributes.add(key="service.name").value.string_value = "batch"
    metric = group.scope_metrics.add().metrics.add(name="rows.loaded", unit="{row}")
    metric.sum.aggregation_temporality = 1  # delta
    metric.sum.is_monotonic = True
    metric.sum.data_points.add(as_int=value, start_time_unix_nano=start_ns, time_unix_nano=end_ns)
    return request.SerializeToString()


def _post(url: str, body: bytes) -> httpx.Response:
    answer = httpx.post(
        f"{url}/v1/metrics", content=body, headers={"content-type": "application/x-protobuf"}
    )
    assert answer.status_code == 200, answer.text
    return answer


def _total(store: Store, name: str) -> list[tuple[int, float]]:
    rows = store.rows(
        "SELECT start_ns, value FROM metric_points WHERE name = ? ORDER BY time_ns", [name]
    )
    return [(row["start_ns"], row["value"]) for row in rows]


def test_deltas_add_up_across_a_server_restart_and_duplicates_are_counted_once(store: Store):
    t0 = 1_900_000_000 * 10**9
    second = 10**9
    with serve(create_app(store)) as url:
        _post(url, _delta_request(4, t0, t0 + second))
        _post(url, _delta_request(4, t0, t0 + second))  # a retry of the same interval
        _post(url, _delta_request(6, t0 + second, t0 + 2 * second))
        listed = httpx.get(f"{url}/api/metrics", timeout=30).json()
    assert listed["refused"] == {"delta_out_of_order": 1}
    assert _total(store, "rows_loaded_total") == [(t0, 4.0), (t0, 10.0)]
    # A new server on the same store goes on from the stored total.
    with serve(create_app(store)) as url:
        _post(url, _delta_request(5, t0 + 2 * second, t0 + 3 * second))
        # A gap (the sender lost an interval or restarted): the series starts again.
        _post(url, _delta_request(1, t0 + 5 * second, t0 + 6 * second))
        # Overlapping the last interval: its observations would count twice.
        _post(url, _delta_request(9, t0 + 5 * second + second // 2, t0 + 7 * second))
        listed = httpx.get(f"{url}/api/metrics", timeout=30).json()
    assert listed["refused"] == {"delta_overlap": 1}
    assert _total(store, "rows_loaded_total")[2:] == [(t0, 15.0), (t0 + 5 * second, 1.0)]


def test_refused_points_are_logged_and_counted(store: Store, caplog: pytest.LogCaptureFixture):
    request = ExportMetricsServiceRequest()
    metric = request.resource_metrics.add().scope_metrics.add().metrics.add(name="odd")
    metric.sum.aggregation_temporality = 0  # unspecified
    metric.sum.data_points.add(as_int=1, time_unix_nano=1)
    with caplog.at_level(logging.WARNING, logger="swarmscope.server"):
        with serve(create_app(store)) as url:
            _post(url, request.SerializeToString())
            listed = httpx.get(f"{url}/api/metrics", timeout=30).json()
    assert listed["refused"] == {"unspecified_temporality": 1}
    assert any(
        "unspecified_temporality" in record.getMessage() and "odd" in record.getMessage()
        for record in caplog.records
    )


def test_summaries_read_as_prometheus_exposes_them(store: Store):
    t0 = 1_900_000_000 * 10**9
    request = ExportMetricsServiceRequest()
    group = request.resource_metrics.add()
    group.resource.attributes.add(key="service.name").value.string_value = "rpc"
    metric = group.scope_metrics.add().metrics.add(name="rpc.latency", unit="s")
    for offset, count, p50, p90 in ((0, 10, 0.1, 0.4), (10, 30, 0.2, 0.5)):
        point = metric.summary.data_points.add(
            start_time_unix_nano=t0, time_unix_nano=t0 + offset * 10**9, count=count, sum=2.0
        )
        point.quantile_values.add(quantile=0.5, value=p50)
        point.quantile_values.add(quantile=0.9, value=p90)
    with serve(create_app(store)) as url:
        _post(url, request.SerializeToString())
        at = {"start": _iso(t0 / 1e6 + 9_998.5), "end": _iso(t0 / 1e6 + 10_000.9), "step": "0.001"}
        get = lambda **params: httpx.get(  # noqa: E731
            f"{url}/api/metrics/rpc_latency_seconds", params={**at, **params}, timeout=30
        )
        assert last_values(get(fn="quantile", q="0.9")) == {"": 0.5}
        assert get(fn="quantile", q="0.9").json()["promql"] == (
            'max (rpc_latency_seconds{quantile="0.9"})'
        )
        assert last_values(get(fn="value")) == {"": 30.0}
        assert last_values(get(fn="increase", window="10s")) == pytest.approx({"": 20.0})


def test_bad_requests_are_told_why(store: Store):
    with serve(create_app(store)) as url:
        meters = provider(url, "app", delta=False)
        record_workload(meters)
        meters.shutdown()
        api = httpx.Client(base_url=url, timeout=30)
        missing = api.get("/api/metrics/no_such_metric")
        assert missing.status_code == 404 and "no_such_metric" in missing.json()["error"]
        gauge = api.get("/api/metrics/app_queue_depth", params={"fn": "rate"})
        assert gauge.status_code == 400 and "gauge" in gauge.json()["error"]
        matcher = api.get("/api/metrics/app_requests_total", params={"match": "route=/a"})
        assert matcher.status_code == 400 and "matcher" in matcher.json()["error"]
        regex = api.get("/api/metrics/app_requests_total", params={"match": 'route=~"(?=a)"'})
        assert regex.status_code == 400 and "regex" in regex.json()["error"]
        label = api.get("/api/metrics/app_requests_total", params={"by": "no-dash"})
        assert label.status_code == 400
        quantile = api.get("/api/metrics/app_requests_total", params={"fn": "quantile"})
        assert quantile.status_code == 400 and "quantiles" in quantile.json()["error"]
        schema = api.get("/openapi.json").json()
        assert "/api/metrics/{name}" in schema["paths"]
        api.close()
