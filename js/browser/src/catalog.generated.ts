// Generated from swarmscope.conventions by `python -m swarmscope.conventions.typescript`: do not edit.

// The instrumentation scope (tracer and meter name) of swarmscope's telemetry.
export const INSTRUMENTATION_SCOPE = "swarmscope" as const;

// The statuses instrumentation emits, and only these.
export const STATUSES = {
  "SUCCESS": "success",
  "FAILURE": "failure",
  "TIMEOUT": "timeout"
} as const;

// Every metric family, by name without the namespace (conventions/catalog.py).
export const METRICS = {
  "agent_sessions_total": {
    "name": "agent_sessions_total",
    "kind": "counter",
    "help": "Total agent sessions",
    "labels": [
      "agent_type",
      "status",
      "operation"
    ],
    "group": "agent"
  },
  "agent_session_duration_seconds": {
    "name": "agent_session_duration_seconds",
    "kind": "histogram",
    "help": "Agent session execution time",
    "labels": [
      "agent_type",
      "operation"
    ],
    "group": "agent",
    "buckets": [
      1,
      5,
      10,
      30,
      60,
      120,
      300,
      600
    ]
  },
  "agent_sessions_active": {
    "name": "agent_sessions_active",
    "kind": "gauge",
    "help": "Currently active agent sessions",
    "labels": [
      "agent_type"
    ],
    "group": "agent"
  },
  "agent_state_transitions_total": {
    "name": "agent_state_transitions_total",
    "kind": "counter",
    "help": "Total agent state transitions",
    "labels": [
      "agent_type",
      "from_state",
      "to_state"
    ],
    "group": "agent"
  },
  "agent_errors_total": {
    "name": "agent_errors_total",
    "kind": "counter",
    "help": "Total agent errors",
    "labels": [
      "agent_type",
      "error_type",
      "operation"
    ],
    "group": "agent"
  },
  "agent_retries_total": {
    "name": "agent_retries_total",
    "kind": "counter",
    "help": "Total agent retry attempts",
    "labels": [
      "agent_type",
      "operation",
      "retry_reason"
    ],
    "group": "agent"
  },
  "agent_queue_depth": {
    "name": "agent_queue_depth",
    "kind": "gauge",
    "help": "Number of tasks waiting in agent queue",
    "labels": [
      "agent_type",
      "priority"
    ],
    "group": "agent"
  },
  "agent_queue_wait_time_seconds": {
    "name": "agent_queue_wait_time_seconds",
    "kind": "histogram",
    "help": "Time tasks wait in queue before execution",
    "labels": [
      "agent_type"
    ],
    "group": "agent",
    "buckets": [
      0.1,
      0.5,
      1,
      5,
      10,
      30,
      60
    ]
  },
  "agent_memory_usage_bytes": {
    "name": "agent_memory_usage_bytes",
    "kind": "gauge",
    "help": "Memory usage per agent instance",
    "labels": [
      "agent_type",
      "agent_instance_id"
    ],
    "group": "agent"
  },
  "agent_handoffs_total": {
    "name": "agent_handoffs_total",
    "kind": "counter",
    "help": "Total agent handoffs",
    "labels": [
      "from_agent",
      "to_agent",
      "status"
    ],
    "group": "handoff"
  },
  "agent_handoff_duration_seconds": {
    "name": "agent_handoff_duration_seconds",
    "kind": "histogram",
    "help": "Agent handoff latency",
    "labels": [
      "from_agent",
      "to_agent"
    ],
    "group": "handoff",
    "buckets": [
      0.1,
      0.5,
      1,
      2,
      5,
      10
    ]
  },
  "agent_tool_calls_total": {
    "name": "agent_tool_calls_total",
    "kind": "counter",
    "help": "Total agent tool calls",
    "labels": [
      "agent_type",
      "tool_name",
      "status"
    ],
    "group": "tool"
  },
  "agent_tool_call_duration_seconds": {
    "name": "agent_tool_call_duration_seconds",
    "kind": "histogram",
    "help": "Agent tool call execution time",
    "labels": [
      "agent_type",
      "tool_name"
    ],
    "group": "tool",
    "buckets": [
      0.1,
      0.5,
      1,
      2,
      5,
      10,
      30
    ]
  },
  "hitl_approvals_requested_total": {
    "name": "hitl_approvals_requested_total",
    "kind": "counter",
    "help": "Total HITL approvals requested",
    "labels": [
      "approval_type",
      "agent_type"
    ],
    "group": "hitl"
  },
  "hitl_approvals_received_total": {
    "name": "hitl_approvals_received_total",
    "kind": "counter",
    "help": "Total HITL approvals received",
    "labels": [
      "approval_type",
      "decision",
      "agent_type"
    ],
    "group": "hitl"
  },
  "hitl_approval_latency_seconds": {
    "name": "hitl_approval_latency_seconds",
    "kind": "histogram",
    "help": "Time from approval request to user response",
    "labels": [
      "approval_type",
      "agent_type"
    ],
    "group": "hitl",
    "buckets": [
      1,
      5,
      10,
      30,
      60,
      120,
      300,
      600,
      1800
    ]
  },
  "hitl_approval_timeouts_total": {
    "name": "hitl_approval_timeouts_total",
    "kind": "counter",
    "help": "Total HITL approval timeouts",
    "labels": [
      "approval_type",
      "agent_type"
    ],
    "group": "hitl"
  },
  "hitl_approvals_pending": {
    "name": "hitl_approvals_pending",
    "kind": "gauge",
    "help": "Currently pending HITL approvals",
    "labels": [
      "approval_type"
    ],
    "group": "hitl"
  },
  "copilotkit_actions_total": {
    "name": "copilotkit_actions_total",
    "kind": "counter",
    "help": "Total CopilotKit actions invoked",
    "labels": [
      "action_name",
      "status"
    ],
    "group": "ui"
  },
  "copilotkit_action_duration_seconds": {
    "name": "copilotkit_action_duration_seconds",
    "kind": "histogram",
    "help": "CopilotKit action execution time",
    "labels": [
      "action_name"
    ],
    "group": "ui",
    "buckets": [
      0.5,
      1,
      2,
      5,
      10,
      30,
      60
    ]
  },
  "ag_ui_events_emitted_total": {
    "name": "ag_ui_events_emitted_total",
    "kind": "counter",
    "help": "Total AG UI Protocol events emitted",
    "labels": [
      "event_type",
      "agent_type"
    ],
    "group": "ui"
  },
  "ag_ui_events_received_total": {
    "name": "ag_ui_events_received_total",
    "kind": "counter",
    "help": "Total AG UI Protocol events received by frontend",
    "labels": [
      "event_type"
    ],
    "group": "ui"
  },
  "sse_connections_active": {
    "name": "sse_connections_active",
    "kind": "gauge",
    "help": "Currently active SSE connections",
    "labels": [],
    "group": "ui"
  },
  "sse_messages_sent_total": {
    "name": "sse_messages_sent_total",
    "kind": "counter",
    "help": "Total SSE messages sent",
    "labels": [
      "message_type"
    ],
    "group": "ui"
  },
  "sse_connection_duration_seconds": {
    "name": "sse_connection_duration_seconds",
    "kind": "histogram",
    "help": "SSE connection duration",
    "labels": [],
    "group": "ui",
    "buckets": [
      10,
      30,
      60,
      120,
      300,
      600,
      1800
    ]
  },
  "frontend_errors_total": {
    "name": "frontend_errors_total",
    "kind": "counter",
    "help": "Errors the page caught (uncaught, unhandled rejections, error boundaries)",
    "labels": [
      "error_type",
      "source"
    ],
    "group": "ui"
  },
  "frontend_backend_latency_seconds": {
    "name": "frontend_backend_latency_seconds",
    "kind": "histogram",
    "help": "Time from the page sending a request to its response's headers",
    "labels": [
      "method",
      "status"
    ],
    "group": "ui",
    "buckets": [
      0.005,
      0.01,
      0.025,
      0.05,
      0.1,
      0.25,
      0.5,
      1,
      2.5,
      5,
      10,
      30,
      60
    ]
  },
  "orchestration_requests_total": {
    "name": "orchestration_requests_total",
    "kind": "counter",
    "help": "Total orchestration requests",
    "labels": [
      "operation",
      "status"
    ],
    "group": "orchestration"
  },
  "orchestration_duration_seconds": {
    "name": "orchestration_duration_seconds",
    "kind": "histogram",
    "help": "End-to-end orchestration time",
    "labels": [
      "operation"
    ],
    "group": "orchestration",
    "buckets": [
      5,
      10,
      30,
      60,
      120,
      300,
      600
    ]
  },
  "orchestration_steps_total": {
    "name": "orchestration_steps_total",
    "kind": "summary",
    "help": "Number of steps in orchestration",
    "labels": [
      "operation"
    ],
    "group": "orchestration"
  },
  "orchestration_agents_spawned_total": {
    "name": "orchestration_agents_spawned_total",
    "kind": "counter",
    "help": "Total agents spawned per orchestration",
    "labels": [
      "operation",
      "agent_type"
    ],
    "group": "orchestration"
  },
  "orchestration_parallel_executions": {
    "name": "orchestration_parallel_executions",
    "kind": "gauge",
    "help": "Number of parallel agent executions",
    "labels": [
      "operation"
    ],
    "group": "orchestration"
  },
  "http_requests_total": {
    "name": "http_requests_total",
    "kind": "counter",
    "help": "Total HTTP requests",
    "labels": [
      "method",
      "endpoint",
      "status"
    ],
    "group": "http"
  },
  "http_request_duration_seconds": {
    "name": "http_request_duration_seconds",
    "kind": "histogram",
    "help": "HTTP request duration",
    "labels": [
      "method",
      "endpoint"
    ],
    "group": "http",
    "buckets": [
      0.01,
      0.05,
      0.1,
      0.5,
      1,
      2,
      5
    ]
  },
  "http_requests_in_progress": {
    "name": "http_requests_in_progress",
    "kind": "gauge",
    "help": "Currently processing HTTP requests",
    "labels": [
      "method",
      "endpoint"
    ],
    "group": "http"
  },
  "http_request_body_size_bytes": {
    "name": "http_request_body_size_bytes",
    "kind": "histogram",
    "help": "HTTP request body size",
    "labels": [
      "method",
      "endpoint"
    ],
    "group": "http",
    "buckets": [
      100,
      1000,
      10000,
      100000,
      1000000
    ]
  },
  "http_response_body_size_bytes": {
    "name": "http_response_body_size_bytes",
    "kind": "histogram",
    "help": "HTTP response body size",
    "labels": [
      "method",
      "endpoint"
    ],
    "group": "http",
    "buckets": [
      100,
      1000,
      10000,
      100000,
      1000000
    ]
  },
  "rate_limit_rejections_total": {
    "name": "rate_limit_rejections_total",
    "kind": "counter",
    "help": "Requests rejected by a local rate limiter",
    "labels": [
      "key"
    ],
    "group": "http"
  },
  "errors_total": {
    "name": "errors_total",
    "kind": "counter",
    "help": "Errors tracked, by category and severity",
    "labels": [
      "error_type",
      "severity"
    ],
    "group": "error"
  },
  "exceptions_unhandled_total": {
    "name": "exceptions_unhandled_total",
    "kind": "counter",
    "help": "Exceptions that escaped instrumented code",
    "labels": [
      "exception_type",
      "module"
    ],
    "group": "error"
  },
  "error_recovery_attempts_total": {
    "name": "error_recovery_attempts_total",
    "kind": "counter",
    "help": "Total error recovery attempts",
    "labels": [
      "error_category",
      "recovery_strategy",
      "success"
    ],
    "group": "error"
  },
  "error_recovery_duration_seconds": {
    "name": "error_recovery_duration_seconds",
    "kind": "histogram",
    "help": "Error recovery duration",
    "labels": [
      "error_category",
      "recovery_strategy"
    ],
    "group": "error",
    "buckets": [
      0.005,
      0.01,
      0.025,
      0.05,
      0.075,
      0.1,
      0.25,
      0.5,
      0.75,
      1,
      2.5,
      5,
      7.5,
      10
    ]
  },
  "integration_health_status": {
    "name": "integration_health_status",
    "kind": "gauge",
    "help": "Health status of external integrations (1=healthy, 0=unhealthy)",
    "labels": [
      "integration_name"
    ],
    "group": "integration"
  },
  "integration_calls_total": {
    "name": "integration_calls_total",
    "kind": "counter",
    "help": "Calls to external integrations",
    "labels": [
      "integration_name",
      "operation",
      "status"
    ],
    "group": "integration"
  },
  "integration_call_duration_seconds": {
    "name": "integration_call_duration_seconds",
    "kind": "histogram",
    "help": "External integration call duration",
    "labels": [
      "integration_name",
      "operation"
    ],
    "group": "integration",
    "buckets": [
      0.005,
      0.01,
      0.025,
      0.05,
      0.1,
      0.25,
      0.5,
      1,
      2.5,
      5,
      10,
      30,
      60
    ]
  },
  "integration_rate_limit_hits_total": {
    "name": "integration_rate_limit_hits_total",
    "kind": "counter",
    "help": "Rate-limit answers (429) from integrations",
    "labels": [
      "integration_name"
    ],
    "group": "integration"
  },
  "circuit_breaker_state": {
    "name": "circuit_breaker_state",
    "kind": "gauge",
    "help": "Circuit breaker state (0=closed, 1=open, 2=half-open)",
    "labels": [
      "integration_name"
    ],
    "group": "integration"
  },
  "db_connections_active": {
    "name": "db_connections_active",
    "kind": "gauge",
    "help": "Active database connections",
    "labels": [],
    "group": "database"
  },
  "db_connections_total": {
    "name": "db_connections_total",
    "kind": "gauge",
    "help": "Total database connections",
    "labels": [],
    "group": "database"
  },
  "db_query_duration_seconds": {
    "name": "db_query_duration_seconds",
    "kind": "histogram",
    "help": "Database query duration",
    "labels": [
      "operation"
    ],
    "group": "database",
    "buckets": [
      0.01,
      0.05,
      0.1,
      0.5,
      1,
      5
    ]
  },
  "db_queries_total": {
    "name": "db_queries_total",
    "kind": "counter",
    "help": "Total database queries",
    "labels": [
      "operation",
      "status"
    ],
    "group": "database"
  },
  "cache_hits_total": {
    "name": "cache_hits_total",
    "kind": "counter",
    "help": "Cache hits",
    "labels": [
      "cache_name"
    ],
    "group": "cache"
  },
  "cache_misses_total": {
    "name": "cache_misses_total",
    "kind": "counter",
    "help": "Cache misses",
    "labels": [
      "cache_name"
    ],
    "group": "cache"
  },
  "cache_operation_duration_seconds": {
    "name": "cache_operation_duration_seconds",
    "kind": "histogram",
    "help": "Cache lookup duration",
    "labels": [
      "cache_name",
      "result"
    ],
    "group": "cache",
    "buckets": [
      0.0005,
      0.001,
      0.005,
      0.01,
      0.05,
      0.1,
      0.5
    ]
  },
  "workflow_executions_total": {
    "name": "workflow_executions_total",
    "kind": "counter",
    "help": "Workflow executions",
    "labels": [
      "workflow_name",
      "status"
    ],
    "group": "workflow"
  },
  "workflow_duration_seconds": {
    "name": "workflow_duration_seconds",
    "kind": "histogram",
    "help": "Workflow execution time",
    "labels": [
      "workflow_name"
    ],
    "group": "workflow",
    "buckets": [
      0.005,
      0.01,
      0.025,
      0.05,
      0.1,
      0.5,
      1,
      5,
      10,
      30,
      60,
      120,
      300,
      600
    ]
  },
  "workflow_nodes_executed_total": {
    "name": "workflow_nodes_executed_total",
    "kind": "counter",
    "help": "Workflow nodes executed",
    "labels": [
      "workflow_name",
      "node_name",
      "status"
    ],
    "group": "workflow"
  },
  "workflow_node_duration_seconds": {
    "name": "workflow_node_duration_seconds",
    "kind": "histogram",
    "help": "Workflow node execution time",
    "labels": [
      "workflow_name",
      "node_name"
    ],
    "group": "workflow",
    "buckets": [
      0.005,
      0.01,
      0.025,
      0.05,
      0.1,
      0.25,
      0.5,
      1,
      2.5,
      5,
      10,
      30,
      60
    ]
  },
  "routing_decisions_total": {
    "name": "routing_decisions_total",
    "kind": "counter",
    "help": "Routing decisions, by route",
    "labels": [
      "workflow_name",
      "route"
    ],
    "group": "workflow"
  },
  "routing_confidence": {
    "name": "routing_confidence",
    "kind": "histogram",
    "help": "Confidence of routing decisions",
    "labels": [
      "workflow_name"
    ],
    "group": "workflow",
    "buckets": [
      0.5,
      0.6,
      0.7,
      0.8,
      0.9,
      0.95,
      1.0
    ]
  },
  "llm_requests_total": {
    "name": "llm_requests_total",
    "kind": "counter",
    "help": "LLM requests",
    "labels": [
      "model",
      "provider",
      "agent_type",
      "status"
    ],
    "group": "llm"
  },
  "llm_request_duration_seconds": {
    "name": "llm_request_duration_seconds",
    "kind": "histogram",
    "help": "LLM request duration",
    "labels": [
      "model",
      "provider",
      "agent_type"
    ],
    "group": "llm",
    "buckets": [
      0.005,
      0.01,
      0.025,
      0.05,
      0.1,
      0.25,
      0.5,
      1,
      2,
      5,
      10,
      20,
      30,
      60,
      120
    ]
  },
  "llm_tokens_total": {
    "name": "llm_tokens_total",
    "kind": "counter",
    "help": "LLM tokens, by direction (input or output)",
    "labels": [
      "model",
      "provider",
      "agent_type",
      "token_type"
    ],
    "group": "llm"
  },
  "llm_cost_usd_total": {
    "name": "llm_cost_usd_total",
    "kind": "counter",
    "help": "Estimated LLM cost in US dollars",
    "labels": [
      "model",
      "provider",
      "agent_type"
    ],
    "group": "llm"
  },
  "llm_price_missing_total": {
    "name": "llm_price_missing_total",
    "kind": "counter",
    "help": "LLM calls whose model has no known price",
    "labels": [
      "model",
      "provider"
    ],
    "group": "llm"
  },
  "llm_cache_hits_total": {
    "name": "llm_cache_hits_total",
    "kind": "counter",
    "help": "LLM responses served from a cache",
    "labels": [
      "model",
      "provider"
    ],
    "group": "llm"
  },
  "mcp_tool_invocations_total": {
    "name": "mcp_tool_invocations_total",
    "kind": "counter",
    "help": "MCP tool invocations",
    "labels": [
      "tool_name",
      "status"
    ],
    "group": "mcp"
  },
  "mcp_tool_invocation_duration_seconds": {
    "name": "mcp_tool_invocation_duration_seconds",
    "kind": "histogram",
    "help": "MCP tool invocation duration",
    "labels": [
      "tool_name"
    ],
    "group": "mcp",
    "buckets": [
      0.005,
      0.01,
      0.025,
      0.05,
      0.1,
      0.25,
      0.5,
      1,
      2.5,
      5,
      10,
      30,
      60
    ]
  },
  "mcp_credential_errors_total": {
    "name": "mcp_credential_errors_total",
    "kind": "counter",
    "help": "MCP tools that failed to load credentials",
    "labels": [
      "tool_name"
    ],
    "group": "mcp"
  },
  "a2a_delegations_total": {
    "name": "a2a_delegations_total",
    "kind": "counter",
    "help": "A2A tasks delegated to another agent service",
    "labels": [
      "target_agent",
      "status"
    ],
    "group": "a2a"
  },
  "a2a_delegation_duration_seconds": {
    "name": "a2a_delegation_duration_seconds",
    "kind": "histogram",
    "help": "A2A delegation round-trip time",
    "labels": [
      "target_agent"
    ],
    "group": "a2a",
    "buckets": [
      0.005,
      0.01,
      0.025,
      0.05,
      0.1,
      0.25,
      0.5,
      1,
      2.5,
      5,
      10,
      30,
      60
    ]
  },
  "audit_events_total": {
    "name": "audit_events_total",
    "kind": "counter",
    "help": "Audit events recorded",
    "labels": [
      "event_type",
      "outcome"
    ],
    "group": "security"
  },
  "auth_failures_total": {
    "name": "auth_failures_total",
    "kind": "counter",
    "help": "Authentication failures",
    "labels": [
      "reason"
    ],
    "group": "security"
  },
  "rbac_denials_total": {
    "name": "rbac_denials_total",
    "kind": "counter",
    "help": "Requests denied by role-based access control",
    "labels": [
      "resource",
      "role"
    ],
    "group": "security"
  },
  "guardrail_violations_total": {
    "name": "guardrail_violations_total",
    "kind": "counter",
    "help": "Guardrail violations detected",
    "labels": [
      "guardrail",
      "action"
    ],
    "group": "security"
  },
  "process_memory_bytes": {
    "name": "process_memory_bytes",
    "kind": "gauge",
    "help": "Process memory usage in bytes",
    "labels": [],
    "group": "system"
  },
  "process_cpu_seconds_total": {
    "name": "process_cpu_seconds_total",
    "kind": "counter",
    "help": "Total CPU time consumed",
    "labels": [],
    "group": "system"
  },
  "process_open_fds": {
    "name": "process_open_fds",
    "kind": "gauge",
    "help": "Number of open file descriptors",
    "labels": [],
    "group": "system"
  },
  "telemetry_dropped_total": {
    "name": "telemetry_dropped_total",
    "kind": "counter",
    "help": "Telemetry swarmscope dropped instead of blocking the app, by signal and reason",
    "labels": [
      "signal",
      "reason"
    ],
    "group": "self"
  },
  "telemetry_exported_total": {
    "name": "telemetry_exported_total",
    "kind": "counter",
    "help": "Telemetry items exported, by signal",
    "labels": [
      "signal"
    ],
    "group": "self"
  },
  "telemetry_label_overflow_total": {
    "name": "telemetry_label_overflow_total",
    "kind": "counter",
    "help": "Label values folded into 'other' because a label reached its value limit",
    "labels": [
      "metric",
      "label"
    ],
    "group": "self"
  },
  "telemetry_instrumentation_errors_total": {
    "name": "telemetry_instrumentation_errors_total",
    "kind": "counter",
    "help": "Errors inside swarmscope's instrumentation, swallowed to protect the app",
    "labels": [
      "where"
    ],
    "group": "self"
  }
} as const;

