"""swarmscope: observability for multi-agent LLM systems.

One call per concept emits correlated Prometheus metrics, OpenTelemetry spans (GenAI
semantic conventions) and structlog JSON logs::

    import swarmscope as ss

    ss.init(service_name="support-desk", namespace="support")
    with ss.agent_run("ticket_triage", operation="classify"):
        with ss.tool_call("fetch_accounts"):
            ...

The root holds the lifecycle and the concept calls, and imports none of them until one is
first used (PEP 562): ``import swarmscope`` sits at the top of every module of an app, often
in processes that never record anything (a CLI, a migration, a test collector), so it costs
what ``_version`` costs and no more. The first name looked up imports its module and is kept
in this module's namespace, so later lookups are plain attribute reads on the hot path.
Type checkers and IDEs read the same names from the ``TYPE_CHECKING`` imports below.
"""

from __future__ import annotations

from importlib import import_module as _import_module
from typing import TYPE_CHECKING

from swarmscope._version import __version__

if TYPE_CHECKING:
    from typing import Any

    from swarmscope.config import ConfigError, Settings
    from swarmscope.exceptions import SwarmscopeError
    from swarmscope.instrument.agents import (
        agent_memory,
        agent_run,
        memory_event,
        queue_depth,
        queue_wait,
        retry,
        state_transition,
    )
    from swarmscope.instrument.app_signals import event, metric
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
    from swarmscope.instrument.security import (
        audit,
        auth_failure,
        guardrail_violation,
        rate_limit_rejected,
        rbac_denied,
    )
    from swarmscope.instrument.tools import (
        a2a_delegation,
        mcp_credential_error,
        mcp_tool,
        tool_call,
    )
    from swarmscope.instrument.ui import (
        ag_ui_event,
        copilotkit_action,
        frontend_event,
        sse_connection,
        user_action,
    )
    from swarmscope.instrument.workflows import route, workflow, workflow_node
    from swarmscope.integrations.a2a import instrument_a2a
    from swarmscope.integrations.ag_ui import ag_ui_stream
    from swarmscope.integrations.anthropic import instrument_anthropic, uninstrument_anthropic
    from swarmscope.integrations.langgraph import instrument_langgraph
    from swarmscope.integrations.mcp import instrument_mcp
    from swarmscope.integrations.openai import instrument_openai, uninstrument_openai
    from swarmscope.integrations.openai_agents import (
        instrument_openai_agents,
        uninstrument_openai_agents,
    )
    from swarmscope.integrations.other_spans import count_other_spans
    from swarmscope.propagation import continue_trace, current_trace_id, inject_headers
    from swarmscope.telemetry.runtime import current, init, is_initialized, shutdown

# Where each lazy name lives: module -> the names it gives the root. Kept in step with the
# TYPE_CHECKING imports above (a test compares the two).
_MODULES: dict[str, tuple[str, ...]] = {
    "swarmscope.config": ("ConfigError", "Settings"),
    "swarmscope.exceptions": ("SwarmscopeError",),
    "swarmscope.instrument.agents": (
        "agent_memory",
        "agent_run",
        "memory_event",
        "queue_depth",
        "queue_wait",
        "retry",
        "state_transition",
    ),
    "swarmscope.instrument.app_signals": ("event", "metric"),
    "swarmscope.instrument.data": ("cache_lookup", "db_pool", "db_query"),
    "swarmscope.instrument.errors": (
        "ErrorCategory",
        "ErrorSeverity",
        "categorize_http_status",
        "record_unhandled",
        "recovery_attempt",
        "track_error",
    ),
    "swarmscope.instrument.handoffs": ("handoff",),
    "swarmscope.instrument.hitl": ("approval", "frontend_approval"),
    "swarmscope.instrument.integrations": (
        "BreakerState",
        "CircuitBreaker",
        "CircuitOpenError",
        "integration_call",
        "integration_health",
    ),
    "swarmscope.instrument.llm": ("llm_call",),
    "swarmscope.instrument.orchestration": ("orchestration",),
    "swarmscope.instrument.security": (
        "audit",
        "auth_failure",
        "guardrail_violation",
        "rate_limit_rejected",
        "rbac_denied",
    ),
    "swarmscope.instrument.tools": (
        "a2a_delegation",
        "mcp_credential_error",
        "mcp_tool",
        "tool_call",
    ),
    "swarmscope.instrument.ui": (
        "ag_ui_event",
        "copilotkit_action",
        "frontend_event",
        "sse_connection",
        "user_action",
    ),
    "swarmscope.instrument.workflows": ("route", "workflow", "workflow_node"),
    "swarmscope.integrations.a2a": ("instrument_a2a",),
    "swarmscope.integrations.ag_ui": ("ag_ui_stream",),
    "swarmscope.integrations.mcp": ("instrument_mcp",),
    "swarmscope.integrations.other_spans": ("count_other_spans",),
    "swarmscope.integrations.langgraph": ("instrument_langgraph",),
    "swarmscope.integrations.anthropic": ("instrument_anthropic", "uninstrument_anthropic"),
    "swarmscope.integrations.openai": ("instrument_openai", "uninstrument_openai"),
    "swarmscope.integrations.openai_agents": (
        "instrument_openai_agents",
        "uninstrument_openai_agents",
    ),
    "swarmscope.propagation": ("continue_trace", "current_trace_id", "inject_headers"),
    "swarmscope.telemetry.runtime": ("current", "init", "is_initialized", "shutdown"),
}
_LAZY: dict[str, str] = {name: module for module, names in _MODULES.items() for name in names}


def __getattr__(name: str) -> Any:
    """Import the module behind a root name on its first use and keep the name here."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(_import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    """The lazy names too, so ``dir(swarmscope)`` and completion show the whole root."""
    return sorted({*globals(), *_LAZY})


def get_logger(name: str | None = None) -> Any:
    """A structlog logger whose lines carry trace ids and go through swarmscope's pipeline."""
    import structlog

    from swarmscope.telemetry.runtime import current

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
    "SwarmscopeError",
    "__version__",
    "a2a_delegation",
    "ag_ui_event",
    "ag_ui_stream",
    "agent_memory",
    "agent_run",
    "approval",
    "audit",
    "auth_failure",
    "cache_lookup",
    "categorize_http_status",
    "continue_trace",
    "copilotkit_action",
    "count_other_spans",
    "current",
    "current_trace_id",
    "db_pool",
    "db_query",
    "event",
    "frontend_approval",
    "frontend_event",
    "get_logger",
    "guardrail_violation",
    "handoff",
    "init",
    "inject_headers",
    "instrument_a2a",
    "instrument_anthropic",
    "instrument_langgraph",
    "instrument_mcp",
    "instrument_openai",
    "instrument_openai_agents",
    "integration_call",
    "integration_health",
    "is_initialized",
    "llm_call",
    "mcp_credential_error",
    "mcp_tool",
    "memory_event",
    "metric",
    "orchestration",
    "queue_depth",
    "queue_wait",
    "rate_limit_rejected",
    "rbac_denied",
    "record_unhandled",
    "recovery_attempt",
    "retry",
    "route",
    "shutdown",
    "sse_connection",
    "state_transition",
    "tool_call",
    "track_error",
    "uninstrument_anthropic",
    "uninstrument_openai",
    "uninstrument_openai_agents",
    "user_action",
    "workflow",
    "workflow_node",
]
