"""Prometheus files: the scrape config and the alerting and recording rules."""

from __future__ import annotations

import re
from typing import Any

from swarmscope.app_catalog import every_alert, registered
from swarmscope.definitions.alerts import AlertRule
from swarmscope.definitions.query import Quantile, Ratio

_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def scale(duration: str, factor: float) -> str:
    """A duration multiplied by ``factor`` (at least 1s): a test stack runs the same rules faster."""
    if factor == 1:
        return duration
    seconds = float(duration[:-1]) * _SECONDS[duration[-1]]
    return f"{max(1, round(seconds * factor))}s"


def scale_windows(expr: str, factor: float) -> str:
    """Every range ``[5m]`` and ``offset 1d`` of a PromQL expression, scaled."""
    expr = re.sub(r"\[(\d+[smhd])\]", lambda m: f"[{scale(m.group(1), factor)}]", expr)
    return re.sub(r"offset (\d+[smhd])", lambda m: f"offset {scale(m.group(1), factor)}", expr)


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


def alert_expr(rule: AlertRule, namespace: str) -> str:
    if expensive(rule.query):
        return f"{recorded_name(rule, namespace)} {rule.op} {rule.threshold:g}"
    return rule.expr(namespace)


def alert_rule(
    rule: AlertRule, namespace: str, runbook_base: str, time_scale: float = 1.0
) -> dict[str, Any]:
    return {
        "alert": rule.name,
        "expr": scale_windows(alert_expr(rule, namespace), time_scale),
        "for": scale(rule.for_, time_scale),
        "labels": {"severity": rule.severity, "team": rule.team},
        "annotations": {
            "summary": rule.summary,
            "description": rule.description,
            "runbook_url": f"{runbook_base.rstrip('/')}/{rule.runbook}",
        },
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
                    {"record": name, "expr": scale_windows(query.promql(namespace), time_scale)}
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
                            "expr": scale_windows(rule.expr.format(ns=namespace), time_scale),
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
