"""Every dashboard swarmscope defines over its catalog, as data over the query vocabulary.

A panel says what it measures (a rate, a share, a quantile, a gauge's value) over catalog
families; ``ops.grafana`` writes Grafana JSON from it, and the server can compute the same
figures from its store. Only catalog names can be written, so a panel cannot query a metric
the SDK does not export.

Shares are ratios shown as percentages (``percentunit``), never counts; gauges are read as
values, never ``rate()``-ed; quantiles aggregate ``by (..., le)``; breakdowns of counters are
increases over a window, which survive restarts, never lifetime sums. What no swarmscope app
exports (disk, network interfaces, Kubernetes pod counts) has no panel. Each question is
answered on one dashboard: the system overview, performance (with the HTTP API), LLM usage
and cost, system resources...
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from swarmscope.conventions.catalog import INTERRUPTED, SUCCESS
from swarmscope.definitions.query import (
    Buckets,
    Current,
    Difference,
    Increase,
    Mean,
    Quantile,
    Query,
    Rate,
    RateOfSum,
    Ratio,
    Series,
    Sum,
    TopK,
    Up,
)

PanelKind = Literal[
    "timeseries", "stat", "gauge", "piechart", "bargauge", "table", "heatmap", "nodeGraph"
]

# Breakdowns (pie charts, tables) count what happened in this window, not since start-up.
BREAKDOWN = "1h"


@dataclass(frozen=True)
class Target:
    """One query of a panel and its legend (Grafana's ``{{label}}`` templates)."""

    query: Query
    legend: str = ""
    instant: bool = False


@dataclass(frozen=True)
class Panel:
    """One visualisation; ``mappings`` name gauge values (0 closed, 1 open)."""

    title: str
    queries: tuple[Target, ...]
    kind: PanelKind = "timeseries"
    unit: str | None = None
    description: str = ""
    stacked: bool = False
    mappings: tuple[tuple[int, str], ...] = ()
    # (value, colour) steps from the lowest; the first value is ignored (base colour).
    thresholds: tuple[tuple[float, str], ...] = ()


@dataclass(frozen=True)
class Dashboard:
    uid: str
    title: str
    tags: tuple[str, ...]
    panels: tuple[Panel, ...]
    description: str = ""


# --- small builders: the vocabulary in the words panels use ---


def _s(metric: str, **where: str) -> Series:
    """A series with equality matchers; a value starting with ``~`` is a regex."""
    matchers = tuple(
        (label, "=~", value[1:]) if value.startswith("~") else (label, "=", value)
        for label, value in where.items()
    )
    return Series(metric, matchers)


def _rate(metric: str, *by: str, window: str = "5m", **where: str) -> Rate:
    return Rate(_s(metric, **where), window, by)


def _share(metric: str, *by: str, label: str = "status", ok: str = SUCCESS) -> Ratio:
    """The share of ``metric`` whose ``label`` is ``ok`` (a success rate), among the calls
    that ended: a run interrupted for a person is neither (its resumed run says how it ends)."""
    return Ratio(Rate(_s(metric, **{label: ok}), "5m", by), Rate(_ended(metric, label), "5m", by))


def _failures(metric: str, *by: str, label: str = "status", ok: str = SUCCESS) -> Ratio:
    """The share of ``metric`` whose ``label`` is not ``ok`` (an error rate, as a ratio),
    among the calls that ended."""
    failed = Series(metric, ((label, "!~", f"{ok}|{INTERRUPTED}"),))
    return Ratio(Rate(failed, "5m", by), Rate(_ended(metric, label), "5m", by))


def _ended(metric: str, label: str) -> Series:
    if label != "status":
        return Series(metric)
    return Series(metric, ((label, "!=", INTERRUPTED),))


def _percentiles(
    metric: str, *by: str, qs: tuple[float, ...] = (0.5, 0.95, 0.99)
) -> tuple[Target, ...]:
    """p50/p95/p99 targets of a histogram, legends naming the grouping labels."""
    labels = " ".join(f"{{{{{label}}}}}" for label in by)
    return tuple(
        Target(Quantile(q, Series(metric), "5m", by), f"{labels} p{round(q * 100)}".strip())
        for q in qs
    )


def _t(query: Query, legend: str = "", instant: bool = False) -> tuple[Target]:
    return (Target(query, legend, instant),)


def _legend(*labels: str) -> str:
    return " → ".join(f"{{{{{label}}}}}" for label in labels)


BREAKER = ((0, "closed"), (1, "open"), (2, "half-open"))
HEALTH = ((0, "down"), (1, "healthy"))
GOOD_SHARE = ((0, "red"), (0.8, "yellow"), (0.95, "green"))


# --- agents, approvals, the front end, errors, performance ---

# Panels that several dashboards show, defined once.
TOOL_CALL_DISTRIBUTION_PANEL = Panel(
    "Tool Call Distribution",
    _t(
        Increase(Series("agent_tool_calls_total"), BREAKDOWN, ("tool_name",)),
        "{{tool_name}}",
        instant=True,
    ),
    "piechart",
    "short",
    f"Tool calls in the last {BREAKDOWN}, by tool.",
)


ORCHESTRATION = Dashboard(
    "multi-agent-orchestration",
    "Multi-Agent Orchestration",
    ("swarmscope", "agents", "orchestration"),
    (
        Panel(
            "Active Orchestrations",
            _t(Current(Series("orchestration_parallel_executions"), "sum")),
            "gauge",
            "short",
            "Agent executions running in parallel now, over all orchestrations.",
        ),
        Panel(
            "Orchestration Success Rate",
            _t(_share("orchestration_requests_total"), "success"),
            "timeseries",
            "percentunit",
            "Successful orchestrations / all orchestrations.",
        ),
        Panel(
            "Agent Handoff Flow",
            _t(
                _rate("agent_handoffs_total", "from_agent", "to_agent"),
                _legend("from_agent", "to_agent"),
            ),
            "bargauge",
            "ops",
            "Handoffs per second by (from_agent, to_agent): the edges of the handoff graph.",
        ),
        Panel(
            "Agent Execution Time",
            _t(Buckets(Series("agent_session_duration_seconds")), "{{le}}"),
            "heatmap",
            "s",
            "Distribution of agent session durations; p95 by agent is under Agent Performance.",
        ),
        Panel(
            "Active Agent Sessions",
            _t(Current(Series("agent_sessions_active"), "sum", ("agent_type",)), "{{agent_type}}"),
            "timeseries",
            "short",
            "Agent sessions running now, stacked by agent type.",
            stacked=True,
        ),
        TOOL_CALL_DISTRIBUTION_PANEL,
        Panel(
            "Agent Error Rate",
            _t(
                _rate("agent_errors_total", "agent_type", "error_type"),
                _legend("agent_type", "error_type"),
            ),
            "timeseries",
            "ops",
            "Agent errors per second by agent and error type.",
        ),
        Panel(
            "Orchestration Duration P95",
            _t(Quantile(0.95, Series("orchestration_duration_seconds")), "p95"),
            "stat",
            "s",
            "95th percentile of end-to-end orchestration time.",
        ),
        Panel(
            "Handoff Latency P95",
            _t(
                Quantile(
                    0.95, Series("agent_handoff_duration_seconds"), "5m", ("from_agent", "to_agent")
                ),
                _legend("from_agent", "to_agent"),
            ),
            "timeseries",
            "s",
            "95th percentile handoff latency by edge.",
        ),
        Panel(
            "Handoff Failure Rate",
            _t(
                _failures("agent_handoffs_total", "from_agent", "to_agent"),
                _legend("from_agent", "to_agent"),
            ),
            "timeseries",
            "percentunit",
            "Failed handoffs / all handoffs, by edge.",
        ),
        Panel(
            "Agents Spawned",
            _t(_rate("orchestration_agents_spawned_total", "agent_type"), "{{agent_type}}"),
            "timeseries",
            "ops",
            "Agent instances created per second for orchestrations, by type.",
        ),
        Panel(
            "Steps per Orchestration",
            _t(Mean(Series("orchestration_steps_total"), "15m", ("operation",)), "{{operation}}"),
            "timeseries",
            "short",
            "Mean number of steps an orchestration takes, by operation.",
        ),
        Panel(
            "Agent State Transitions",
            _t(
                _rate("agent_state_transitions_total", "from_state", "to_state"),
                _legend("from_state", "to_state"),
            ),
            "timeseries",
            "ops",
            "State changes per second by (from, to).",
        ),
        Panel(
            "Agent Retries",
            _t(
                _rate("agent_retries_total", "agent_type", "retry_reason"),
                _legend("agent_type", "retry_reason"),
            ),
            "timeseries",
            "ops",
            "Retry attempts per second by agent and reason.",
        ),
    ),
    "Agent coordination and handoffs.",
)

HITL = Dashboard(
    "hitl-workflow",
    "HITL Workflow",
    ("swarmscope", "hitl"),
    (
        Panel(
            "Pending Approvals",
            _t(Current(Series("hitl_approvals_pending"), "sum")),
            "gauge",
            "short",
            "Approvals waiting for a human now.",
        ),
        Panel(
            "Approval Request Rate",
            _t(_rate("hitl_approvals_requested_total", "approval_type"), "{{approval_type}}"),
            "timeseries",
            "ops",
            "Approvals requested per second, by type.",
        ),
        Panel(
            "Approval Latency",
            _percentiles("hitl_approval_latency_seconds", "approval_type", qs=(0.5, 0.95)),
            "timeseries",
            "s",
            "Time from request to human decision, by approval type.",
        ),
        Panel(
            "Approval Decision Breakdown",
            _t(
                Increase(Series("hitl_approvals_received_total"), BREAKDOWN, ("decision",)),
                "{{decision}}",
                instant=True,
            ),
            "piechart",
            "short",
            f"Decisions in the last {BREAKDOWN}.",
        ),
        Panel(
            "Timeout Rate",
            _t(
                Ratio(
                    _rate("hitl_approval_timeouts_total", "approval_type"),
                    _rate("hitl_approvals_requested_total", "approval_type"),
                ),
                "{{approval_type}}",
            ),
            "timeseries",
            "percentunit",
            "Timed-out approvals / requested approvals, by type (a share, as the alert uses).",
        ),
        Panel(
            "Approval Latency Distribution",
            _t(Buckets(Series("hitl_approval_latency_seconds")), "{{le}}"),
            "heatmap",
            "s",
            "Distribution of approval latencies.",
        ),
        Panel(
            "Approval Success Rate",
            _t(
                _share("hitl_approvals_received_total", label="decision", ok="approved"), "approved"
            ),
            "timeseries",
            "percentunit",
            "Approved decisions / all decisions.",
        ),
    ),
    "Human-in-the-loop approval flows.",
)

STREAMING = Dashboard(
    "copilotkit-ag-ui",
    "CopilotKit/AG UI Protocol",
    ("swarmscope", "frontend", "streaming"),
    (
        Panel(
            "Active SSE Connections",
            _t(Current(Series("sse_connections_active"), "sum")),
            "gauge",
            "short",
            "Open server-sent-event streams now.",
        ),
        Panel(
            "CopilotKit Action Rate",
            _t(
                _rate("copilotkit_actions_total", "action_name", "status"),
                _legend("action_name", "status"),
            ),
            "timeseries",
            "ops",
            "CopilotKit actions per second by action and status.",
        ),
        Panel(
            "CopilotKit Action Duration",
            _t(
                Quantile(
                    0.95, Series("copilotkit_action_duration_seconds"), "5m", ("action_name",)
                ),
                "{{action_name}} p95",
            ),
            "timeseries",
            "s",
            "95th percentile action time by action.",
        ),
        Panel(
            "AG UI Events Emitted",
            _t(_rate("ag_ui_events_emitted_total", "event_type"), "{{event_type}}"),
            "timeseries",
            "ops",
            "AG-UI protocol events sent per second, by type.",
            stacked=True,
        ),
        Panel(
            "AG UI Events Received",
            _t(_rate("ag_ui_events_received_total", "event_type"), "{{event_type}}"),
            "timeseries",
            "ops",
            "AG-UI events the browser client reported receiving, by type.",
        ),
        Panel(
            "SSE Message Rate",
            _t(_rate("sse_messages_sent_total", "message_type"), "{{message_type}}"),
            "timeseries",
            "ops",
            "SSE messages sent per second, by type.",
        ),
        Panel(
            "SSE Connection Duration",
            _t(Buckets(Series("sse_connection_duration_seconds")), "{{le}}"),
            "heatmap",
            "s",
            "Distribution of SSE stream lifetimes.",
        ),
        Panel(
            "Frontend-to-Backend Latency",
            _t(
                Quantile(0.95, Series("http_request_duration_seconds"), "5m", ("endpoint",)),
                "{{endpoint}} p95",
            ),
            "timeseries",
            "s",
            "95th percentile server time of the requests the front end makes, by endpoint.",
        ),
        Panel(
            "Frontend-to-Backend Latency (browser)",
            _t(
                Quantile(0.95, Series("frontend_backend_latency_seconds"), "5m", ("method",)),
                "{{method}} p95",
            ),
            "timeseries",
            "s",
            "95th percentile wait of the page's requests for their answer, as the browser saw it.",
        ),
        Panel(
            "Frontend Errors",
            _t(
                _rate("frontend_errors_total", "error_type", "source"),
                _legend("error_type", "source"),
            ),
            "timeseries",
            "ops",
            "Errors the page caught per second (uncaught, unhandled rejections, error boundaries).",
        ),
    ),
    "Front-end integration and streaming.",
)

ERRORS = Dashboard(
    "error-tracking",
    "Error Tracking",
    ("swarmscope", "errors"),
    (
        Panel(
            "Total Error Rate",
            _t(_rate("errors_total"), "errors/s"),
            "stat",
            "ops",
            "Tracked errors per second across the stack.",
        ),
        Panel(
            "Errors by Category",
            _t(_rate("agent_errors_total", "error_type"), "{{error_type}}"),
            "bargauge",
            "ops",
            "Agent errors per second by error type.",
        ),
        Panel(
            "Errors by Severity",
            _t(
                Increase(Series("errors_total"), BREAKDOWN, ("severity",)),
                "{{severity}}",
                instant=True,
            ),
            "piechart",
            "short",
            f"Tracked errors in the last {BREAKDOWN}, by severity.",
        ),
        Panel(
            "Error Timeline",
            _t(_rate("errors_total", "error_type"), "{{error_type}}"),
            "timeseries",
            "ops",
            "Tracked errors per second by category.",
            stacked=True,
        ),
        Panel(
            "Top Error Sources",
            _t(
                TopK(10, _rate("agent_errors_total", "agent_type", "error_type")),
                _legend("agent_type", "error_type"),
                instant=True,
            ),
            "table",
            "ops",
            "The ten (agent, error type) pairs failing most often now.",
        ),
        Panel(
            "Error Recovery Success Rate",
            _t(_share("error_recovery_attempts_total", label="success", ok="true"), "recovered"),
            "timeseries",
            "percentunit",
            "Successful recoveries / recovery attempts.",
        ),
        Panel(
            "Error Recovery Duration P95",
            _t(
                Quantile(
                    0.95,
                    Series("error_recovery_duration_seconds"),
                    "5m",
                    ("recovery_strategy",),
                ),
                "{{recovery_strategy}}",
            ),
            "timeseries",
            "s",
            "95th percentile time a recovery strategy takes.",
        ),
        Panel(
            "Unhandled Exceptions",
            _t(
                Increase(
                    Series("exceptions_unhandled_total"), BREAKDOWN, ("exception_type", "module")
                ),
                _legend("module", "exception_type"),
                instant=True,
            ),
            "table",
            "short",
            f"Exceptions that escaped the app in the last {BREAKDOWN}.",
        ),
    ),
    "Errors across the stack.",
)

PERFORMANCE = Dashboard(
    "performance-overview",
    "Performance Overview",
    ("swarmscope", "performance", "api"),
    (
        Panel(
            "Request Rate",
            _t(_rate("http_requests_total", "endpoint"), "{{endpoint}}"),
            "timeseries",
            "reqps",
            "HTTP requests per second by endpoint.",
        ),
        Panel(
            "Response Time P50/P95/P99",
            _percentiles("http_request_duration_seconds"),
            "timeseries",
            "s",
            "HTTP request duration percentiles over all endpoints.",
        ),
        Panel(
            "Agent Queue Depth",
            _t(Current(Series("agent_queue_depth"), "sum", ("agent_type",)), "{{agent_type}}"),
            "timeseries",
            "short",
            "Tasks waiting per agent type.",
        ),
        Panel(
            "Queue Wait Time P95",
            _t(
                Quantile(0.95, Series("agent_queue_wait_time_seconds"), "5m", ("agent_type",)),
                "{{agent_type}}",
            ),
            "timeseries",
            "s",
            "95th percentile time a task waits before an agent starts it.",
        ),
        Panel(
            "Requests in Progress",
            _t(Current(Series("http_requests_in_progress"), "sum", ("endpoint",)), "{{endpoint}}"),
            "timeseries",
            "short",
            "HTTP requests being served now, by endpoint.",
            stacked=True,
        ),
        Panel(
            "Database Query Performance",
            _t(
                Quantile(0.95, Series("db_query_duration_seconds"), "5m", ("operation",)),
                "{{operation}} p95",
            ),
            "timeseries",
            "s",
            "95th percentile query time by operation.",
        ),
        Panel(
            "Cache Hit Rate",
            _t(
                Ratio(
                    _rate("cache_hits_total"),
                    Sum(_rate("cache_hits_total"), _rate("cache_misses_total")),
                ),
                "hit rate",
            ),
            "timeseries",
            "percentunit",
            "Hits / (hits + misses), all caches.",
        ),
        Panel(
            "Memory Usage per Agent",
            _t(
                Current(Series("agent_memory_usage_bytes"), "max", ("agent_type",)),
                "{{agent_type}}",
            ),
            "timeseries",
            "bytes",
            "Largest agent instance's memory, by agent type.",
        ),
        Panel(
            "Integration Health",
            _t(
                Current(Series("integration_health_status"), "min", ("integration_name",)),
                "{{integration_name}}",
            ),
            "stat",
            None,
            "Last health verdict per integration (1 healthy, 0 down).",
            mappings=HEALTH,
            thresholds=((0, "red"), (1, "green")),
        ),
        # the HTTP API
        Panel(
            "Request Rate by Method",
            _t(_rate("http_requests_total", "method"), "{{method}}"),
            "timeseries",
            "reqps",
            "HTTP requests per second by method.",
        ),
        Panel(
            "Errors by Status Code",
            _t(_rate("http_requests_total", "status", status="~[45].."), "{{status}}"),
            "timeseries",
            "reqps",
            "4xx and 5xx answers per second by status.",
            stacked=True,
        ),
        Panel(
            "Rate Limit Rejections",
            _t(_rate("rate_limit_rejections_total", "key"), "{{key}}"),
            "timeseries",
            "reqps",
            "Requests the app's rate limiter refused, by limit key.",
        ),
    ),
    "End-to-end performance and the HTTP API.",
)

# --- overview, agents, integrations ---

SYSTEM_OVERVIEW = Dashboard(
    "system-overview",
    "System Overview",
    ("swarmscope", "overview"),
    (
        Panel(
            "Request Rate",
            _t(_rate("http_requests_total"), "requests/s"),
            "timeseries",
            "reqps",
            "HTTP requests per second.",
        ),
        Panel(
            "Error Rate",
            _t(
                Ratio(_rate("http_requests_total", status="~5.."), _rate("http_requests_total")),
                "5xx",
            ),
            "timeseries",
            "percentunit",
            "5xx answers / all answers.",
        ),
        Panel(
            "Auth Error Rate",
            _t(
                Ratio(
                    _rate("http_requests_total", status="~401|403"), _rate("http_requests_total")
                ),
                "401/403",
            ),
            "timeseries",
            "percentunit",
            "401 and 403 answers / all answers.",
        ),
        Panel(
            "Response Time",
            _percentiles("http_request_duration_seconds"),
            "timeseries",
            "s",
            "HTTP request duration percentiles.",
        ),
        Panel(
            "Active Sessions",
            _t(Current(Series("agent_sessions_active"), "sum")),
            "stat",
            "short",
            "Agent sessions running now.",
        ),
        Panel(
            "Active SSE Connections",
            _t(Current(Series("sse_connections_active"), "sum")),
            "stat",
            "short",
            "Open AG-UI event streams now.",
        ),
        Panel(
            "CPU Usage",
            _t(_rate("process_cpu_seconds_total"), "cpu"),
            "timeseries",
            "percentunit",
            "CPU seconds per second (1 = one core). Disk is not exported by the app.",
        ),
        Panel(
            "Memory Usage",
            _t(Current(Series("process_memory_bytes"), "max"), "rss"),
            "timeseries",
            "bytes",
            "Process memory.",
        ),
        Panel(
            "Integration Health",
            _t(
                Current(Series("integration_health_status"), "min", ("integration_name",)),
                "{{integration_name}}",
            ),
            "stat",
            None,
            "Each dependency by name: CRM, memory store, database... (1 healthy, 0 down).",
            mappings=HEALTH,
            thresholds=((0, "red"), (1, "green")),
        ),
    ),
    "High-level health: traffic, errors, latency, agents, dependencies.",
)

AGENT_PERFORMANCE = Dashboard(
    "agent-performance",
    "Agent Performance",
    ("swarmscope", "agents"),
    (
        Panel(
            "Session Success Rate",
            _t(_share("agent_sessions_total", "agent_type"), "{{agent_type}}"),
            "timeseries",
            "percentunit",
            "Successful sessions / all sessions, by agent type.",
        ),
        Panel(
            "Session Duration",
            (
                Target(
                    Mean(Series("agent_session_duration_seconds"), "5m", ("agent_type",)),
                    "{{agent_type}} mean",
                ),
                *_percentiles("agent_session_duration_seconds", "agent_type", qs=(0.95,)),
            ),
            "timeseries",
            "s",
            "Mean and p95 agent execution time by agent type.",
        ),
        TOOL_CALL_DISTRIBUTION_PANEL,
        Panel(
            "Tool Call Duration P95",
            _t(
                Quantile(0.95, Series("agent_tool_call_duration_seconds"), "5m", ("tool_name",)),
                "{{tool_name}}",
            ),
            "timeseries",
            "s",
            "95th percentile tool call time by tool.",
        ),
    ),
    "Agent sessions and tools.",
)

INTEGRATIONS = Dashboard(
    "integration-health",
    "Integration Health",
    ("swarmscope", "integrations"),
    (
        Panel(
            "Circuit Breaker States",
            (
                Target(
                    Current(Series("circuit_breaker_state"), "max", ("integration_name",)),
                    "{{integration_name}}",
                ),
            ),
            "stat",
            None,
            "0 closed, 1 open, 2 half-open.",
            mappings=BREAKER,
            thresholds=((0, "green"), (1, "red"), (2, "orange")),
        ),
        Panel(
            "Integration Call Success Rate",
            _t(_share("integration_calls_total", "integration_name"), "{{integration_name}}"),
            "timeseries",
            "percentunit",
            "Successful calls / all calls, by integration.",
        ),
        Panel(
            "Integration Call Latency P95",
            _t(
                Quantile(
                    0.95, Series("integration_call_duration_seconds"), "5m", ("integration_name",)
                ),
                "{{integration_name}}",
            ),
            "timeseries",
            "s",
            "95th percentile external call time by integration.",
        ),
        Panel(
            "Rate Limit Hits",
            _t(
                _rate("integration_rate_limit_hits_total", "integration_name"),
                "{{integration_name}}",
            ),
            "timeseries",
            "ops",
            "429 answers from integrations per second.",
        ),
        Panel(
            "Database Connection Pool Usage",
            _t(
                Ratio(
                    Current(Series("db_connections_active"), "sum"),
                    Current(Series("db_connections_total"), "sum"),
                ),
                "in use",
            ),
            "gauge",
            "percentunit",
            "Active connections / pool size.",
            thresholds=((0, "green"), (0.7, "yellow"), (0.9, "red")),
        ),
        Panel(
            "Database Query Time P95",
            _t(
                Quantile(0.95, Series("db_query_duration_seconds"), "5m", ("operation",)),
                "{{operation}}",
            ),
            "timeseries",
            "s",
            "95th percentile query time by operation.",
        ),
        Panel(
            "Cache Hit Rate by Cache",
            _t(
                Ratio(
                    _rate("cache_hits_total", "cache_name"),
                    Sum(
                        _rate("cache_hits_total", "cache_name"),
                        _rate("cache_misses_total", "cache_name"),
                    ),
                ),
                "{{cache_name}}",
            ),
            "timeseries",
            "percentunit",
            "Hits / lookups per cache.",
        ),
        Panel(
            "Cache Latency P95",
            _t(
                Quantile(0.95, Series("cache_operation_duration_seconds"), "5m", ("cache_name",)),
                "{{cache_name}}",
            ),
            "timeseries",
            "s",
            "95th percentile cache lookup time per cache.",
        ),
    ),
    "External dependencies by name: calls, latency, breakers, rate limits, database, cache.",
)

# --- LLM calls, MCP, A2A, security, resources ---

LLM = Dashboard(
    "llm-usage-cost",
    "LLM Usage and Cost",
    ("swarmscope", "llm", "cost"),
    (
        Panel(
            "LLM Call Rate",
            _t(_rate("llm_requests_total", "model"), "{{model}}"),
            "timeseries",
            "reqps",
            "LLM calls per second by model.",
        ),
        Panel(
            "LLM Call Latency",
            _percentiles("llm_request_duration_seconds", "model"),
            "timeseries",
            "s",
            "LLM call duration percentiles by model.",
        ),
        Panel(
            "LLM Error Rate",
            _t(_failures("llm_requests_total", "model"), "{{model}}"),
            "timeseries",
            "percentunit",
            "Failed calls / all calls, by model.",
        ),
        Panel(
            "Token Usage by Type",
            _t(_rate("llm_tokens_total", "token_type"), "{{token_type}}"),
            "timeseries",
            "short",
            "Input and output tokens per second.",
            stacked=True,
        ),
        Panel(
            "Token Usage by Model",
            _t(Increase(Series("llm_tokens_total"), "1h", ("model",)), "{{model}}"),
            "timeseries",
            "short",
            "Tokens per hour by model.",
        ),
        Panel(
            "Token Usage by Agent",
            _t(Increase(Series("llm_tokens_total"), "1h", ("agent_type",)), "{{agent_type}}"),
            "timeseries",
            "short",
            "Tokens per hour by agent.",
        ),
        Panel(
            "Estimated Cost per Hour",
            _t(Increase(Series("llm_cost_usd_total"), "1h", ("model",)), "{{model}}"),
            "timeseries",
            "currencyUSD",
            "Cost from the price table, per hour by model.",
            stacked=True,
        ),
        Panel(
            "Cost in the Last 24h",
            _t(Increase(Series("llm_cost_usd_total"), "24h")),
            "stat",
            "currencyUSD",
            "Estimated LLM spend over the last day.",
        ),
        Panel(
            "Cost per Orchestration",
            _t(
                Ratio(
                    _rate("llm_cost_usd_total", window="1h"),
                    _rate("orchestration_requests_total", window="1h"),
                ),
                "USD / orchestration",
            ),
            "timeseries",
            "currencyUSD",
            "Estimated LLM cost per orchestration.",
        ),
        Panel(
            "Calls Without a Price",
            _t(Increase(Series("llm_price_missing_total"), "1h", ("model",)), "{{model}}"),
            "timeseries",
            "short",
            "Calls whose cost is unknown (no price for the model): the cost panels undercount.",
        ),
        Panel(
            "Provider Cache Hits",
            _t(_rate("llm_cache_hits_total", "model"), "{{model}}"),
            "timeseries",
            "ops",
            "Calls served from the provider's prompt cache.",
        ),
    ),
    "LLM calls, tokens and estimated cost.",
)

MCP = Dashboard(
    "mcp-tools",
    "MCP Tools",
    ("swarmscope", "mcp", "tools"),
    (
        Panel(
            "Call Rate per Tool",
            _t(_rate("mcp_tool_invocations_total", "tool_name"), "{{tool_name}}"),
            "timeseries",
            "ops",
            "MCP tool invocations per second.",
        ),
        Panel(
            "Latency per Tool",
            _percentiles("mcp_tool_invocation_duration_seconds", "tool_name"),
            "timeseries",
            "s",
            "Invocation duration percentiles by tool.",
        ),
        Panel(
            "Error Rate per Tool",
            _t(_failures("mcp_tool_invocations_total", "tool_name"), "{{tool_name}}"),
            "timeseries",
            "percentunit",
            "Failed invocations / all invocations, by tool.",
        ),
        Panel(
            "Errors by Status",
            _t(
                _rate("mcp_tool_invocations_total", "tool_name", "status", status="~error_.*"),
                _legend("tool_name", "status"),
            ),
            "timeseries",
            "ops",
            "ERROR_EXECUTION, ERROR_HTTP, ERROR_FORBIDDEN... per second.",
        ),
        Panel(
            "Credential Loading Errors",
            _t(_rate("mcp_credential_errors_total", "tool_name"), "{{tool_name}}"),
            "timeseries",
            "ops",
            "Invocations that failed for missing credentials.",
        ),
    ),
    "MCP tool invocations.",
)

A2A = Dashboard(
    "a2a-delegation",
    "A2A Delegation",
    ("swarmscope", "a2a"),
    (
        Panel(
            "A2A Delegation Rate",
            _t(_rate("a2a_delegations_total", "target_agent"), "{{target_agent}}"),
            "timeseries",
            "ops",
            "Tasks delegated per second, per target agent.",
        ),
        Panel(
            "A2A Delegation Latency",
            _percentiles("a2a_delegation_duration_seconds", "target_agent"),
            "timeseries",
            "s",
            "Delegation round-trip percentiles per target agent.",
        ),
        Panel(
            "A2A Error Rate",
            _t(_failures("a2a_delegations_total", "target_agent"), "{{target_agent}}"),
            "timeseries",
            "percentunit",
            "Failed delegations / all delegations, per target agent.",
        ),
        Panel(
            "A2A Errors by Status",
            _t(
                _rate(
                    "a2a_delegations_total", "target_agent", "status", status="~error_.*|failure"
                ),
                _legend("target_agent", "status"),
            ),
            "timeseries",
            "ops",
            "ERROR_NETWORK, ERROR_HTTP... per second.",
        ),
    ),
    "Agent-to-agent delegation.",
)

SECURITY = Dashboard(
    "security-audit",
    "Audit Log & Security",
    ("swarmscope", "security", "audit"),
    (
        Panel(
            "Rate of Audit Events",
            _t(_rate("audit_events_total", "event_type"), "{{event_type}}"),
            "timeseries",
            "ops",
            "Audited actions per second by type.",
            stacked=True,
        ),
        Panel(
            "Authentication Failures",
            _t(_rate("auth_failures_total", "reason"), "{{reason}}"),
            "timeseries",
            "ops",
            "Failed authentications per second by reason.",
        ),
        Panel(
            "RBAC Denials",
            _t(_rate("rbac_denials_total", "resource"), "{{resource}}"),
            "timeseries",
            "ops",
            "Requests denied by role, per resource.",
        ),
        Panel(
            "Guardrail Violations",
            _t(_rate("guardrail_violations_total", "guardrail"), "{{guardrail}}"),
            "timeseries",
            "ops",
            "Guardrail violations per second.",
        ),
        Panel(
            "Critical Errors",
            _t(
                Increase(
                    Series("errors_total", (("severity", "=", "critical"),)),
                    BREAKDOWN,
                    ("error_type",),
                ),
                "{{error_type}}",
                instant=True,
            ),
            "table",
            "short",
            f"Critical-severity errors in the last {BREAKDOWN}.",
        ),
    ),
    "Audit, authentication, RBAC and guardrails.",
)

SYSTEM = Dashboard(
    "system-resources",
    "System Resources",
    ("swarmscope", "system"),
    (
        Panel(
            "CPU Utilization",
            _t(_rate("process_cpu_seconds_total", "instance"), "{{instance}}"),
            "timeseries",
            "percentunit",
            "CPU seconds per second per instance (1 = one core).",
        ),
        Panel(
            "Memory Usage",
            _t(Current(Series("process_memory_bytes"), "max", ("instance",)), "{{instance}}"),
            "timeseries",
            "bytes",
            "Process memory per instance.",
        ),
        Panel(
            "HTTP Bytes In/Out",
            (
                Target(RateOfSum(Series("http_request_body_size_bytes")), "in"),
                Target(RateOfSum(Series("http_response_body_size_bytes")), "out"),
            ),
            "timeseries",
            "Bps",
            "HTTP body bytes per second; interface-level network I/O is node-exporter's job.",
        ),
        Panel(
            "Instances Up",
            _t(Up(), "{{instance}}"),
            "stat",
            None,
            "Instances answering Prometheus scrapes (pod counts come from Kubernetes).",
            mappings=HEALTH,
            thresholds=((0, "red"), (1, "green")),
        ),
        Panel(
            "Open File Descriptors",
            _t(Current(Series("process_open_fds"), "max", ("instance",)), "{{instance}}"),
            "timeseries",
            "short",
            "Open file descriptors per instance.",
        ),
        Panel(
            "Database Connections",
            (
                Target(Current(Series("db_connections_active"), "sum"), "active"),
                Target(
                    Difference(
                        Current(Series("db_connections_total"), "sum"),
                        Current(Series("db_connections_active"), "sum"),
                    ),
                    "idle",
                ),
            ),
            "timeseries",
            "short",
            "Active and idle pooled connections.",
            stacked=True,
        ),
        Panel(
            "LLM Request Rate by Model",
            _t(_rate("llm_requests_total", "model"), "{{model}}"),
            "timeseries",
            "reqps",
            "LLM calls per second by model.",
        ),
        Panel(
            "Telemetry Dropped",
            _t(_rate("telemetry_dropped_total", "signal", "reason"), _legend("signal", "reason")),
            "timeseries",
            "ops",
            "What swarmscope dropped instead of blocking the app: gaps in the other panels.",
        ),
        Panel(
            "Telemetry Pipeline",
            (
                Target(_rate("telemetry_exported_total", "signal"), "exported {{signal}}"),
                Target(
                    _rate("telemetry_label_overflow_total", "metric"), "label overflow {{metric}}"
                ),
                Target(
                    _rate("telemetry_instrumentation_errors_total", "where"),
                    "instrumentation errors {{where}}",
                ),
            ),
            "timeseries",
            "ops",
            "swarmscope's own health: exports, label values folded into 'other', swallowed errors.",
        ),
    ),
    "Process resources and dependencies.",
)

# --- caches and the database, workflows ---

CACHE_DB = Dashboard(
    "cache-database",
    "Cache and Database",
    ("swarmscope", "cache", "database"),
    (
        Panel(
            "Cache Hit Rate",
            _t(
                Ratio(
                    _rate("cache_hits_total"),
                    Sum(_rate("cache_hits_total"), _rate("cache_misses_total")),
                ),
                "hit rate",
            ),
            "stat",
            "percentunit",
            "Hits / lookups over all caches.",
            thresholds=GOOD_SHARE,
        ),
        Panel(
            "Cache Operations",
            (
                Target(_rate("cache_hits_total", "cache_name"), "{{cache_name}} hits"),
                Target(_rate("cache_misses_total", "cache_name"), "{{cache_name}} misses"),
            ),
            "timeseries",
            "ops",
            "Lookups per second; cache writes are not counted by the SDK.",
        ),
        Panel(
            "Average Cache Latency",
            _t(Mean(Series("cache_operation_duration_seconds"), "5m", ("result",)), "{{result}}"),
            "timeseries",
            "s",
            "Mean lookup time, hit versus miss.",
        ),
        Panel(
            "Database Query Rate",
            _t(_rate("db_queries_total", "operation"), "{{operation}}"),
            "timeseries",
            "ops",
            "Queries per second by operation.",
        ),
        Panel(
            "Database Query Error Rate",
            _t(_failures("db_queries_total", "operation"), "{{operation}}"),
            "timeseries",
            "percentunit",
            "Failed queries / all queries.",
        ),
        Panel(
            "Database Query Latency P95",
            _t(
                Quantile(0.95, Series("db_query_duration_seconds"), "5m", ("operation",)),
                "{{operation}}",
            ),
            "timeseries",
            "s",
            "95th percentile query time by operation.",
        ),
    ),
    "Caches and the database.",
)

WORKFLOWS = Dashboard(
    "workflows",
    "Workflows and Routing",
    ("swarmscope", "workflows", "orchestration"),
    (
        Panel(
            "Workflow Executions by Status",
            _t(
                _rate("workflow_executions_total", "workflow_name", "status"),
                _legend("workflow_name", "status"),
            ),
            "timeseries",
            "ops",
            "Workflow runs per second by outcome.",
            stacked=True,
        ),
        Panel(
            "Workflow Duration P95",
            _t(
                Quantile(0.95, Series("workflow_duration_seconds"), "5m", ("workflow_name",)),
                "{{workflow_name}}",
            ),
            "timeseries",
            "s",
            "95th percentile workflow time.",
        ),
        Panel(
            "Node Failure Rate",
            _t(
                _failures("workflow_nodes_executed_total", "workflow_name", "node_name"),
                _legend("workflow_name", "node_name"),
            ),
            "timeseries",
            "percentunit",
            "Failed node runs / node runs.",
        ),
        Panel(
            "Node Duration P95",
            _t(
                Quantile(
                    0.95,
                    Series("workflow_node_duration_seconds"),
                    "5m",
                    ("workflow_name", "node_name"),
                ),
                _legend("workflow_name", "node_name"),
            ),
            "timeseries",
            "s",
            "95th percentile node time.",
        ),
        Panel(
            "Error Recovery Attempts by Strategy",
            _t(
                _rate("error_recovery_attempts_total", "recovery_strategy"), "{{recovery_strategy}}"
            ),
            "timeseries",
            "ops",
            "Recovery attempts per second by strategy.",
        ),
        Panel(
            "Human Reviews Pending",
            _t(Current(Series("hitl_approvals_pending"), "sum")),
            "gauge",
            "short",
            "A human review is a HITL approval.",
        ),
        Panel(
            "Routing Decisions",
            _t(
                _rate("routing_decisions_total", "workflow_name", "route"),
                _legend("workflow_name", "route"),
            ),
            "timeseries",
            "ops",
            "Routes chosen per second.",
        ),
        Panel(
            "Routing Confidence",
            _t(Quantile(0.5, Series("routing_confidence"), "1h"), "median"),
            "gauge",
            "percentunit",
            "Median router confidence over the last hour.",
            thresholds=GOOD_SHARE,
        ),
    ),
    "Workflow runs, recovery, reviews and routing.",
)

DASHBOARDS: tuple[Dashboard, ...] = (
    ORCHESTRATION,
    HITL,
    STREAMING,
    ERRORS,
    PERFORMANCE,
    SYSTEM_OVERVIEW,
    AGENT_PERFORMANCE,
    INTEGRATIONS,
    LLM,
    MCP,
    A2A,
    SECURITY,
    SYSTEM,
    CACHE_DB,
    WORKFLOWS,
)

DASHBOARDS_BY_UID: dict[str, Dashboard] = {d.uid: d for d in DASHBOARDS}
