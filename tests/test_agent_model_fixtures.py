"""What real instrumentors send, read back as one agent model through a server's HTTP API.

Each folder of ``tests/fixtures/otlp/`` holds the OTLP/HTTP bodies one instrumentor sent in
a recorded scenario (see that folder's README). This module posts a folder's traces and
logs to a fresh server, its times moved to now as one block (so windows and sessions behave
as for live data, and the order of spans stays what was recorded), and asserts what a user
reads back: agents, edges, handoffs, tools, tokens, the server's price, sessions, waits,
messages and the agent of each log record.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from genai_prices import Usage, calc_price
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from loopback import serve
from swarmscope.definitions.query import Current, Series
from swarmscope.server.app import create_app
from swarmscope.server.namespaces import DEFAULT_NAMESPACE
from swarmscope.server.query.evaluate import evaluate_at
from swarmscope.server.store.database import Store

FIXTURES = Path(__file__).parent / "fixtures" / "otlp"
PROTOBUF = {"content-type": "application/x-protobuf"}


def _bodies(folder: Path) -> list[tuple[str, Any]]:
    """The folder's trace and log requests, parsed, in the order they were recorded."""
    found: list[tuple[str, Any]] = []
    for path in sorted(folder.glob("*.binpb")):
        signal = path.name.split("-", 1)[0]
        message = {"traces": ExportTraceServiceRequest, "logs": ExportLogsServiceRequest}.get(
            signal
        )
        if message is not None:
            request = message()
            request.ParseFromString(path.read_bytes())
            found.append((signal, request))
    return found


def _times(signal: str, request: Any) -> Iterator[tuple[Any, str]]:
    """Every (message, time field) of a request."""
    if signal == "traces":
        for group in request.resource_spans:
            for scope in group.scope_spans:
                for span in scope.spans:
                    yield span, "start_time_unix_nano"
                    yield span, "end_time_unix_nano"
                    for event in span.events:
                        yield event, "time_unix_nano"
    else:
        for group in request.resource_logs:
            for scope in group.scope_logs:
                for record in scope.log_records:
                    yield record, "time_unix_nano"
                    yield record, "observed_time_unix_nano"


def post_fixture(server: str, convention: str) -> None:
    """Post a recorded folder to ``server``, all its times shifted by one offset to now."""
    folder = FIXTURES / convention
    if not folder.is_dir():
        pytest.skip(f"no recorded fixture {folder.relative_to(Path(__file__).parent)} yet")
    bodies = _bodies(folder)
    latest = max(
        getattr(item, field)
        for signal, request in bodies
        for item, field in _times(signal, request)
    )
    shift = time.time_ns() - latest - 10**9
    for signal, request in bodies:
        for item, field in _times(signal, request):
            if getattr(item, field):
                setattr(item, field, getattr(item, field) + shift)
        response = httpx.post(
            f"{server}/v1/{signal}", content=request.SerializeToString(), headers=PROTOBUF
        )
        assert response.status_code == 200, response.text


def get(server: str, path: str, **params: Any) -> Any:
    response = httpx.get(f"{server}{path}", params=params, timeout=30)
    assert response.status_code == 200, response.text
    return response.json()


def all_spans(server: str) -> list[dict[str, Any]]:
    """Every span the server holds, flattened from the trace trees."""
    found: list[dict[str, Any]] = []

    def walk(nodes: list[dict[str, Any]]) -> None:
        for node in nodes:
            found.append(node)
            walk(node["children"])

    for summary in get(server, "/api/traces", limit=1000)["traces"]:
        walk(get(server, f"/api/traces/{summary['trace_id']}")["tree"])
    return found


def price(model: str, provider: str, input_tokens: int, output_tokens: int) -> float:
    usage = Usage(input_tokens=input_tokens, output_tokens=output_tokens)
    return float(calc_price(usage, model, provider_id=provider).total_price)


@pytest.mark.parametrize("convention", ["genai_openai", "genai_openai_latest"])
def test_genai_llm_calls_are_priced_by_the_server(server: str, convention: str):
    post_fixture(server, convention)
    chats = [span for span in all_spans(server) if span["operation"] == "chat"]
    assert len(chats) == 2
    for chat in chats:
        assert (chat["model"], chat["provider"]) == ("gpt-4o-mini", "openai")
        expected = price("gpt-4o-mini", "openai", chat["input_tokens"], chat["output_tokens"])
        assert chat["cost_usd"] == pytest.approx(expected) and chat["cost_usd"] > 0


