"""The catalog: every metric family and every log event swarmscope emits, declared once.

The SDK builds its Prometheus families from ``METRICS``; the ops bundle, the server and the
tests read the same declarations, so a dashboard or rule can only name what the SDK exports.

Names are written without the namespace: ``agent_sessions_total`` is exported as
``myapp_agent_sessions_total`` under ``namespace="myapp"``. An app adds families of its own
in the same form through ``swarmscope.app_catalog``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

MetricKind = Literal["counter", "gauge", "histogram", "summary"]
# How a gauge's values from gunicorn workers add up: prometheus-client's multiprocess modes.
MultiprocessMode = Literal[
    "all",
    "liveall",
    "min",
    "livemin",
    "max",
    "livemax",
    "sum",
    "livesum",
    "mostrecent",
    "livemostrecent",
]

# The statuses instrumentation emits, and only these.
SUCCESS = "success"
FAILURE = "failure"
TIMEOUT = "timeout"
# A run that stopped to wait for a person (an AG-UI or LangGraph interrupt): not a success,
# and no failure either; the run that resumes it reports how it ends.
INTERRUPTED = "interrupted"


@dataclass(frozen=True)
class MetricSpec:
    """One Prometheus family: what a dashboard, a rule and the SDK agree on."""

    name: str
    kind: MetricKind
    help: str
    labels: tuple[str, ...] = ()
    buckets: tuple[float, ...] | None = None
    group: str = "core"
    # How gauges add up across gunicorn workers in multiprocess mode.
    multiprocess_mode: MultiprocessMode = "livesum"

    def full_name(self, namespace: str) -> str:
        return f"{namespace}_{self.name}"


@dataclass(frozen=True)
class EventSpec:
    """One log event name, the level it is logged at and the concept that emits it."""

    name: str
    level: str
    group: str
    description: str


def _m(
    name: str,
    kind: MetricKind,
    help: str,
    labels: tuple[str, ...] = (),
    buckets: tuple[float, ...] | None = None,
    *,
    group: str,
    multiprocess_mode: MultiprocessMode = "livesum",
) -> MetricSpec:
    return MetricSpec(name, kind, help, labels, buckets, group, multiprocess_mode)


# Duration buckets start at 5 ms: a quantile read from buckets is only known to within the
# bucket it falls in, and durations under the lowest bound read as "at most that bound".
# Families whose buckets are a published contract keep them (the server computes the quantiles
# of the families it derives from spans from the spans' own durations).
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)
LLM_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 30, 60, 120)
SIZE_BUCKETS = (100, 1000, 10000, 100000, 1000000)
# prometheus-client's default buckets: what a histogram declared without buckets gets.
DEFAULT_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10)

METRICS: tuple[MetricSpec, ...] = (
    # --- agents ---
    _m(
        "agent_sessions_total",
        "counter",
        "Total agent sessions",
        ("agent_type", "status", "operation"),
        group="agent",
    ),
    _m(
        "agent_session_duration_seconds",
        "histogram",
        "Agent session execution time",
        ("agent_type", "operation"),
        (1, 5, 10, 30, 60, 120, 300, 600),
        group="agent",
    ),
    _m(
        "agent_sessions_active",
        "gauge",
        "Currently active agent sessions",
        ("agent_type",),
        group="agent",
    ),
    _m(
        "agent_state_transitions_total",
        "counter",
        "Total agent state transitions",
        ("agent_type", "from_state", "to_state"),
        group="agent",
    ),
    _m(
        "agent_errors_total",
        "counter",
        "Total agent errors",
        ("agent_type", "error_type", "operation"),
        group="agent",
    ),
    _m(
        "agent_retries_total",
        "counter",
        "Total agent retry attempts",
        ("agent_type", "operation", "retry_reason"),
        group="agent",
    ),
    _m(
        "agent_queue_depth",
        "gauge",
        "Number of tasks waiting in agent queue",
        ("agent_type", "priority"),
        group="agent",
    ),
    _m(
        "agent_queue_wait_time_seconds",
        "histogram",
        "Time tasks wait in queue before execution",
        ("agent_type",),
        (0.1, 0.5, 1, 5, 10, 30, 60),
        group="agent",
    ),
    _m(
        "agent_memory_usage_bytes",
        "gauge",
        "Memory usage per agent instance",
        ("agent_type", "agent_instance_id"),
        group="agent",
        multiprocess_mode="liveall",
    ),
    # --- handoffs ---
    _m(
        "agent_handoffs_total",
        "counter",
        "Total agent handoffs",
        ("from_agent", "to_agent", "status"),
        group="handoff",
    ),
    _m(
        "agent_handoff_duration_seconds",
        "histogram",
        "Agent handoff latency",
        ("from_agent", "to_agent"),
        (0.1, 0.5, 1, 2, 5, 10),
        group="handoff",
    ),
    # --- tools ---
    _m(
        "agent_tool_calls_total",
        "counter",
        "Total agent tool calls",
        ("agent_type", "tool_name", "status"),
        group="tool",
    ),
    _m(
        "agent_tool_call_duration_seconds",
        "histogram",
        "Agent tool call execution time",
        ("agent_type", "tool_name"),
        (0.1, 0.5, 1, 2, 5, 10, 30),
        group="tool",
    ),
    # --- human in the loop ---
    _m(
        "hitl_approvals_requested_total",
        "counter",
        "Total HITL approvals requested",
        ("approval_type", "agent_type"),
        group="hitl",
    ),
    _m(
        "hitl_approvals_received_total",
        "counter",
        "Total HITL approvals received",
        ("approval_type", "decision", "agent_type"),
        group="hitl",
    ),
    _m(
        "hitl_approval_latency_seconds",
        "histogram",
        "Time from approval request to user response",
        ("approval_type", "agent_type"),
        (1, 5, 10, 30, 60, 120, 300, 600, 1800),
        group="hitl",
    ),
    _m(
        "hitl_approval_timeouts_total",
        "counter",
        "Total HITL approval timeouts",
        ("approval_type", "agent_type"),
        group="hitl",
    ),
    _m(
        "hitl_approvals_pending",
        "gauge",
        "Currently pending HITL approvals",
        ("approval_type",),
        group="hitl",
    ),
    # --- CopilotKit, AG-UI and SSE ---
    _m(
        "copilotkit_actions_total",
        "counter",
        "Total CopilotKit actions invoked",
        ("action_name", "status"),
        group="ui",
    ),
    _m(
        "copilotkit_action_duration_seconds",
        "histogram",
        "CopilotKit action execution time",
        ("action_name",),
        (0.5, 1, 2, 5, 10, 30, 60),
        group="ui",
    ),
    _m(
        "ag_ui_events_emitted_total",
        "counter",
        "Total AG UI Protocol events emitted",
        ("event_type", "agent_type"),
        group="ui",
    ),
    _m(
        "ag_ui_events_received_total",
        "counter",
        "Total AG UI Protocol events received by frontend",
        ("event_type",),
        group="ui",
    ),
    _m("sse_connections_active", "gauge", "Currently active SSE connections", group="ui"),
    _m(
        "sse_messages_sent_total",
        "counter",
        "Total SSE messages sent",
        ("message_type",),
        group="ui",
    ),
    _m(
        "sse_connection_duration_seconds",
        "histogram",
        "SSE connection duration",
        (),
        (10, 30, 60, 120, 300, 600, 1800),
        group="ui",
    ),
    # --- the page (pushed as OTLP by the browser package, js/browser) ---
    _m(
        "frontend_errors_total",
        "counter",
        "Errors the page caught (uncaught, unhandled rejections, error boundaries)",
        ("error_type", "source"),
        group="ui",
    ),
    _m(
        "frontend_backend_latency_seconds",
        "histogram",
        "Time from the page sending a request to its response's headers",
        ("method", "status"),
        LATENCY_BUCKETS,
        group="ui",
    ),
    # --- orchestration ---
    _m(
        "orchestration_requests_total",
        "counter",
        "Total orchestration requests",
        ("operation", "status"),
        group="orchestration",
    ),
    _m(
        "orchestration_duration_seconds",
        "histogram",
        "End-to-end orchestration time",
        ("operation",),
        (5, 10, 30, 60, 120, 300, 600),
        group="orchestration",
    ),
    _m(
        "orchestration_steps_total",
        "summary",
        "Number of steps in orchestration",
        ("operation",),
        group="orchestration",
    ),
    _m(
        "orchestration_agents_spawned_total",
        "counter",
        "Total agents spawned per orchestration",
        ("operation", "agent_type"),
        group="orchestration",
    ),
    _m(
        "orchestration_parallel_executions",
        "gauge",
        "Number of parallel agent executions",
        ("operation",),
        group="orchestration",
    ),
    # --- HTTP ---
    _m(
        "http_requests_total",
        "counter",
        "Total HTTP requests",
        ("method", "endpoint", "status"),
        group="http",
    ),
    _m(
        "http_request_duration_seconds",
        "histogram",
        "HTTP request duration",
        ("method", "endpoint"),
        (0.01, 0.05, 0.1, 0.5, 1, 2, 5),
        group="http",
    ),
    _m(
        "http_requests_in_progress",
        "gauge",
        "Currently processing HTTP requests",
        ("method", "endpoint"),
        group="http",
    ),
    _m(
        "http_request_body_size_bytes",
        "histogram",
        "HTTP request body size",
        ("method", "endpoint"),
        SIZE_BUCKETS,
        group="http",
    ),
    _m(
        "http_response_body_size_bytes",
        "histogram",
        "HTTP response body size",
        ("method", "endpoint"),
        SIZE_BUCKETS,
        group="http",
    ),
    _m(
        "rate_limit_rejections_total",
        "counter",
        "Requests rejected by a local rate limiter",
        ("key",),
        group="http",
    ),
    # --- errors: tracked by category, unhandled, recovery ---
    _m(
        "errors_total",
        "counter",
        "Errors tracked, by category and severity",
        ("error_type", "severity"),
        group="error",
    ),
    _m(
        "exceptions_unhandled_total",
        "counter",
        "Exceptions that escaped instrumented code",
        ("exception_type", "module"),
        group="error",
    ),
    _m(
        "error_recovery_attempts_total",
        "counter",
        "Total error recovery attempts",
        ("error_category", "recovery_strategy", "success"),
        group="error",
    ),
    _m(
        "error_recovery_duration_seconds",
        "histogram",
        "Error recovery duration",
        ("error_category", "recovery_strategy"),
        DEFAULT_BUCKETS,
        group="error",
    ),
    # --- integrations: any external system, by name (label integration_name) ---
    _m(
        "integration_health_status",
        "gauge",
        "Health status of external integrations (1=healthy, 0=unhealthy)",
        ("integration_name",),
        group="integration",
        multiprocess_mode="max",
    ),
    _m(
        "integration_calls_total",
        "counter",
        "Calls to external integrations",
        ("integration_name", "operation", "status"),
        group="integration",
    ),
    _m(
        "integration_call_duration_seconds",
        "histogram",
        "External integration call duration",
        ("integration_name", "operation"),
        LATENCY_BUCKETS,
        group="integration",
    ),
    _m(
        "integration_rate_limit_hits_total",
        "counter",
        "Rate-limit answers (429) from integrations",
        ("integration_name",),
        group="integration",
    ),
    _m(
        "circuit_breaker_state",
        "gauge",
        "Circuit breaker state (0=closed, 1=open, 2=half-open)",
        ("integration_name",),
        group="integration",
        multiprocess_mode="max",
    ),
    # --- database and cache ---
    _m(
        "db_connections_active",
        "gauge",
        "Active database connections",
        group="database",
    ),
    _m(
        "db_connections_total",
        "gauge",
        "Total database connections",
        group="database",
    ),
    _m(
        "db_query_duration_seconds",
        "histogram",
        "Database query duration",
        ("operation",),
        (0.01, 0.05, 0.1, 0.5, 1, 5),
        group="database",
    ),
    _m(
        "db_queries_total",
        "counter",
        "Total database queries",
        ("operation", "status"),
        group="database",
    ),
    _m("cache_hits_total", "counter", "Cache hits", ("cache_name",), group="cache"),
    _m(
        "cache_misses_total",
        "counter",
        "Cache misses",
        ("cache_name",),
        group="cache",
    ),
    _m(
        "cache_operation_duration_seconds",
        "histogram",
        "Cache lookup duration",
        ("cache_name", "result"),
        (0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5),
        group="cache",
    ),
    # --- workflows ---
    _m(
        "workflow_executions_total",
        "counter",
        "Workflow executions",
        ("workflow_name", "status"),
        group="workflow",
    ),
    _m(
        "workflow_duration_seconds",
        "histogram",
        "Workflow execution time",
        ("workflow_name",),
        (0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 120, 300, 600),
        group="workflow",
    ),
    _m(
        "workflow_nodes_executed_total",
        "counter",
        "Workflow nodes executed",
        ("workflow_name", "node_name", "status"),
        group="workflow",
    ),
    _m(
        "workflow_node_duration_seconds",
        "histogram",
        "Workflow node execution time",
        ("workflow_name", "node_name"),
        LATENCY_BUCKETS,
        group="workflow",
    ),
    _m(
        "routing_decisions_total",
        "counter",
        "Routing decisions, by route",
        ("workflow_name", "route"),
        group="workflow",
    ),
    _m(
        "routing_confidence",
        "histogram",
        "Confidence of routing decisions",
        ("workflow_name",),
        (0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 1.0),
        group="workflow",
    ),
    # --- LLM calls ---
    _m(
        "llm_requests_total",
        "counter",
        "LLM requests",
        ("model", "provider", "agent_type", "status"),
        group="llm",
    ),
    _m(
        "llm_request_duration_seconds",
        "histogram",
        "LLM request duration",
        ("model", "provider", "agent_type"),
        LLM_BUCKETS,
        group="llm",
    ),
    _m(
        "llm_tokens_total",
        "counter",
        "LLM tokens, by direction (input or output)",
        ("model", "provider", "agent_type", "token_type"),
        group="llm",
    ),
    _m(
        "llm_cost_usd_total",
        "counter",
        "Estimated LLM cost in US dollars",
        ("model", "provider", "agent_type"),
        group="llm",
    ),
    _m(
        "llm_price_missing_total",
        "counter",
        "LLM calls whose model has no known price",
        ("model", "provider"),
        group="llm",
    ),
    _m(
        "llm_cache_hits_total",
        "counter",
        "LLM responses served from a cache",
        ("model", "provider"),
        group="llm",
    ),
    # --- MCP tools and A2A delegation ---
    _m(
        "mcp_tool_invocations_total",
        "counter",
        "MCP tool invocations",
        ("tool_name", "status"),
        group="mcp",
    ),
    _m(
        "mcp_tool_invocation_duration_seconds",
        "histogram",
        "MCP tool invocation duration",
        ("tool_name",),
        LATENCY_BUCKETS,
        group="mcp",
    ),
    _m(
        "mcp_credential_errors_total",
        "counter",
        "MCP tools that failed to load credentials",
        ("tool_name",),
        group="mcp",
    ),
    _m(
        "a2a_delegations_total",
        "counter",
        "A2A tasks delegated to another agent service",
        ("target_agent", "status"),
        group="a2a",
    ),
    _m(
        "a2a_delegation_duration_seconds",
        "histogram",
        "A2A delegation round-trip time",
        ("target_agent",),
        LATENCY_BUCKETS,
        group="a2a",
    ),
    # --- security and audit ---
    _m(
        "audit_events_total",
        "counter",
        "Audit events recorded",
        ("event_type", "outcome"),
        group="security",
    ),
    _m(
        "auth_failures_total",
        "counter",
        "Authentication failures",
        ("reason",),
        group="security",
    ),
    _m(
        "rbac_denials_total",
        "counter",
        "Requests denied by role-based access control",
        ("resource", "role"),
        group="security",
    ),
    _m(
        "guardrail_violations_total",
        "counter",
        "Guardrail violations detected",
        ("guardrail", "action"),
        group="security",
    ),
    # --- process, collected at scrape time ---
    _m(
        "process_memory_bytes",
        "gauge",
        "Process memory usage in bytes",
        group="system",
        multiprocess_mode="liveall",
    ),
    _m(
        "process_cpu_seconds_total",
        "counter",
        "Total CPU time consumed",
        group="system",
    ),
    _m(
        "process_open_fds",
        "gauge",
        "Number of open file descriptors",
        group="system",
        multiprocess_mode="liveall",
    ),
    # --- swarmscope about itself ---
    _m(
        "telemetry_dropped_total",
        "counter",
        "Telemetry swarmscope dropped instead of blocking the app, by signal and reason",
        ("signal", "reason"),
        group="self",
    ),
    _m(
        "telemetry_exported_total",
        "counter",
        "Telemetry items exported, by signal",
        ("signal",),
        group="self",
    ),
    _m(
        "telemetry_label_overflow_total",
        "counter",
        "Label values folded into 'other' because a label reached its value limit",
        ("metric", "label"),
        group="self",
    ),
    _m(
        "telemetry_instrumentation_errors_total",
        "counter",
        "Errors inside swarmscope's instrumentation, swallowed to protect the app",
        ("where",),
        group="self",
    ),
)

# Metrics computed from the process at scrape time instead of by an instrumentation call.
SCRAPE_TIME_METRICS = frozenset(
    {"process_memory_bytes", "process_cpu_seconds_total", "process_open_fds"}
)

# By name: swarmscope's families and, once registered, each app catalog's
# (``swarmscope.app_catalog.register``), so queries resolve either alike.
METRICS_BY_NAME: dict[str, MetricSpec] = {spec.name: spec for spec in METRICS}


def _e(name: str, level: str, group: str, description: str) -> EventSpec:
    return EventSpec(name, level, group, description)


EVENTS: tuple[EventSpec, ...] = (
    # requests (the web middleware)
    _e("request_started", "debug", "http", "An HTTP request arrived"),
    _e("request_completed", "info", "http", "An HTTP request was answered"),
    _e("request_failed", "error", "http", "An HTTP request raised before it was answered"),
    # orchestration
    _e("orchestration_started", "info", "orchestration", "New orchestration request"),
    _e("orchestration_completed", "info", "orchestration", "Orchestration finished"),
    _e("orchestration_failed", "error", "orchestration", "Orchestration error"),
    _e("agent_spawned", "info", "orchestration", "Agent instance created for an orchestration"),
    # agents
    _e("agent_execution_started", "info", "agent", "Agent begins work"),
    _e("agent_execution_completed", "info", "agent", "Agent finishes"),
    _e("agent_execution_failed", "error", "agent", "Agent error"),
    _e("agent_execution_interrupted", "info", "agent", "Agent stops to wait for a person"),
    _e("agent_handoff", "info", "handoff", "Transition between agents"),
    _e("agent_handoff_failed", "error", "handoff", "A handoff between agents failed"),
    _e("state_transition", "info", "agent", "Workflow or agent state change"),
    _e("retry_attempted", "warning", "agent", "An operation is retried"),
    _e("queue_task_dequeued", "debug", "agent", "A queued task started after waiting"),
    _e("memory_stored", "info", "agent", "Data persisted to memory"),
    _e("memory_retrieved", "info", "agent", "Data fetched from memory"),
    # tools
    _e("tool_call_started", "debug", "tool", "Agent calls tool"),
    _e("tool_call_completed", "info", "tool", "Tool returns"),
    _e("tool_call_failed", "error", "tool", "Tool error"),
    _e("mcp_tool_invoked", "info", "mcp", "An MCP tool answered"),
    _e("mcp_tool_failed", "error", "mcp", "An MCP tool invocation failed"),
    _e("a2a_delegation_completed", "info", "a2a", "A delegated A2A task answered"),
    _e("a2a_delegation_failed", "error", "a2a", "A delegated A2A task failed"),
    # human in the loop
    _e("hitl_approval_required", "info", "hitl", "HITL workflow triggered"),
    _e("hitl_approval_received", "info", "hitl", "User responded"),
    _e("hitl_approval_timeout", "error", "hitl", "No response within timeout"),
    _e("hitl_approval_cancelled", "warning", "hitl", "Approval abandoned by an error or cancel"),
    # LLM
    _e("llm_call_completed", "info", "llm", "An LLM call returned"),
    _e("llm_call_failed", "error", "llm", "An LLM call failed"),
    _e("llm_price_missing", "warning", "llm", "No price is known for a model"),
    # routing
    _e("routing_decision", "info", "workflow", "A router chose a route"),
    # workflows
    _e("workflow_started", "info", "workflow", "A workflow started"),
    _e("workflow_completed", "info", "workflow", "A workflow finished"),
    _e("workflow_failed", "error", "workflow", "A workflow failed"),
    _e("workflow_node_completed", "info", "workflow", "A workflow node finished"),
    _e("workflow_node_failed", "error", "workflow", "A workflow node failed"),
    # integrations
    _e("integration_call_started", "debug", "integration", "External API call started"),
    _e("integration_call_completed", "info", "integration", "External API call returned"),
    _e("integration_call_failed", "error", "integration", "External API call failed"),
    _e("rate_limit_hit", "warning", "integration", "An integration answered 429"),
    _e("circuit_breaker_opened", "critical", "integration", "A circuit breaker opened"),
    _e("circuit_breaker_half_opened", "warning", "integration", "A circuit breaker is probing"),
    _e("circuit_breaker_closed", "info", "integration", "A circuit breaker closed"),
    _e("integration_health_changed", "warning", "integration", "An integration's health changed"),
    _e("database_query_started", "debug", "database", "Database query started"),
    _e("database_query_completed", "debug", "database", "Database query returned"),
    _e("database_query_failed", "error", "database", "Database query failed"),
    _e("database_deadlock_detected", "error", "database", "Database reported a deadlock"),
    _e("cache_lookup", "debug", "cache", "A cache was consulted"),
    # errors
    _e("error_tracked", "error", "error", "An error with category and severity"),
    _e("error_recovery_attempted", "info", "error", "A recovery strategy ran"),
    # frontend and streaming
    _e("user_action_triggered", "info", "ui", "User clicks button"),
    _e("copilot_action_started", "debug", "ui", "CopilotKit action invoked"),
    _e("copilot_action_completed", "info", "ui", "CopilotKit action finished"),
    _e("copilot_action_failed", "error", "ui", "CopilotKit action error"),
    _e("ag_ui_event_emitted", "debug", "ui", "AG UI Protocol event sent"),
    _e("ag_ui_event_received", "debug", "ui", "AG UI Protocol event received"),
    _e("hitl_approval_requested", "info", "ui", "UI shows approval prompt"),
    _e("hitl_approval_submitted", "info", "ui", "User approves or rejects in the UI"),
    _e("sse_connection_opened", "info", "ui", "SSE stream started"),
    _e("sse_connection_closed", "info", "ui", "SSE stream ended"),
    _e("sse_message_received", "debug", "ui", "SSE event received"),
    _e("sse_connection_error", "warning", "ui", "SSE stream failed or is reconnecting"),
    _e("frontend_error", "error", "ui", "The page caught an error"),
    # security and audit
    _e("audit_event", "info", "security", "An audited action"),
    _e("auth_failed", "warning", "security", "Authentication failed"),
    _e("rbac_denied", "warning", "security", "Access denied by role"),
    _e("guardrail_violation_detected", "warning", "security", "A guardrail flagged content"),
    _e("rate_limit_rejected", "warning", "security", "A local rate limiter refused a request"),
)

# The same for events: swarmscope's and the registered app catalogs'.
EVENTS_BY_NAME: dict[str, EventSpec] = {spec.name: spec for spec in EVENTS}
