"""The customer's metric definitions (seeds 000 and 001): with namespace "sergas" and the
example's catalog registered, every metric they define appears on /metrics with its exact
name, type, labels and buckets."""

from __future__ import annotations

import re
from pathlib import Path

from prometheus_client import Histogram, generate_latest

from account_manager.catalog import EVENTS as APP_EVENTS
from account_manager.catalog import METRICS as APP_METRICS
from account_manager.catalog import RECORDING_RULES
from swarmscope.conventions.catalog import EVENTS, METRICS, METRICS_BY_NAME

# What prometheus-client gives a Histogram declared without buckets, as the seeds do twice.
PROMETHEUS_DEFAULTS = list(Histogram.DEFAULT_BUCKETS[:-1])

# (name, type, labels, buckets) as written in plan 1 and plan 2 (the seeds' own definitions).
PLAN1 = [
    ("sergas_agent_sessions_total", "counter", ["agent_type", "status", "operation"], None),
    (
        "sergas_agent_session_duration_seconds",
        "histogram",
        ["agent_type", "operation"],
        [1, 5, 10, 30, 60, 120, 300, 600],
    ),
    ("sergas_agent_sessions_active", "gauge", ["agent_type"], None),
    ("sergas_agent_handoffs_total", "counter", ["from_agent", "to_agent", "status"], None),
    (
        "sergas_agent_handoff_duration_seconds",
        "histogram",
        ["from_agent", "to_agent"],
        [0.1, 0.5, 1, 2, 5, 10],
    ),
    ("sergas_agent_tool_calls_total", "counter", ["agent_type", "tool_name", "status"], None),
    (
        "sergas_agent_tool_call_duration_seconds",
        "histogram",
        ["agent_type", "tool_name"],
        [0.1, 0.5, 1, 2, 5, 10, 30],
    ),
    (
        "sergas_agent_state_transitions_total",
        "counter",
        ["agent_type", "from_state", "to_state"],
        None,
    ),
    ("sergas_agent_errors_total", "counter", ["agent_type", "error_type", "operation"], None),
    ("sergas_agent_retries_total", "counter", ["agent_type", "operation", "retry_reason"], None),
    ("sergas_hitl_approvals_requested_total", "counter", ["approval_type", "agent_type"], None),
    (
        "sergas_hitl_approvals_received_total",
        "counter",
        ["approval_type", "decision", "agent_type"],
        None,
    ),
    (
        "sergas_hitl_approval_latency_seconds",
        "histogram",
        ["approval_type", "agent_type"],
        [1, 5, 10, 30, 60, 120, 300, 600, 1800],
    ),
    ("sergas_hitl_approval_timeouts_total", "counter", ["approval_type", "agent_type"], None),
    ("sergas_hitl_approvals_pending", "gauge", ["approval_type"], None),
    ("sergas_copilotkit_actions_total", "counter", ["action_name", "status"], None),
    (
        "sergas_copilotkit_action_duration_seconds",
        "histogram",
        ["action_name"],
        [0.5, 1, 2, 5, 10, 30, 60],
    ),
    ("sergas_ag_ui_events_emitted_total", "counter", ["event_type", "agent_type"], None),
    ("sergas_ag_ui_events_received_total", "counter", ["event_type"], None),
    ("sergas_sse_connections_active", "gauge", [], None),
    ("sergas_sse_messages_sent_total", "counter", ["message_type"], None),
    ("sergas_sse_connection_duration_seconds", "histogram", [], [10, 30, 60, 120, 300, 600, 1800]),
    ("sergas_orchestration_requests_total", "counter", ["operation", "status"], None),
    (
        "sergas_orchestration_duration_seconds",
        "histogram",
        ["operation"],
        [5, 10, 30, 60, 120, 300, 600],
    ),
    ("sergas_orchestration_steps_total", "summary", ["operation"], None),
    ("sergas_orchestration_agents_spawned_total", "counter", ["operation", "agent_type"], None),
    ("sergas_orchestration_parallel_executions", "gauge", ["operation"], None),
    (
        "sergas_recommendations_generated_total",
        "counter",
        ["recommendation_type", "priority", "confidence_tier"],
        None,
    ),
    ("sergas_recommendations_approved_total", "counter", ["recommendation_type", "priority"], None),
    (
        "sergas_recommendations_rejected_total",
        "counter",
        ["recommendation_type", "rejection_reason"],
        None,
    ),
    (
        "sergas_recommendation_confidence_score",
        "histogram",
        ["recommendation_type"],
        [0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 1.0],
    ),
    (
        "sergas_http_request_body_size_bytes",
        "histogram",
        ["method", "endpoint"],
        [100, 1000, 10000, 100000, 1000000],
    ),
    (
        "sergas_http_response_body_size_bytes",
        "histogram",
        ["method", "endpoint"],
        [100, 1000, 10000, 100000, 1000000],
    ),
    ("sergas_agent_queue_depth", "gauge", ["agent_type", "priority"], None),
    (
        "sergas_agent_queue_wait_time_seconds",
        "histogram",
        ["agent_type"],
        [0.1, 0.5, 1, 5, 10, 30, 60],
    ),
    ("sergas_agent_memory_usage_bytes", "gauge", ["agent_type", "agent_instance_id"], None),
    ("sergas_integration_health_status", "gauge", ["integration_name"], None),
    (
        "sergas_error_recovery_attempts_total",
        "counter",
        ["error_category", "recovery_strategy", "success"],
        None,
    ),
    (
        "sergas_error_recovery_duration_seconds",
        "histogram",
        ["error_category", "recovery_strategy"],
        PROMETHEUS_DEFAULTS,
    ),
]
PLAN2 = [
    ("sergas_http_requests_total", "counter", ["method", "endpoint", "status"], None),
    (
        "sergas_http_request_duration_seconds",
        "histogram",
        ["method", "endpoint"],
        [0.01, 0.05, 0.1, 0.5, 1, 2, 5],
    ),
    ("sergas_http_requests_in_progress", "gauge", ["method", "endpoint"], None),
    ("sergas_zoho_api_calls_total", "counter", ["tier", "operation", "status"], None),
    (
        "sergas_zoho_api_call_duration_seconds",
        "histogram",
        ["tier", "operation"],
        [0.5, 1, 2, 5, 10, 30],
    ),
    ("sergas_zoho_circuit_breaker_state", "gauge", ["tier"], None),
    ("sergas_cognee_queries_total", "counter", ["operation", "status"], None),
    ("sergas_cognee_query_duration_seconds", "histogram", ["operation"], PROMETHEUS_DEFAULTS),
    ("sergas_db_connections_active", "gauge", [], None),
    ("sergas_db_connections_total", "gauge", [], None),
    ("sergas_db_query_duration_seconds", "histogram", ["operation"], [0.01, 0.05, 0.1, 0.5, 1, 5]),
    ("sergas_db_queries_total", "counter", ["operation", "status"], None),
    ("sergas_process_memory_bytes", "gauge", [], None),
    ("sergas_process_cpu_seconds_total", "counter", [], None),
    ("sergas_process_open_fds", "gauge", [], None),
]