def test_genai_latest_messages_are_a_chat(server: str):
    post_fixture(server, "genai_openai_latest")
    chats = sorted(
        (span for span in all_spans(server) if span["operation"] == "chat"),
        key=lambda span: span["start_ns"],
    )
    asked, answered = chats
    roles = [message["role"] for message in asked["messages"]]
    assert roles[:2] == ["system", "user"] and roles[-1] == "assistant"
    [call] = asked["messages"][-1]["tool_calls"]
    assert call["name"] == "get_weather"
    assert "sunny" in answered["messages"][-1]["content"]


def test_handler_logs_are_their_spans_agents(server: str):
    """The standard OTel logging handler sends text with its span's ids and no agent: the
    record written in the agent's run and the one in its tool are the agent's."""
    post_fixture(server, "otel_logging")
    records = {log["body"]: log for log in get(server, "/api/logs")["logs"]}
    assert records["planning 3 steps"]["agent"] == "planner"
    assert records["lookup slow: 1200 ms"]["agent"] == "planner"  # written inside the tool
    assert records["service starting"]["agent"] is None  # outside any span
    planner = get(server, "/api/logs", agent="planner")["logs"]
    assert sorted(log["body"] for log in planner) == [
        "lookup slow: 1200 ms",
        "planning 3 steps",
        "step failed",
    ]


def test_openinference_agents_sdk_handoff_tools_and_cost(server: str):
    post_fixture(server, "openinference_openai_agents")
    graph = get(server, "/api/agents/graph")
    nodes = {node["id"] for node in graph["nodes"]}
    assert nodes == {"Triage agent", "Weather agent"}  # not the workflow's root span
    edges = {(e["kind"], e["source"], e["target"]): e["count"] for e in graph["edges"]}
    assert edges == {("handoff", "Triage agent", "Weather agent"): 1}
    handoffs = get(
        server, "/api/handoffs", from_agent="Triage agent", to_agent="Weather agent", settle_s=0
    )
    assert handoffs["handoffs"] == 1
    weather = get(server, "/api/agents/Weather agent")
    assert [tool["name"] for tool in weather["tools"]] == ["get_weather"]
    [model] = weather["models"]
    assert model["name"] == "gpt-4o-mini" and model["calls"] == 2
    assert (model["input_tokens"], model["output_tokens"]) == (84, 34)
    llm_calls = [span for span in all_spans(server) if span["operation"] == "chat"]
    assert {span["cache_read_tokens"] for span in llm_calls} == {8}
    for span in llm_calls:
        # genai-prices with the cached tokens at the cache price (the instrumentor sent none).
        usage = Usage(input_tokens=42, output_tokens=17, cache_read_tokens=8)
        expected = float(calc_price(usage, "gpt-4o-mini").total_price)
        assert span["cost_usd"] == pytest.approx(expected) and span["cost_usd"] > 0


def test_logfire_agents_sdk_handoff_and_tools(server: str):
    post_fixture(server, "logfire_openai_agents")
    graph = get(server, "/api/agents/graph")
    assert {node["id"] for node in graph["nodes"]} == {"Triage agent", "Weather agent"}
    edges = {(e["kind"], e["source"], e["target"]): e["count"] for e in graph["edges"]}
    assert edges == {("handoff", "Triage agent", "Weather agent"): 1}
    handoffs = get(
        server, "/api/handoffs", from_agent="Triage agent", to_agent="Weather agent", settle_s=0
    )
    assert handoffs["handoffs"] == 1
    weather = get(server, "/api/agents/Weather agent")
    assert [tool["name"] for tool in weather["tools"]] == ["get_weather"]
    [model] = weather["models"]
    assert model["cost_usd"] > 0 and model["input_tokens"] == 84


