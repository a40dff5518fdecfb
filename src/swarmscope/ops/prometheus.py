"""Prometheus files: the scrape config and the alerting and recording rules."""

from __future__ import annotations

from typing import Any

from swarmscope.catalog import SEED_ALIASES
from swarmscope.ops.alerts import ALERTS, AlertRule

RUNBOOK_BASE = "https://github.com/swarmscope/swarmscope/blob/main/runbooks"


def alert_rule(rule: AlertRule, namespace: str, runbook_base: str) -> dict[str, Any]:
    return {
        "alert": rule.name,
        "expr": rule.expr(namespace),
        "for": rule.for_,
        "labels": {"severity": rule.severity, "team": rule.team},
        "annotations": {
            "summary": rule.summary,
            "description": rule.description,
            "runbook_url": f"{runbook_base.rstrip('/')}/{rule.runbook}",
        },
    }


def alerting_rules(namespace: str, runbook_base: str = RUNBOOK_BASE) -> dict[str, Any]:
    """``rules/alerts.yml``: one group per area, critical and warning alike."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for rule in ALERTS:
        groups.setdefault(rule.group, []).append(alert_rule(rule, namespace, runbook_base))
    return {
        "groups": [
            {"name": f"{namespace}_{group}", "interval": "30s", "rules": rules}
            for group, rules in groups.items()
        ]
    }


def recording_rules(namespace: str) -> dict[str, Any]:
    """``rules/recording.yml``: the seed plans' other metric names, as recorded series."""
    return {
        "groups": [
            {
                "name": f"{namespace}_seed_names",
                "interval": "30s",
                "rules": [
                    {"record": f"{namespace}_{alias.name}", "expr": alias.expr.format(ns=namespace)}
                    for alias in SEED_ALIASES
                ],
            }
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
