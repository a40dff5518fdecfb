"""The embedded server's OTLP intake and trace API, over real HTTP."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor

import swarmscope as ss
from loopback import serve
from swarmscope.server.app import create_app
from swarmscope.server.settings import ServerSettings
from swarmscope.server.store.database import Store


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    store = Store(tmp_path / "store.duckdb")
    try:
        with serve(create_app(store, ServerSettings(max_body_bytes=200_000))) as url:
            yield url
    finally:
        store.close()


def test_swarmscope_spans_and_logs_arrive_as_a_tree(server: str, tmp_path: Path):
    ss.shutdown()
    ss.init(service_name="agents", otlp_endpoint=server, log_stream="none")
    try:
        with ss.agent_run("memory_analyst"):
            with ss.tool_call("recall_history"):
                pass
            with ss.llm_call("gpt-4o", provider="openai") as llm:
                llm.record_usage(input_tokens=812, output_tokens=164)
    finally:
        ss.shutdown()
    listing = httpx.get(f"{server}/api/traces", params={"agent": "memory_analyst"}).json()
    assert listing["count"] == 1
    summary = listing["traces"][0]
    assert summary["root"] == "invoke_agent memory_analyst" and summary["spans"] == 3
    assert summary["services"] == ["agents"]
    trace = httpx.get(f"{server}/api/traces/{summary['trace_id']}").json()
    [root] = trace["tree"]
    assert root["agent"] == "memory_analyst" and root["operation"] == "invoke_agent"
    children = {child["name"]: child for child in root["children"]}
    assert children["execute_tool recall_history"]["tool"] == "recall_history"
    chat = children["chat gpt-4o"]
    assert (chat["model"], chat["input_tokens"], chat["output_tokens"]) == ("gpt-4o", 812, 164)


def test_the_official_exporter_with_gzip(server: str):
    from opentelemetry.exporter.otlp.proto.http import Compression

    provider = TracerProvider(resource=Resource.create({"service.name": "plain-otel"}))
    exporter = OTLPSpanExporter(f"{server}/v1/traces", compression=Compression.Gzip)
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = provider.get_tracer("t")
    with tracer.start_as_current_span("outer"), tracer.start_as_current_span("inner"):
        pass
    provider.shutdown()
    [summary] = httpx.get(f"{server}/api/traces", params={"service": "plain-otel"}).json()["traces"]
    assert summary["root"] == "outer" and summary["spans"] == 2


def test_otlp_json_with_openinference_attributes(server: str):
    trace_id, span_id = "5b8efff798038103d269b633813fc60c", "eee19b7ec3c1b174"
    payload = {
        "resourceSpans": [
            {
                "resource": {
                    "attributes": [{"key": "service.name", "value": {"stringValue": "oi-app"}}]
                },
                "scopeSpans": [
                    {
                        "spans": [
                            {
                                "traceId": trace_id,
                                "spanId": span_id,
                                "name": "ChatOpenAI",
                                "kind": 3,
                                "startTimeUnixNano": "1700000000000000000",
                                "endTimeUnixNano": "1700000001500000000",
                                "attributes": [
                                    {
                                        "key": "openinference.span.kind",
                                        "value": {"stringValue": "LLM"},
                                    },
                                    {
                                        "key": "llm.model_name",
                                        "value": {"stringValue": "gpt-4o-mini"},
                                    },
                                    {"key": "llm.token_count.prompt", "value": {"intValue": "120"}},
                                    {
                                        "key": "llm.token_count.completion",
                                        "value": {"intValue": "30"},
                                    },
                                    {"key": "agent.name", "value": {"stringValue": "planner"}},
                                ],
                                "status": {"code": 2, "message": "rate limited"},
                            }
                        ]
                    }
                ],
            }
        ]
    }
    answer = httpx.post(f"{server}/v1/traces", json=payload)
    assert answer.status_code == 200 and answer.json() == {}
    [span] = httpx.get(f"{server}/api/traces/{trace_id}").json()["tree"]
    assert span["span_id"] == span_id and span["kind"] == "client"
    assert (span["operation"], span["agent"], span["model"]) == ("chat", "planner", "gpt-4o-mini")
    assert (span["input_tokens"], span["output_tokens"]) == (120, 30)
    assert span["status"] == "error" and span["duration_ms"] == 1500
    errors = httpx.get(f"{server}/api/traces", params={"status": "error"}).json()
    assert [t["trace_id"] for t in errors["traces"]] == [trace_id]


def test_bad_input_is_answered_not_raised(server: str):
    def post(body: bytes, content_type: str, **headers: str) -> httpx.Response:
        return httpx.post(
            f"{server}/v1/traces", content=body, headers={"content-type": content_type, **headers}
        )

    garbage = post(b"\xff\x00not protobuf", "application/x-protobuf")
    assert garbage.status_code == 400 and "protobuf" in garbage.json()["error"]
    assert post(b"{not json", "application/json").status_code == 400
    assert post(b"hello", "text/plain").status_code == 415
    assert post(b"x", "application/x-protobuf", **{"content-encoding": "br"}).status_code == 415
    assert (
        post(b"not gzip", "application/x-protobuf", **{"content-encoding": "gzip"}).status_code
        == 400
    )
    bomb = post(
        gzip.compress(b"\x00" * 300_000), "application/x-protobuf", **{"content-encoding": "gzip"}
    )
    assert bomb.status_code == 413 and "inflates" in bomb.json()["error"]
    truncated = post(
        gzip.compress(b"abc" * 100)[:20], "application/x-protobuf", **{"content-encoding": "gzip"}
    )
    assert truncated.status_code == 400
    assert post(b"\x00" * 300_000, "application/x-protobuf").status_code == 413
    assert httpx.get(f"{server}/api/traces/{'0' * 32}").status_code == 404
    assert httpx.get(f"{server}/api/traces", params={"status": "bogus"}).status_code == 400
    assert httpx.get(f"{server}/api/traces", params={"limit": "many"}).status_code == 400
    assert httpx.get(f"{server}/api/traces").json() == {"traces": [], "count": 0}
    assert json.loads(garbage.text)["status"] == 400
