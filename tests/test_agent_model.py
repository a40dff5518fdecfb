"""The agent model read from each instrumentor's convention, span by span (``derive``), and
what the server stores of it (``span_fields.derived``: typed, priced).

The attribute dicts are written as each instrumentor sends them (names checked against
their semantic-convention packages); ``test_agent_model_fixtures`` feeds the payloads
recorded from the real packages through a server.
"""

from __future__ import annotations

import json

import duckdb
import pytest
from genai_prices import Usage, calc_price

from swarmscope.conventions import spans
from swarmscope.conventions.agent_model import derive
from swarmscope.conventions.messages import messages
from swarmscope.server.intake.span_fields import DERIVED_HEAD, DERIVED_TAIL, derived
from swarmscope.server.store.database import Store
from swarmscope.server.store.rows import SPAN_COLUMNS


def fields(name: str, attrs: dict, kind: str = "internal", events: list | None = None) -> dict:
    return derive(name, kind, attrs, events)._asdict()


def stored(name: str, attrs: dict, events: list | None = None) -> dict:
    head, tail = derived(name, "internal", attrs, events or [])
    return dict(zip(DERIVED_HEAD + DERIVED_TAIL, head + tail, strict=True))


# -- GenAI, both generations -------------------------------------------------------------------


def test_genai_current_names():
    got = fields(
        "chat gpt-4o",
        {
            "gen_ai.operation.name": "chat",
            "gen_ai.provider.name": "openai",
            "gen_ai.request.model": "gpt-4o",
            "gen_ai.usage.input_tokens": 1200,
            "gen_ai.usage.output_tokens": 300,
            "gen_ai.usage.cache_read.input_tokens": 1000,
            "gen_ai.usage.cache_creation.input_tokens": 50,
            "gen_ai.usage.reasoning.output_tokens": 120,
            "gen_ai.conversation.id": "conv-1",
        },
    )
    assert (got["operation"], got["model"], got["provider"], got["session"]) == (
        "chat",
        "gpt-4o",
        "openai",
        "conv-1",
    )
    assert (got["input_tokens"], got["output_tokens"]) == (1200, 300)
    assert (got["cache_read_tokens"], got["cache_creation_tokens"], got["reasoning_tokens"]) == (
        1000,
        50,
        120,
    )


def test_genai_older_names_and_agent_from_the_span_name():
    got = fields(
        "chat",
        {
            "gen_ai.operation.name": "chat",
            "gen_ai.system": "anthropic",
            "gen_ai.response.model": "claude-3-5-haiku-20241022",
            "gen_ai.usage.prompt_tokens": 10,
            "gen_ai.usage.completion_tokens": 4,
        },
    )
    assert (got["provider"], got["model"], got["input_tokens"], got["output_tokens"]) == (
        "anthropic",
        "claude-3-5-haiku-20241022",
        10,
        4,
    )
    agent = fields("invoke_agent planner", {"gen_ai.operation.name": "invoke_agent"})
    assert (agent["operation"], agent["agent"]) == ("invoke_agent", "planner")
    tool = fields("execute_tool get_weather", {"gen_ai.operation.name": "execute_tool"})
    assert (tool["operation"], tool["tool"]) == ("execute_tool", "get_weather")


def test_ours_handoff_and_approval():
    handoff = fields(
        "handoff scout -> analyst",
        {
            "gen_ai.operation.name": "handoff",
            "swarmscope.handoff.from_agent": "scout",
            "swarmscope.handoff.to_agent": "analyst",
        },
    )
    assert (handoff["handoff_from"], handoff["handoff_to"]) == ("scout", "analyst")
    approval = fields("hitl_approval refund", {"swarmscope.approval.type": "refund"})
    assert approval["wait"] == spans.WAIT_APPROVAL


# -- OpenInference: LangGraph and the OpenAI Agents SDK ----------------------------------------


