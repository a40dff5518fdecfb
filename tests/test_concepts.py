"""The remaining concepts: workflows, data, UI streaming, MCP and A2A, security, errors."""

from __future__ import annotations

import asyncio

import pytest

import swarmscope as ss


def test_workflow_nodes_as_decorators_nest_under_the_workflow(telemetry):
    @ss.workflow_node("research", "analyze_query")
    async def analyze(state: dict) -> dict:
        return {**state, "analysis": "ok"}

    @ss.workflow_node("research", "fail_node")
    def broken() -> None:
        raise KeyError("missing")

    async def run() -> dict:
        async with ss.workflow("research"):
            ss.route("research", "deep", confidence=0.82)
            result = await analyze({"q": 1})
            result2 = await analyze(result)
            with pytest.raises(KeyError):
                broken()
            return result2

    assert asyncio.run(run()) == {"q": 1, "analysis": "ok"}
    assert (
        telemetry.metric("workflow_executions_total", workflow_name="research", status="success")
        == 1
    )
    assert (
        telemetry.metric(
            "workflow_nodes_executed_total",
            workflow_name="research",
            node_name="analyze_query",
            status="success",
        )
        == 2
    )
    assert (
        telemetry.metric(
            "workflow_nodes_executed_total",
            workflow_name="research",
            node_name="fail_node",
            status="failure",
        )
        == 1
    )
    assert telemetry.metric("routing_decisions_total", workflow_name="research", route="deep") == 1
    workflow = telemetry.span("workflow research")
    nodes = [s for s in telemetry.spans() if s.name == "workflow_node analyze_query"]
    assert len(nodes) == 2 and all(n.parent.span_id == workflow.context.span_id for n in nodes)


def test_state_transitions_retries_queues_and_memory(telemetry):
    with ss.agent_run("zoho_data_scout"):
        ss.state_transition("idle", "fetching")
        ss.retry("fetch_accounts", reason="rate_limit", attempt=2, max_attempts=3)
    ss.queue_depth("memory_analyst", 7, priority="high")
    ss.queue_wait("memory_analyst", 0.3)
    ss.agent_memory("memory_analyst", 123_456, instance_id="worker-1")
    assert (
        telemetry.metric(
            "agent_state_transitions_total",
            agent_type="zoho_data_scout",
            from_state="idle",
            to_state="fetching",
        )
        == 1
    )
    assert (
        telemetry.metric(
            "agent_retries_total",
            agent_type="zoho_data_scout",
            operation="fetch_accounts",
            retry_reason="rate_limit",
        )
        == 1
    )
    assert telemetry.metric("agent_queue_depth", agent_type="memory_analyst", priority="high") == 7
    assert (
        telemetry.metric(
            "agent_queue_wait_time_seconds_bucket", agent_type="memory_analyst", le="0.5"
        )
        == 1
    )
    assert (
        telemetry.metric(
            "agent_memory_usage_bytes", agent_type="memory_analyst", agent_instance_id="worker-1"
        )
        == 123_456
    )
    span = telemetry.span("invoke_agent zoho_data_scout")
    assert [e.name for e in span.events] == ["state_transition", "retry"]
    [retry] = telemetry.events("retry_attempted")
    assert retry["level"] == "warning" and retry["agent_id"] == "zoho_data_scout"


def test_database_and_cache(telemetry):
    with ss.db_query("select", system="duckdb"):
        pass
    with pytest.raises(OSError):
        with ss.db_query("insert", system="duckdb"):
            raise OSError("disk full")
    ss.db_pool(active=3, total=10)
    ss.cache_lookup("accounts", hit=True, duration=0.001)
    ss.cache_lookup("accounts", hit=False)
    assert telemetry.metric("db_queries_total", operation="select", status="success") == 1
    assert telemetry.metric("db_queries_total", operation="insert", status="failure") == 1
    assert telemetry.metric("db_connections_active") == 3
    assert telemetry.metric("db_connections_total") == 10
    assert telemetry.metric("cache_hits_total", cache_name="accounts") == 1
    assert telemetry.metric("cache_misses_total", cache_name="accounts") == 1
    assert telemetry.metric("errors_total", error_type="database_error", severity="high") == 1
    assert telemetry.span("select duckdb").attributes["db.system.name"] == "duckdb"
    assert len(telemetry.events("database_query_failed")) == 1
    select_span = telemetry.span("select duckdb")
    started = telemetry.events("database_query_started")
    assert [(e["operation"], e["db_system"], e["level"]) for e in started] == [
        ("select", "duckdb", "debug"),
        ("insert", "duckdb", "debug"),
    ]
    assert started[0]["span_id"] == f"{select_span.context.span_id:016x}"


