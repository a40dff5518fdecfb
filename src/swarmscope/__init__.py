"""swarmscope: observability for multi-agent LLM systems.

One call per concept emits correlated Prometheus metrics, OpenTelemetry spans (GenAI
semantic conventions) and structlog JSON logs::

    import swarmscope as ss

    ss.init(service_name="account-manager", namespace="sergas")
    with ss.agent_run("zoho_data_scout", operation="account_analysis"):
        with ss.tool_call("fetch_accounts"):
            ...
"""

from swarmscope._version import __version__
from swarmscope.config import ConfigError, Settings
from swarmscope.instrument.agents import (
    agent_memory,
    agent_run,
    memory_event,
    queue_depth,
    queue_wait,
    retry,
    state_transition,
)
from swarmscope.instrument.data import cache_lookup, db_pool, db_query
from swarmscope.instrument.errors import (
    ErrorCategory,
    ErrorSeverity,
    categorize_http_status,
    record_unhandled,
    recovery_attempt,
    track_error,
)
from swarmscope.instrument.handoffs import handoff
from swarmscope.instrument.hitl import approval, frontend_approval
from swarmscope.instrument.integrations import (
    BreakerState,
    CircuitBreaker,
    CircuitOpenError,
    integration_call,
    integration_health,
)
from swarmscope.instrument.llm import llm_call
from swarmscope.instrument.orchestration import orchestration
from swarmscope.instrument.recommendations import recommendation
from swarmscope.instrument.security import (
    audit,
    auth_failure,
    guardrail_violation,
    rate_limit_rejected,
    rbac_denied,
)
from swarmscope.instrument.tools import a2a_delegation, mcp_credential_error, mcp_tool, tool_call
from swarmscope.instrument.ui import (
    ag_ui_event,
    copilotkit_action,
    frontend_event,
    sse_connection,
    user_action,
)
from swarmscope.instrument.workflows import route, workflow, workflow_node
from swarmscope.propagation import continue_trace, current_trace_id, inject_headers
from swarmscope.telemetry.runtime import current, init, is_initialized, shutdown


def get_logger(name: str | None = None) -> object:
    """A structlog logger whose lines carry trace ids and go through swarmscope's pipeline."""
    import structlog

    current()
    return structlog.get_logger(name)


__all__ = [
    "BreakerState",
    "CircuitBreaker",
    "CircuitOpenError",
    "ConfigError",
    "ErrorCategory",
    "ErrorSeverity",
    "Settings",
    "__version__",
    "a2a_delegation",
    "ag_ui_event",
    "agent_memory",
    "agent_run",
    "approval",
    "audit",
    "auth_failure",
    "cache_lookup",
    "categorize_http_status",
    "continue_trace",
    "copilotkit_action",
    "current",
    "current_trace_id",
    "db_pool",
    "db_query",
    "frontend_approval",
    "frontend_event",
    "get_logger",
    "guardrail_violation",
    "handoff",
    "init",
    "inject_headers",
    "integration_call",
    "integration_health",
    "is_initialized",
    "llm_call",
    "mcp_credential_error",
    "mcp_tool",
    "memory_event",
    "orchestration",
    "queue_depth",
    "queue_wait",
    "rate_limit_rejected",
    "rbac_denied",
    "recommendation",
    "record_unhandled",
    "recovery_attempt",
    "retry",
    "route",
    "shutdown",
    "sse_connection",
    "state_transition",
    "tool_call",
    "track_error",
    "user_action",
    "workflow",
    "workflow_node",
]
