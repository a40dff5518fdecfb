"""Prometheus files: the scrape config and the alerting and recording rules."""

from __future__ import annotations

import re
from typing import Any

from swarmscope.app_catalog import every_alert, registered
from swarmscope.definitions.alerts import AlertRule
from swarmscope.definitions.durations import scale
from swarmscope.definitions.query import Quantile, Ratio, scaled_query


def _scaled_text(expr: str, factor: float) -> str:
    """Every range ``[5m]`` of a PromQL text, scaled. Only an app's recording rules need it:
    an app writes them as PromQL text; every alert and panel is scaled on its query tree."""
    return re.sub(r"\[(\d+[smhd])\]", lambda m: f"[{scale(m.group(1), factor)}]", expr)


def expensive(query: Any) -> bool:
    """Quantiles and shares cost the most to evaluate: they are recorded, alerts read them."""
    if isinstance(query, Quantile | Ratio):
        return True
    return any(expensive(child) for child in vars(query).values() if hasattr(child, "promql"))


def recorded_name(rule: AlertRule, namespace: str) -> str:
    """``level:metric:operation`` naming: ``myapp:agent_execution_failure_spike:value``.

    Alerts that hold one expression to different thresholds (AgentExecutionFailureSpike and
    AgentFailureRateCritical, DatabasePoolExhausted and DatabaseConnectionsNearLimit) read one
    recorded series, named after the first of them.
    """
    first = next(other for other in every_alert() if other.query == rule.query)
    snake = re.sub(r"(?<!^)(?=[A-Z][a-z])|(?<=[a-z0-9])(?=[A-Z])", "_", first.name).lower()
    return f"{namespace}:{snake}:value"


def alert_expr(rule: AlertRule, namespace: str, time_scale: float = 1.0) -> str:
    """The expression Prometheus alerts on: the recorded series when it is expensive."""
    if expensive(rule.query):
        return f"{recorded_name(rule, namespace)} {rule.op} {rule.threshold:g}"
    return rule.scaled(time_scale).expr(namespace)


def alert_rule(
    rule: AlertRule, namespace: str, runbook_base: str, time_scale: float = 1.0
) -> dict[str, Any]:
    """The rule's entry in ``rules/alerts.yml``: the definition's own ``for``, labels and
    annotations, which the server's alerts carry too."""
    return {
        "alert": rule.name,
        "expr": alert_expr(rule, namespace, time_scale),
        "for": rule.scaled(time_scale).for_,
        "labels": rule.labels,
        "annotations": rule.annotations(runbook_base),
    }


def alerting_rules(namespace: str, runbook_base: str, time_scale: float = 1.0) -> dict[str, Any]:
    """``rules/alerts.yml``: one group per area, critical and warning alike."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for rule in every_alert():
        groups.setdefault(rule.group, []).append(
            alert_rule(rule, namespace, runbook_base, time_scale)
        )
    return {
        "groups": [
            {"name": f"{namespace}_{group}", "interval": scale("30s", time_scale), "rules": rules}
            for group, rules in groups.items()
        ]
    }


def recording_rules(namespace: str, time_scale: float = 1.0) -> dict[str, Any]:
    """``rules/recording.yml``: the expensive alert expressions, each recorded once per
    interval however many alerts read it, and each registered app catalog's recording rules
    (one group per app)."""
    interval = scale("30s", time_scale)
    recorded = {
        recorded_name(rule, namespace): rule.query
        for rule in every_alert()
        if expensive(rule.query)
    }
    return {
        "groups": [
            {
                "name": f"{namespace}_alert_expressions",
                "interval": interval,
                "rules": [
                    {"record": name, "expr": scaled_query(query, time_scale).promql(namespace)}
                    for name, query in recorded.items()
                ],
            },
            *(
                {
                    "name": f"{namespace}_{app.name}",
                    "interval": interval,
                    "rules": [
                        {
                            "record": f"{namespace}_{rule.name}",
                            "expr": _scaled_text(rule.expr.format(ns=namespace), time_scale),
                        }
                        for rule in app.recording_rules
                    ],
                }
                for app in registered()
                if app.recording_rules
            ),
        ]
    }


def prometheus_config(
    app_target: str,
    alertmanager_target: str = "alertmanager:9093",
    scrape_interval: str = "15s",
    evaluation_interval: str = "15s",
) -> dict[str, Any]:
    """``prometheus.yml``: scrape the app, load the rules, send alerts to Alertmanager."""
    return {
        "global": {"scrape_interval": scrape_interval, "evaluation_interval": evaluation_interval},
        "rule_files": ["rules/*.yml"],
        "alerting": {"alertmanagers": [{"static_configs": [{"targets": [alertmanager_target]}]}]},
        "scrape_configs": [
            {"job_name": "swarmscope-app", "static_configs": [{"targets": [app_target]}]},
        ],
    }
