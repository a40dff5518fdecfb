"""``ss.instrument_openai_agents()``: a real Agents SDK run against a fake OpenAI on loopback.

Two agents (Triage hands off to Specialist, who calls a function tool), and an input
guardrail on Triage whose tripwire fires on one input. What a user relies on: agent runs,
the handoff edge, tool calls by agent, the guardrail violation, model tokens and cost, and a
span tree in which each agent's span holds its tool and model calls.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
from agents import (
    Agent,
    GuardrailFunctionOutput,
    InputGuardrailTripwireTriggered,
    OpenAIResponsesModel,
    RunContextWrapper,
    Runner,
    function_tool,
    input_guardrail,
    set_trace_processors,
)
from agents.tracing import agent_span, generation_span, trace
from openai import AsyncOpenAI
from opentelemetry.sdk.trace import ReadableSpan
from tests.fixtures.recorders import fake_llm

import swarmscope as ss
from swarmscope import integrations
from swarmscope.conventions import scopes
from tests.conftest import Captured

MODEL = "gpt-4o-mini"


@function_tool
def get_weather(city: str) -> str:
    """The weather in a city."""
    return f"sunny in {city}"


@input_guardrail
def no_secrets(
    context: RunContextWrapper[Any], agent: Agent[Any], text: str | list[Any]
) -> GuardrailFunctionOutput:
    return GuardrailFunctionOutput(output_info=None, tripwire_triggered="password" in str(text))


@pytest.fixture
def llm() -> Iterator[fake_llm.FakeLLM]:
    with fake_llm.running() as server:
        yield server


@pytest.fixture
def triage(llm: fake_llm.FakeLLM) -> Agent[Any]:
    client = AsyncOpenAI(base_url=fake_llm.base_url(llm), api_key="test", max_retries=0)
    model = OpenAIResponsesModel(model=MODEL, openai_client=client)
    specialist = Agent(name="Specialist", instructions="Answer.", model=model, tools=[get_weather])
    return Agent(
        name="Triage",
        instructions="Route.",
        model=model,
        handoffs=[specialist],
        input_guardrails=[no_secrets],
    )


@pytest.fixture
def instrumented(telemetry: Captured) -> Iterator[Captured]:
    # Only swarmscope's processor: the SDK's default one would upload to OpenAI.
    set_trace_processors([])
    ss.instrument_openai_agents()
    try:
        yield telemetry
    finally:
        ss.uninstrument_openai_agents()


def _by_name(spans: list[ReadableSpan], name: str) -> list[ReadableSpan]:
    return [span for span in spans if span.name == name]


def _parent_name(spans: list[ReadableSpan], span: ReadableSpan) -> str | None:
    assert span.parent is not None, f"{span.name} has no parent"
    [parent] = [s for s in spans if s.context.span_id == span.parent.span_id]
    return parent.name


def test_a_run_records_agents_handoff_tool_model_calls_and_a_tripped_guardrail(
    instrumented: Captured, triage: Agent[Any]
) -> None:
    result = Runner.run_sync(triage, "What is the weather in Paris?")
    assert result.final_output == fake_llm.ANSWER
    with pytest.raises(InputGuardrailTripwireTriggered):
        Runner.run_sync(triage, "my password is hunter2")

    t = instrumented
    assert t.metric("agent_sessions_total", agent_type="Triage", status="success", operation="run")
    assert t.metric("agent_sessions_total", agent_type="Specialist", status="success", operation="run") == 1  # fmt: skip
    assert t.metric("agent_sessions_total", agent_type="Triage", status="failure", operation="run") == 1  # fmt: skip
    assert t.metric("agent_handoffs_total", from_agent="Triage", to_agent="Specialist", status="success") == 1  # fmt: skip
    assert t.metric("agent_handoff_duration_seconds_count", from_agent="Triage", to_agent="Specialist") == 1  # fmt: skip
    assert t.metric("agent_tool_calls_total", agent_type="Specialist", tool_name="get_weather", status="success") == 1  # fmt: skip
    assert t.metric("guardrail_violations_total", guardrail="no_secrets", action="blocked") == 1
    # Three model calls in the good run (hand off, call the tool, answer); the tripped run's
    # model call may or may not have gone out before the guardrail stopped it.
    specialist_input = t.metric(
        "llm_tokens_total",
        model=MODEL,
        provider="openai",
        agent_type="Specialist",
        token_type="input",
    )
    assert specialist_input == 2 * fake_llm.PROMPT_TOKENS
    assert t.metric("llm_tokens_total", model=MODEL, provider="openai", agent_type="Specialist", token_type="output") == 2 * fake_llm.COMPLETION_TOKENS  # fmt: skip
    assert t.metric("llm_cost_usd_total", model=MODEL, provider="openai", agent_type="Specialist") > 0  # fmt: skip
    assert t.metric("workflow_executions_total", workflow_name="Agent workflow", status="success") == 1  # fmt: skip
    assert t.metric("workflow_executions_total", workflow_name="Agent workflow", status="failure") == 1  # fmt: skip
    assert t.total("telemetry_instrumentation_errors_total") == 0

    spans = t.spans()
    [specialist] = _by_name(spans, "invoke_agent Specialist")
    assert _parent_name(spans, specialist) == "workflow Agent workflow"
    assert _parent_name(spans, t.span("execute_tool get_weather")) == "invoke_agent Specialist"
    model_calls = _by_name(spans, f"chat {MODEL}")
    assert {_parent_name(spans, span) for span in model_calls} == {
        "invoke_agent Triage",
        "invoke_agent Specialist",
    }
    assert all(span.attributes["gen_ai.usage.input_tokens"] for span in model_calls)
    handoff = next(s for s in spans if s.name.startswith("handoff Triage"))
    assert _parent_name(spans, handoff) == "invoke_agent Triage"
    # The handing agent's span and the next agent's are linked by the handoff.
    assert [link.context.span_id for link in specialist.links] == [handoff.context.span_id]
    [failed] = t.events("agent_execution_failed")
    assert failed["agent_id"] == "Triage"
    assert failed["error_message"] == "Guardrail tripwire triggered"
    [violation] = t.events("guardrail_violation_detected")
    assert violation["guardrail"] == "no_secrets" and violation["agent_id"] == "Triage"
    [tool_log] = t.events("tool_call_completed")
    assert tool_log["agent_id"] == "Specialist"
    assert tool_log["trace_id"] == format(specialist.context.trace_id, "032x")


def test_a_streamed_run_is_recorded_like_a_plain_one(
    instrumented: Captured, triage: Agent[Any]
) -> None:
    async def run() -> None:
        streamed = Runner.run_streamed(triage, "What is the weather in Paris?")
        async for _ in streamed.stream_events():
            pass

    asyncio.run(run())
    t = instrumented
    assert t.metric("agent_sessions_total", agent_type="Specialist", status="success", operation="run") == 1  # fmt: skip
    assert t.metric("agent_handoffs_total", from_agent="Triage", to_agent="Specialist", status="success") == 1  # fmt: skip
    assert t.metric("llm_tokens_total", model=MODEL, provider="openai", agent_type="Triage", token_type="input") == fake_llm.PROMPT_TOKENS  # fmt: skip
    assert t.total("telemetry_instrumentation_errors_total") == 0


def test_with_openinference_on_too_each_call_is_counted_once(
    instrumented: Captured, triage: Agent[Any]
) -> None:
    from openinference.instrumentation.openai_agents import OpenAIAgentsInstrumentor

    instrumentor = OpenAIAgentsInstrumentor()
    # By default it replaces every processor the SDK has, swarmscope's among them.
    instrumentor.instrument(
        tracer_provider=instrumented.rt.tracer_provider, exclusive_processor=False
    )
    try:
        Runner.run_sync(triage, "What is the weather in Paris?")
    finally:
        instrumentor.uninstrument()
    t = instrumented
    assert set(scopes.OPENAI_AGENTS) <= integrations.covered_scopes
    assert t.metric("agent_sessions_total", agent_type="Specialist", status="success", operation="run") == 1  # fmt: skip
    assert t.metric("agent_handoffs_total", from_agent="Triage", to_agent="Specialist", status="success") == 1  # fmt: skip
    assert t.metric("agent_tool_calls_total", agent_type="Specialist", tool_name="get_weather", status="success") == 1  # fmt: skip
    assert t.metric("llm_tokens_total", model=MODEL, provider="openai", agent_type="Triage", token_type="input") == fake_llm.PROMPT_TOKENS  # fmt: skip
    # OpenInference's spans are there too, under its own scope, which swarmscope leaves alone.
    theirs = [s for s in t.spans() if s.instrumentation_scope.name in scopes.OPENAI_AGENTS]
    assert theirs


def test_the_openai_client_wrapper_leaves_the_agents_model_calls_to_this_integration(
    instrumented: Captured, triage: Agent[Any]
) -> None:
    ss.instrument_openai()
    try:
        Runner.run_sync(triage, "What is the weather in Paris?")
    finally:
        ss.uninstrument_openai()
    t = instrumented
    assert t.metric("llm_requests_total", model=MODEL, provider="openai", agent_type="Triage", status="success") == 1  # fmt: skip
    assert len(_by_name(t.spans(), f"chat {MODEL}")) == 3


def test_uninstrumented_runs_record_nothing(instrumented: Captured, triage: Agent[Any]) -> None:
    ss.uninstrument_openai_agents()
    Runner.run_sync(triage, "What is the weather in Paris?")
    assert instrumented.metric("agent_sessions_total", agent_type="Triage", status="success", operation="run") == 0  # fmt: skip
    assert not set(scopes.OPENAI_AGENTS) & integrations.covered_scopes


def test_a_generation_through_a_router_names_its_provider(instrumented: Captured) -> None:
    # What a LiteLLM-backed agent traces: a generation span named provider/model.
    with trace("Routed"), agent_span("Writer"):
        with generation_span(model="anthropic/claude-haiku-4-5") as generation:
            generation.span_data.usage = {"input_tokens": 100, "output_tokens": 20}
    t = instrumented
    labels = {"model": "claude-haiku-4-5", "provider": "anthropic", "agent_type": "Writer"}
    assert t.metric("llm_tokens_total", **labels, token_type="input") == 100
    assert t.metric("llm_cost_usd_total", **labels) > 0
    assert t.span("chat claude-haiku-4-5").attributes["gen_ai.provider.name"] == "anthropic"


@function_tool
def lookup_account(account: str) -> str:
    """An account's record."""
    raise ConnectionError("the CRM is down")


def test_a_failing_tool_is_a_failed_tool_call_of_its_agent(
    instrumented: Captured, llm: fake_llm.FakeLLM
) -> None:
    client = AsyncOpenAI(base_url=fake_llm.base_url(llm), api_key="test", max_retries=0)
    model = OpenAIResponsesModel(model=MODEL, openai_client=client)
    clerk = Agent(name="Clerk", instructions="Look up.", model=model, tools=[lookup_account])
    Runner.run_sync(clerk, "Look up ACME")  # the SDK tells the model the tool failed
    t = instrumented
    assert t.metric("agent_tool_calls_total", agent_type="Clerk", tool_name="lookup_account", status="failure") == 1  # fmt: skip
    [failed] = t.events("tool_call_failed")
    assert failed["agent_id"] == "Clerk"
    assert t.metric("agent_sessions_total", agent_type="Clerk", status="success", operation="run") == 1  # fmt: skip
