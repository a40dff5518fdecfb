"""The customer's dashboards (seeds 000 to 004): each dashboard and panel they ask for is
answered by swarmscope's dashboards or by the example's own (``catalog.DASHBOARD``)."""

from __future__ import annotations

import pytest

from account_manager.catalog import DASHBOARD
from swarmscope.app_catalog import every_dashboard

APP_DASHBOARD = DASHBOARD.title

# Plan 1 ("Dashboards" section): every dashboard and every panel it lists, by title.
PLAN1_DASHBOARDS: dict[str, tuple[str, ...]] = {
    "Multi-Agent Orchestration": (
        "Active Orchestrations",
        "Orchestration Success Rate",
        "Agent Handoff Flow",
        "Agent Execution Time",
        "Active Agent Sessions",
        "Tool Call Distribution",
        "Agent Error Rate",
        "Orchestration Duration P95",
    ),
    "HITL Workflow": (
        "Pending Approvals",
        "Approval Request Rate",
        "Approval Latency",
        "Approval Decision Breakdown",
        "Timeout Rate",
        "Approval Latency Distribution",
        "Approval Success Rate",
    ),
    "CopilotKit/AG UI Protocol": (
        "Active SSE Connections",
        "CopilotKit Action Rate",
        "CopilotKit Action Duration",
        "AG UI Events Emitted",
        "SSE Message Rate",
        "SSE Connection Duration",
        "Frontend-to-Backend Latency",
    ),
    "Error Tracking": (
        "Total Error Rate",
        "Errors by Category",
        "Errors by Severity",
        "Error Timeline",
        "Top Error Sources",
        "Error Recovery Success Rate",
        "Unhandled Exceptions",
    ),
    "Performance Overview": (
        "Request Rate",
        "Response Time P50/P95/P99",
        "Agent Queue Depth",
        "Database Query Performance",
        "Cache Hit Rate",
        "Memory Usage per Agent",
        "Integration Health",
    ),
}

# The other plans' dashboards (seeds 001 to 004, in file order): the seed's dashboard, the
# dashboard that answers it, and the panels that answer the seed's panel list. What no
# swarmscope app exports (disk, pods, a cache "set" counter) has no panel; seed 004 names
# "Task Analytics" and "Alert Overview" dashboards without any panel, and they are not here.
OTHER_SEED_DASHBOARDS: dict[tuple[str, str], tuple[str, tuple[str, ...]]] = {
    ("001", "System Overview"): (
        "System Overview",
        (
            "Request Rate",
            "Error Rate",
            "Response Time",
            "Active Sessions",
            "CPU Usage",
            "Memory Usage",
            "Integration Health",
        ),
    ),
    ("001", "Agent Performance"): (
        "Agent Performance",
        (
            "Session Success Rate",
            "Session Duration",
            "Tool Call Distribution",
            "Recommendation Generation",
            "Confidence Scores",
            "Approval Rate",
        ),
    ),
    ("001", "Integration Health"): (
        "Integration Health",
        (
            "Zoho API Calls per Tier",
            "Zoho API Success Rate",
            "Circuit Breaker States",
            "Cognee Query Latency P99",
            "Cognee Success Rate",
            "Database Connection Pool Usage",
            "Database Query Time P95",
            "Cache Hit Rate by Cache",
            "Cache Latency P95",
        ),
    ),
    ("002", "Overview"): (
        "System Overview",
        (
            "Request Rate",
            "Error Rate",
            "Auth Error Rate",
            "Response Time",
            "Active SSE Connections",
            "Integration Health",
            "CPU Usage",
            "Memory Usage",
        ),
    ),
    ("002", "LLM Performance"): (
        "LLM Usage and Cost",
        (
            "LLM Call Rate",
            "LLM Call Latency",
            "LLM Error Rate",
            "Token Usage by Type",
            "Token Usage by Model",
            "Estimated Cost per Hour",
        ),
    ),
    ("002", "MCP Tool"): (
        "MCP Tools",
        (
            "Call Rate per Tool",
            "Latency per Tool",
            "Error Rate per Tool",
            "Errors by Status",
            "Credential Loading Errors",
        ),
    ),
    ("002", "A2A Communication"): (
        "A2A Delegation",
        ("A2A Delegation Rate", "A2A Delegation Latency", "A2A Error Rate"),
    ),
    ("002", "Resource Utilization"): (
        "System Resources",
        (
            "CPU Utilization",
            "Memory Usage",
            "HTTP Bytes In/Out",
            "Instances Up",
            "Database Connections",
        ),
    ),
    ("002", "Audit Log & Security"): (
        "Audit Log & Security",
        (
            "Rate of Audit Events",
            "Authentication Failures",
            "RBAC Denials",
            "Guardrail Violations",
            "Critical Errors",
        ),
    ),
    ("003", "Cache"): (
        "Cache and Database",
        ("Cache Hit Rate", "Cache Operations", "Average Cache Latency"),
    ),
    ("003", "API"): (
        "Performance Overview",
        (
            "Request Rate by Method",
            "Response Time P50/P95/P99",
            "Errors by Status Code",
            "Rate Limit Rejections",
        ),
    ),
    ("003", "Orchestration"): (
        "Workflows and Routing",
        (
            "Workflow Executions by Status",
            "Error Recovery Attempts by Strategy",
            "Human Reviews Pending",
            "Routing Confidence",
        ),
    ),
    ("003", "System"): (
        "System Resources",
        (
            "Database Connections",
            "Memory Usage",
            "Vector Store Operations",
            "LLM Request Rate by Model",
        ),
    ),
    ("004", "System Overview"): ("System Overview", ("Request Rate", "Error Rate")),
    ("004", "Agent Performance"): ("Agent Performance", ("Session Success Rate",)),
    ("004", "Cost Tracking"): (
        "LLM Usage and Cost",
        ("Estimated Cost per Hour", "Cost in the Last 24h", "Cost per Orchestration"),
    ),
}


def test_plan1_dashboards_and_panels_exist():
    by_title = {d.title: {p.title for p in d.panels} for d in every_dashboard()}
    for dashboard, panels in PLAN1_DASHBOARDS.items():
        assert dashboard in by_title, f"missing dashboard {dashboard}"
        missing = set(panels) - by_title[dashboard]
        assert not missing, f"{dashboard} lacks {sorted(missing)}"


@pytest.mark.parametrize(
    ("seed", "answer"),
    OTHER_SEED_DASHBOARDS.items(),
    ids=[" ".join(seed) for seed in OTHER_SEED_DASHBOARDS],
)
def test_other_seed_dashboards_are_answered(
    seed: tuple[str, str], answer: tuple[str, tuple[str, ...]]
):
    title, panels = answer
    by_title = {d.title: {p.title: p for p in d.panels} for d in every_dashboard()}
    assert title in by_title, f"{seed}: no dashboard {title}"
    # The app's own dashboard answers what reads its families (CRM, memory, recommendations).
    offered = by_title[title] | by_title[APP_DASHBOARD]
    missing = set(panels) - set(offered)
    assert not missing, f"{seed}: {title} lacks {sorted(missing)}"
    for name in panels:
        assert offered[name].queries, f"{title}/{name} has no query"
