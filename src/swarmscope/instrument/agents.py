"""Agent runs and what happens inside them: state transitions, retries, queues, memory.

``agent_run`` is the ``invoke_agent`` span of the GenAI conventions and the catalog's
session metrics. Inside it, tool and LLM calls inherit the agent, and every log line carries
``agent_id`` without the app passing it around.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Mapping
from contextvars import Token
from typing import Any

import structlog

from swarmscope.conventions.attributes import (
    GEN_AI_AGENT_NAME,
    GEN_AI_CONVERSATION_ID,
    GEN_AI_OPERATION_NAME,
    SWARMSCOPE_OPERATION,
)
from swarmscope.conventions.catalog import INTERRUPTED, SUCCESS, TIMEOUT
from swarmscope.conventions.spans import EVENT_RETRY, EVENT_STATE_TRANSITION, INVOKE_AGENT
from swarmscope.instrument import handoffs
from swarmscope.instrument.errors import ErrorCategory, ErrorSeverity, record_failure
from swarmscope.instrument.operation import (
    Operation,
    current_agent,
    error_fields,
    safely,
    span_event,
)
from swarmscope.instrument.orchestration import current_orchestration
from swarmscope.telemetry.runtime import Runtime, current


class AgentRun(Operation):
    """One execution of one agent."""

    where = "agent_run"

    def __init__(
        self, agent: str, operation: str = "run", session_id: str | None = None, **attrs: Any
    ) -> None:
        self.agent = agent
        self.operation = operation
        self.session_id = session_id
        self.attrs = attrs
        self._agent_token: Token[str | None] | None = None
        self._log_tokens: Mapping[str, Token[Any]] = {}

    def span_name(self) -> str:
        return f"{INVOKE_AGENT} {self.agent}"

    def span_attributes(self) -> dict[str, Any]:
        attributes = {
            GEN_AI_OPERATION_NAME: INVOKE_AGENT,
            GEN_AI_AGENT_NAME: self.agent,
            SWARMSCOPE_OPERATION: self.operation,
            **self.attrs,
        }
        if self.session_id:
            attributes[GEN_AI_CONVERSATION_ID] = self.session_id
        return attributes

    def bind(self) -> None:
        self._agent_token = current_agent.set(self.agent)
        bound = {"agent_id": self.agent}
        if self.session_id:
            bound["session_id"] = self.session_id
        self._log_tokens = structlog.contextvars.bind_contextvars(**bound)

    def unbind(self) -> None:
        if self._agent_token is not None:
            current_agent.reset(self._agent_token)
            self._agent_token = None
        structlog.contextvars.reset_contextvars(**self._log_tokens)
        self._log_tokens = {}

    def on_start(self, rt: Runtime) -> None:
        rt.metrics["agent_sessions_active"].child(self.agent).inc()
        orchestration = current_orchestration.get()
        if orchestration is not None:
            orchestration.agent_started(rt, self.agent)
        handoffs.arrive(rt, self.agent, self.span)
        rt.event(
            "agent_execution_started",
            {"operation": self.operation, "input_keys": sorted(self.attrs), **self.attrs},
        )

    def on_end(self, rt: Runtime, status: str, error: BaseException | None) -> None:
        rt.metrics["agent_sessions_active"].child(self.agent).dec()
        rt.metrics["agent_sessions_total"].child(self.agent, status, self.operation).inc()
        rt.metrics["agent_session_duration_seconds"].child(self.agent, self.operation).observe(
            self.duration
        )
        fields: dict[str, Any] = {
            "operation": self.operation,
            "status": status,
            "duration_ms": self.duration_ms,
        }
        if status == SUCCESS:
            rt.event("agent_execution_completed", fields)
            return
        if status == INTERRUPTED:
            rt.event("agent_execution_interrupted", fields)
            return
        category = (
            ErrorCategory.AGENT_TIMEOUT
            if status == TIMEOUT
            else ErrorCategory.AGENT_EXECUTION_FAILED
        )
        record_failure(rt, error, category, ErrorSeverity.HIGH, self.agent, self.operation)
        fields |= error_fields(error)
        rt.event("agent_execution_failed", fields)


def agent_run(
    agent: str, operation: str = "run", session_id: str | None = None, **attrs: Any
) -> AgentRun:
    """Instrument one agent execution (context manager, async context manager or decorator)."""
    return AgentRun(agent, operation, session_id, **attrs)


def _agent(agent: str | None) -> str | None:
    return agent or current_agent.get()


def state_transition(
    from_state: str, to_state: str, agent: str | None = None, **fields: Any
) -> None:
    """A workflow or agent state change: counter, span event, ``state_transition`` log."""

    def record() -> None:
        rt = current()
        name = _agent(agent)
        rt.metrics["agent_state_transitions_total"].child(name, from_state, to_state).inc()
        span_event(EVENT_STATE_TRANSITION, {"from_state": from_state, "to_state": to_state})
        rt.event(
            "state_transition",
            {"agent_id": name, "from_state": from_state, "to_state": to_state, **fields},
        )

    safely("state_transition", record)


def retry(
    operation: str,
    reason: str,
    attempt: int | None = None,
    agent: str | None = None,
    max_attempts: int | None = None,
) -> None:
    """One retry of ``operation`` because of ``reason`` (a bounded word: 'rate_limit', 'timeout')."""

    def record() -> None:
        rt = current()
        name = _agent(agent)
        rt.metrics["agent_retries_total"].child(name, operation, reason).inc()
        span_event(
            EVENT_RETRY, {"operation": operation, "retry_reason": reason, "attempt": attempt or 0}
        )
        rt.event(
            "retry_attempted",
            {
                "agent_id": name,
                "operation": operation,
                "retry_reason": reason,
                "attempt": attempt,
                "max_attempts": max_attempts,
            },
        )

    safely("retry", record)


def queue_depth(agent: str, depth: int, priority: str = "normal") -> None:
    """Set how many tasks wait in ``agent``'s queue."""
    safely(
        "queue", lambda: current().metrics["agent_queue_depth"].child(agent, priority).set(depth)
    )


def queue_wait(agent: str, seconds: float) -> None:
    """A task waited ``seconds`` in ``agent``'s queue before it started."""

    def record() -> None:
        rt = current()
        rt.metrics["agent_queue_wait_time_seconds"].child(agent).observe(seconds)
        rt.event("queue_task_dequeued", {"agent_id": agent, "wait_ms": round(seconds * 1000, 3)})

    safely("queue", record)


def agent_memory(agent: str, bytes_used: int, instance_id: str | None = None) -> None:
    """Memory held by one agent instance (defaults to this process)."""
    instance = instance_id or f"{socket.gethostname()}-{os.getpid()}"
    safely(
        "memory",
        lambda: (
            current().metrics["agent_memory_usage_bytes"].child(agent, instance).set(bytes_used)
        ),
    )


def memory_event(kind: str, agent: str | None = None, **fields: Any) -> None:
    """The ``memory_stored`` / ``memory_retrieved`` events (``kind`` is 'stored' or 'retrieved')."""
    name = "memory_stored" if kind == "stored" else "memory_retrieved"
    safely("memory", lambda: current().event(name, {"agent_id": _agent(agent), **fields}))
