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