def test_pydantic_ai_keeps_its_own_cost_and_conversation(server: str):
    post_fixture(server, "logfire_pydantic_ai")
    agent = get(server, "/api/agents/weather_agent")
    assert agent["runs"] == 1
    [tool] = agent["tools"]
    assert tool["name"] == "get_weather"
    [model] = agent["models"]
    assert (model["calls"], model["input_tokens"], model["output_tokens"]) == (2, 84, 34)
    # pydantic-ai priced each call itself (operation.cost): the sum of what it sent.
    assert model["cost_usd"] == pytest.approx(2 * 1.59e-05)
    [session] = get(server, "/api/sessions")["sessions"]
    assert (session["runs"], session["llm_calls"], session["agents"]) == (1, 2, ["weather_agent"])
    # The agent span's aggregated usage is not counted again beside its calls'.
    assert (session["input_tokens"], session["output_tokens"]) == (84, 34)


def test_langgraph_supervisor_worker_session_and_interrupt(server: str):
    """A supervisor routes to a worker, which calls a tool; a review node interrupts for a
    person, and the thread is resumed in a second run."""
    post_fixture(server, "openinference_langgraph")
    graph = get(server, "/api/agents/graph")
    nodes = {node["id"]: node["runs"] for node in graph["nodes"]}
    # LangGraph's nodes, not the runnables inside them nor its prebuilt tool node.
    assert nodes == {"supervisor": 1, "worker": 2, "human_review": 2}
    edges = {(e["kind"], e["source"], e["target"]): e["count"] for e in graph["edges"]}
    assert edges[("sequence", "supervisor", "worker")] == 1
    assert ("sequence", "worker", "human_review") in edges
    # The flat graph runs its tool in LangGraph's tool node, beside the worker, not inside it.
    [tool] = [span for span in all_spans(server) if span["operation"] == "execute_tool"]
    assert (tool["tool"], tool["session"]) == ("get_weather", "thread-fixture-7")
    worker = get(server, "/api/agents/worker")
    [model] = worker["models"]
    usage = Usage(input_tokens=42, output_tokens=17, cache_read_tokens=8)
    one = float(calc_price(usage, "gpt-4o-mini", provider_id="openai").total_price)
    assert model["calls"] == 2 and model["cost_usd"] == pytest.approx(2 * one)

    [session] = get(server, "/api/sessions")["sessions"]
    assert (session["id"], session["runs"], session["llm_calls"]) == ("thread-fixture-7", 2, 3)
    assert session["waits"] == 1 and session["cost_usd"] == pytest.approx(3 * one)
    first, resumed = get(server, "/api/sessions/thread-fixture-7")["runs"]
    assert (first["root"], first["agent"], first["waits"], first["llm_calls"]) == (
        "LangGraph",
        "supervisor",
        1,
        3,
    )
    assert (resumed["agent"], resumed["waits"], resumed["llm_calls"]) == ("human_review", 0, 0)

    listed = {trace["trace_id"]: trace for trace in get(server, "/api/traces")["traces"]}
    summary = listed[first["trace_id"]]
    assert (summary["llm_calls"], summary["waits"]) == (3, 1)
    assert summary["cost_usd"] == pytest.approx(3 * one)

    [wait] = get(server, "/api/waits")["waits"]
    assert (wait["kind"], wait["agent"], wait["session"]) == (
        "interrupt",
        "human_review",
        "thread-fixture-7",
    )


def test_mcp_tool_call_is_the_agents_once(server: str):
    """The MCP SDK traces a tool call on both sides; the server's span says it executes the
    tool, the client's is the request: the agent's tool is counted once."""
    post_fixture(server, "mcp")
    researcher = get(server, "/api/agents/researcher")
    assert [(tool["name"], tool["calls"]) for tool in researcher["tools"]] == [("get_weather", 1)]
    requests = [span for span in all_spans(server) if span["operation"] == "mcp"]
    assert {span["tool"] for span in requests} == {None, "get_weather"}


