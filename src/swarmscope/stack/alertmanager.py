"""``alertmanager.yml``: route by severity and team, inhibit symptoms, keep secrets out.

Critical alerts page (PagerDuty) and go to chat; warnings go to chat; each team's alerts
also reach its own channel; everything reaches the webhook, once (only the last route's
receiver holds it). A firing critical silences warnings of the same team and agent, and
failing agents silence the handoff failures they cause. Secrets are read from files under
``secrets/`` next to the config (Slack URL, PagerDuty routing key, SMTP password), never
written into it.
"""

from __future__ import annotations

from typing import Any

TEAMS = (
    "agents",
    "frontend",
    "backend",
    "product",
    "ml",
    "devops",
    "database",
    "integrations",
    "security",
)


def alertmanager_config(
    webhook_url: str,
    email_to: str = "oncall@example.com",
    group_wait: str = "10s",
    group_interval: str = "10s",
    repeat_interval: str = "12h",
) -> dict[str, Any]:
    webhook = {"url": webhook_url, "send_resolved": True}
    team_routes = [
        {"matchers": [f'team="{team}"'], "receiver": f"team-{team}", "continue": True}
        for team in TEAMS
    ]
    return {
        "global": {
            "resolve_timeout": "5m",
            "slack_api_url_file": "secrets/slack_api_url",
            "smtp_smarthost": "smtp.example.com:587",
            "smtp_from": "alertmanager@example.com",
            "smtp_auth_username": "alertmanager",
            "smtp_auth_password_file": "secrets/smtp_password",
        },
        "route": {
            "receiver": "webhook",
            "group_by": ["alertname", "severity", "team"],
            "group_wait": group_wait,
            "group_interval": group_interval,
            "repeat_interval": repeat_interval,
            "routes": [
                {"matchers": ['severity="critical"'], "receiver": "pager", "continue": True},
                {
                    "matchers": ['severity="critical"'],
                    "receiver": "chat-critical",
                    "group_wait": "0s",
                    "continue": True,
                },
                {"matchers": ['severity="warning"'], "receiver": "chat-warning", "continue": True},
                *team_routes,
                {"matchers": ['severity=~"critical|warning"'], "receiver": "webhook"},
            ],
        },
        "inhibit_rules": [
            {
                "source_matchers": ['severity="critical"'],
                "target_matchers": ['severity="warning"'],
                "equal": ["team", "agent_type"],
            },
            {
                "source_matchers": ['alertname="AgentExecutionFailureSpike"'],
                "target_matchers": ['alertname="AgentHandoffFailure"'],
                "equal": [],
            },
        ],
        "receivers": [
            {"name": "webhook", "webhook_configs": [webhook]},
            {
                "name": "pager",
                "pagerduty_configs": [
                    {
                        "routing_key_file": "secrets/pagerduty_routing_key",
                        "description": "{{ .CommonAnnotations.summary }}",
                        "severity": "critical",
                    }
                ],
            },
            {
                "name": "chat-critical",
                "slack_configs": [
                    {
                        "channel": "#alerts-critical",
                        "color": "danger",
                        "send_resolved": True,
                        "title": "CRITICAL: {{ .GroupLabels.alertname }}",
                        "text": "{{ .CommonAnnotations.description }}\nRunbook: "
                        "{{ .CommonAnnotations.runbook_url }}",
                    }
                ],
                "email_configs": [{"to": email_to}],
            },
            {
                "name": "chat-warning",
                "slack_configs": [
                    {
                        "channel": "#alerts-warning",
                        "color": "warning",
                        "send_resolved": True,
                        "title": "WARNING: {{ .GroupLabels.alertname }}",
                        "text": "{{ .CommonAnnotations.description }}",
                    }
                ],
            },
            *[
                {
                    "name": f"team-{team}",
                    "slack_configs": [
                        {
                            "channel": f"#team-{team}",
                            "title": "{{ .GroupLabels.alertname }}",
                            "text": "{{ .CommonAnnotations.description }}",
                        }
                    ],
                }
                for team in TEAMS
            ],
        ],
    }
