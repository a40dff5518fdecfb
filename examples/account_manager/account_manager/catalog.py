"""The account manager's own vocabulary, declared through swarmscope's public extension point.

Beside swarmscope's families it exports a CRM's (Zoho's) and a memory store's (Cognee's) own
families and events, its recommendations with their confidence tiers, the recording rules
that serve the other names its teams' dashboards use, and an alert and a dashboard on them.
``swarmscope.init(catalog=CATALOG)`` exports the families; ``swarmscope stack export
--catalog account_manager.catalog:CATALOG`` writes the rules and the dashboard.
"""

from __future__ import annotations

from dataclasses import replace

from swarmscope.app_catalog import AppCatalog, RecordingRule, register
from swarmscope.conventions.catalog import EventSpec, MetricSpec
from swarmscope.definitions.alerts import AlertRule
from swarmscope.definitions.dashboards import Dashboard, Panel, Target
from swarmscope.definitions.query import (
    Buckets,
    Current,
    Increase,
    Quantile,
    Rate,
    Ratio,
    Series,
    Sum,
)

# prometheus-client's default buckets, which a histogram declared without buckets gets.
DEFAULT_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10)

METRICS: tuple[MetricSpec, ...] = (
    MetricSpec(
        "recommendations_generated_total",
        "counter",
        "Total recommendations generated",
        ("recommendation_type", "priority", "confidence_tier"),
        group="recommendation",
    ),
    MetricSpec(
        "recommendations_approved_total",
        "counter",
        "Total recommendations approved via HITL",
        ("recommendation_type", "priority"),
        group="recommendation",
    ),
    MetricSpec(
        "recommendations_rejected_total",
        "counter",
        "Total recommendations rejected via HITL",
        ("recommendation_type", "rejection_reason"),
        group="recommendation",
    ),
    MetricSpec(
        "recommendation_confidence_score",
        "histogram",
        "Confidence scores of generated recommendations",
        ("recommendation_type",),
        (0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 1.0),
        group="recommendation",
    ),
    MetricSpec(
        "zoho_api_calls_total",
        "counter",
        "Total Zoho API calls",
        ("tier", "operation", "status"),
        group="integration",
    ),
    MetricSpec(
        "zoho_api_call_duration_seconds",
        "histogram",
        "Zoho API call duration",
        ("tier", "operation"),
        (0.5, 1, 2, 5, 10, 30),
        group="integration",
    ),
    MetricSpec(
        "zoho_circuit_breaker_state",
        "gauge",
        "Zoho circuit breaker state (0=closed, 1=open, 2=half-open)",
        ("tier",),
        group="integration",
        multiprocess_mode="max",
    ),
    MetricSpec(
        "cognee_queries_total",
        "counter",
        "Total Cognee queries",
        ("operation", "status"),
        group="integration",
    ),
    MetricSpec(
        "cognee_query_duration_seconds",
        "histogram",
        "Cognee query duration",
        ("operation",),
        DEFAULT_BUCKETS,
        group="integration",
    ),
)

EVENTS: tuple[EventSpec, ...] = (
    EventSpec("zoho_api_call_started", "debug", "integration", "Zoho API call started"),
    EventSpec("zoho_api_call_completed", "info", "integration", "Zoho API call returned"),
    EventSpec("zoho_api_call_failed", "error", "integration", "Zoho API call failed"),
    EventSpec("zoho_rate_limit_hit", "warning", "integration", "Zoho answered 429"),
    EventSpec(
        "zoho_circuit_breaker_opened", "critical", "integration", "Zoho circuit breaker opened"
    ),
    EventSpec("zoho_circuit_breaker_closed", "info", "integration", "Zoho circuit breaker closed"),
    EventSpec("cognee_query_started", "debug", "integration", "Cognee query started"),
    EventSpec("cognee_query_completed", "info", "integration", "Cognee query returned"),
    EventSpec("cognee_query_failed", "error", "integration", "Cognee query failed"),
    EventSpec(
        "recommendation_generated", "info", "recommendation", "A recommendation was produced"
    ),
    EventSpec(
        "recommendation_decided",
        "info",
        "recommendation",
        "A recommendation was approved or rejected",
    ),
)

# Registered before the rules and panels below are built: a query checks the family it reads.
FAMILIES = AppCatalog("account_manager", metrics=METRICS, events=EVENTS)
register(FAMILIES)

