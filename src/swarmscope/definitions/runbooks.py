"""An alert's runbook: what it measures, the dashboards with the same series, first steps.

``swarmscope stack export`` writes one per alert under ``runbooks/``; the embedded server
serves the same text at ``/runbooks/<AlertName>.md``, where its alerts' ``runbook_url`` points.
"""

from __future__ import annotations

from swarmscope.app_catalog import every_dashboard
from swarmscope.definitions.alerts import AlertRule
from swarmscope.definitions.query import Query, Up


def _families(query: Query) -> set[str]:
    """The catalog families a query reads, and ``up`` for the scrape-health query."""
    return query.metrics() | ({"up"} if isinstance(query, Up) else set())


def runbook(rule: AlertRule, namespace: str) -> str:
    """An alert's runbook in Markdown: what it measures and where to look first."""
    read = _families(rule.query)
    boards = [
        f"- {board.title}: `grafana/dashboards/{board.uid}.json`"
        for board in every_dashboard()
        if any(read & _families(t.query) for panel in board.panels for t in panel.queries)
    ]
    return "\n".join(
        [
            f"# {rule.name}",
            "",
            f"**Severity:** {rule.severity} · **Team:** {rule.team} · **Fires after:** {rule.for_}",
            "",
            f"{rule.summary}. The notification reads: `{rule.description}`",
            "",
            "## What it measures",
            "",
            "```promql",
            rule.expr(namespace),
            "```",
            "",
            "## Dashboards with the same series",
            "",
            *boards,
            "",
            "## First steps",
            "",
            "1. Read the newest failed traces of the agent, endpoint or integration named in the "
            "alert's labels (every span and log line carries the trace id).",
            "2. Search the JSON logs of those traces for `level=error` events.",
            "3. Check the dependencies this area relies on (CRM, LLM provider, database): "
            f"`{namespace}_circuit_breaker_state` and `{namespace}_integration_health_status` "
            "on /metrics.",
            "",
        ]
    )