// Every log event, by name (conventions/catalog.py).
export const EVENTS = {
  "request_started": {
    "name": "request_started",
    "level": "debug",
    "group": "http",
    "description": "An HTTP request arrived"
  },
  "request_completed": {
    "name": "request_completed",
    "level": "info",
    "group": "http",
    "description": "An HTTP request was answered"
  },
  "request_failed": {
    "name": "request_failed",
    "level": "error",
    "group": "http",
    "description": "An HTTP request raised before it was answered"
  },
  "orchestration_started": {
    "name": "orchestration_started",
    "level": "info",
    "group": "orchestration",
    "description": "New orchestration request"
  },
  "orchestration_completed": {
    "name": "orchestration_completed",
    "level": "info",
    "group": "orchestration",
    "description": "Orchestration finished"
  },
  "orchestration_failed": {
    "name": "orchestration_failed",
    "level": "error",
    "group": "orchestration",
    "description": "Orchestration error"
  },
  "agent_spawned": {
    "name": "agent_spawned",
    "level": "info",
    "group": "orchestration",
    "description": "Agent instance created for an orchestration"
  },
  "agent_execution_started": {
    "name": "agent_execution_started",
    "level": "info",
    "group": "agent",
    "description": "Agent begins work"
  },
  "agent_execution_completed": {
    "name": "agent_execution_completed",
    "level": "info",
    "group": "agent",
    "description": "Agent finishes"
  },
  "agent_execution_failed": {
    "name": "agent_execution_failed",
    "level": "error",
    "group": "agent",
    "description": "Agent error"
  },
  "agent_execution_interrupted": {
    "name": "agent_execution_interrupted",
    "level": "info",
    "group": "agent",
    "description": "Agent stops to wait for a person"
  },
  "agent_handoff": {
    "name": "agent_handoff",
    "level": "info",
    "group": "handoff",
    "description": "Transition between agents"
  },
  "agent_handoff_failed": {
    "name": "agent_handoff_failed",
    "level": "error",
    "group": "handoff",
    "description": "A handoff between agents failed"
  },
  "state_transition": {
    "name": "state_transition",
    "level": "info",
    "group": "agent",
    "description": "Workflow or agent state change"
  },
  "retry_attempted": {
    "name": "retry_attempted",
    "level": "warning",
    "group": "agent",
    "description": "An operation is retried"
  },
  "queue_task_dequeued": {
    "name": "queue_task_dequeued",
    "level": "debug",
    "group": "agent",
    "description": "A queued task started after waiting"
  },
  "memory_stored": {
    "name": "memory_stored",
    "level": "info",
    "group": "agent",
    "description": "Data persisted to memory"
  },
  "memory_retrieved": {
    "name": "memory_retrieved",
    "level": "info",
    "group": "agent",
    "description": "Data fetched from memory"
  },
  "tool_call_started": {
    "name": "tool_call_started",
    "level": "debug",
    "group": "tool",
    "description": "Agent calls tool"
  },
  "tool_call_completed": {
    "name": "tool_call_completed",
    "level": "info",
    "group": "tool",
    "description": "Tool returns"
  },
  "tool_call_failed": {
    "name": "tool_call_failed",
    "level": "error",
    "group": "tool",
    "description": "Tool error"
  },
  "mcp_tool_invoked": {
    "name": "mcp_tool_invoked",
    "level": "info",
    "group": "mcp",
    "description": "An MCP tool answered"
  },
  "mcp_tool_failed": {
    "name": "mcp_tool_failed",
    "level": "error",
    "group": "mcp",
    "description": "An MCP tool invocation failed"
  },
  "a2a_delegation_completed": {
    "name": "a2a_delegation_completed",
    "level": "info",
    "group": "a2a",
    "description": "A delegated A2A task answered"
  },
  "a2a_delegation_failed": {
    "name": "a2a_delegation_failed",
    "level": "error",
    "group": "a2a",
    "description": "A delegated A2A task failed"
  },
  "hitl_approval_required": {
    "name": "hitl_approval_required",
    "level": "info",
    "group": "hitl",
    "description": "HITL workflow triggered"
  },
  "hitl_approval_received": {
    "name": "hitl_approval_received",
    "level": "info",
    "group": "hitl",
    "description": "User responded"
  },
  "hitl_approval_timeout": {
    "name": "hitl_approval_timeout",
    "level": "error",
    "group": "hitl",
    "description": "No response within timeout"
  },
  "hitl_approval_cancelled": {
    "name": "hitl_approval_cancelled",
    "level": "warning",
    "group": "hitl",
    "description": "Approval abandoned by an error or cancel"
  },
  "llm_call_completed": {
    "name": "llm_call_completed",
    "level": "info",
    "group": "llm",
    "description": "An LLM call returned"
  },
  "llm_call_failed": {
    "name": "llm_call_failed",
    "level": "error",
    "group": "llm",
    "description": "An LLM call failed"
  },
  "llm_price_missing": {
    "name": "llm_price_missing",
    "level": "warning",
    "group": "llm",
    "description": "No price is known for a model"
  },
  "routing_decision": {
    "name": "routing_decision",
    "level": "info",
    "group": "workflow",
    "description": "A router chose a route"
  },
  "workflow_started": {
    "name": "workflow_started",
    "level": "info",
    "group": "workflow",
    "description": "A workflow started"
  },
  "workflow_completed": {
    "name": "workflow_completed",
    "level": "info",
    "group": "workflow",
    "description": "A workflow finished"
  },
  "workflow_failed": {
    "name": "workflow_failed",
    "level": "error",
    "group": "workflow",
    "description": "A workflow failed"
  },
  "workflow_node_completed": {
    "name": "workflow_node_completed",
    "level": "info",
    "group": "workflow",
    "description": "A workflow node finished"
  },
  "workflow_node_failed": {
    "name": "workflow_node_failed",
    "level": "error",
    "group": "workflow",
    "description": "A workflow node failed"
  },
  "integration_call_started": {
    "name": "integration_call_started",
    "level": "debug",
    "group": "integration",
    "description": "External API call started"
  },
  "integration_call_completed": {
    "name": "integration_call_completed",
    "level": "info",
    "group": "integration",
    "description": "External API call returned"
  },
  "integration_call_failed": {
    "name": "integration_call_failed",
    "level": "error",
    "group": "integration",
    "description": "External API call failed"
  },
  "rate_limit_hit": {
    "name": "rate_limit_hit",
    "level": "warning",
    "group": "integration",
    "description": "An integration answered 429"
  },
  "circuit_breaker_opened": {
    "name": "circuit_breaker_opened",
    "level": "critical",
    "group": "integration",
    "description": "A circuit breaker opened"
  },
  "circuit_breaker_half_opened": {
    "name": "circuit_breaker_half_opened",
    "level": "warning",
    "group": "integration",
    "description": "A circuit breaker is probing"
  },
  "circuit_breaker_closed": {
    "name": "circuit_breaker_closed",
    "level": "info",
    "group": "integration",
    "description": "A circuit breaker closed"
  },
  "integration_health_changed": {
    "name": "integration_health_changed",
    "level": "warning",
    "group": "integration",
    "description": "An integration's health changed"
  },
  "database_query_started": {
    "name": "database_query_started",
    "level": "debug",
    "group": "database",
    "description": "Database query started"
  },
  "database_query_completed": {
    "name": "database_query_completed",
    "level": "debug",
    "group": "database",
    "description": "Database query returned"
  },
  "database_query_failed": {
    "name": "database_query_failed",
    "level": "error",
    "group": "database",
    "description": "Database query failed"
  },
  "database_deadlock_detected": {
    "name": "database_deadlock_detected",
    "level": "error",
    "group": "database",
    "description": "Database reported a deadlock"
  },
  "cache_lookup": {
    "name": "cache_lookup",
    "level": "debug",
    "group": "cache",
    "description": "A cache was consulted"
  },
  "error_tracked": {
    "name": "error_tracked",
    "level": "error",
    "group": "error",
    "description": "An error with category and severity"
  },
  "error_recovery_attempted": {
    "name": "error_recovery_attempted",
    "level": "info",
    "group": "error",
    "description": "A recovery strategy ran"
  },
  "user_action_triggered": {
    "name": "user_action_triggered",
    "level": "info",
    "group": "ui",
    "description": "User clicks button"
  },
  "copilot_action_started": {
    "name": "copilot_action_started",
    "level": "debug",
    "group": "ui",
    "description": "CopilotKit action invoked"
  },
  "copilot_action_completed": {
    "name": "copilot_action_completed",
    "level": "info",
    "group": "ui",
    "description": "CopilotKit action finished"
  },
  "copilot_action_failed": {
    "name": "copilot_action_failed",
    "level": "error",
    "group": "ui",
    "description": "CopilotKit action error"
  },
  "ag_ui_event_emitted": {
    "name": "ag_ui_event_emitted",
    "level": "debug",
    "group": "ui",
    "description": "AG UI Protocol event sent"
  },
  "ag_ui_event_received": {
    "name": "ag_ui_event_received",
    "level": "debug",
    "group": "ui",
    "description": "AG UI Protocol event received"
  },
  "hitl_approval_requested": {
    "name": "hitl_approval_requested",
    "level": "info",
    "group": "ui",
    "description": "UI shows approval prompt"
  },
  "hitl_approval_submitted": {
    "name": "hitl_approval_submitted",
    "level": "info",
    "group": "ui",
    "description": "User approves or rejects in the UI"
  },
  "sse_connection_opened": {
    "name": "sse_connection_opened",
    "level": "info",
    "group": "ui",
    "description": "SSE stream started"
  },
  "sse_connection_closed": {
    "name": "sse_connection_closed",
    "level": "info",
    "group": "ui",
    "description": "SSE stream ended"
  },
  "sse_message_received": {
    "name": "sse_message_received",
    "level": "debug",
    "group": "ui",
    "description": "SSE event received"
  },
  "sse_connection_error": {
    "name": "sse_connection_error",
    "level": "warning",
    "group": "ui",
    "description": "SSE stream failed or is reconnecting"
  },
  "frontend_error": {
    "name": "frontend_error",
    "level": "error",
    "group": "ui",
    "description": "The page caught an error"
  },
  "audit_event": {
    "name": "audit_event",
    "level": "info",
    "group": "security",
    "description": "An audited action"
  },
  "auth_failed": {
    "name": "auth_failed",
    "level": "warning",
    "group": "security",
    "description": "Authentication failed"
  },
  "rbac_denied": {
    "name": "rbac_denied",
    "level": "warning",
    "group": "security",
    "description": "Access denied by role"
  },
  "guardrail_violation_detected": {
    "name": "guardrail_violation_detected",
    "level": "warning",
    "group": "security",
    "description": "A guardrail flagged content"
  },
  "rate_limit_rejected": {
    "name": "rate_limit_rejected",
    "level": "warning",
    "group": "security",
    "description": "A local rate limiter refused a request"
  }
} as const;