RECORDING_RULES: tuple[RecordingRule, ...] = (
    RecordingRule(
        "recommendation_confidence",
        "{ns}_recommendation_confidence_score",
        "recommendation_confidence_score under the name the ML team's dashboards use",
    ),
    RecordingRule(
        "agent_task_duration_seconds",
        "{ns}_agent_session_duration_seconds",
        "an agent task is an agent session",
    ),
    RecordingRule("agent_task_total", "{ns}_agent_sessions_total", "same family"),
    RecordingRule(
        "agent_success_rate",
        'sum by (agent_type) (rate({ns}_agent_sessions_total{{status="success"}}[5m]))'
        " / sum by (agent_type) (rate({ns}_agent_sessions_total[5m]))",
        "a ratio, computed rather than stored",
    ),
    RecordingRule(
        "agent_token_usage",
        "sum by (agent_type) ({ns}_llm_tokens_total)",
        "tokens by agent",
    ),
    RecordingRule(
        "agent_tool_usage",
        "sum by (agent_type, tool_name) ({ns}_agent_tool_calls_total)",
        "tool calls by agent",
    ),
    RecordingRule("task_queue_length", "sum({ns}_agent_queue_depth)", "queue depth"),
    RecordingRule("active_agents", "sum({ns}_agent_sessions_active)", "active sessions"),
    RecordingRule("memory_usage_bytes", "{ns}_process_memory_bytes", "process memory"),
    RecordingRule("database_connections", "{ns}_db_connections_active", "same gauge"),
    RecordingRule(
        "api_request_duration",
        "{ns}_http_request_duration_seconds",
        "HTTP request duration",
    ),
    RecordingRule(
        "tasks_completed_total",
        '{ns}_orchestration_requests_total{{status="success"}}',
        "completed orchestrations",
    ),
    RecordingRule(
        "average_task_cost",
        "sum(rate({ns}_llm_cost_usd_total[1h])) / sum(rate({ns}_orchestration_requests_total[1h]))",
        "LLM cost per orchestration",
    ),
    RecordingRule(
        "user_satisfaction_score",
        'sum(rate({ns}_hitl_approvals_received_total{{decision="approved"}}[1h]))'
        " / sum(rate({ns}_hitl_approvals_received_total[1h]))",
        "the share of agent output that humans approve",
    ),
    RecordingRule(
        "system_efficiency",
        "sum(rate({ns}_orchestration_requests_total[5m])) / sum(rate({ns}_process_cpu_seconds_total[5m]))",
        "orchestrations per CPU second",
    ),
    RecordingRule(
        "workflow_error_recovery_attempts_total",
        "sum by (recovery_strategy) ({ns}_error_recovery_attempts_total)",
        "served by error_recovery_attempts_total",
    ),
    RecordingRule(
        "workflow_error_recovery_success_total",
        'sum by (recovery_strategy) ({ns}_error_recovery_attempts_total{{success="true"}})',
        "served by error_recovery_attempts_total",
    ),
    RecordingRule(
        "workflow_human_reviews_requested_total",
        "sum by (approval_type) ({ns}_hitl_approvals_requested_total)",
        "a human review is a HITL approval",
    ),
    RecordingRule(
        "workflow_human_reviews_pending",
        "sum({ns}_hitl_approvals_pending)",
        "a human review is a HITL approval",
    ),
    RecordingRule(
        "workflow_human_reviews_completed_total",
        "sum by (approval_type, decision) ({ns}_hitl_approvals_received_total)",
        "a human review is a HITL approval",
    ),
    RecordingRule(
        "workflow_human_review_duration_seconds",
        "{ns}_hitl_approval_latency_seconds",
        "a human review is a HITL approval",
    ),
    RecordingRule(
        "cache_hit_rate",
        "sum(rate({ns}_cache_hits_total[5m])) / (sum(rate({ns}_cache_hits_total[5m]))"
        " + sum(rate({ns}_cache_misses_total[5m])))",
        "a ratio, computed rather than stored",
    ),
    RecordingRule(
        "cache_avg_hit_latency_ms",
        '1000 * sum(rate({ns}_cache_operation_duration_seconds_sum{{result="hit"}}[5m]))'
        ' / sum(rate({ns}_cache_operation_duration_seconds_count{{result="hit"}}[5m]))',
        "mean from the histogram",
    ),
    RecordingRule(
        "mega_agent_http_requests_total",
        "{ns}_http_requests_total",
        "served by http_requests_total (endpoint, not path)",
    ),
    RecordingRule(
        "mega_agent_http_request_duration_seconds",
        "{ns}_http_request_duration_seconds",
        "served by http_request_duration_seconds",
    ),
    RecordingRule(
        "mega_agent_rate_limit_rejections_total",
        "{ns}_rate_limit_rejections_total",
        "namespaced like every family",
    ),
)