def test_sse_ag_ui_and_copilotkit(telemetry):
    async def stream() -> None:
        async with ss.sse_connection("runs") as sse:
            assert telemetry.metric("sse_connections_active") == 1
            for kind in ("RUN_STARTED", "TEXT_MESSAGE_CONTENT", "RUN_FINISHED"):
                ss.ag_ui_event(kind, agent="recommendation_author")
                sse.sent(kind)
        async with ss.sse_connection("upstream", peer="planner-service") as client:
            client.received("RUN_STARTED", run_id="r-1")
            client.received("RUN_FINISHED", run_id="r-1")

    asyncio.run(stream())
    received = telemetry.events("sse_message_received")
    assert [(e["stream"], e["message_type"], e["run_id"]) for e in received] == [
        ("upstream", "RUN_STARTED", "r-1"),
        ("upstream", "RUN_FINISHED", "r-1"),
    ]
    upstream = telemetry.span("sse upstream")
    assert {e["span_id"] for e in received} == {f"{upstream.context.span_id:016x}"}
    closed = {e["stream"]: e for e in telemetry.events("sse_connection_closed")}
    assert (closed["upstream"]["messages_received"], closed["runs"]["messages"]) == (2, 3)
    ss.frontend_event("RUN_STARTED")
    with ss.copilotkit_action("approve_recommendation"):
        pass
    assert telemetry.metric("sse_connections_active") == 0
    assert telemetry.metric("sse_connection_duration_seconds_count") == 2
    assert telemetry.metric("sse_messages_sent_total", message_type="RUN_FINISHED") == 1
    assert (
        telemetry.metric(
            "ag_ui_events_emitted_total",
            event_type="RUN_STARTED",
            agent_type="recommendation_author",
        )
        == 1
    )
    assert telemetry.metric("ag_ui_events_received_total", event_type="RUN_STARTED") == 1
    assert (
        telemetry.metric(
            "copilotkit_actions_total", action_name="approve_recommendation", status="success"
        )
        == 1
    )


def test_mcp_tools_and_a2a_delegation_propagates_context(telemetry):
    with ss.mcp_tool("crm_lookup", server="mcp.local") as call:
        call.mark_failed("error_forbidden")
    with pytest.raises(RuntimeError):
        with ss.mcp_tool("crm_lookup"):
            raise RuntimeError("tool crashed")
    ss.mcp_credential_error("crm_lookup")
    with ss.a2a_delegation("compliance_checker") as delegation:
        headers = delegation.headers({"x-extra": "1"})
    assert (
        telemetry.metric(
            "mcp_tool_invocations_total", tool_name="crm_lookup", status="error_forbidden"
        )
        == 1
    )
    assert (
        telemetry.metric(
            "mcp_tool_invocations_total", tool_name="crm_lookup", status="error_execution"
        )
        == 1
    )
    assert telemetry.metric("mcp_credential_errors_total", tool_name="crm_lookup") == 1
    assert (
        telemetry.metric(
            "a2a_delegations_total", target_agent="compliance_checker", status="success"
        )
        == 1
    )
    client = telemetry.span("invoke_agent compliance_checker")
    assert client.kind.name == "CLIENT"
    assert headers["x-extra"] == "1"
    version, trace_id, span_id, flags = headers["traceparent"].split("-")
    assert version == "00" and int(flags, 16) & 1, "sampled flag set"
    assert (trace_id, span_id) == (
        f"{client.context.trace_id:032x}",
        f"{client.context.span_id:016x}",
    )
    with ss.continue_trace(headers), ss.agent_run("compliance_checker"):
        pass
    [remote] = [
        span
        for span in telemetry.spans()
        if span.name == "invoke_agent compliance_checker" and span.kind.name == "INTERNAL"
    ]
    assert remote.parent.span_id == client.context.span_id
    assert remote.context.trace_id == client.context.trace_id


