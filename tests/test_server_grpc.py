"""OTLP/gRPC intake: the official exporters send live to the server's gRPC port, and each
refusal is the status code the OTLP specification gives it (what an exporter retries)."""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import grpc
import httpx
import pytest
from google.rpc.error_details_pb2 import RetryInfo
from google.rpc.status_pb2 import Status
from opentelemetry._logs import SeverityNumber
from opentelemetry.exporter.otlp.proto.grpc._log_exporter import OTLPLogExporter
from opentelemetry.exporter.otlp.proto.grpc.metric_exporter import OTLPMetricExporter
from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.collector.trace.v1.trace_service_pb2_grpc import TraceServiceStub
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import SimpleLogRecordProcessor
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor

from loopback import serve, serve_command
from otlp_requests import PROTOBUF, span_request
from swarmscope.server.app import create_app
from swarmscope.server.run import READY, add_grpc, listen_grpc
from swarmscope.server.settings import ServerSettings
from swarmscope.server.store.database import Store

EXPORT_TRACES = "/opentelemetry.proto.collector.trace.v1.TraceService/Export"
KEY = "s3cret-key"


@dataclass
class Server:
    url: str
    grpc: str
    store: Store
    intake: object


@contextmanager
def server(tmp_path: Path, **settings: object) -> Iterator[Server]:
    """The app under uvicorn with its gRPC intake, as ``swarmscope serve`` wires them."""
    store = Store(tmp_path / "store.duckdb")
    try:
        configured = ServerSettings(**settings)  # type: ignore[arg-type]
        app = create_app(store, configured)
        grpc_server = listen_grpc("127.0.0.1", 0, configured)
        add_grpc(app, configured, grpc_server)
        with serve(app) as url:
            yield Server(url, grpc_server.address, store, app.state.intake)
    finally:
        store.close()


def export_raw(address: str, body: bytes, key: str | None = None, gzip: bool = False) -> bytes:
    """One trace Export call with ``body`` as the message's bytes; raises ``grpc.RpcError``."""
    metadata = () if key is None else (("authorization", f"Bearer {key}"),)
    compression = grpc.Compression.Gzip if gzip else None
    with grpc.insecure_channel(address, compression=compression) as channel:
        call = channel.unary_unary(EXPORT_TRACES)
        return bytes(call(body, metadata=metadata, timeout=60))


def refusal(address: str, body: bytes, key: str | None = None, gzip: bool = False) -> grpc.RpcError:
    with pytest.raises(grpc.RpcError) as caught:
        export_raw(address, body, key, gzip)
    return caught.value


def retry_delay(error: grpc.RpcError) -> float | None:
    """The delay the refusal asks for, read as the status details carry it (and checked
    against what OpenTelemetry's Python exporters read); None: not to be retried."""
    trailers = dict(error.trailing_metadata() or ())  # type: ignore[attr-defined]
    if "grpc-status-details-bin" not in trailers:
        assert "google.rpc.retryinfo-bin" not in trailers
        return None
    status = Status.FromString(trailers["grpc-status-details-bin"])
    assert status.code == error.code().value[0]  # type: ignore[attr-defined]
    [detail] = status.details
    info = RetryInfo()
    assert detail.Unpack(info)
    assert RetryInfo.FromString(trailers["google.rpc.retryinfo-bin"]) == info
    return info.retry_delay.seconds + info.retry_delay.nanos / 1e9