@pytest.mark.parametrize("convention", ["vercel_ai", "vercel_ai_legacy"])
def test_vercel_ai_sdk_agent_tool_and_priced_calls(server: str, convention: str):
    """The Vercel AI SDK's generateText with a tool: its GenAI spans (current) or its own
    ``ai.*`` ones (legacy, ``ai.telemetry.functionId`` naming the agent)."""
    post_fixture(server, convention)
    agent = get(server, "/api/agents/weather-desk")
    assert agent["runs"] == 1
    assert [(tool["name"], tool["calls"]) for tool in agent["tools"]] == [("get_weather", 1)]
    [model] = agent["models"]
    # The calls' own tokens: the agent's span sums them and is not counted again.
    assert (model["name"], model["calls"], model["input_tokens"], model["output_tokens"]) == (
        "gpt-4o-mini",
        2,
        84,
        34,
    )
    usage = Usage(input_tokens=42, output_tokens=17, cache_read_tokens=8)
    one = float(calc_price(usage, "gpt-4o-mini", provider_id="openai").total_price)
    assert model["cost_usd"] == pytest.approx(2 * one)
    calls = sorted(
        (span for span in all_spans(server) if span["operation"] == "chat"),
        key=lambda span: span["start_ns"],
    )
    assert {span["provider"] for span in calls} == {"openai"}
    asked = calls[0]["messages"]
    assert [message["role"] for message in asked][-1] == "assistant"
    assert asked[-1]["tool_calls"][0]["name"] == "get_weather"
    assert "sunny" in calls[1]["messages"][-1]["content"]


def test_genai_older_message_events_read_as_a_chat(server: str):
    """The older conventions write each message as a log record naming the call's span."""
    post_fixture(server, "genai_openai")
    asked, answered = sorted(
        (span for span in all_spans(server) if span["operation"] == "chat"),
        key=lambda span: span["start_ns"],
    )
    assert [message["role"] for message in asked["messages"]] == ["system", "user", "assistant"]
    [call] = asked["messages"][-1]["tool_calls"]
    assert call["name"] == "get_weather"
    roles = [message["role"] for message in answered["messages"]]
    assert roles == ["system", "user", "assistant", "tool", "assistant"]
    assert "sunny" in answered["messages"][-1]["content"]


def test_openllmetry_agent_calling_agent(server: str):
    """OpenLLMetry's decorators: the planner agent calls the weather agent (a child span),
    which calls a tool between two LLM calls."""
    post_fixture(server, "traceloop")
    graph = get(server, "/api/agents/graph")
    assert {node["id"]: node["runs"] for node in graph["nodes"]} == {
        "planner": 1,
        "weather_agent": 1,
    }
    edges = {(e["kind"], e["source"], e["target"]): e["count"] for e in graph["edges"]}
    assert edges == {("delegation", "planner", "weather_agent"): 1}
    weather = get(server, "/api/agents/weather_agent")
    assert [(tool["name"], tool["calls"]) for tool in weather["tools"]] == [("get_weather", 1)]
    usage = Usage(input_tokens=42, output_tokens=17, cache_read_tokens=8)
    one = float(calc_price(usage, "gpt-4o-mini", provider_id="openai").total_price)
    [model] = weather["models"]
    assert model["calls"] == 2 and model["cost_usd"] == pytest.approx(2 * one)
    # The planner's own call only: the weather agent's run is its own.
    [planned] = get(server, "/api/agents/planner")["models"]
    assert planned["calls"] == 1 and planned["cost_usd"] == pytest.approx(one)
    calls = [span for span in all_spans(server) if span["operation"] == "chat"]
    assert {(span["cache_read_tokens"], span["reasoning_tokens"]) for span in calls} == {(8, 0)}


def test_the_agents_sdk_handoff_is_counted_in_the_catalogs_handoff_family(tmp_path: Path):
    """The server counts the catalog's families from spans; the Agents SDK's handoff span
    names only its target, and is counted from the agent it was made in to that target."""
    store = Store(tmp_path / "store.duckdb")
    try:
        with serve(create_app(store)) as url:
            post_fixture(url, "openinference_openai_agents")
            query = Current(Series("agent_handoffs_total"), "sum", ("from_agent", "to_agent"))
            deadline = time.monotonic() + 30
            while True:  # the server writes its counts every few seconds
                found = {
                    (s.labels["from_agent"], s.labels["to_agent"]): s.value
                    for s in evaluate_at(store, query, DEFAULT_NAMESPACE, time.time_ns())
                }
                if found or time.monotonic() > deadline:
                    break
                time.sleep(0.2)
            assert found == {("Triage agent", "Weather agent"): 1.0}
    finally:
        store.close()
