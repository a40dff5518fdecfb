"""Agent runs, tool calls and handoffs: metrics, spans and logs that agree."""

from __future__ import annotations

import asyncio

import pytest

import swarmscope as ss


def test_agent_run_with_tool_call_nests_and_counts(telemetry):
    with ss.agent_run("zoho_data_scout", operation="account_analysis", account_id="ACC-1"):
        with ss.tool_call("fetch_accounts"):
            pass

    assert (
        telemetry.metric(
            "agent_sessions_total",
            agent_type="zoho_data_scout",
            status="success",
            operation="account_analysis",
        )
        == 1
    )
    assert (
        telemetry.metric(
            "agent_tool_calls_total",
            agent_type="zoho_data_scout",
            tool_name="fetch_accounts",
            status="success",
        )
        == 1
    )
    assert telemetry.metric("agent_sessions_active", agent_type="zoho_data_scout") == 0
    agent = telemetry.span("invoke_agent zoho_data_scout")
    tool = telemetry.span("execute_tool fetch_accounts")
    assert tool.parent is not None and tool.parent.span_id == agent.context.span_id
    assert agent.attributes["gen_ai.operation.name"] == "invoke_agent"
    assert agent.attributes["gen_ai.agent.name"] == "zoho_data_scout"
    assert tool.attributes["gen_ai.tool.name"] == "fetch_accounts"
    [completed] = telemetry.events("tool_call_completed")
    assert completed["trace_id"] == f"{tool.context.trace_id:032x}"
    assert completed["span_id"] == f"{tool.context.span_id:016x}"
    assert completed["agent_id"] == "zoho_data_scout"
    assert completed["service"] == "test-service"
    assert completed["level"] == "info"


def test_failed_agent_run_records_error_and_reraises(telemetry):
    with pytest.raises(ValueError, match="boom"):
        with ss.agent_run("memory_analyst"):
            raise ValueError("boom")
    assert (
        telemetry.metric(
            "agent_sessions_total", agent_type="memory_analyst", status="failure", operation="run"
        )
        == 1
    )
    assert (
        telemetry.metric(
            "agent_errors_total",
            agent_type="memory_analyst",
            error_type="agent_execution_failed",
            operation="run",
        )
        == 1
    )
    span = telemetry.span("invoke_agent memory_analyst")
    assert span.status.status_code.name == "ERROR"
    assert any(event.name == "exception" for event in span.events)
    [failed] = telemetry.events("agent_execution_failed")
    assert failed["error_type"] == "ValueError"


def test_async_decorator_and_handoff_latency(telemetry):
    @ss.agent_run("memory_analyst")
    async def analyst() -> str:
        await asyncio.sleep(0.01)
        return "done"

    async def main() -> str:
        with ss.agent_run("zoho_data_scout"):
            ss.handoff("zoho_data_scout", "memory_analyst", data={"accounts": [1, 2]})
        return await analyst()

    async def outer() -> str:
        with ss.tool_call("orchestrate"):
            return await main()

    assert asyncio.run(outer()) == "done"
    assert (
        telemetry.metric(
            "agent_handoffs_total",
            from_agent="zoho_data_scout",
            to_agent="memory_analyst",
            status="success",
        )
        == 1
    )
    assert (
        telemetry.metric(
            "agent_handoff_duration_seconds_count",
            from_agent="zoho_data_scout",
            to_agent="memory_analyst",
        )
        == 1
    )
    handoff = telemetry.span("handoff zoho_data_scout -> memory_analyst")
    assert handoff.attributes["swarmscope.handoff.data_keys"] == ("accounts",)
    target = telemetry.span("invoke_agent memory_analyst")
    assert [link.context.span_id for link in target.links] == [handoff.context.span_id]
    [event] = telemetry.events("agent_handoff")
    assert event["next_agent"] == "memory_analyst"