// Attribute keys (conventions/attributes.py).
export const ATTRIBUTES = {
  "GEN_AI_OPERATION_NAME": "gen_ai.operation.name",
  "GEN_AI_AGENT_NAME": "gen_ai.agent.name",
  "GEN_AI_CONVERSATION_ID": "gen_ai.conversation.id",
  "GEN_AI_PROVIDER_NAME": "gen_ai.provider.name",
  "GEN_AI_SYSTEM": "gen_ai.system",
  "GEN_AI_REQUEST_MODEL": "gen_ai.request.model",
  "GEN_AI_RESPONSE_MODEL": "gen_ai.response.model",
  "GEN_AI_RESPONSE_FINISH_REASONS": "gen_ai.response.finish_reasons",
  "GEN_AI_USAGE_INPUT_TOKENS": "gen_ai.usage.input_tokens",
  "GEN_AI_USAGE_OUTPUT_TOKENS": "gen_ai.usage.output_tokens",
  "GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS": "gen_ai.usage.cache_read.input_tokens",
  "GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS": "gen_ai.usage.cache_creation.input_tokens",
  "GEN_AI_USAGE_REASONING_OUTPUT_TOKENS": "gen_ai.usage.reasoning.output_tokens",
  "GEN_AI_USAGE_PROMPT_TOKENS": "gen_ai.usage.prompt_tokens",
  "GEN_AI_USAGE_COMPLETION_TOKENS": "gen_ai.usage.completion_tokens",
  "GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS_OLD": "gen_ai.usage.cache_read_input_tokens",
  "GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS_OLD": "gen_ai.usage.cache_creation_input_tokens",
  "GEN_AI_AGENT_ID": "gen_ai.agent.id",
  "GEN_AI_TOOL_NAME": "gen_ai.tool.name",
  "GEN_AI_TOOL_CALL_ID": "gen_ai.tool.call.id",
  "GEN_AI_INPUT_MESSAGES": "gen_ai.input.messages",
  "GEN_AI_OUTPUT_MESSAGES": "gen_ai.output.messages",
  "GEN_AI_SYSTEM_INSTRUCTIONS": "gen_ai.system_instructions",
  "GEN_AI_PROMPT": "gen_ai.prompt",
  "GEN_AI_COMPLETION": "gen_ai.completion",
  "GEN_AI_TOOL_TYPE": "gen_ai.tool.type",
  "GEN_AI_TOKEN_TYPE": "gen_ai.token.type",
  "MCP_METHOD_NAME": "mcp.method.name",
  "MCP_SESSION_ID": "mcp.session.id",
  "A2A_TASK_ID": "a2a.task.id",
  "A2A_TASK_STATE": "a2a.task.state",
  "DB_OPERATION_NAME": "db.operation.name",
  "DB_SYSTEM_NAME": "db.system.name",
  "HTTP_REQUEST_METHOD": "http.request.method",
  "HTTP_REQUEST_METHOD_ORIGINAL": "http.request.method_original",
  "HTTP_ROUTE": "http.route",
  "HTTP_RESPONSE_STATUS_CODE": "http.response.status_code",
  "URL_PATH": "url.path",
  "URL_SCHEME": "url.scheme",
  "NETWORK_PROTOCOL_VERSION": "network.protocol.version",
  "SERVER_ADDRESS": "server.address",
  "SERVER_PORT": "server.port",
  "CLIENT_ADDRESS": "client.address",
  "USER_AGENT_ORIGINAL": "user_agent.original",
  "SESSION_ID": "session.id",
  "AG_UI_THREAD_ID": "ag_ui.thread.id",
  "AG_UI_RUN_ID": "ag_ui.run.id",
  "AG_UI_RUN_OUTCOME": "ag_ui.run.outcome",
  "AG_UI_INTERRUPT_IDS": "ag_ui.interrupt.ids",
  "AG_UI_INTERRUPT_ID": "ag_ui.interrupt.id",
  "AG_UI_INTERRUPT_REASON": "ag_ui.interrupt.reason",
  "AG_UI_TOOL_CALL_ID": "ag_ui.interrupt.tool_call_id",
  "USER_ID": "user.id",
  "ERROR_TYPE": "error.type",
  "ERROR_CATEGORY": "error.category",
  "EXCEPTION_TYPE": "exception.type",
  "EXCEPTION_MESSAGE": "exception.message",
  "EXCEPTION_STACKTRACE": "exception.stacktrace",
  "SERVICE_NAME": "service.name",
  "SERVICE_NAMESPACE": "service.namespace",
  "SERVICE_VERSION": "service.version",
  "SERVICE_INSTANCE_ID": "service.instance.id",
  "DEPLOYMENT_ENVIRONMENT_NAME": "deployment.environment.name",
  "HOST_NAME": "host.name",
  "TELEMETRY_DISTRO_NAME": "telemetry.distro.name",
  "TELEMETRY_DISTRO_VERSION": "telemetry.distro.version",
  "AUDIT_EVENT_TYPE": "audit.event_type",
  "AUDIT_OUTCOME": "audit.outcome",
  "SWARMSCOPE_OPERATION": "swarmscope.operation",
  "SWARMSCOPE_LINK": "swarmscope.link",
  "SWARMSCOPE_LLM_COST_USD": "swarmscope.llm.cost_usd",
  "SWARMSCOPE_HANDOFF_FROM_AGENT": "swarmscope.handoff.from_agent",
  "SWARMSCOPE_HANDOFF_TO_AGENT": "swarmscope.handoff.to_agent",
  "SWARMSCOPE_HANDOFF_DATA_KEYS": "swarmscope.handoff.data_keys",
  "SWARMSCOPE_HANDOFF_DATA_BYTES": "swarmscope.handoff.data_bytes",
  "SWARMSCOPE_HANDOFF_REASON": "swarmscope.handoff.reason",
  "SWARMSCOPE_HANDOFF_LATENCY_MS": "swarmscope.handoff.latency_ms",
  "SWARMSCOPE_APPROVAL_TYPE": "swarmscope.approval.type",
  "SWARMSCOPE_APPROVAL_ID": "swarmscope.approval.id",
  "SWARMSCOPE_APPROVAL_TIMEOUT_S": "swarmscope.approval.timeout_s",
  "SWARMSCOPE_APPROVAL_DECISION": "swarmscope.approval.decision",
  "SWARMSCOPE_APPROVAL_REASON": "swarmscope.approval.reason",
  "SWARMSCOPE_WORKFLOW_NAME": "swarmscope.workflow.name",
  "SWARMSCOPE_WORKFLOW_NODE": "swarmscope.workflow.node",
  "SWARMSCOPE_ORCHESTRATION_STEPS": "swarmscope.orchestration.steps",
  "SWARMSCOPE_RECOVERY_STRATEGY": "swarmscope.recovery.strategy",
  "SWARMSCOPE_A2A_TARGET_AGENT": "swarmscope.a2a.target_agent",
  "SWARMSCOPE_COPILOTKIT_ACTION": "swarmscope.copilotkit.action",
  "SWARMSCOPE_SSE_STREAM": "swarmscope.sse.stream",
  "SWARMSCOPE_SSE_MESSAGES": "swarmscope.sse.messages",
  "SWARMSCOPE_UI_ACTION": "swarmscope.ui.action",
  "SWARMSCOPE_UI_TARGET": "swarmscope.ui.target",
  "SWARMSCOPE_AG_UI_EVENT_TYPE": "swarmscope.ag_ui.event_type",
  "SWARMSCOPE_SSE_RECONNECTS": "swarmscope.sse.reconnects",
  "SWARMSCOPE_APPROVAL_WAIT_MS": "swarmscope.approval.wait_ms",
  "SWARMSCOPE_INTEGRATION_NAME": "swarmscope.integration.name",
  "SWARMSCOPE_INTEGRATION_OPERATION": "swarmscope.integration.operation",
  "SWARMSCOPE_INTEGRATION_TIER": "swarmscope.integration.tier",
  "SWARMSCOPE_CLIENT_DISCONNECTED": "swarmscope.client_disconnected",
  "SWARMSCOPE_REPLAY_METHOD": "swarmscope.replay.method",
  "SWARMSCOPE_REPLAY_TARGET": "swarmscope.replay.target",
  "SWARMSCOPE_REPLAY_HEADERS": "swarmscope.replay.headers",
  "SWARMSCOPE_REPLAY_BODY": "swarmscope.replay.body",
  "SWARMSCOPE_REPLAY_BODY_TOO_LARGE": "swarmscope.replay.body_too_large",
  "SWARMSCOPE_REPLAY_OF": "swarmscope.replay.of"
} as const;