def test_langgraph_node_is_an_agent_run_with_its_thread():
    metadata = json.dumps(
        {"langgraph_node": "supervisor", "thread_id": "thread-7", "langgraph_step": 1}
    )
    node = fields("supervisor", {"openinference.span.kind": "CHAIN", "metadata": metadata})
    assert (node["operation"], node["agent"], node["session"]) == (
        "invoke_agent",
        "supervisor",
        "thread-7",
    )
    # A runnable inside the node carries the node's metadata but is not the node.
    inner = fields("RunnableSequence", {"openinference.span.kind": "CHAIN", "metadata": metadata})
    assert (inner["operation"], inner["agent"], inner["session"]) == ("chain", None, "thread-7")
    start = fields(
        "__start__",
        {
            "openinference.span.kind": "CHAIN",
            "metadata": json.dumps({"langgraph_node": "__start__"}),
        },
    )
    assert start["operation"] == "chain" and start["agent"] is None


def test_langgraph_interrupt_is_a_wait():
    raised = fields(
        "approve",
        {"openinference.span.kind": "CHAIN"},
        events=[(1, "exception", {"exception.type": "langgraph.errors.GraphInterrupt"})],
    )
    assert raised["wait"] == spans.WAIT_INTERRUPT
    failed = fields(
        "approve",
        {"openinference.span.kind": "CHAIN"},
        events=[(1, "exception", {"exception.type": "ValueError"})],
    )
    assert failed["wait"] is None


def test_an_interrupted_ag_ui_run_is_a_wait_in_its_thread():
    run = {
        "gen_ai.operation.name": "invoke_agent",
        "gen_ai.agent.name": "planner",
        "ag_ui.thread.id": "thread-7",
        "ag_ui.run.id": "run-1",
        "ag_ui.run.outcome": "interrupt",
    }
    interrupted = fields("invoke_agent planner", run)
    assert interrupted["operation"] == "invoke_agent" and interrupted["agent"] == "planner"
    assert interrupted["wait"] == spans.WAIT_INTERRUPT
    assert interrupted["session"] == "thread-7"
    finished = fields("invoke_agent planner", {**run, "ag_ui.run.outcome": "success"})
    assert finished["wait"] is None and finished["session"] == "thread-7"
    # A conversation id the span names itself comes first.
    named = fields("invoke_agent planner", {**run, "gen_ai.conversation.id": "conv-1"})
    assert named["session"] == "conv-1"


def test_agents_sdk_agent_handoff_and_tool():
    agent = fields(
        "Weather agent",
        {
            "openinference.span.kind": "AGENT",
            "graph.node.id": "Weather agent",
            "graph.node.parent_id": "Triage agent",
        },
    )
    assert (agent["operation"], agent["agent"], agent["handoff_from"]) == (
        "invoke_agent",
        "Weather agent",
        "Triage agent",
    )
    handoff = fields("handoff to Weather agent", {"openinference.span.kind": "TOOL"})
    assert (handoff["operation"], handoff["handoff_to"], handoff["tool"]) == (
        "handoff",
        "Weather agent",
        None,
    )
    tool = fields("get_weather", {"openinference.span.kind": "TOOL"})
    assert (tool["operation"], tool["tool"]) == ("execute_tool", "get_weather")
    llm = fields(
        "response",
        {
            "openinference.span.kind": "LLM",
            "llm.model_name": "gpt-4o-mini",
            "llm.provider": "openai",
            "llm.token_count.prompt": 50,
            "llm.token_count.completion": 7,
            "llm.token_count.prompt_details.cache_read": 20,
            "llm.token_count.completion_details.reasoning": 3,
            "session.id": "s-1",
        },
    )
    assert (llm["operation"], llm["model"], llm["provider"], llm["session"]) == (
        "chat",
        "gpt-4o-mini",
        "openai",
        "s-1",
    )
    assert (llm["cache_read_tokens"], llm["reasoning_tokens"]) == (20, 3)


