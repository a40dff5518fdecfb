"""The catalog: every metric family and every log event swarmscope emits, declared once.

The SDK builds its Prometheus families from ``METRICS``; the ops bundle, the server and the
tests read the same declarations, so a dashboard or rule can only name what the SDK exports.

Names are written without the namespace: ``agent_sessions_total`` is exported as
``sergas_agent_sessions_total`` under ``namespace="sergas"``. Where the seed plans disagree
the first plan wins (names, labels, buckets); the other plans' metrics are added, and seed
metrics that only restate another family are listed in ``SEED_ALIASES`` with the expression
that serves them, instead of being exported twice.
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

# The first plan's "recoverable" vocabulary for statuses; instrumentation emits these only.
SUCCESS = "success"
FAILURE = "failure"
TIMEOUT = "timeout"


@dataclass(frozen=True)
class MetricSpec:
    """One Prometheus family: what a dashboard, a rule and the SDK agree on."""

    name: str
    kind: MetricKind
    help: str
    labels: tuple[str, ...] = ()
    buckets: tuple[float, ...] | None = None
    group: str = "core"
    source: str = "plan1"
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


@dataclass(frozen=True)
class SeedAlias:
    """A metric a seed names that another family already measures; served by a query."""

    name: str
    expr: str
    source: str
    note: str


def _m(
    name: str,
    kind: MetricKind,
    help: str,
    labels: tuple[str, ...] = (),
    buckets: tuple[float, ...] | None = None,
    *,
    group: str,
    source: str = "plan1",
    multiprocess_mode: MultiprocessMode = "livesum",
) -> MetricSpec:
    return MetricSpec(name, kind, help, labels, buckets, group, source, multiprocess_mode)


LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)
LLM_BUCKETS = (0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 30, 60, 120)
SIZE_BUCKETS = (100, 1000, 10000, 100000, 1000000)
# prometheus-client's default buckets: what a seed histogram declared without buckets gets.
DEFAULT_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10)

METRICS: tuple[MetricSpec, ...] = (
    # --- agents (plan 1) ---
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
    # --- handoffs (plan 1) ---
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
    # --- tools (plan 1) ---
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
    # --- human in the loop (plan 1) ---
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
    # --- CopilotKit, AG-UI and SSE (plan 1) ---
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
    # --- orchestration (plan 1) ---
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
    # --- recommendations (plan 1) ---
    _m(
        "recommendations_generated_total",
        "counter",
        "Total recommendations generated",
        ("recommendation_type", "priority", "confidence_tier"),
        group="recommendation",
    ),
    _m(
        "recommendations_approved_total",
        "counter",
        "Total recommendations approved via HITL",
        ("recommendation_type", "priority"),
        group="recommendation",
    ),
    _m(
        "recommendations_rejected_total",
        "counter",
        "Total recommendations rejected via HITL",
        ("recommendation_type", "rejection_reason"),
        group="recommendation",
    ),
    _m(
        "recommendation_confidence_score",
        "histogram",
        "Confidence scores of generated recommendations",
        ("recommendation_type",),
        (0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 1.0),
        group="recommendation",
    ),
    # --- HTTP (plan 2's API metrics, plan 1's body sizes) ---
    _m(
        "http_requests_total",
        "counter",
        "Total HTTP requests",
        ("method", "endpoint", "status"),
        group="http",
        source="plan2",
    ),
    _m(
        "http_request_duration_seconds",
        "histogram",
        "HTTP request duration",
        ("method", "endpoint"),
        (0.01, 0.05, 0.1, 0.5, 1, 2, 5),
        group="http",
        source="plan2",
    ),
    _m(
        "http_requests_in_progress",
        "gauge",
        "Currently processing HTTP requests",
        ("method", "endpoint"),
        group="http",
        source="plan2",
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
        source="plan5",
    ),
    # --- errors (plan 1: tracker, recovery; the dashboards' error families) ---
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
    # --- integrations: any external API, plus the plans' named ones ---
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
        source="plan3",
    ),
    _m(
        "integration_call_duration_seconds",
        "histogram",
        "External integration call duration",
        ("integration_name", "operation"),
        LATENCY_BUCKETS,
        group="integration",
        source="plan3",
    ),
    _m(
        "integration_rate_limit_hits_total",
        "counter",
        "Rate-limit answers (429) from integrations",
        ("integration_name",),
        group="integration",
        source="plan1",
    ),
    _m(
        "circuit_breaker_state",
        "gauge",
        "Circuit breaker state (0=closed, 1=open, 2=half-open)",
        ("integration_name",),
        group="integration",
        multiprocess_mode="max",
    ),
    _m(
        "zoho_api_calls_total",
        "counter",
        "Total Zoho API calls",
        ("tier", "operation", "status"),
        group="integration",
        source="plan2",
    ),
    _m(
        "zoho_api_call_duration_seconds",
        "histogram",
        "Zoho API call duration",
        ("tier", "operation"),
        (0.5, 1, 2, 5, 10, 30),
        group="integration",
        source="plan2",
    ),
    _m(
        "zoho_circuit_breaker_state",
        "gauge",
        "Zoho circuit breaker state (0=closed, 1=open, 2=half-open)",
        ("tier",),
        group="integration",
        source="plan2",
        multiprocess_mode="max",
    ),
    _m(
        "cognee_queries_total",
        "counter",
        "Total Cognee queries",
        ("operation", "status"),
        group="integration",
        source="plan2",
    ),
    _m(
        "cognee_query_duration_seconds",
        "histogram",
        "Cognee query duration",
        ("operation",),
        DEFAULT_BUCKETS,
        group="integration",
        source="plan2",
    ),
    # --- database and cache (plans 2 and 5) ---
    _m(
        "db_connections_active",
        "gauge",
        "Active database connections",
        group="database",
        source="plan2",
    ),
    _m(
        "db_connections_total",
        "gauge",
        "Total database connections",
        group="database",
        source="plan2",
    ),
    _m(
        "db_query_duration_seconds",
        "histogram",
        "Database query duration",
        ("operation",),
        (0.01, 0.05, 0.1, 0.5, 1, 5),
        group="database",
        source="plan2",
    ),
    _m(
        "db_queries_total",
        "counter",
        "Total database queries",
        ("operation", "status"),
        group="database",
        source="plan2",
    ),
    _m("cache_hits_total", "counter", "Cache hits", ("cache_name",), group="cache", source="plan5"),
    _m(
        "cache_misses_total",
        "counter",
        "Cache misses",
        ("cache_name",),
        group="cache",
        source="plan5",
    ),
    _m(
        "cache_operation_duration_seconds",
        "histogram",
        "Cache lookup duration",
        ("cache_name", "result"),
        (0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5),
        group="cache",
        source="plan5",
    ),
    # --- workflows (plan 5) ---
    _m(
        "workflow_executions_total",
        "counter",
        "Workflow executions",
        ("workflow_name", "status"),
        group="workflow",
        source="plan5",
    ),
    _m(
        "workflow_duration_seconds",
        "histogram",
        "Workflow execution time",
        ("workflow_name",),
        (0.1, 0.5, 1, 5, 10, 30, 60, 120, 300, 600),
        group="workflow",
        source="plan5",
    ),
    _m(
        "workflow_nodes_executed_total",
        "counter",
        "Workflow nodes executed",
        ("workflow_name", "node_name", "status"),
        group="workflow",
        source="plan5",
    ),
    _m(
        "workflow_node_duration_seconds",
        "histogram",
        "Workflow node execution time",
        ("workflow_name", "node_name"),
        LATENCY_BUCKETS,
        group="workflow",
        source="plan5",
    ),
    _m(
        "routing_decisions_total",
        "counter",
        "Routing decisions, by route",
        ("workflow_name", "route"),
        group="workflow",
        source="plan5",
    ),
    _m(
        "routing_confidence",
        "histogram",
        "Confidence of routing decisions",
        ("workflow_name",),
        (0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 1.0),
        group="workflow",
        source="plan5",
    ),
    # --- LLM calls (plans 3 and 5) ---
    _m(
        "llm_requests_total",
        "counter",
        "LLM requests",
        ("model", "provider", "agent_type", "status"),
        group="llm",
        source="plan3",
    ),
    _m(
        "llm_request_duration_seconds",
        "histogram",
        "LLM request duration",
        ("model", "provider", "agent_type"),
        LLM_BUCKETS,
        group="llm",
        source="plan3",
    ),
    _m(
        "llm_tokens_total",
        "counter",
        "LLM tokens, by direction (input or output)",
        ("model", "provider", "agent_type", "token_type"),
        group="llm",
        source="plan3",
    ),
    _m(
        "llm_cost_usd_total",
        "counter",
        "Estimated LLM cost in US dollars",
        ("model", "provider", "agent_type"),
        group="llm",
        source="plan3",
    ),
    _m(
        "llm_price_missing_total",
        "counter",
        "LLM calls whose model has no known price",
        ("model", "provider"),
        group="llm",
        source="plan3",
    ),
    _m(
        "llm_cache_hits_total",
        "counter",
        "LLM responses served from a cache",
        ("model", "provider"),
        group="llm",
        source="plan5",
    ),
    # --- MCP tools and A2A delegation (plan 3) ---
    _m(
        "mcp_tool_invocations_total",
        "counter",
        "MCP tool invocations",
        ("tool_name", "status"),
        group="mcp",
        source="plan3",
    ),
    _m(
        "mcp_tool_invocation_duration_seconds",
        "histogram",
        "MCP tool invocation duration",
        ("tool_name",),
        LATENCY_BUCKETS,
        group="mcp",
        source="plan3",
    ),
    _m(
        "mcp_credential_errors_total",
        "counter",
        "MCP tools that failed to load credentials",
        ("tool_name",),
        group="mcp",
        source="plan3",
    ),
    _m(
        "a2a_delegations_total",
        "counter",
        "A2A tasks delegated to another agent service",
        ("target_agent", "status"),
        group="a2a",
        source="plan3",
    ),
    _m(
        "a2a_delegation_duration_seconds",
        "histogram",
        "A2A delegation round-trip time",
        ("target_agent",),
        LATENCY_BUCKETS,
        group="a2a",
        source="plan3",
    ),
    # --- security and audit (plan 3) ---
    _m(
        "audit_events_total",
        "counter",
        "Audit events recorded",
        ("event_type", "outcome"),
        group="security",
        source="plan3",
    ),
    _m(
        "auth_failures_total",
        "counter",
        "Authentication failures",
        ("reason",),
        group="security",
        source="plan3",
    ),
    _m(
        "rbac_denials_total",
        "counter",
        "Requests denied by role-based access control",
        ("resource", "role"),
        group="security",
        source="plan3",
    ),
    _m(
        "guardrail_violations_total",
        "counter",
        "Guardrail violations detected",
        ("guardrail", "action"),
        group="security",
        source="plan3",
    ),
    # --- process (plan 2), collected at scrape time ---
    _m(
        "process_memory_bytes",
        "gauge",
        "Process memory usage in bytes",
        group="system",
        source="plan2",
        multiprocess_mode="liveall",
    ),
    _m(
        "process_cpu_seconds_total",
        "counter",
        "Total CPU time consumed",
        group="system",
        source="plan2",
    ),
    _m(
        "process_open_fds",
        "gauge",
        "Number of open file descriptors",
        group="system",
        source="plan2",
        multiprocess_mode="liveall",
    ),
    # --- swarmscope about itself ---
    _m(
        "telemetry_dropped_total",
        "counter",
        "Telemetry swarmscope dropped instead of blocking the app, by signal and reason",
        ("signal", "reason"),
        group="self",
        source="swarmscope",
    ),
    _m(
        "telemetry_exported_total",
        "counter",
        "Telemetry items exported, by signal",
        ("signal",),
        group="self",
        source="swarmscope",
    ),
    _m(
        "telemetry_label_overflow_total",
        "counter",
        "Label values folded into 'other' because a label reached its value limit",
        ("metric", "label"),
        group="self",
        source="swarmscope",
    ),
    _m(
        "telemetry_instrumentation_errors_total",
        "counter",
        "Errors inside swarmscope's instrumentation, swallowed to protect the app",
        ("where",),
        group="self",
        source="swarmscope",
    ),
)

# Metrics computed from the process at scrape time instead of by an instrumentation call.
SCRAPE_TIME_METRICS = frozenset(
    {"process_memory_bytes", "process_cpu_seconds_total", "process_open_fds"}
)

METRICS_BY_NAME: dict[str, MetricSpec] = {spec.name: spec for spec in METRICS}

# The plans' other names for families above. Each is served by a PromQL expression
# (a recording rule in the ops bundle) rather than exported twice. ``{ns}`` is the namespace.
SEED_ALIASES: tuple[SeedAlias, ...] = (
    SeedAlias(
        "recommendation_confidence",
        "{ns}_recommendation_confidence_score",
        "plan2",
        "plan 1's recommendation_confidence_score wins",
    ),
    SeedAlias(
        "agent_task_duration_seconds",
        "{ns}_agent_session_duration_seconds",
        "plan4",
        "an agent task is an agent session",
    ),
    SeedAlias("agent_task_total", "{ns}_agent_sessions_total", "plan4", "same family"),
    SeedAlias(
        "agent_success_rate",
        'sum by (agent_type) (rate({ns}_agent_sessions_total{{status="success"}}[5m]))'
        " / sum by (agent_type) (rate({ns}_agent_sessions_total[5m]))",
        "plan4",
        "a ratio, computed rather than stored",
    ),
    SeedAlias(
        "agent_token_usage",
        "sum by (agent_type) ({ns}_llm_tokens_total)",
        "plan4",
        "tokens by agent",
    ),
    SeedAlias(
        "agent_tool_usage",
        "sum by (agent_type, tool_name) ({ns}_agent_tool_calls_total)",
        "plan4",
        "tool calls by agent",
    ),
    SeedAlias("task_queue_length", "sum({ns}_agent_queue_depth)", "plan4", "queue depth"),
    SeedAlias("active_agents", "sum({ns}_agent_sessions_active)", "plan4", "active sessions"),
    SeedAlias("memory_usage_bytes", "{ns}_process_memory_bytes", "plan4", "process memory"),
    SeedAlias("database_connections", "{ns}_db_connections_active", "plan4", "same gauge"),
    SeedAlias(
        "api_request_duration",
        "{ns}_http_request_duration_seconds",
        "plan4",
        "HTTP request duration",
    ),
    SeedAlias(
        "tasks_completed_total",
        '{ns}_orchestration_requests_total{{status="success"}}',
        "plan4",
        "completed orchestrations",
    ),
    SeedAlias(
        "average_task_cost",
        "sum(rate({ns}_llm_cost_usd_total[1h])) / sum(rate({ns}_orchestration_requests_total[1h]))",
        "plan4",
        "LLM cost per orchestration",
    ),
    SeedAlias(
        "user_satisfaction_score",
        'sum(rate({ns}_hitl_approvals_received_total{{decision="approved"}}[1h]))'
        " / sum(rate({ns}_hitl_approvals_received_total[1h]))",
        "plan4",
        "the share of agent output that humans approve",
    ),
    SeedAlias(
        "system_efficiency",
        "sum(rate({ns}_orchestration_requests_total[5m])) / sum(rate({ns}_process_cpu_seconds_total[5m]))",
        "plan4",
        "orchestrations per CPU second",
    ),
    SeedAlias(
        "workflow_error_recovery_attempts_total",
        "sum by (recovery_strategy) ({ns}_error_recovery_attempts_total)",
        "plan5",
        "plan 1's recovery family wins",
    ),
    SeedAlias(
        "workflow_error_recovery_success_total",
        'sum by (recovery_strategy) ({ns}_error_recovery_attempts_total{{success="true"}})',
        "plan5",
        "plan 1's recovery family wins",
    ),
    SeedAlias(
        "workflow_human_reviews_requested_total",
        "sum by (approval_type) ({ns}_hitl_approvals_requested_total)",
        "plan5",
        "a human review is a HITL approval",
    ),
    SeedAlias(
        "workflow_human_reviews_pending",
        "sum({ns}_hitl_approvals_pending)",
        "plan5",
        "a human review is a HITL approval",
    ),
    SeedAlias(
        "workflow_human_reviews_completed_total",
        "sum by (approval_type, decision) ({ns}_hitl_approvals_received_total)",
        "plan5",
        "a human review is a HITL approval",
    ),
    SeedAlias(
        "workflow_human_review_duration_seconds",
        "{ns}_hitl_approval_latency_seconds",
        "plan5",
        "a human review is a HITL approval",
    ),
    SeedAlias(
        "cache_hit_rate",
        "sum(rate({ns}_cache_hits_total[5m])) / (sum(rate({ns}_cache_hits_total[5m]))"
        " + sum(rate({ns}_cache_misses_total[5m])))",
        "plan5",
        "a ratio, computed rather than stored",
    ),
    SeedAlias(
        "cache_avg_hit_latency_ms",
        '1000 * sum(rate({ns}_cache_operation_duration_seconds_sum{{result="hit"}}[5m]))'
        ' / sum(rate({ns}_cache_operation_duration_seconds_count{{result="hit"}}[5m]))',
        "plan5",
        "mean from the histogram",
    ),
    SeedAlias(
        "mega_agent_http_requests_total",
        "{ns}_http_requests_total",
        "plan5",
        "plan 2's http family wins (endpoint, not path)",
    ),
    SeedAlias(
        "mega_agent_http_request_duration_seconds",
        "{ns}_http_request_duration_seconds",
        "plan5",
        "plan 2's http family wins",
    ),
    SeedAlias(
        "mega_agent_rate_limit_rejections_total",
        "{ns}_rate_limit_rejections_total",
        "plan5",
        "namespaced like every family",
    ),
)


def _e(name: str, level: str, group: str, description: str) -> EventSpec:
    return EventSpec(name, level, group, description)


EVENTS: tuple[EventSpec, ...] = (
    # requests (plan 1 middleware)
    _e("request_started", "debug", "http", "An HTTP request arrived"),
    _e("request_completed", "info", "http", "An HTTP request was answered"),
    _e("request_failed", "error", "http", "An HTTP request raised before it was answered"),
    # orchestration (plan 1)
    _e("orchestration_started", "info", "orchestration", "New orchestration request"),
    _e("orchestration_completed", "info", "orchestration", "Orchestration finished"),
    _e("orchestration_failed", "error", "orchestration", "Orchestration error"),
    _e("agent_spawned", "info", "orchestration", "Agent instance created for an orchestration"),
    # agents
    _e("agent_execution_started", "info", "agent", "Agent begins work"),
    _e("agent_execution_completed", "info", "agent", "Agent finishes"),
    _e("agent_execution_failed", "error", "agent", "Agent error"),
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
    # recommendations and routing
    _e("recommendation_generated", "info", "recommendation", "A recommendation was produced"),
    _e(
        "recommendation_decided",
        "info",
        "recommendation",
        "A recommendation was approved or rejected",
    ),
    _e("routing_decision", "info", "workflow", "A router chose a route"),
    # workflows (plan 5)
    _e("workflow_started", "info", "workflow", "A workflow started"),
    _e("workflow_completed", "info", "workflow", "A workflow finished"),
    _e("workflow_failed", "error", "workflow", "A workflow failed"),
    _e("workflow_node_completed", "info", "workflow", "A workflow node finished"),
    _e("workflow_node_failed", "error", "workflow", "A workflow node failed"),
    # integrations (plan 1's integration taxonomy)
    _e("integration_call_started", "debug", "integration", "External API call started"),
    _e("integration_call_completed", "info", "integration", "External API call returned"),
    _e("integration_call_failed", "error", "integration", "External API call failed"),
    _e("zoho_api_call_started", "debug", "integration", "Zoho API call started"),
    _e("zoho_api_call_completed", "info", "integration", "Zoho API call returned"),
    _e("zoho_api_call_failed", "error", "integration", "Zoho API call failed"),
    _e("zoho_rate_limit_hit", "warning", "integration", "Zoho answered 429"),
    _e("zoho_circuit_breaker_opened", "critical", "integration", "Zoho circuit breaker opened"),
    _e("zoho_circuit_breaker_closed", "info", "integration", "Zoho circuit breaker closed"),
    _e("cognee_query_started", "debug", "integration", "Cognee query started"),
    _e("cognee_query_completed", "info", "integration", "Cognee query returned"),
    _e("cognee_query_failed", "error", "integration", "Cognee query failed"),
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
    # errors (plan 1 tracker)
    _e("error_tracked", "error", "error", "An error with category and severity"),
    _e("error_recovery_attempted", "info", "error", "A recovery strategy ran"),
    # frontend and streaming (plan 1)
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
    # security and audit (plan 3)
    _e("audit_event", "info", "security", "An audited action"),
    _e("auth_failed", "warning", "security", "Authentication failed"),
    _e("rbac_denied", "warning", "security", "Access denied by role"),
    _e("guardrail_violation_detected", "warning", "security", "A guardrail flagged content"),
    _e("rate_limit_rejected", "warning", "security", "A local rate limiter refused a request"),
)

EVENTS_BY_NAME: dict[str, EventSpec] = {spec.name: spec for spec in EVENTS}


@dataclass(frozen=True)
class IntegrationFamily:
    """An integration the plans name: its own metric families and event prefix."""

    calls: str
    duration: str
    breaker: str | None
    event_prefix: str
    # The label the plan uses where the generic family uses ``integration_name``.
    scope_label: str | None


# Calls to these integrations also feed the plans' dedicated families and event names.
NAMED_INTEGRATIONS: dict[str, IntegrationFamily] = {
    "zoho": IntegrationFamily(
        "zoho_api_calls_total",
        "zoho_api_call_duration_seconds",
        "zoho_circuit_breaker_state",
        "zoho_api_call",
        "tier",
    ),
    "cognee": IntegrationFamily(
        "cognee_queries_total", "cognee_query_duration_seconds", None, "cognee_query", None
    ),
}


def confidence_tier(score: float) -> str:
    """Plan 1's tiers: below 0.7 low, below 0.85 medium, else high."""
    if score < 0.7:
        return "low"
    if score < 0.85:
        return "medium"
    return "high"
