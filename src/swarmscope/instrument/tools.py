"""Tool calls: an agent's own tools, MCP tool invocations and A2A delegations to other agents."""

from __future__ import annotations

from typing import Any

from opentelemetry.trace import SpanContext, SpanKind

from swarmscope.conventions.attributes import (
    GEN_AI_AGENT_NAME,
    GEN_AI_OPERATION_NAME,
    GEN_AI_TOOL_NAME,
    GEN_AI_TOOL_TYPE,
    MCP_METHOD_NAME,
    SERVER_ADDRESS,
    SWARMSCOPE_A2A_TARGET_AGENT,
)
from swarmscope.conventions.spans import (
    EXECUTE_TOOL,
    INVOKE_AGENT,
    MCP_TOOLS_CALL,
    TOOL_TYPE_EXTENSION,
)
from swarmscope.instrument.errors import ErrorCategory, ErrorSeverity, record_failure
from swarmscope.instrument.operation import Operation, current_agent, error_fields, safely
from swarmscope.propagation import inject_headers
from swarmscope.telemetry.runtime import Runtime, current


class ToolCall(Operation):
    """``execute_tool {tool}``: the catalog's tool metrics and events."""

    where = "tool_call"

    def __init__(self, tool: str, agent: str | None = None, **attrs: Any) -> None:
        self.tool = tool
        self.agent = agent
        self.attrs = attrs
        self._agent_name: str | None = None

    def span_name(self) -> str:
        return f"{EXECUTE_TOOL} {self.tool}"

    def span_attributes(self) -> dict[str, Any]:
        self._agent_name = self.agent or current_agent.get()
        # The agent is on the parent invoke_agent span; two attributes keep this span cheap.
        attributes: dict[str, Any] = {
            GEN_AI_OPERATION_NAME: EXECUTE_TOOL,
            GEN_AI_TOOL_NAME: self.tool,
        }
        if self.attrs:
            attributes.update(self.attrs)
        return attributes

    def on_start(self, rt: Runtime) -> None:
        if rt.logs_at("debug"):
            self.event(
                rt, "tool_call_started", {"tool_name": self.tool, "agent_id": self._agent_name}
            )

    def on_end(self, rt: Runtime, status: str, error: BaseException | None) -> None:
        record_tool_call(
            rt,
            self.tool,
            self._agent_name,
            status,
            self.duration,
            error,
            params=self.attrs,
            span_context=self.span.get_span_context(),
        )


def record_tool_call(
    rt: Runtime,
    tool: str,
    agent: str | None,
    status: str,
    duration: float,
    error: BaseException | None,
    *,
    params: dict[str, Any] | None = None,
    span_context: SpanContext | None = None,
    error_type: str | None = None,
) -> None:
    """A finished tool call's metrics and log event: what ``tool_call`` records on exit, for
    integrations whose framework made the span (``error_type`` stands in for a lost error)."""
    rt.metrics["agent_tool_calls_total"].child(agent, tool, status).inc()
    rt.metrics["agent_tool_call_duration_seconds"].child(agent, tool).observe(duration)
    fields: dict[str, Any] = {
        "tool_name": tool,
        "agent_id": agent,
        "duration_ms": _milliseconds(duration),
        "success": status == "success",
    }
    if params:
        fields["tool_params"] = params
    if status == "success":
        rt.event("tool_call_completed", fields, span_context=span_context)
        return
    record_failure(
        rt,
        error,
        ErrorCategory.AGENT_TOOL_CALL_FAILED,
        ErrorSeverity.MEDIUM,
        agent,
        "tool_call",
    )
    fields["status"] = status
    fields |= error_fields(error)
    if error is None and error_type:
        fields["error_type"] = error_type
    rt.event("tool_call_failed", fields, span_context=span_context)


def _milliseconds(seconds: float) -> float:
    # As Operation.duration_ms: whole microseconds, in milliseconds.
    return round(seconds * 1_000_000) / 1000


def tool_call(tool: str, agent: str | None = None, **attrs: Any) -> ToolCall:
    """Instrument one tool call; ``agent`` defaults to the enclosing ``agent_run``."""
    return ToolCall(tool, agent, **attrs)