# -- OpenLLMetry, Vercel AI SDK, pydantic-ai, MCP, A2A -----------------------------------------


def test_traceloop_span_kinds_and_association_properties():
    agent = fields(
        "researcher.agent",
        {
            "traceloop.span.kind": "agent",
            "traceloop.entity.name": "researcher",
            "traceloop.association.properties.session_id": "sess-9",
        },
    )
    assert (agent["operation"], agent["agent"], agent["session"]) == (
        "invoke_agent",
        "researcher",
        "sess-9",
    )
    tool = fields("search.tool", {"traceloop.span.kind": "tool", "traceloop.entity.name": "search"})
    assert (tool["operation"], tool["tool"]) == ("execute_tool", "search")
    workflow = fields("plan.workflow", {"traceloop.span.kind": "workflow"})
    assert workflow["operation"] == "invoke_workflow"
    llm = fields(
        "openai.chat",
        {
            "llm.request.type": "chat",
            "gen_ai.system": "openai",
            "gen_ai.request.model": "gpt-4o",
            "gen_ai.usage.prompt_tokens": 9,
            "gen_ai.usage.completion_tokens": 2,
            "gen_ai.usage.cache_read_input_tokens": 4,
        },
    )
    assert (llm["operation"], llm["input_tokens"], llm["output_tokens"]) == ("chat", 9, 2)
    assert llm["cache_read_tokens"] == 4


def test_vercel_ai_sdk_operations():
    outer = fields(
        "ai.generateText",
        {
            "ai.operationId": "ai.generateText",
            "ai.telemetry.functionId": "copilot-writer",
            "ai.telemetry.metadata.sessionId": "chat-3",
        },
    )
    assert (outer["operation"], outer["agent"], outer["session"]) == (
        "invoke_agent",
        "copilot-writer",
        "chat-3",
    )
    inner = fields(
        "ai.generateText.doGenerate",
        {
            "ai.operationId": "ai.generateText.doGenerate",
            "ai.model.id": "gpt-4o-mini",
            "ai.model.provider": "openai.chat",
            "ai.usage.promptTokens": 30,
            "ai.usage.completionTokens": 5,
        },
    )
    assert (inner["operation"], inner["model"], inner["provider"]) == (
        "chat",
        "gpt-4o-mini",
        "openai",
    )
    assert (inner["input_tokens"], inner["output_tokens"]) == (30, 5)
    newer = fields(
        "ai.streamText.doStream",
        {"ai.usage.inputTokens": 8, "ai.usage.outputTokens": 1, "ai.usage.cachedInputTokens": 2},
    )
    assert (newer["operation"], newer["input_tokens"], newer["cache_read_tokens"]) == ("chat", 8, 2)
    tool = fields("ai.toolCall", {"ai.operationId": "ai.toolCall", "ai.toolCall.name": "lookup"})
    assert (tool["operation"], tool["tool"]) == ("execute_tool", "lookup")


def test_pydantic_ai_agent_run_and_its_cost():
    run = fields("agent run", {"agent_name": "support", "logfire.msg": "support run"})
    assert (run["operation"], run["agent"]) == ("invoke_agent", "support")
    priced = stored(
        "chat gpt-4o",
        {
            "gen_ai.operation.name": "chat",
            "gen_ai.request.model": "gpt-4o",
            "gen_ai.usage.input_tokens": 10,
            "operation.cost": 0.5,
        },
    )
    assert priced["cost_usd"] == 0.5  # the sender's own figure is kept


