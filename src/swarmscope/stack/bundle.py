"""``swarmscope stack export DIR``: every file the production stack needs, from the catalog
and the registered app catalogs (``swarmscope.app_catalog``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from swarmscope.app_catalog import every_alert
from swarmscope.definitions.durations import scale
from swarmscope.definitions.runbooks import runbook
from swarmscope.stack.alertmanager import alertmanager_config
from swarmscope.stack.backends import TRACE_STORES, loki_config, tempo_config
from swarmscope.stack.collector import collector_config
from swarmscope.stack.compose import LOG_DIR_VARIABLE, compose_config
from swarmscope.stack.grafana import dashboard_files, provisioning
from swarmscope.stack.logship import alloy_config
from swarmscope.stack.prometheus import alerting_rules, prometheus_config, recording_rules
from swarmscope.stack.rule_tests import alert_test_files

SECRETS = {
    "slack_api_url": "the Slack incoming-webhook URL",
    "pagerduty_routing_key": "the PagerDuty Events v2 routing key",
    "smtp_password": "the SMTP password of the alert mailbox",
}


def export(
    directory: Path,
    namespace: str = "swarmscope",
    app_target: str = "host.docker.internal:8000",
    alertmanager_target: str = "alertmanager:9093",
    webhook_url: str = "http://swarmscope:4318/api/alertmanager/webhook",
    runbook_base: str | None = None,
    time_scale: float = 1.0,
    traces_backend: str = "tempo",
) -> list[Path]:
    """Write the bundle under ``directory``; returns the files written.

    ``time_scale`` below 1 shrinks every interval, window and ``for`` (a test stack that
    shows in a minute what production shows in an hour); the rule unit tests describe the
    unscaled rules, so they are written only at scale 1. ``runbook_base`` is where the team
    serves ``runbooks/``; by default, :func:`local_runbook_base`. ``traces_backend`` (a key of
    ``TRACE_STORES``, tempo or jaeger) is where the Collector sends spans, which compose runs
    and which data source Grafana reads traces from.
    """
    traces = TRACE_STORES[traces_backend]
    if runbook_base is None:
        runbook_base = local_runbook_base(directory)
    interval = scale("15s", time_scale)
    files: dict[str, str] = {
        "prometheus/prometheus.yml": _yaml(
            prometheus_config(app_target, alertmanager_target, interval, interval)
        ),
        "prometheus/rules/alerts.yml": _yaml(alerting_rules(namespace, runbook_base, time_scale)),
        "prometheus/rules/recording.yml": _yaml(recording_rules(namespace, time_scale)),
        "alertmanager/alertmanager.yml": _yaml(
            alertmanager_config(
                webhook_url,
                group_wait=scale("10s", time_scale),
                group_interval=scale("10s", time_scale),
                repeat_interval=scale("12h", time_scale),
            )
        ),
        "alertmanager/secrets/README.md": _secrets_readme(),
        "otel-collector/config.yaml": _yaml(collector_config(traces)),
        "alloy/config.alloy": alloy_config(),
        "loki/loki-config.yaml": _yaml(loki_config()),
        "docker-compose.yml": _yaml(compose_config(traces)),
        "logs/README.md": _logs_readme(),
    }
    if traces.name == "tempo":
        files["tempo/tempo.yaml"] = _yaml(tempo_config())
    for relative, model in dashboard_files(namespace).items():
        files[relative] = json.dumps(model, indent=2) + "\n"
    for relative, config in provisioning(namespace, traces=traces).items():
        files[relative] = _yaml(config)
    if time_scale == 1:
        for name, tests in alert_test_files(namespace, runbook_base=runbook_base).items():
            files[f"prometheus/tests/{name}"] = _yaml(tests)
    for rule in every_alert():
        files[f"runbooks/{rule.runbook}"] = runbook(rule, namespace)
    written = []
    for relative, text in files.items():
        path = directory / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        written.append(path)
    return written


def local_runbook_base(directory: Path) -> str:
    """The ``file://`` URL of the exported ``runbooks/``: the default base of ``runbook_url``.

    swarmscope cannot know where a team publishes its runbooks, and a made-up web address is
    a dead link in every notification. The file URL names a file that exists: on the machine
    that exported the bundle it opens (paste it into a browser; most refuse to follow a
    file:// link from an http page such as Alertmanager's or Grafana's), and anyone else
    still reads which runbook to open, ``.../runbooks/<AlertName>.md``. Teams that serve the
    directory (a wiki, a git host, a web server next to Grafana) export with
    ``--runbook-base`` and every alert links to their copy.
    """
    return (directory / "runbooks").resolve().as_uri()


def _yaml(data: Any) -> str:
    return yaml.safe_dump(data, sort_keys=False, width=1000)


def _secrets_readme() -> str:
    lines = [
        "# Alertmanager secrets",
        "",
        "Alertmanager reads these files; put one value per file here (or mount them).",
        "They are never written into alertmanager.yml.",
        "",
    ]
    lines += [f"- `{name}`: {what}" for name, what in SECRETS.items()]
    return "\n".join(lines) + "\n"


def _logs_readme() -> str:
    return (
        "# App log files\n\n"
        "Alloy (docker-compose.yml) tails the JSON log files here: start the app with\n"
        "`SWARMSCOPE_LOG_FILE=<this directory>/app.log`, or point "
        f"`{LOG_DIR_VARIABLE}` at the directory the app writes to.\n"
        "Send logs either here or over OTLP to the Collector, not both: Loki would get each "
        "line twice.\n"
    )