class McpToolInvocation(Operation):
    """An MCP ``tools/call``. Failures are ``error_execution`` unless marked otherwise
    (``mark_failed("error_http")``, ``"error_forbidden"``...), as the third plan counts them."""

    where = "mcp_tool"
    span_kind = SpanKind.CLIENT

    def __init__(self, tool: str, server: str | None = None, **attrs: Any) -> None:
        self.tool = tool
        self.server = server
        self.attrs = attrs

    def span_name(self) -> str:
        return f"{MCP_TOOLS_CALL} {self.tool}"

    def span_attributes(self) -> dict[str, Any]:
        attributes: dict[str, Any] = {
            MCP_METHOD_NAME: MCP_TOOLS_CALL,
            GEN_AI_OPERATION_NAME: EXECUTE_TOOL,
            GEN_AI_TOOL_NAME: self.tool,
            GEN_AI_TOOL_TYPE: TOOL_TYPE_EXTENSION,
            **self.attrs,
        }
        if self.server:
            attributes[SERVER_ADDRESS] = self.server
        return attributes

    def on_end(self, rt: Runtime, status: str, error: BaseException | None) -> None:
        if status == "failure":
            status = "error_execution"
        record_mcp_tool(rt, self.tool, status, self.duration, error)


def record_mcp_tool(
    rt: Runtime,
    tool: str,
    status: str,
    duration: float,
    error: BaseException | None,
    span_context: SpanContext | None = None,
    *,
    event: bool = True,
) -> None:
    """A finished MCP tool invocation's metrics and log event: what ``mcp_tool`` records on
    exit, for integrations whose framework made the span (``event=False`` where another call
    logged the failure)."""
    rt.metrics["mcp_tool_invocations_total"].child(tool, status).inc()
    rt.metrics["mcp_tool_invocation_duration_seconds"].child(tool).observe(duration)
    if not event:
        return
    fields: dict[str, Any] = {
        "tool_name": tool,
        "status": status,
        "duration_ms": _milliseconds(duration),
        "agent_id": current_agent.get(),
    }
    if status == "success":
        rt.event("mcp_tool_invoked", fields, span_context=span_context)
        return
    fields |= error_fields(error)
    rt.event("mcp_tool_failed", fields, span_context=span_context)


def mcp_tool(tool: str, server: str | None = None, **attrs: Any) -> McpToolInvocation:
    """Instrument one MCP tool invocation."""
    return McpToolInvocation(tool, server, **attrs)


def mcp_credential_error(tool: str, reason: str = "missing") -> None:
    """An MCP tool could not load its credentials."""

    def record() -> None:
        rt = current()
        rt.metrics["mcp_credential_errors_total"].child(tool).inc()
        rt.event(
            "mcp_tool_failed", {"tool_name": tool, "status": "error_credentials", "reason": reason}
        )

    safely("mcp_tool", record)


class A2ADelegation(Operation):
    """A task sent to another agent service: a client ``invoke_agent`` span whose context
    travels in ``headers()`` so the remote agent's spans join this trace."""

    where = "a2a"
    span_kind = SpanKind.CLIENT

    def __init__(self, target_agent: str, **attrs: Any) -> None:
        self.target_agent = target_agent
        self.attrs = attrs

    def span_name(self) -> str:
        return f"{INVOKE_AGENT} {self.target_agent}"

    def span_attributes(self) -> dict[str, Any]:
        return {
            GEN_AI_OPERATION_NAME: INVOKE_AGENT,
            GEN_AI_AGENT_NAME: self.target_agent,
            SWARMSCOPE_A2A_TARGET_AGENT: self.target_agent,
            **self.attrs,
        }

    def headers(self, headers: dict[str, str] | None = None) -> dict[str, str]:
        """``headers`` plus W3C ``traceparent`` for this delegation's span."""
        return inject_headers(headers)

    def on_end(self, rt: Runtime, status: str, error: BaseException | None) -> None:
        if status == "failure":
            status = "error_network" if isinstance(error, OSError | ConnectionError) else "failure"
        rt.metrics["a2a_delegations_total"].child(self.target_agent, status).inc()
        rt.metrics["a2a_delegation_duration_seconds"].child(self.target_agent).observe(
            self.duration
        )
        fields: dict[str, Any] = {
            "target_agent": self.target_agent,
            "status": status,
            "duration_ms": self.duration_ms,
            "agent_id": current_agent.get(),
        }
        if status == "success":
            rt.event("a2a_delegation_completed", fields)
            return
        fields |= error_fields(error)
        rt.event("a2a_delegation_failed", fields)


def a2a_delegation(target_agent: str, **attrs: Any) -> A2ADelegation:
    """Instrument one A2A delegation; send ``delegation.headers()`` with the request."""
    return A2ADelegation(target_agent, **attrs)