def test_mcp_and_a2a():
    served = fields(
        "tools/call get-weather",
        {
            "mcp.method.name": "tools/call",
            "gen_ai.operation.name": "execute_tool",
            "mcp.session.id": "mcp-1",
        },
        kind="server",
    )
    assert (served["operation"], served["tool"], served["session"]) == (
        "execute_tool",
        "get-weather",
        "mcp-1",
    )
    # The client's request that does not say it executes the tool: a request, named.
    sent = fields("MCP send tools/call get-weather", {"mcp.method.name": "tools/call"}, "client")
    assert (sent["operation"], sent["tool"]) == ("mcp", "get-weather")
    listing = fields("tools/list", {"mcp.method.name": "tools/list"})
    assert listing["operation"] == "mcp"
    for state in ("input-required", "TASK_STATE_INPUT_REQUIRED", "input_required"):
        task = fields("SendMessage", {"a2a.task.state": state}, kind="client")
        assert task["wait"] == spans.WAIT_INPUT_REQUIRED, state
    assert fields("SendMessage", {"a2a.task.state": "completed"})["wait"] is None


# -- what is stored: types and the server's price ----------------------------------------------


def test_an_unpriced_llm_call_is_priced_with_genai_prices():
    got = stored(
        "response",
        {
            "openinference.span.kind": "LLM",
            "llm.model_name": "gpt-4o-mini",
            "llm.provider": "openai",
            "llm.token_count.prompt": "1000",  # a sender's string is read as the number
            "llm.token_count.completion": 200.0,
        },
    )
    expected = calc_price(
        Usage(input_tokens=1000, output_tokens=200), "gpt-4o-mini", provider_id="openai"
    )
    assert got["input_tokens"] == 1000 and got["output_tokens"] == 200
    assert got["cost_usd"] == pytest.approx(float(expected.total_price))


def test_cached_tokens_are_priced_at_the_cache_price():
    attrs = {
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": "openai",
        "gen_ai.request.model": "gpt-4o",
        "gen_ai.usage.input_tokens": 1000,
        "gen_ai.usage.output_tokens": 100,
    }
    plain = stored("chat gpt-4o", attrs)["cost_usd"]
    cached = stored("chat gpt-4o", {**attrs, "gen_ai.usage.cache_read.input_tokens": 800})
    expected = calc_price(
        Usage(input_tokens=1000, output_tokens=100, cache_read_tokens=800),
        "gpt-4o",
        provider_id="openai",
    )
    assert cached["cost_usd"] == pytest.approx(float(expected.total_price))
    assert cached["cost_usd"] < plain


def test_an_unknown_model_or_bad_values_store_no_cost_and_no_error():
    unknown = stored(
        "chat x",
        {
            "gen_ai.operation.name": "chat",
            "gen_ai.request.model": "a-model-nobody-prices-7",
            "gen_ai.usage.input_tokens": 10,
        },
    )
    assert unknown["cost_usd"] is None and unknown["input_tokens"] == 10
    odd = stored(
        "chat x",
        {
            "gen_ai.operation.name": ["chat"],
            "gen_ai.agent.name": 7,
            "gen_ai.usage.input_tokens": 1e300,
            "swarmscope.llm.cost_usd": float("nan"),
        },
    )
    assert odd["operation"] == '["chat"]' and odd["agent"] == "7"
    assert odd["input_tokens"] is None and odd["cost_usd"] is None


# -- messages ----------------------------------------------------------------------------------


