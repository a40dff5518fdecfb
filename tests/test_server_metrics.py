"""Metrics reach the embedded server over OTLP: the SDK's push and any OpenTelemetry SDK."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
    ExportMetricsServiceResponse,
)
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader
from opentelemetry.sdk.resources import Resource

import swarmscope as ss
from loopback import serve
from swarmscope.server.app import create_app
from swarmscope.server.intake.metric_expo import Expo, from_explicit, merged
from swarmscope.server.intake.metric_names import label_name, metric_name
from swarmscope.server.store.database import Store
from swarmscope.server.store.rows import PUSHED


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    store = Store(tmp_path / "store.duckdb")
    yield store
    store.close()


def points(store: Store, name: str, source: str = PUSHED) -> dict[str, dict]:
    """The latest point of each series of ``name`` pushed by a sender (or derived by the
    server from spans: ``source``), keyed by its labels as JSON."""
    rows = store.rows(
        "SELECT arg_max(map_entries(labels), time_ns) AS labels, arg_max(value, time_ns) AS value,"
        " arg_max(count, time_ns) AS count, arg_max(buckets, time_ns) AS buckets,"
        " any_value(bounds) AS bounds, any_value(kind) AS kind"
        " FROM metric_points WHERE name = ? AND source = ? GROUP BY series",
        [name, source],
    )
    return {
        json.dumps({entry["key"]: entry["value"] for entry in row["labels"]}, sort_keys=True): row
        for row in rows
    }


def test_the_sdk_pushes_its_registry(store: Store):
    with serve(create_app(store)) as url:
        ss.shutdown()
        ss.init(service_name="agents", namespace="sergas", otlp_endpoint=url, log_stream="none")
        try:
            for _ in range(3):
                with ss.agent_run("memory_analyst"):
                    pass
            with pytest.raises(RuntimeError), ss.agent_run("memory_analyst"):
                raise RuntimeError("model unavailable")
        finally:
            ss.shutdown()  # the last push carries the final totals
    sessions = points(store, "sergas_agent_sessions_total")
    success = json.dumps(
        {"agent_type": "memory_analyst", "operation": "run", "status": "success"}, sort_keys=True
    )
    failed = success.replace('"success"', '"failure"')
    assert sessions[success]["value"] == 3 and sessions[success]["kind"] == "counter"
    assert sessions[failed]["value"] == 1
    [duration] = [
        row
        for key, row in points(store, "sergas_agent_session_duration_seconds").items()
        if '"memory_analyst"' in key
    ]
    assert duration["kind"] == "histogram" and duration["count"] == 4
    assert len(duration["buckets"]) == len(duration["bounds"]) + 1
    assert sum(duration["buckets"]) == 4
    [service] = store.rows("SELECT DISTINCT service FROM metric_points")
    assert service["service"] == "agents"


def test_any_opentelemetry_sdk_with_prometheus_names(store: Store):
    with serve(create_app(store)) as url:
        exporter = OTLPMetricExporter(f"{url}/v1/metrics")
        reader = PeriodicExportingMetricReader(exporter, export_interval_millis=60_000)
        provider = MeterProvider(
            resource=Resource.create({"service.name": "plain-otel"}), metric_readers=[reader]
        )
        meter = provider.get_meter("t")
        meter.create_counter("gen_ai.client.requests").add(5, {"gen_ai.request.model": "gpt-4o"})
        meter.create_histogram("gen_ai.client.operation.duration", unit="s").record(0.3)
        provider.shutdown()
    [requests] = points(store, "gen_ai_client_requests_total").values()
    assert requests["value"] == 5 and requests["kind"] == "counter"
    # Prometheus's OTLP translation appends the unit: s -> _seconds.
    [duration] = points(store, "gen_ai_client_operation_duration_seconds").values()
    assert duration["kind"] == "histogram" and duration["count"] == 1


def test_what_cannot_be_stored_is_reported_as_partial_success(store: Store):
    request = ExportMetricsServiceRequest()
    metrics = request.resource_metrics.add().scope_metrics.add().metrics
    unknown = metrics.add(name="requests")
    unknown.sum.aggregation_temporality = 0  # unspecified: neither delta nor cumulative
    unknown.sum.is_monotonic = True
    unknown.sum.data_points.add(as_int=3, time_unix_nano=1)
    kept = metrics.add(name="queue_depth")
    kept.gauge.data_points.add(as_double=7, time_unix_nano=1)
    with serve(create_app(store)) as url:
        answer = httpx.post(
            f"{url}/v1/metrics",
            content=request.SerializeToString(),
            headers={"content-type": "application/x-protobuf"},
        )
    assert answer.status_code == 200
    response = ExportMetricsServiceResponse.FromString(answer.content)
    assert response.partial_success.rejected_data_points == 1
    assert "temporality unspecified" in response.partial_success.error_message
    assert points(store, "queue_depth")["{}"]["value"] == 7


@pytest.mark.parametrize(
    ("name", "unit", "kind", "monotonic", "expected"),
    [
        (
            "http.server.request.duration",
            "s",
            "histogram",
            False,
            "http_server_request_duration_seconds",
        ),
        ("system.memory.usage", "By", "gauge", False, "system_memory_usage_bytes"),
        ("net.io", "By/s", "sum", True, "net_io_bytes_per_second_total"),
        ("app.requests", "{request}", "sum", True, "app_requests_total"),
        ("requests.count", "1", "sum", True, "requests_count_total"),
        ("cpu.utilization", "1", "gauge", False, "cpu_utilization_ratio"),
        ("ratio.used", "1", "gauge", False, "used_ratio"),
        ("total.requests", "", "sum", True, "requests_total"),
        ("queue.depth", "{item}", "sum", False, "queue_depth"),
        ("latency_seconds", "s", "histogram", False, "latency_seconds"),
        ("2xx.responses", "", "gauge", False, "_2xx_responses"),
        ("odd__name..x", "ms", "summary", False, "odd_name_x_milliseconds"),
        # Names in Prometheus's form already (the swarmscope SDK's push) are kept.
        ("shop_agent_sessions_total", "", "sum", True, "shop_agent_sessions_total"),
        (
            "shop_tool_call_duration_seconds",
            "",
            "histogram",
            False,
            "shop_tool_call_duration_seconds",
        ),
    ],
)
def test_names_as_prometheus_translates_otlp(
    name: str, unit: str, kind: str, monotonic: bool, expected: str
):
    assert metric_name(name, unit, kind, monotonic) == expected


def test_label_names_as_prometheus_translates_attributes():
    assert label_name("http.route") == "http_route"
    assert label_name("2fa") == "key_2fa"
    assert label_name("agent_type") == "agent_type"


def test_exponential_buckets_merge_on_the_coarser_scale():
    fine = Expo(scale=2, offset=4, counts=(1.0, 2.0, 3.0, 4.0), low=1.0)
    coarse = fine.downscaled(1)
    # Buckets 4,5 -> 2 and 6,7 -> 3 at scale 1: parents hold their children's counts.
    assert coarse == Expo(scale=1, offset=2, counts=(3.0, 7.0), low=1.0)
    fine_bounds, _ = fine.explicit()
    coarse_bounds, coarse_counts = coarse.explicit()
    assert set(coarse_bounds) <= set(fine_bounds) and coarse_counts == [1.0, 3.0, 7.0, 0.0]
    total = merged(fine, Expo(scale=1, offset=3, counts=(5.0,), low=0.0))
    assert total == Expo(scale=1, offset=2, counts=(3.0, 12.0), low=1.0)
    assert from_explicit(*total.explicit()) == total