def exposition(telemetry) -> dict[str, tuple[str, set[str], list[float]]]:
    """Family name -> (type, label names, bucket bounds) as Prometheus would scrape them."""
    text = generate_latest(telemetry.rt.metrics.registry).decode()
    families: dict[str, tuple[str, set[str], list[float]]] = {}
    for match in re.finditer(r"^# TYPE (\S+) (\S+)$", text, re.M):
        families[match.group(1)] = (match.group(2), set(), [])
    for line in text.splitlines():
        if line.startswith("#") or not line:
            continue
        sample = re.match(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? ", line)
        name, labels = sample.group(1), sample.group(2) or ""
        base = re.sub(r"_(bucket|count|sum|total)$", "", name)
        family = next((f for f in (name, base, f"{base}_total") if f in families), None)
        if family is None:
            continue
        label_names = set(re.findall(r'(\w+)="', labels))
        if name.endswith("_bucket"):
            families[family][2].append(float(re.search(r'le="([^"]+)"', labels).group(1)))
            label_names.discard("le")
        elif families[family][0] == "summary":
            label_names.discard("quantile")
        families[family][1].update(label_names)
    return families


def exercise(telemetry) -> None:
    """Give every labelled family of the catalog one sample so its labels show."""
    for family in telemetry.rt.metrics.values():
        child = family.child(*(["x"] * len(family.spec.labels)))
        if family.spec.kind in ("histogram", "summary"):
            child.observe(0.2)
        else:
            child.inc()


def test_plan1_and_plan2_families_are_exported_exactly(telemetry):
    exercise(telemetry)
    families = exposition(telemetry)
    for name, kind, labels, buckets in PLAN1 + PLAN2:
        family = name if kind != "counter" else name.removesuffix("_total")
        key = family if family in families else name
        assert key in families, f"{name} is not exported"
        exported_kind, exported_labels, exported_buckets = families[key]
        assert exported_kind == kind, name
        if labels or exported_labels:
            assert exported_labels == set(labels), name
        if buckets is not None:
            assert sorted(set(exported_buckets)) == sorted([*map(float, buckets), float("inf")]), (
                name
            )


def test_names_are_unique_and_recording_rules_read_exported_families():
    names = [spec.name for spec in (*METRICS, *APP_METRICS)]
    assert len(names) == len(set(names))
    events = [spec.name for spec in (*EVENTS, *APP_EVENTS)]
    assert len(events) == len(set(events))
    for rule in RECORDING_RULES:
        assert rule.name not in METRICS_BY_NAME, f"{rule.name} would be exported twice"
        referenced = set(re.findall(r"\{ns\}_([a-z0-9_]+)", rule.expr))
        for ref in referenced:
            base = re.sub(r"_(bucket|count|sum)$", "", ref)
            assert base in METRICS_BY_NAME, f"{rule.name} reads {ref}, which is not in the catalog"


def test_plan1_event_taxonomy_is_declared():
    declared = {spec.name for spec in (*EVENTS, *APP_EVENTS)}
    plan1 = {
        "user_action_triggered",
        "copilot_action_started",
        "copilot_action_completed",
        "copilot_action_failed",
        "ag_ui_event_received",
        "hitl_approval_requested",
        "hitl_approval_submitted",
        "sse_connection_opened",
        "sse_connection_closed",
        "sse_message_received",
        "orchestration_started",
        "orchestration_completed",
        "orchestration_failed",
        "agent_spawned",
        "agent_handoff",
        "agent_execution_started",
        "agent_execution_completed",
        "agent_execution_failed",
        "hitl_approval_required",
        "hitl_approval_received",
        "hitl_approval_timeout",
        "tool_call_started",
        "tool_call_completed",
        "tool_call_failed",
        "state_transition",
        "memory_stored",
        "memory_retrieved",
        "zoho_api_call_started",
        "zoho_api_call_completed",
        "zoho_api_call_failed",
        "zoho_rate_limit_hit",
        "zoho_circuit_breaker_opened",
        "zoho_circuit_breaker_closed",
        "cognee_query_started",
        "cognee_query_completed",
        "cognee_query_failed",
        "database_query_started",
        "database_query_completed",
        "database_query_failed",
        "database_deadlock_detected",
        "request_started",
        "request_completed",
        "request_failed",
        "error_tracked",
        "error_recovery_attempted",
    }
    assert plan1 <= declared, sorted(plan1 - declared)


def test_every_event_the_app_logs_is_declared():
    """Scan the example for the events it logs through ``ss.event``; each is declared."""
    import account_manager

    root = Path(account_manager.__file__).parent
    declared = {spec.name for spec in (*EVENTS, *APP_EVENTS)}
    used: set[str] = set()
    for path in root.rglob("*.py"):
        found = re.findall(r'ss\.event\(\s*f?"([a-z_{}]+)"', path.read_text())
        used |= {name for name in found if "{" not in name}
    assert used, "the scan found no events"
    assert used <= declared, sorted(used - declared)
