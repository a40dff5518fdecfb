"""Every alert swarmscope defines over its catalog, as data.

Failure "rates" are ratios (failures / attempts), never counts per second compared to a
percentage; the SSE drop alert looks at the gauge's change (``delta``) rather than ``rate``
of a gauge; there are no alerts on host disk or memory, which swarmscope's apps do not
export. Each alert is defined once: alerts that hold one expression to two thresholds (a
warning and a critical level) share its recorded series.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from swarmscope.conventions.catalog import INTERRUPTED, SUCCESS
from swarmscope.definitions.durations import scale
from swarmscope.definitions.query import (
    Change,
    Current,
    Increase,
    Offset,
    Quantile,
    Query,
    Rate,
    Ratio,
    Scaled,
    Series,
    Sum,
    Up,
    scaled_query,
)

GIB = 1 / 1024**3


@dataclass(frozen=True)
class AlertRule:
    name: str
    query: Query
    op: str
    threshold: float
    for_: str
    severity: str
    team: str
    summary: str
    description: str
    group: str

    def expr(self, namespace: str) -> str:
        return f"{self.query.promql(namespace)} {self.op} {self.threshold:g}"

    @property
    def labels(self) -> dict[str, str]:
        """The labels every alert of the rule carries, whoever evaluates it: Alertmanager
        routes on them, so Prometheus's alerts and the server's must agree."""
        return {"severity": self.severity, "team": self.team}

    def annotations(self, runbook_base: str) -> dict[str, str]:
        """The annotation templates, and the runbook's address under ``runbook_base``."""
        return {
            "summary": self.summary,
            "description": self.description,
            "runbook_url": f"{runbook_base.rstrip('/')}/{self.runbook}",
        }

    def scaled(self, factor: float) -> AlertRule:
        """The rule with its query's windows and offsets and its ``for`` times ``factor``."""
        return dataclasses.replace(
            self, query=scaled_query(self.query, factor), for_=scale(self.for_, factor)
        )

    @property
    def runbook(self) -> str:
        """The runbook's file name in the bundle's ``runbooks/``."""
        return f"{self.name}.md"


def _failure_ratio(
    metric: str, by: tuple[str, ...], window: str = "5m", label: str = "status"
) -> Ratio:
    """The share of the calls that ended that did not succeed (a run interrupted for an
    approval has not ended: it goes on when the person answers)."""
    return Ratio(
        Rate(Series(metric, ((label, "!~", f"{SUCCESS}|{INTERRUPTED}"),)), window, by),
        Rate(Series(metric, ((label, "!=", INTERRUPTED),)), window, by),
    )


def _rule(
    name: str,
    query: Query,
    op: str,
    threshold: float,
    for_: str,
    severity: str,
    team: str,
    summary: str,
    description: str,
    group: str,
) -> AlertRule:
    return AlertRule(name, query, op, threshold, for_, severity, team, summary, description, group)