ALERTS: tuple[AlertRule, ...] = (
    AlertRule(
        "LowRecommendationConfidence",
        Quantile(0.5, Series("recommendation_confidence_score"), "1h", ("recommendation_type",)),
        "<",
        0.7,
        "1h",
        "warning",
        "ml",
        "Low recommendation confidence scores",
        "{{ $labels.recommendation_type }} median confidence is {{ $value }} (threshold: 0.7)",
        "recommendations",
    ),
)


def _t(query, legend: str = "") -> tuple[Target]:  # type: ignore[no-untyped-def]
    return (Target(query, legend),)


def _rate(metric: str, *by: str, window: str = "5m") -> Rate:
    return Rate(Series(metric), window, by)


def _share(metric: str, *by: str) -> Ratio:
    """Successful calls / all calls."""
    return Ratio(
        Rate(Series(metric, (("status", "=", "success"),)), "5m", by),
        Rate(Series(metric), "5m", by),
    )


DASHBOARD = Dashboard(
    "account-manager",
    "Account Manager",
    ("swarmscope", "account-manager"),
    (
        Panel(
            "Recommendation Generation",
            _t(
                Increase(Series("recommendations_generated_total"), "1h", ("recommendation_type",)),
                "{{recommendation_type}}",
            ),
            "timeseries",
            "short",
            "Recommendations generated per hour, by type.",
        ),
        Panel(
            "Confidence Scores",
            _t(Buckets(Series("recommendation_confidence_score"), "1h"), "{{le}}"),
            "heatmap",
            "percentunit",
            "Distribution of recommendation confidence.",
        ),
        Panel(
            "Approval Rate",
            _t(
                Ratio(
                    _rate("recommendations_approved_total", window="1h"),
                    Sum(
                        _rate("recommendations_approved_total", window="1h"),
                        _rate("recommendations_rejected_total", window="1h"),
                    ),
                ),
                "approved",
            ),
            "timeseries",
            "percentunit",
            "Approved / (approved + rejected) recommendations.",
        ),
        Panel(
            "Zoho API Calls per Tier",
            _t(_rate("zoho_api_calls_total", "tier"), "{{tier}}"),
            "timeseries",
            "reqps",
            "Zoho CRM calls per second by API tier.",
        ),
        Panel(
            "Zoho API Success Rate",
            _t(_share("zoho_api_calls_total", "tier"), "{{tier}}"),
            "timeseries",
            "percentunit",
            "Successful Zoho calls / all Zoho calls, by tier.",
        ),
        Panel(
            "Zoho API Latency P95",
            _t(
                Quantile(0.95, Series("zoho_api_call_duration_seconds"), "5m", ("tier",)),
                "{{tier}}",
            ),
            "timeseries",
            "s",
            "95th percentile Zoho call time by tier.",
        ),
        Panel(
            "Cognee Query Latency P99",
            _t(
                Quantile(0.99, Series("cognee_query_duration_seconds"), "5m", ("operation",)),
                "{{operation}}",
            ),
            "timeseries",
            "s",
            "99th percentile Cognee query time by operation.",
        ),
        Panel(
            "Cognee Success Rate",
            _t(_share("cognee_queries_total"), "success"),
            "timeseries",
            "percentunit",
            "Successful Cognee queries / all queries.",
        ),
        Panel(
            "Vector Store Operations",
            _t(_rate("cognee_queries_total", "operation"), "{{operation}}"),
            "timeseries",
            "ops",
            "Cognee (memory and vector store) queries per second.",
        ),
        Panel(
            "CRM Circuit Breaker by Tier",
            _t(Current(Series("zoho_circuit_breaker_state"), "max", ("tier",)), "zoho {{tier}}"),
            "stat",
            None,
            "0 closed, 1 open, 2 half-open.",
            mappings=((0, "closed"), (1, "open"), (2, "half-open")),
            thresholds=((0, "green"), (1, "red"), (2, "orange")),
        ),
    ),
    "The CRM (Zoho) by API tier, the memory store (Cognee), recommendations and approvals.",
)

CATALOG = replace(
    FAMILIES,
    alerts=ALERTS,
    recording_rules=RECORDING_RULES,
    dashboards=(DASHBOARD,),
)