// Values of gen_ai.operation.name (conventions/spans.py).
export const OPERATIONS = {
  "CHAT": "chat",
  "TEXT_COMPLETION": "text_completion",
  "GENERATE_CONTENT": "generate_content",
  "EMBEDDINGS": "embeddings",
  "INVOKE_AGENT": "invoke_agent",
  "EXECUTE_TOOL": "execute_tool",
  "HANDOFF": "handoff",
  "CREATE_AGENT": "create_agent",
  "INVOKE_WORKFLOW": "invoke_workflow",
  "PLAN": "plan",
  "RETRIEVAL": "retrieval",
  "CREATE_MEMORY": "create_memory",
  "SEARCH_MEMORY": "search_memory",
  "UPDATE_MEMORY": "update_memory",
  "UPSERT_MEMORY": "upsert_memory",
  "DELETE_MEMORY": "delete_memory",
  "CREATE_MEMORY_STORE": "create_memory_store",
  "DELETE_MEMORY_STORE": "delete_memory_store",
  "MCP_REQUEST": "mcp",
  "CHAIN": "chain",
  "GUARDRAIL": "guardrail"
} as const;

// The first word of span names: name === `${prefix} ${subject}`.
export const SPAN_PREFIXES = {
  "INVOKE_AGENT": "invoke_agent",
  "EXECUTE_TOOL": "execute_tool",
  "HANDOFF": "handoff",
  "MCP_TOOLS_CALL": "tools/call",
  "HITL_APPROVAL": "hitl_approval",
  "WORKFLOW": "workflow",
  "WORKFLOW_NODE": "workflow_node",
  "ORCHESTRATE": "orchestrate",
  "RECOVER": "recover",
  "COPILOTKIT_ACTION": "copilotkit_action",
  "SSE": "sse",
  "USER_ACTION": "user_action",
  "HITL_PROMPT": "hitl_prompt",
  "FETCH": "fetch"
} as const;

// The operations that are LLM calls.
export const LLM_OPERATIONS = [
  "chat",
  "text_completion",
  "generate_content",
  "embeddings"
] as const;

export type MetricName = keyof typeof METRICS;
export type EventName = keyof typeof EVENTS;