def test_the_official_grpc_exporters_send_traces_logs_and_metrics(tmp_path: Path):
    with server(tmp_path) as live:
        resource = Resource.create({"service.name": "grpc-app"})
        tracing = TracerProvider(resource=resource)
        tracing.add_span_processor(
            SimpleSpanProcessor(OTLPSpanExporter(live.grpc, insecure=True, timeout=30))
        )
        logging_provider = LoggerProvider(resource=resource)
        logging_provider.add_log_record_processor(
            SimpleLogRecordProcessor(OTLPLogExporter(live.grpc, insecure=True, timeout=30))
        )
        reader = PeriodicExportingMetricReader(
            OTLPMetricExporter(live.grpc, insecure=True, timeout=30),
            export_interval_millis=600_000,
        )
        metering = MeterProvider(resource=resource, metric_readers=[reader])
        logger = logging_provider.get_logger("t")
        tracer = tracing.get_tracer("t")
        with tracer.start_as_current_span("plan") as root:
            with tracer.start_as_current_span("execute_tool lookup"):
                # In the span's context: the record carries its trace and span ids.
                logger.emit(severity_number=SeverityNumber.WARN, body="looked it up")
            trace_id = f"{root.get_span_context().trace_id:032x}"
        metering.get_meter("t").create_counter("lookups").add(3, {"tool": "lookup"})
        tracing.shutdown()
        logging_provider.shutdown()
        metering.shutdown()  # the last collection is exported on the way out

        trace = httpx.get(f"{live.url}/api/traces/{trace_id}").json()
        [tree] = trace["tree"]
        assert tree["name"] == "plan" and tree["service"] == "grpc-app"
        assert [child["name"] for child in tree["children"]] == ["execute_tool lookup"]
        logs = httpx.get(f"{live.url}/api/logs", params={"trace_id": trace_id}).json()["logs"]
        assert [log["body"] for log in logs] == ["looked it up"]
        assert logs[0]["span_id"] == tree["children"][0]["span_id"]
        [point] = live.store.rows(
            "SELECT value, service, kind FROM metric_points WHERE name = 'lookups_total'"
        )
        assert point == {"value": 3, "service": "grpc-app", "kind": "counter"}


def test_the_key_is_required_as_bearer_metadata(tmp_path: Path):
    with server(tmp_path, api_key=KEY) as live:
        missing = refusal(live.grpc, span_request(0, 1, "keyed"))
        wrong = refusal(live.grpc, span_request(1, 1, "keyed"), key="nope")
        assert missing.code() == wrong.code() == grpc.StatusCode.UNAUTHENTICATED
        assert "API key" in missing.details()
        assert retry_delay(missing) is None
        answer = export_raw(live.grpc, span_request(2, 1, "keyed"), key=KEY)
        assert ExportTraceServiceResponse.FromString(answer) == ExportTraceServiceResponse()
        # The official exporter, configured as OTEL_EXPORTER_OTLP_HEADERS would.
        exporter = OTLPSpanExporter(
            live.grpc, insecure=True, timeout=30, headers=(("authorization", f"Bearer {KEY}"),)
        )
        tracing = TracerProvider(resource=Resource.create({"service.name": "keyed"}))
        tracing.add_span_processor(SimpleSpanProcessor(exporter))
        with tracing.get_tracer("t").start_as_current_span("keyed span"):
            pass
        tracing.shutdown()
        stored = live.store.rows("SELECT trace_id, name FROM spans ORDER BY name")
        assert [row["name"] for row in stored] == ["execute_tool lookup", "keyed span"]
        assert stored[0]["trace_id"] == f"{2:032x}"


def test_malformed_and_oversized_messages_are_refused_for_good(tmp_path: Path):
    with server(tmp_path, max_body_bytes=200_000, max_queued_rows=100) as live:
        garbage = refusal(live.grpc, b"\xff\x00not protobuf")
        assert garbage.code() == grpc.StatusCode.INVALID_ARGUMENT
        assert "not an OTLP protobuf message" in garbage.details()
        too_large = refusal(live.grpc, span_request(0, 10, "big", padding=25_000))
        assert too_large.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
        # Compressed, it is a few kilobytes: the limit holds for what it inflates to.
        inflates = refusal(live.grpc, span_request(0, 10, "big", padding=250_000), gzip=True)
        assert inflates.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
        # What fits, compressed, is stored.
        assert export_raw(live.grpc, span_request(0, 10, "small"), gzip=True) == b""
        # More spans than the queue ever holds: retrying cannot help (HTTP's 413).
        never_fits = refusal(live.grpc, span_request(0, 512, "many"))
        assert never_fits.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
        assert "send smaller batches" in never_fits.details()
        for refused in (garbage, too_large, inflates, never_fits):
            assert retry_delay(refused) is None
        assert live.store.rows("SELECT DISTINCT service FROM spans") == [{"service": "small"}]


