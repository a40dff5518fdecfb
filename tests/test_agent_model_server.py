"""The agent model through a real server: spans shaped as other instrumentors send them,
exported by the real OpenTelemetry SDK over OTLP/HTTP, read back through the HTTP API.

(The payloads recorded from the instrumentors themselves are fed in
``test_agent_model_fixtures``; these shapes cover what a recording cannot vary: the rule
for edges, both runs of one thread, a wait of each kind, a log written in a tool.)
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from genai_prices import Usage, calc_price
from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk._logs import LoggerProvider, LoggingHandler
from opentelemetry.sdk._logs.export import SimpleLogRecordProcessor
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import Tracer, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.trace import Status, StatusCode


@contextmanager
def tracer(server: str, service: str) -> Iterator[Tracer]:
    provider = TracerProvider(resource=Resource.create({"service.name": service}))
    provider.add_span_processor(SimpleSpanProcessor(OTLPSpanExporter(f"{server}/v1/traces")))
    try:
        yield provider.get_tracer("instrumentor")
    finally:
        provider.shutdown()


def get(server: str, path: str, **params: Any) -> Any:
    response = httpx.get(f"{server}{path}", params=params, timeout=30)
    assert response.status_code == 200, response.text
    return response.json()


def edges(server: str) -> dict[tuple[str, str, str], dict[str, Any]]:
    graph = get(server, "/api/agents/graph")
    return {(e["kind"], e["source"], e["target"]): e for e in graph["edges"]}


def agents_sdk_run(tracer: Tracer) -> None:
    """The OpenAI Agents SDK through OpenInference: the trace's root, the triage agent, its
    handoff span, then the agent it handed to (which names the triage agent as parent)."""
    oi = {"llm.system": "openai"}
    with tracer.start_as_current_span(
        "Agent workflow", attributes={"openinference.span.kind": "AGENT"}
    ):
        with tracer.start_as_current_span(
            "Triage agent",
            attributes={**oi, "openinference.span.kind": "AGENT", "graph.node.id": "Triage agent"},
        ):
            with tracer.start_as_current_span(
                "response",
                attributes={
                    **oi,
                    "openinference.span.kind": "LLM",
                    "llm.model_name": "gpt-4o-mini-2024-07-18",
                    "llm.provider": "openai",
                    "llm.token_count.prompt": 1000,
                    "llm.token_count.completion": 50,
                },
            ):
                pass
            with tracer.start_as_current_span(
                "handoff to Weather agent", attributes={**oi, "openinference.span.kind": "TOOL"}
            ):
                pass
        with tracer.start_as_current_span(
            "Weather agent",
            attributes={
                **oi,
                "openinference.span.kind": "AGENT",
                "graph.node.id": "Weather agent",
                "graph.node.parent_id": "Triage agent",
            },
        ):
            with tracer.start_as_current_span(
                "get_weather", attributes={**oi, "openinference.span.kind": "TOOL"}
            ):
                pass


def test_agents_sdk_handoff_is_one_edge_and_one_counted_handoff(server: str):
    with tracer(server, "agents-sdk") as spans:
        agents_sdk_run(spans)
    found = edges(server)
    # The handoff span and the target's graph.node.parent_id say the same handoff: one edge.
    assert set(found) == {("handoff", "Triage agent", "Weather agent")}
    assert found[("handoff", "Triage agent", "Weather agent")]["count"] == 1
    nodes = {node["id"] for node in get(server, "/api/agents/graph")["nodes"]}
    assert {"Triage agent", "Weather agent"} <= nodes
    handoffs = get(
        server, "/api/handoffs", from_agent="Triage agent", to_agent="Weather agent", settle_s=0
    )
    assert handoffs["handoffs"] == 1
    weather = get(server, "/api/agents/Weather agent")
    assert [tool["name"] for tool in weather["tools"]] == ["get_weather"]
    triage = get(server, "/api/agents/Triage agent")
    [model] = triage["models"]
    expected = calc_price(
        Usage(input_tokens=1000, output_tokens=50), "gpt-4o-mini-2024-07-18", provider_id="openai"
    )
    assert model["input_tokens"] == 1000 and model["output_tokens"] == 50
    assert model["cost_usd"] == pytest.approx(float(expected.total_price)) and model["cost_usd"] > 0


def langgraph_run(tracer: Tracer, thread: str, interrupted: bool) -> None:
    """LangGraph through OpenInference: the graph's root chain, a supervisor node, then a
    worker node after it (siblings, as LangGraph runs them); the first run stops at an
    interrupt, the second resumes on the same thread."""

    def metadata(node: str) -> dict[str, str]:
        data = {"langgraph_node": node, "thread_id": thread, "langgraph_step": 1}
        return {"metadata": json.dumps(data), "session.id": thread}

    with tracer.start_as_current_span(
        "LangGraph", attributes={"openinference.span.kind": "CHAIN", **metadata("__start__")}
    ):
        with tracer.start_as_current_span(
            "supervisor", attributes={"openinference.span.kind": "CHAIN", **metadata("supervisor")}
        ):
            with tracer.start_as_current_span(
                "ChatOpenAI",
                attributes={
                    "openinference.span.kind": "LLM",
                    "llm.model_name": "gpt-4o",
                    "llm.provider": "openai",
                    "llm.token_count.prompt": 200,
                    "llm.token_count.completion": 20,
                    **metadata("supervisor"),
                },
            ):
                pass
        with tracer.start_as_current_span(
            "worker", attributes={"openinference.span.kind": "CHAIN", **metadata("worker")}
        ):
            with tracer.start_as_current_span(
                "search", attributes={"openinference.span.kind": "TOOL", **metadata("worker")}
            ):
                pass
        if interrupted:
            # interrupt() raises GraphInterrupt in the node; OpenInference records it as an
            # exception event and leaves the status OK.
            with tracer.start_as_current_span(
                "review", attributes={"openinference.span.kind": "CHAIN", **metadata("review")}
            ) as review:
                review.add_event("exception", {"exception.type": "langgraph.errors.GraphInterrupt"})


def test_langgraph_nodes_edge_session_and_interrupt(server: str):
    with tracer(server, "langgraph-app") as spans:
        langgraph_run(spans, "thread-42", interrupted=True)
        langgraph_run(spans, "thread-42", interrupted=False)
    found = edges(server)
    assert ("sequence", "supervisor", "worker") in found
    assert found[("sequence", "supervisor", "worker")]["count"] == 2
    nodes = {node["id"] for node in get(server, "/api/agents/graph")["nodes"]}
    assert nodes == {"supervisor", "worker", "review"}  # not __start__ nor runnables inside

    [session] = get(server, "/api/sessions")["sessions"]
    assert (session["id"], session["runs"], session["llm_calls"]) == ("thread-42", 2, 2)
    assert session["agents"] == ["review", "supervisor", "worker"] and session["waits"] == 1
    assert (session["input_tokens"], session["output_tokens"]) == (400, 40)
    one = float(
        calc_price(
            Usage(input_tokens=200, output_tokens=20), "gpt-4o", provider_id="openai"
        ).total_price
    )
    assert session["cost_usd"] == pytest.approx(2 * one)

    detail = get(server, "/api/sessions/thread-42")
    first, second = detail["runs"]
    assert first["start_ns"] <= second["start_ns"]
    assert (first["root"], first["agent"], first["waits"]) == ("LangGraph", "supervisor", 1)
    assert second["waits"] == 0 and second["status"] == "ok"
    assert detail["totals"]["runs"] == 2 and detail["totals"]["cost_usd"] == pytest.approx(2 * one)
    assert httpx.get(f"{server}/api/sessions/nobody").status_code == 404

    waits = get(server, "/api/waits")
    assert waits["by_kind"] == {"interrupt": 1}
    [wait] = waits["waits"]
    assert (wait["session"], wait["name"], wait["agent"]) == ("thread-42", "review", "review")


def test_a2a_input_required_and_traceloop_session(server: str):
    with tracer(server, "a2a-client") as spans:
        with spans.start_as_current_span(
            "SendMessage",
            attributes={"a2a.task.state": "input-required", "gen_ai.agent.name": "booking"},
        ):
            pass
        with spans.start_as_current_span(
            "planner.agent",
            attributes={
                "traceloop.span.kind": "agent",
                "traceloop.entity.name": "planner",
                "traceloop.association.properties.session_id": "s-7",
            },
        ):
            pass
    waits = get(server, "/api/waits", kind="input_required")
    assert [(w["kind"], w["agent"]) for w in waits["waits"]] == [("input_required", "booking")]
    [session] = get(server, "/api/sessions")["sessions"]
    assert (session["id"], session["agents"]) == ("s-7", ["planner"])


def test_a_handler_log_in_a_tool_is_the_agents(server: str):
    """A record from the standard OTel logging handler carries its span's ids only; the
    server names the agent whose run the span is in."""
    logs = LoggerProvider(resource=Resource.create({"service.name": "agents-sdk"}))
    logs.add_log_record_processor(SimpleLogRecordProcessor(OTLPLogExporter(f"{server}/v1/logs")))
    logger = logging.getLogger("test_agent_model_server.tool")
    handler = LoggingHandler(logger_provider=logs)
    logger.addHandler(handler)
    logger.propagate = False
    try:
        with tracer(server, "agents-sdk") as spans:
            with (
                spans.start_as_current_span(
                    "Weather agent",
                    attributes={
                        "openinference.span.kind": "AGENT",
                        "graph.node.id": "Weather agent",
                    },
                ),
                spans.start_as_current_span(
                    "get_weather", attributes={"openinference.span.kind": "TOOL"}
                ),
            ):
                logger.warning("the weather service is slow")
            with spans.start_as_current_span("unrelated") as span:
                span.set_status(Status(StatusCode.OK))
                logger.warning("outside any agent")
    finally:
        logger.removeHandler(handler)
        logs.shutdown()
    records = {log["body"]: log for log in get(server, "/api/logs")["logs"]}
    assert records["the weather service is slow"]["agent"] == "Weather agent"
    assert records["outside any agent"]["agent"] is None
    mine = get(server, "/api/logs", agent="Weather agent")["logs"]
    assert [log["body"] for log in mine] == ["the weather service is slow"]


def test_the_new_routes_are_documented(server: str):
    paths = get(server, "/openapi.json")["paths"]
    for path in ("/api/sessions", "/api/sessions/{session}", "/api/waits"):
        assert "get" in paths[path] and paths[path]["get"]["summary"], path
    parameters = {p["name"] for p in paths["/api/sessions"]["get"]["parameters"]}
    assert {"start", "end", "service", "limit"} <= parameters


def test_an_unknown_wait_kind_is_refused(server: str):
    response = httpx.get(f"{server}/api/waits", params={"kind": "coffee"})
    assert response.status_code == 400 and "approval" in response.text


def test_a_session_whose_id_has_a_slash_opens(server: str):
    session_id = "user/42 #1"
    with tracer(server, "planner-svc") as spans:
        with spans.start_as_current_span(
            "planner.agent",
            attributes={
                "traceloop.span.kind": "agent",
                "traceloop.entity.name": "planner",
                "traceloop.association.properties.session_id": session_id,
            },
        ):
            pass
    detail = get(server, f"/api/sessions/{quote(session_id, safe='')}")
    assert (detail["id"], detail["totals"]["runs"]) == (session_id, 1)
