"""Error tracking with categories and severities, and recovery attempts.

``track_error`` counts an error once on ``errors_total{error_type,severity}`` and
``agent_errors_total{agent_type,error_type,operation}``, logs ``error_tracked`` and records
it on the current span. Failed agent runs and tool calls go through the same function, and
an exception is never counted twice however many layers see it.
"""

from __future__ import annotations

import contextlib
import enum
from typing import Any

from opentelemetry import trace
from opentelemetry.trace import Status, StatusCode

from swarmscope.conventions.attributes import ERROR_CATEGORY, SWARMSCOPE_RECOVERY_STRATEGY
from swarmscope.conventions.spans import RECOVER
from swarmscope.instrument.operation import Operation, current_agent, safely
from swarmscope.telemetry.runtime import Runtime, current

_TRACKED = "__swarmscope_tracked__"


class ErrorCategory(enum.StrEnum):
    CLIENT_BAD_REQUEST = "client_bad_request"
    CLIENT_UNAUTHORIZED = "client_unauthorized"
    CLIENT_FORBIDDEN = "client_forbidden"
    CLIENT_NOT_FOUND = "client_not_found"
    CLIENT_RATE_LIMIT = "client_rate_limit"
    SERVER_INTERNAL = "server_internal"
    SERVER_UNAVAILABLE = "server_unavailable"
    SERVER_TIMEOUT = "server_timeout"
    SERVER_BAD_GATEWAY = "server_bad_gateway"
    AGENT_EXECUTION_FAILED = "agent_execution_failed"
    AGENT_TOOL_CALL_FAILED = "agent_tool_call_failed"
    AGENT_HANDOFF_FAILED = "agent_handoff_failed"
    AGENT_STATE_INVALID = "agent_state_invalid"
    AGENT_TIMEOUT = "agent_timeout"
    DATABASE_ERROR = "database_error"
    REDIS_ERROR = "redis_error"
    INTEGRATION_ERROR = "integration_error"
    INTEGRATION_RATE_LIMIT = "integration_rate_limit"
    INTEGRATION_AUTHENTICATION_ERROR = "integration_authentication_error"
    LLM_ERROR = "llm_error"
    HITL_TIMEOUT = "hitl_timeout"
    HITL_INVALID_RESPONSE = "hitl_invalid_response"
    HITL_COMMUNICATION_ERROR = "hitl_communication_error"
    COPILOTKIT_ACTION_ERROR = "copilotkit_action_error"
    AG_UI_PROTOCOL_ERROR = "ag_ui_protocol_error"
    MCP_PROTOCOL_ERROR = "mcp_protocol_error"
    SSE_STREAM_ERROR = "sse_stream_error"
    UNKNOWN = "unknown"


class ErrorSeverity(enum.StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


_HTTP_CATEGORIES = {
    400: ErrorCategory.CLIENT_BAD_REQUEST,
    401: ErrorCategory.CLIENT_UNAUTHORIZED,
    403: ErrorCategory.CLIENT_FORBIDDEN,
    404: ErrorCategory.CLIENT_NOT_FOUND,
    429: ErrorCategory.CLIENT_RATE_LIMIT,
    500: ErrorCategory.SERVER_INTERNAL,
    502: ErrorCategory.SERVER_BAD_GATEWAY,
    503: ErrorCategory.SERVER_UNAVAILABLE,
    504: ErrorCategory.SERVER_TIMEOUT,
}


def categorize_http_status(status_code: int) -> ErrorCategory:
    """The category of an HTTP error status."""
    return _HTTP_CATEGORIES.get(status_code, ErrorCategory.UNKNOWN)


def record_failure(
    rt: Runtime,
    error: BaseException | None,
    category: str,
    severity: str,
    agent: str | None,
    operation: str | None,
) -> bool:
    """Count one failure unless this exception was counted already; True if counted."""
    if error is not None:
        if getattr(error, _TRACKED, False):
            return False
        with contextlib.suppress(AttributeError):
            setattr(error, _TRACKED, True)
    rt.metrics["errors_total"].child(category, severity).inc()
    rt.metrics["agent_errors_total"].child(agent, category, operation).inc()
    return True


def track_error(
    error: BaseException,
    category: ErrorCategory | str = ErrorCategory.UNKNOWN,
    severity: ErrorSeverity | str = ErrorSeverity.MEDIUM,
    *,
    agent: str | None = None,
    operation: str | None = None,
    recoverable: bool = True,
    **context: Any,
) -> None:
    """Record an error the app handled (or is about to re-raise) with category and severity."""

    def record() -> None:
        rt = current()
        agent_name = agent or current_agent.get()
        if not record_failure(rt, error, str(category), str(severity), agent_name, operation):
            return
        span = trace.get_current_span()
        if span.is_recording():
            span.record_exception(error, attributes={ERROR_CATEGORY: str(category)})
            if str(severity) in (ErrorSeverity.HIGH, ErrorSeverity.CRITICAL):
                span.set_status(Status(StatusCode.ERROR, str(category)))
        rt.event(
            "error_tracked",
            {
                "error_type": type(error).__name__,
                "error_message": str(error),
                "error_category": str(category),
                "severity": str(severity),
                "recoverable": recoverable,
                "agent_id": agent_name,
                "operation": operation,
                "context": context,
            },
        )

    safely("track_error", record)


class Recovery(Operation):
    """A recovery attempt; succeeds unless the block raises or ``mark_failed`` is called."""

    where = "recovery"

    def __init__(self, category: ErrorCategory | str, strategy: str) -> None:
        self.category = str(category)
        self.strategy = strategy

    def span_name(self) -> str:
        return f"{RECOVER} {self.strategy}"

    def span_attributes(self) -> dict[str, Any]:
        return {ERROR_CATEGORY: self.category, SWARMSCOPE_RECOVERY_STRATEGY: self.strategy}

    def on_end(self, rt: Runtime, status: str, error: BaseException | None) -> None:
        succeeded = "true" if status == "success" else "false"
        rt.metrics["error_recovery_attempts_total"].child(
            self.category, self.strategy, succeeded
        ).inc()
        rt.metrics["error_recovery_duration_seconds"].child(self.category, self.strategy).observe(
            self.duration
        )
        rt.event(
            "error_recovery_attempted",
            {
                "error_category": self.category,
                "recovery_strategy": self.strategy,
                "success": succeeded == "true",
                "duration_seconds": round(self.duration, 6),
            },
        )


def recovery_attempt(category: ErrorCategory | str, strategy: str) -> Recovery:
    """Time one recovery attempt: ``with ss.recovery_attempt("integration_rate_limit", "backoff"):``."""
    return Recovery(category, strategy)


def record_unhandled(error: BaseException, module: str | None = None) -> None:
    """Count an exception that escaped the app's handlers (the middleware calls this)."""

    def record() -> None:
        rt = current()
        where = module or type(error).__module__
        rt.metrics["exceptions_unhandled_total"].child(type(error).__name__, where).inc()

    safely("unhandled", record)