def test_security_events(telemetry):
    ss.auth_failure("expired_token", user_id="u1")
    ss.rbac_denied("admin_tool", role="viewer")
    ss.guardrail_violation("pii_output", action="redacted")
    ss.audit("MCP_TOOL_INVOKE_ATTEMPT", outcome="success", tool="crm_lookup")
    ss.rate_limit_rejected("analyze:u1", retry_after_s=0.5)
    assert telemetry.metric("auth_failures_total", reason="expired_token") == 1
    assert telemetry.metric("rate_limit_rejections_total", key="analyze:u1") == 1
    [rejected] = [line for line in telemetry.lines() if line["event"] == "rate_limit_rejected"]
    assert rejected["key"] == "analyze:u1" and rejected["retry_after_s"] == 0.5
    assert telemetry.metric("rbac_denials_total", resource="admin_tool", role="viewer") == 1
    assert (
        telemetry.metric("guardrail_violations_total", guardrail="pii_output", action="redacted")
        == 1
    )
    assert (
        telemetry.metric(
            "audit_events_total", event_type="MCP_TOOL_INVOKE_ATTEMPT", outcome="success"
        )
        == 1
    )
    assert (
        telemetry.metric(
            "audit_events_total", event_type="GUARDRAIL_VIOLATION_DETECTED", outcome="redacted"
        )
        == 1
    )
    assert {"auth_failed", "rbac_denied", "guardrail_violation_detected", "audit_event"} <= {
        line["event"] for line in telemetry.lines()
    }


def test_track_error_counts_once_and_recovery(telemetry):
    error = ConnectionError("zoho down")
    with pytest.raises(ConnectionError):
        with ss.agent_run("zoho_data_scout", operation="sync"):
            ss.track_error(
                error,
                ss.ErrorCategory.INTEGRATION_ERROR,
                ss.ErrorSeverity.HIGH,
                operation="sync",
                account_id="ACC-1",
            )
            raise error
    assert telemetry.metric("errors_total", error_type="integration_error", severity="high") == 1
    assert (
        telemetry.metric(
            "agent_errors_total",
            agent_type="zoho_data_scout",
            error_type="integration_error",
            operation="sync",
        )
        == 1
    )
    assert (
        telemetry.metric(
            "agent_errors_total",
            agent_type="zoho_data_scout",
            error_type="agent_execution_failed",
            operation="sync",
        )
        == 0
    )
    [tracked] = telemetry.events("error_tracked")
    assert tracked["error_category"] == "integration_error"
    assert tracked["context"] == {"account_id": "ACC-1"}

    with ss.recovery_attempt(ss.ErrorCategory.INTEGRATION_RATE_LIMIT, "exponential_backoff"):
        pass
    with ss.recovery_attempt("integration_rate_limit", "exponential_backoff") as attempt:
        attempt.mark_failed()
    assert (
        telemetry.metric(
            "error_recovery_attempts_total",
            error_category="integration_rate_limit",
            recovery_strategy="exponential_backoff",
            success="true",
        )
        == 1
    )
    assert (
        telemetry.metric(
            "error_recovery_attempts_total",
            error_category="integration_rate_limit",
            recovery_strategy="exponential_backoff",
            success="false",
        )
        == 1
    )
    assert ss.categorize_http_status(429) is ss.ErrorCategory.CLIENT_RATE_LIMIT
    assert ss.categorize_http_status(418) is ss.ErrorCategory.UNKNOWN


def test_orchestration_counts_steps_and_spawned_agents(telemetry):
    with ss.orchestration("account_analysis"):
        assert (
            telemetry.metric("orchestration_parallel_executions", operation="account_analysis") == 1
        )
        for agent in ("zoho_data_scout", "memory_analyst", "recommendation_author"):
            with ss.agent_run(agent, operation="account_analysis"):
                pass
    assert (
        telemetry.metric(
            "orchestration_requests_total", operation="account_analysis", status="success"
        )
        == 1
    )
    assert telemetry.metric("orchestration_steps_total_sum", operation="account_analysis") == 3
    assert (
        telemetry.metric(
            "orchestration_agents_spawned_total",
            operation="account_analysis",
            agent_type="memory_analyst",
        )
        == 1
    )
    assert telemetry.metric("orchestration_parallel_executions", operation="account_analysis") == 0
    [done] = telemetry.events("orchestration_completed")
    assert done["total_steps"] == 3


def test_instrumentation_errors_never_reach_the_app(telemetry, monkeypatch):
    def explode(*args, **kwargs):
        raise RuntimeError("broken exporter")

    monkeypatch.setattr(telemetry.rt, "event", explode)
    with ss.tool_call("still_works") as call:
        result = 41 + 1
    assert result == 42 and call.status == "success"
    ss.handoff("a", "b")
    ss.event("agent_spawned", agent_type="x")
    assert telemetry.metric("telemetry_instrumentation_errors_total", where="tool_call.end") == 1
    assert telemetry.metric("telemetry_instrumentation_errors_total", where="handoff") == 1
    assert telemetry.metric("telemetry_instrumentation_errors_total", where="event") == 1