def test_a_full_queue_is_unavailable_with_a_retry_delay_and_keeps_what_it_took(tmp_path: Path):
    with server(tmp_path, max_queued_rows=600) as live:
        first: list[bytes] = []
        # While the store is busy (a long query holds it), the first batch waits in the queue.
        with live.store._lock:
            sender = threading.Thread(
                target=lambda: first.append(export_raw(live.grpc, span_request(0, 512, "q")))
            )
            sender.start()
            deadline = time.monotonic() + 30
            while live.intake.queued_rows < 512:  # type: ignore[attr-defined]
                assert time.monotonic() < deadline, "the first batch never queued"
                time.sleep(0.01)
            busy = refusal(live.grpc, span_request(1000, 512, "q"))
        sender.join(timeout=60)
        assert live.store.rows("SELECT count(*) AS n FROM spans") == [{"n": 512}]
    assert busy.code() == grpc.StatusCode.UNAVAILABLE and "retry" in busy.details()
    assert retry_delay(busy) == 2
    assert first == [b""]  # answered once committed, with no partial success


def test_spans_the_store_refuses_are_a_partial_success_as_over_http(tmp_path: Path):
    request = ExportTraceServiceRequest.FromString(span_request(0, 2, "partial"))
    request.resource_spans[0].scope_spans[0].spans[1].trace_id = b"\x01" * 4
    body = request.SerializeToString()
    with server(tmp_path) as live:
        over_grpc = ExportTraceServiceResponse.FromString(export_raw(live.grpc, body))
        over_http = httpx.post(f"{live.url}/v1/traces", content=body, headers=PROTOBUF)
        stored = live.store.rows("SELECT trace_id FROM spans")
    assert over_grpc.partial_success.rejected_spans == 1
    assert "trace id" in over_grpc.partial_success.error_message
    assert over_grpc == ExportTraceServiceResponse.FromString(over_http.content)
    assert [row["trace_id"] for row in stored] == [f"{0:032x}"] * 2  # once per transport


def test_the_stub_of_opentelemetry_proto_talks_to_it(tmp_path: Path):
    with server(tmp_path) as live, grpc.insecure_channel(live.grpc) as channel:
        request = ExportTraceServiceRequest.FromString(span_request(7, 3, "stub"))
        answer = TraceServiceStub(channel).Export(request, timeout=60)
        assert not answer.HasField("partial_success")
        listing = httpx.get(f"{live.url}/api/traces", params={"service": "stub"}).json()
        assert listing["count"] == 3


# -- swarmscope serve ----------------------------------------------------------------------


def test_serve_prints_both_addresses_and_takes_a_grpc_export(tmp_path: Path):
    process = subprocess.Popen(
        serve_command(tmp_path / "data", "--decode-processes", "0", grpc_port="0"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline().strip()
        assert line.startswith(READY) and line.endswith("(OTLP/gRPC)"), line
        url, _, address, _ = line.removeprefix(READY).split()
        assert url.startswith("http://127.0.0.1:") and address.startswith("127.0.0.1:")
        tracing = TracerProvider(resource=Resource.create({"service.name": "cli-grpc"}))
        tracing.add_span_processor(
            SimpleSpanProcessor(OTLPSpanExporter(address, insecure=True, timeout=30))
        )
        with tracing.get_tracer("t").start_as_current_span("over grpc"):
            pass
        tracing.shutdown()
        [summary] = httpx.get(f"{url}/api/traces", params={"service": "cli-grpc"}).json()["traces"]
        assert summary["root"] == "over grpc"
    finally:
        process.send_signal(signal.SIGTERM)
        _, errors = process.communicate(timeout=60)
    # Stopped cleanly, the gRPC server too (uvicorn ends by re-raising the signal it caught).
    assert process.returncode == -signal.SIGTERM, errors
    assert "Traceback" not in errors


def test_serve_refuses_a_taken_grpc_port_and_can_go_without_grpc(tmp_path: Path):
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            serve_command(tmp_path, grpc_port=str(port)),
            capture_output=True,
            text=True,
            timeout=60,
            env={**os.environ},
        )
    assert result.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port} (OTLP/gRPC)" in result.stderr
    assert "Traceback" not in result.stderr
    process = subprocess.Popen(
        serve_command(tmp_path, "--decode-processes", "0"),
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline().strip()
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)
    assert line.startswith(READY) and "gRPC" not in line
    assert line.removeprefix(READY).split() == [line.split()[-1]]


def test_a_store_failure_is_internal_with_its_reason(tmp_path: Path):
    with server(tmp_path) as live:
        live.store.close()  # the database is gone from under the intake
        failed = refusal(live.grpc, span_request(0, 1, "lost"))
    assert failed.code() == grpc.StatusCode.INTERNAL
    assert failed.details().startswith("internal error: ")
    assert retry_delay(failed) is None