def test_messages_from_each_convention():
    expected = [
        {"role": "user", "content": "weather in Paris?"},
        {"role": "assistant", "content": "", "tool_calls": [{"name": "get_weather"}]},
    ]
    openinference = {
        "llm.input_messages.0.message.role": "user",
        "llm.input_messages.0.message.content": "weather in Paris?",
        "llm.output_messages.0.message.role": "assistant",
        "llm.output_messages.0.message.tool_calls.0.tool_call.function.name": "get_weather",
    }
    assert messages(openinference) == expected
    older = {
        "gen_ai.prompt.0.role": "user",
        "gen_ai.prompt.0.content": "weather in Paris?",
        "gen_ai.completion.0.role": "assistant",
        "gen_ai.completion.0.tool_calls.0.name": "get_weather",
    }
    assert messages(older) == expected
    current = [
        {"role": "user", "parts": [{"type": "text", "content": "weather in Paris?"}]},
    ]
    answer = [
        {"role": "assistant", "parts": [{"type": "tool_call", "name": "get_weather", "id": "c1"}]}
    ]
    event = {
        "name": "gen_ai.client.inference.operation.details",
        "attributes": {
            "gen_ai.input.messages": json.dumps(current),
            "gen_ai.output.messages": answer,
        },
    }
    got = messages({}, [event])
    assert got[0] == expected[0] and got[1]["tool_calls"][0]["name"] == "get_weather"
    vercel = {
        "ai.prompt.messages": json.dumps(
            [{"role": "user", "content": [{"type": "text", "text": "hi"}]}]
        ),
        "ai.response.text": "hello",
    }
    assert messages(vercel) == [
        {"role": "user", "content": "hi"},
        {"role": "assistant", "content": "hello"},
    ]
    assert messages({"gen_ai.input.messages": "not json"}) == []


# -- an older store gains the columns ----------------------------------------------------------

OLD_SPANS = """
CREATE TABLE spans (
    trace_id VARCHAR, span_id VARCHAR, parent_span_id VARCHAR, name VARCHAR, kind VARCHAR,
    service VARCHAR, start_ns BIGINT, end_ns BIGINT, duration_ms DOUBLE, status VARCHAR,
    status_message VARCHAR, operation VARCHAR, agent VARCHAR, tool VARCHAR, model VARCHAR,
    input_tokens BIGINT, output_tokens BIGINT, attributes JSON, events JSON, links JSON,
    resource_id VARCHAR
);
INSERT INTO spans VALUES ('t', 's', NULL, 'invoke_agent a', 'internal', 'svc', 1, 2, 0.0,
    'ok', '', 'invoke_agent', 'a', NULL, NULL, NULL, NULL, '{}', '[]', '[]', 'r');
"""


def test_a_store_written_before_the_agent_model_columns_opens_with_them(tmp_path):
    path = tmp_path / "old.duckdb"
    with duckdb.connect(str(path)) as old:
        old.execute(OLD_SPANS)
    store = Store(path)
    try:
        [row] = store.rows("SELECT * FROM spans")
        assert list(row) == list(SPAN_COLUMNS)
        assert (row["agent"], row["cost_usd"], row["session"]) == ("a", None, None)
    finally:
        store.close()
    Store(path).close()  # and again: adding the columns is idempotent


def test_logfire_agents_sdk_spans():
    agent = fields(
        "Agent run: {name!r}",
        {"logfire.msg_template": "Agent run: {name!r}", "name": "Triage agent"},
    )
    assert (agent["operation"], agent["agent"]) == ("invoke_agent", "Triage agent")
    handoff = fields(
        "Handoff: {from_agent} → {to_agent}",
        {"from_agent": "Triage agent", "to_agent": "Weather agent"},
    )
    assert (handoff["operation"], handoff["handoff_from"], handoff["handoff_to"]) == (
        "handoff",
        "Triage agent",
        "Weather agent",
    )
    tool = fields("Function: {name}", {"name": "get_weather"})
    assert (tool["operation"], tool["tool"]) == ("execute_tool", "get_weather")
    assert fields("running tool", {"gen_ai.tool.name": "lookup"})["tool"] == "lookup"


def test_the_agents_sdk_trace_root_is_the_workflow_not_an_agent():
    root = fields("Agent workflow", {"openinference.span.kind": "AGENT"})
    assert (root["operation"], root["agent"]) == ("invoke_workflow", None)
    # An agent span of an instrumentor version without graph.node.id still names its agent.
    older = fields("Triage agent", {"openinference.span.kind": "AGENT", "llm.system": "openai"})
    assert (older["operation"], older["agent"]) == ("invoke_agent", "Triage agent")
