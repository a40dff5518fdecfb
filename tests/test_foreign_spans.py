"""ss.count_other_spans: the catalog's metrics from other instrumentors' spans, in process.

The real instrumentors (OpenInference's OpenAI and LangChain ones, the official OTel GenAI
OpenAI one) against the fake OpenAI server on loopback and LangGraph with a fake chat model;
what is asserted is what ``/metrics`` then says, and that nothing is counted twice.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, TypedDict

import openai
import pytest
from langchain_core.language_models.fake_chat_models import FakeListChatModel
from langgraph.graph import END, START, StateGraph
from openinference.instrumentation.langchain import LangChainInstrumentor
from openinference.instrumentation.openai import OpenAIInstrumentor as OpenInferenceOpenAI
from opentelemetry.instrumentation.openai_v2 import OpenAIInstrumentor as GenAIOpenAI
from opentelemetry.trace import SpanKind, Status, StatusCode

import swarmscope as ss
from fixtures.recorders import fake_llm
from swarmscope import integrations
from swarmscope.prices import price_for

OPENINFERENCE_OPENAI = "openinference.instrumentation.openai"
MODEL = "gpt-4o-mini"


@pytest.fixture
def fake_openai() -> Iterator[openai.OpenAI]:
    with fake_llm.running() as server:
        yield openai.OpenAI(base_url=fake_llm.base_url(server), api_key="test-key")


@pytest.fixture
def counting(telemetry) -> Iterator[Any]:
    provider = telemetry.rt.tracer_provider
    processor = ss.count_other_spans(provider)
    assert ss.count_other_spans(provider) is processor  # once per provider
    yield telemetry


def instrumented(instrumentor: Any, telemetry) -> Any:
    instrumentor.instrument(tracer_provider=telemetry.rt.tracer_provider)
    return instrumentor


def ask(client: openai.OpenAI) -> None:
    client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "Weather?"}])


def test_openinference_openai_calls_fill_the_llm_families(counting, fake_openai):
    instrumentor = instrumented(OpenInferenceOpenAI(), counting)
    try:
        with ss.agent_run("writer"):
            ask(fake_openai)
    finally:
        instrumentor.uninstrument()

    labels = {"model": MODEL, "provider": "openai", "agent_type": "writer"}
    assert counting.metric("llm_requests_total", **labels, status="success") == 1
    assert counting.metric("llm_request_duration_seconds_count", **labels) == 1
    assert counting.metric("llm_tokens_total", **labels, token_type="input") == 42
    assert counting.metric("llm_tokens_total", **labels, token_type="output") == 17
    price = price_for(MODEL, "openai")
    assert price is not None
    cost = counting.metric("llm_cost_usd_total", **labels)
    assert cost == pytest.approx(price.cost(42, 17, fake_llm.CACHED_TOKENS))
    # The app's own agent run is counted once, by its call.
    assert counting.metric(
        "agent_sessions_total", agent_type="writer", status="success", operation="run"
    )
    assert [s.name for s in counting.spans()] == ["ChatCompletion", "invoke_agent writer"]


def test_official_genai_openai_calls_fill_the_llm_families(counting, fake_openai):
    instrumentor = instrumented(GenAIOpenAI(), counting)
    try:
        ask(fake_openai)
    finally:
        instrumentor.uninstrument()

    labels = {"model": MODEL, "provider": "openai", "agent_type": "unknown"}
    assert counting.metric("llm_requests_total", **labels, status="success") == 1
    assert counting.metric("llm_tokens_total", **labels, token_type="input") == 42
    assert counting.metric("llm_tokens_total", **labels, token_type="output") == 17
    assert counting.metric("llm_cost_usd_total", **labels) > 0


def test_a_covered_scope_is_left_to_its_integration(counting, fake_openai, monkeypatch):
    monkeypatch.setattr(integrations, "covered_scopes", {OPENINFERENCE_OPENAI})
    instrumentor = instrumented(OpenInferenceOpenAI(), counting)
    try:
        ask(fake_openai)
    finally:
        instrumentor.uninstrument()

    assert [s.name for s in counting.spans()] == ["ChatCompletion"]
    assert (
        counting.metric(
            "llm_requests_total",
            model=MODEL,
            provider="openai",
            agent_type="unknown",
            status="success",
        )
        == 0
    )


def test_a_call_the_app_wraps_in_its_swarmscope_call_is_counted_once(counting, fake_openai):
    instrumentor = instrumented(OpenInferenceOpenAI(), counting)
    try:
        with ss.agent_run("writer"), ss.llm_call(MODEL, provider="openai") as llm:
            ask(fake_openai)
            llm.record_usage(input_tokens=42, output_tokens=17)
    finally:
        instrumentor.uninstrument()

    labels = {"model": MODEL, "provider": "openai", "agent_type": "writer"}
    assert counting.metric("llm_requests_total", **labels, status="success") == 1
    assert counting.metric("llm_tokens_total", **labels, token_type="input") == 42
    spans = {s.name: s for s in counting.spans()}
    assert spans["ChatCompletion"].parent.span_id == spans[f"chat {MODEL}"].context.span_id


class Draft(TypedDict):
    topic: str
    notes: str
    text: str


def test_langgraph_nodes_are_agent_runs_and_their_calls_are_theirs(counting):
    research = FakeListChatModel(responses=["notes on the topic"])
    write = FakeListChatModel(responses=["the finished text"])

    def researcher(state: Draft) -> dict[str, str]:
        return {"notes": str(research.invoke(state["topic"]).content)}

    def writer(state: Draft) -> dict[str, str]:
        return {"text": str(write.invoke(state["notes"]).content)}

    graph = StateGraph(Draft)
    graph.add_node("researcher", researcher)
    graph.add_node("writer", writer)
    graph.add_edge(START, "researcher")
    graph.add_edge("researcher", "writer")
    graph.add_edge("writer", END)
    app = graph.compile()

    instrumentor = instrumented(LangChainInstrumentor(), counting)
    try:
        result = app.invoke({"topic": "tides", "notes": "", "text": ""})
    finally:
        instrumentor.uninstrument()

    assert result["text"] == "the finished text"
    for node in ("researcher", "writer"):
        assert (
            counting.metric(
                "agent_sessions_total", agent_type=node, status="success", operation="run"
            )
            == 1
        )
        assert (
            counting.metric(
                "agent_session_duration_seconds_count", agent_type=node, operation="run"
            )
            == 1
        )
        # The model call inside the node: its agent is the node, found when the node ended.
        calls = [
            sample
            for family in counting.rt.metrics.registry.collect()
            if family.name == "sergas_llm_requests"
            for sample in family.samples
            if sample.name.endswith("_total") and sample.labels["agent_type"] == node
        ]
        assert sum(sample.value for sample in calls) == 1, calls


def test_tool_handoff_and_wait_spans_and_a_late_agent(counting):
    tracer = counting.rt.tracer_provider.get_tracer("another.instrumentor")
    # An agent run that names its agent only when it ends, as OpenInference does.
    with tracer.start_as_current_span("invoke_agent", kind=SpanKind.INTERNAL) as run:
        with tracer.start_as_current_span(
            "execute_tool search",
            attributes={"gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "search"},
        ) as tool:
            tool.set_status(Status(StatusCode.ERROR, "no results"))
        with tracer.start_as_current_span(
            "handoff",
            attributes={
                "gen_ai.operation.name": "handoff",
                "swarmscope.handoff.to_agent": "editor",
            },
        ):
            pass
        with tracer.start_as_current_span(
            "approve", attributes={"a2a.task.state": "input-required"}
        ):
            pass
        with tracer.start_as_current_span(
            "chat other-model",
            attributes={
                "gen_ai.operation.name": "chat",
                "gen_ai.request.model": "no-such-model-anywhere",
                "gen_ai.usage.input_tokens": "not a number",
                "gen_ai.usage.output_tokens": 5.0,
            },
        ):
            pass
        run.set_attributes({"gen_ai.operation.name": "invoke_agent", "gen_ai.agent.name": "scout"})

    assert (
        counting.metric(
            "agent_sessions_total", agent_type="scout", status="success", operation="run"
        )
        == 1
    )
    assert (
        counting.metric(
            "agent_tool_calls_total", agent_type="scout", tool_name="search", status="failure"
        )
        == 1
    )
    assert (
        counting.metric(
            "agent_handoffs_total", from_agent="scout", to_agent="editor", status="success"
        )
        == 1
    )
    assert (
        counting.metric(
            "hitl_approvals_requested_total", approval_type="input_required", agent_type="scout"
        )
        == 1
    )
    labels = {"model": "no-such-model-anywhere", "provider": "unknown", "agent_type": "scout"}
    assert counting.metric("llm_requests_total", **labels, status="success") == 1
    assert counting.metric("llm_tokens_total", **labels, token_type="output") == 5
    assert counting.metric("llm_tokens_total", **labels, token_type="input") == 0
    assert (
        counting.metric(
            "llm_price_missing_total", model="no-such-model-anywhere", provider="unknown"
        )
        == 1
    )
    assert counting.metric("telemetry_instrumentation_errors_total", where="other_spans") == 0


def test_a_call_under_no_agent_is_counted_when_its_root_ends(counting):
    tracer = counting.rt.tracer_provider.get_tracer("another.instrumentor")
    with tracer.start_as_current_span("workflow"):
        with tracer.start_as_current_span(
            "execute_tool search",
            attributes={"gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "search"},
        ):
            pass
        assert (
            counting.metric(
                "agent_tool_calls_total", agent_type="unknown", tool_name="search", status="success"
            )
            == 0
        )  # it waits for an ancestor that may name its agent
    assert (
        counting.metric(
            "agent_tool_calls_total", agent_type="unknown", tool_name="search", status="success"
        )
        == 1
    )