ALERTS: tuple[AlertRule, ...] = (
    # --- agents, critical ---
    _rule(
        "AgentExecutionFailureSpike",
        _failure_ratio("agent_sessions_total", ("agent_type",)),
        ">",
        0.1,
        "5m",
        "critical",
        "agents",
        "High agent execution failure rate",
        "Agent {{ $labels.agent_type }} fails {{ $value | humanizePercentage }} of its runs",
        "agents",
    ),
    _rule(
        "HITLApprovalTimeoutSpike",
        Ratio(
            Rate(Series("hitl_approval_timeouts_total"), "10m", ("approval_type",)),
            Rate(Series("hitl_approvals_requested_total"), "10m", ("approval_type",)),
        ),
        ">",
        0.05,
        "10m",
        "critical",
        "frontend",
        "High HITL approval timeout rate",
        "{{ $labels.approval_type }} approvals time out {{ $value | humanizePercentage }} "
        "of the time",
        "hitl",
    ),
    _rule(
        "AgentHandoffFailure",
        Rate(
            Series("agent_handoffs_total", (("status", "=", "failure"),)),
            "5m",
            ("from_agent", "to_agent"),
        ),
        ">",
        0,
        "2m",
        "critical",
        "agents",
        "Agent handoff failures detected",
        "Handoff from {{ $labels.from_agent }} to {{ $labels.to_agent }} is failing",
        "agents",
    ),
    _rule(
        "CopilotKitActionFailureSpike",
        _failure_ratio("copilotkit_actions_total", ("action_name",)),
        ">",
        0.1,
        "5m",
        "critical",
        "frontend",
        "High CopilotKit action failure rate",
        "Action {{ $labels.action_name }} fails {{ $value | humanizePercentage }} of the time",
        "ui",
    ),
    _rule(
        "AgentQueueDepthCritical",
        Current(Series("agent_queue_depth"), "max", ("agent_type",)),
        ">",
        1000,
        "10m",
        "critical",
        "agents",
        "Agent queue depth critical",
        "{{ $labels.agent_type }} queue has {{ $value }} pending tasks",
        "agents",
    ),
    _rule(
        "SSEConnectionDropSpike",
        Change(Series("sse_connections_active"), "5m"),
        "<",
        -50,
        "5m",
        "critical",
        "frontend",
        "SSE connections dropping rapidly",
        "SSE connections fell by {{ $value }} in 5 minutes",
        "ui",
    ),
    # --- warnings ---
    _rule(
        "HighAgentExecutionLatency",
        Quantile(0.95, Series("agent_session_duration_seconds"), "5m", ("agent_type",)),
        ">",
        60,
        "10m",
        "warning",
        "agents",
        "High agent execution latency",
        "{{ $labels.agent_type }} P95 latency is {{ $value }}s (threshold: 60s)",
        "agents",
    ),
    _rule(
        "HighHITLApprovalLatency",
        Quantile(0.95, Series("hitl_approval_latency_seconds"), "10m", ("approval_type",)),
        ">",
        300,
        "15m",
        "warning",
        "product",
        "High HITL approval latency",
        "{{ $labels.approval_type }} P95 latency is {{ $value }}s (threshold: 300s)",
        "hitl",
    ),
    _rule(
        "HighAgentMemoryUsage",
        Scaled(Current(Series("agent_memory_usage_bytes"), "max", ("agent_type",)), GIB),
        ">",
        2,
        "10m",
        "warning",
        "devops",
        "High agent memory usage",
        "{{ $labels.agent_type }} uses {{ $value }}GiB (threshold: 2GiB)",
        "agents",
    ),
    _rule(
        "PendingHITLApprovalsAccumulating",
        Current(Series("hitl_approvals_pending"), "max", ("approval_type",)),
        ">",
        100,
        "30m",
        "warning",
        "product",
        "HITL approvals accumulating",
        "{{ $labels.approval_type }} has {{ $value }} pending approvals",
        "hitl",
    ),
    # --- service ---
    _rule(
        "HighErrorRate",
        Ratio(
            Rate(Series("http_requests_total", (("status", "=~", "5.."),))),
            Rate(Series("http_requests_total")),
        ),
        ">",
        0.05,
        "5m",
        "critical",
        "backend",
        "High error rate detected",
        "{{ $value | humanizePercentage }} of requests fail with 5xx (threshold: 5%)",
        "service",
    ),
    _rule(
        "ServiceDown",
        Up(),
        "==",
        0,
        "1m",
        "critical",
        "devops",
        "Service is down",
        "{{ $labels.instance }} is unreachable",
        "service",
    ),
    _rule(
        "DatabasePoolExhausted",
        Ratio(
            Current(Series("db_connections_active"), "sum"),
            Current(Series("db_connections_total"), "sum"),
        ),
        ">",
        0.9,
        "2m",
        "critical",
        "database",
        "Database connection pool exhausted",
        "Pool usage: {{ $value | humanizePercentage }}",
        "dependencies",
    ),
    _rule(
        "CircuitBreakerOpen",
        Current(Series("circuit_breaker_state"), "max", ("integration_name",)),
        "==",
        1,
        "1m",
        "warning",
        "integrations",
        "Circuit breaker open",
        "The circuit breaker for {{ $labels.integration_name }} is open",
        "dependencies",
    ),
    _rule(
        "HighResponseTime",
        Quantile(0.95, Series("http_request_duration_seconds")),
        ">",
        2,
        "10m",
        "warning",
        "backend",
        "High API response time",
        "P95 latency: {{ $value }}s (threshold: 2s)",
        "latency",
    ),
    _rule(
        "HighMemoryUsage",
        Scaled(Current(Series("process_memory_bytes"), "max"), GIB),
        ">",
        3,
        "10m",
        "warning",
        "devops",
        "High memory usage",
        "Memory usage: {{ $value }}GiB (threshold: 3GiB)",
        "resources",
    ),
    # --- dependencies, latency, security, token quota ---
    _rule(
        "LLMHighErrorRate",
        _failure_ratio("llm_requests_total", ("provider",)),
        ">",
        0.2,
        "5m",
        "critical",
        "ml",
        "LLM API failing",
        "{{ $labels.provider }} calls fail {{ $value | humanizePercentage }} of the time",
        "dependencies",
    ),
    _rule(
        "DependencyUnhealthy",
        Current(Series("integration_health_status"), "min", ("integration_name",)),
        "==",
        0,
        "5m",
        "critical",
        "integrations",
        "A dependency fails its readiness check",
        "{{ $labels.integration_name }} has been unhealthy for 5 minutes",
        "dependencies",
    ),
    _rule(
        "HighLatencyP99",
        # The family's buckets end at 5 s, so a P99 can never exceed 5: alert just below it.
        Quantile(0.99, Series("http_request_duration_seconds"), "5m", ("endpoint",)),
        ">",
        4.5,
        "5m",
        "critical",
        "backend",
        "Very high endpoint latency",
        "{{ $labels.endpoint }} P99 latency is {{ $value }}s (threshold: 4.5s)",
        "latency",
    ),
    _rule(
        "AuthFailureSpike",
        Rate(Series("auth_failures_total")),
        ">",
        1,
        "5m",
        "critical",
        "security",
        "Spike in authentication failures",
        "{{ $value }} authentication failures per second",
        "security",
    ),
    _rule(
        "GuardrailViolationsHigh",
        Rate(Series("guardrail_violations_total")),
        ">",
        0.5,
        "5m",
        "critical",
        "security",
        "High rate of guardrail violations",
        "{{ $value }} guardrail violations per second",
        "security",
    ),
    _rule(
        "UnauthorizedAccessAttempts",
        # Suspicious activity: repeated access refused by role (an admin tool, say).
        Rate(Series("rbac_denials_total"), "5m", ("resource",)),
        ">",
        0.1,
        "5m",
        "critical",
        "security",
        "Repeated access denied by role",
        "{{ $labels.resource }} refuses {{ $value }} requests per second for lack of a role",
        "security",
    ),
    _rule(
        "ElevatedClientErrors",
        Ratio(
            Rate(Series("http_requests_total", (("status", "=~", "4.."),))),
            Rate(Series("http_requests_total")),
        ),
        ">",
        0.1,
        "15m",
        "warning",
        "backend",
        "Elevated rate of 4xx answers",
        "{{ $value | humanizePercentage }} of requests answered 4xx",
        "service",
    ),
    _rule(
        "MCPToolErrorRate",
        _failure_ratio("mcp_tool_invocations_total", ("tool_name",)),
        ">",
        0.1,
        "10m",
        "warning",
        "agents",
        "MCP tool failing",
        "{{ $labels.tool_name }} fails {{ $value | humanizePercentage }} of invocations",
        "dependencies",
    ),
    _rule(
        "A2ADelegationErrorRate",
        _failure_ratio("a2a_delegations_total", ("target_agent",)),
        ">",
        0.1,
        "10m",
        "warning",
        "agents",
        "A2A delegations failing",
        "Delegations to {{ $labels.target_agent }} fail {{ $value | humanizePercentage }} "
        "of the time",
        "dependencies",
    ),
    _rule(
        "ToolLatencyHigh",
        Quantile(0.95, Series("agent_tool_call_duration_seconds"), "10m", ("tool_name",)),
        ">",
        10,
        "15m",
        "warning",
        "agents",
        "Tool calls slow",
        "{{ $labels.tool_name }} P95 is {{ $value }}s (threshold: 10s)",
        "latency",
    ),
    _rule(
        "A2ADelegationLatencyHigh",
        Quantile(0.95, Series("a2a_delegation_duration_seconds"), "10m", ("target_agent",)),
        ">",
        30,
        "15m",
        "warning",
        "agents",
        "A2A delegations slow",
        "Delegations to {{ $labels.target_agent }} take {{ $value }}s at P95 (threshold: 30s)",
        "latency",
    ),
    _rule(
        "LLMLatencyHigh",
        Quantile(0.95, Series("llm_request_duration_seconds"), "10m", ("model",)),
        ">",
        20,
        "15m",
        "warning",
        "ml",
        "LLM latency increasing",
        "{{ $labels.model }} P95 is {{ $value }}s (threshold: 20s)",
        "latency",
    ),
    _rule(
        "HighCPUUsage",
        # Per process: a sum over replicas would fire for two processes at half a core each.
        Rate(Series("process_cpu_seconds_total"), "5m", ("instance",)),
        ">",
        0.8,
        "15m",
        "warning",
        "devops",
        "CPU utilisation high",
        "{{ $labels.instance }} uses {{ $value | humanizePercentage }} of a core",
        "resources",
    ),
    _rule(
        "DatabaseConnectionsNearLimit",
        Ratio(
            Current(Series("db_connections_active"), "sum"),
            Current(Series("db_connections_total"), "sum"),
        ),
        ">",
        0.8,
        "15m",
        "warning",
        "database",
        "Database connections approaching the limit",
        "Pool usage: {{ $value | humanizePercentage }}",
        "dependencies",
    ),
    _rule(
        "LLMTokenQuotaApproaching",
        Increase(Series("llm_tokens_total"), "24h"),
        ">",
        50_000_000,
        "15m",
        "warning",
        "ml",
        "LLM token usage approaching the daily quota",
        "{{ $value }} tokens in the last 24h (budget: 50M)",
        "llm",
    ),
    _rule(
        "CacheMissRateHigh",
        Ratio(
            Rate(Series("cache_misses_total"), "10m", ("cache_name",)),
            Sum(
                Rate(Series("cache_misses_total"), "10m", ("cache_name",)),
                Rate(Series("cache_hits_total"), "10m", ("cache_name",)),
            ),
        ),
        ">",
        0.5,
        "15m",
        "warning",
        "backend",
        "High cache miss rate",
        "{{ $labels.cache_name }} misses {{ $value | humanizePercentage }} of lookups",
        "resources",
    ),
    _rule(
        "CacheLatencyHigh",
        Quantile(0.95, Series("cache_operation_duration_seconds"), "10m", ("cache_name",)),
        ">",
        0.05,
        "15m",
        "warning",
        "backend",
        "Cache lookups slow",
        "{{ $labels.cache_name }} P95 lookup is {{ $value }}s (threshold: 0.05s)",
        "resources",
    ),
    # --- workload: failure, backlog, response time, token and error trends ---
    _rule(
        "AgentFailureRateCritical",
        _failure_ratio("agent_sessions_total", ("agent_type",)),
        ">",
        0.5,
        "5m",
        "critical",
        "agents",
        "Most runs of an agent fail",
        "Agent {{ $labels.agent_type }} fails {{ $value | humanizePercentage }} of its runs",
        "agents",
    ),
    _rule(
        "TaskQueueBacklog",
        Current(Series("agent_queue_depth"), "sum"),
        ">",
        100,
        "10m",
        "critical",
        "agents",
        "Task queue backlog",
        "{{ $value }} tasks waiting across agents (threshold: 100)",
        "agents",
    ),
    _rule(
        "AgentResponseTimeHigh",
        Quantile(0.95, Series("agent_session_duration_seconds"), "10m", ("agent_type",)),
        ">",
        30,
        "10m",
        "warning",
        "agents",
        "Agents slow to respond",
        "{{ $labels.agent_type }} P95 is {{ $value }}s (threshold: 30s)",
        "agents",
    ),
    _rule(
        "TokenUsageSpike",
        Ratio(
            Rate(Series("llm_tokens_total"), "1h"),
            Offset(Rate(Series("llm_tokens_total"), "1h"), "1d"),
        ),
        ">",
        3,
        "30m",
        "warning",
        "ml",
        "Token usage spike",
        "Token use is {{ $value }}x the same hour yesterday (threshold: +200%)",
        "llm",
    ),
    _rule(
        "ErrorRateElevated",
        Ratio(Rate(Series("errors_total")), Rate(Series("orchestration_requests_total"))),
        ">",
        0.1,
        "10m",
        "warning",
        "agents",
        "Error rate above 10%",
        "{{ $value | humanizePercentage }} errors per orchestration",
        "agents",
    ),
)
