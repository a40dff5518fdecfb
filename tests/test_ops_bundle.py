"""The exported Prometheus and Alertmanager files, checked with the real promtool, amtool and
Alertmanager."""

from __future__ import annotations

import re
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from loopback import free_port
from swarmscope.commands.stack import TracesBackend
from swarmscope.conventions.catalog import METRICS_BY_NAME
from swarmscope.definitions.alerts import ALERTS
from swarmscope.stack.backends import TRACE_STORES
from swarmscope.stack.bundle import export
from swarmscope.stack.local import ALERTMANAGER_BINARIES
from swarmscope.stack.rule_tests import TEST_FILES

NAMESPACE = "sergas"


def tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} is not installed: `python3 tasks.py test` installs it (Debian)")
    return path


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("bundle")
    export(
        directory,
        namespace=NAMESPACE,
        app_target="127.0.0.1:8000",
        webhook_url="http://127.0.0.1:9099/hook",
    )
    return directory


def run(*command: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, capture_output=True, text=True, cwd=cwd, timeout=60)


def test_promtool_accepts_config_and_rules(bundle: Path):
    promtool = tool("promtool")
    config = run(promtool, "check", "config", str(bundle / "prometheus/prometheus.yml"))
    assert config.returncode == 0, config.stdout + config.stderr
    rules = sorted((bundle / "prometheus/rules").glob("*.yml"))
    checked = run(promtool, "check", "rules", *map(str, rules))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert f"SUCCESS: {len(ALERTS)} rules found" in checked.stdout


def test_amtool_accepts_the_routing_config(bundle: Path):
    checked = run(tool("amtool"), "check-config", "alertmanager.yml", cwd=bundle / "alertmanager")
    assert checked.returncode == 0, checked.stdout + checked.stderr


@pytest.mark.parametrize(
    ("labels", "receivers"),
    [
        (
            ["severity=critical", "team=agents", "alertname=AgentExecutionFailureSpike"],
            "pager,chat-critical,team-agents,webhook",
        ),
        (
            ["severity=warning", "team=frontend", "alertname=SSEConnectionDropSpike"],
            "chat-warning,team-frontend,webhook",
        ),
        (
            ["severity=critical", "team=security", "alertname=AuthFailureSpike"],
            "pager,chat-critical,team-security,webhook",
        ),
        (["severity=info", "alertname=Watchdog"], "webhook"),
    ],
)
def test_routing_cases(bundle: Path, labels: list[str], receivers: str):
    routed = run(
        tool("amtool"),
        "config",
        "routes",
        "test",
        "--config.file",
        str(bundle / "alertmanager/alertmanager.yml"),
        *labels,
    )
    assert routed.returncode == 0, routed.stderr
    assert routed.stdout.strip() == receivers
    # One notification per alert group reaches the webhook, not one per receiver holding it.
    config = yaml.safe_load((bundle / "alertmanager/alertmanager.yml").read_text())
    hooks = {r["name"]: len(r.get("webhook_configs", [])) for r in config["receivers"]}
    assert sum(hooks[name] for name in receivers.split(",")) == 1


def test_inhibition_in_a_real_alertmanager(bundle: Path, tmp_path: Path):
    """Alerts posted to the bundle's Alertmanager: a critical mutes the warnings of its team
    and agent only, and a failing agent mutes handoff failures."""
    binary = next(filter(None, map(shutil.which, ALERTMANAGER_BINARIES)), None)
    if binary is None:
        pytest.fail("alertmanager is not installed: `python3 tasks.py test` installs it (Debian)")
    url = f"http://127.0.0.1:{free_port()}"
    log = (tmp_path / "alertmanager.log").open("wb")
    process = subprocess.Popen(
        [
            binary,
            f"--config.file={bundle / 'alertmanager/alertmanager.yml'}",
            f"--storage.path={tmp_path / 'data'}",
            f"--web.listen-address={url.removeprefix('http://')}",
            "--cluster.listen-address=",
        ],
        stdout=log,
        stderr=log,
    )

    def alert(name: str, severity: str, team: str, **labels: str) -> dict[str, Any]:
        return {"labels": {"alertname": name, "severity": severity, "team": team, **labels}}

    posted = [
        alert("AgentExecutionFailureSpike", "critical", "agents", agent_type="scout"),
        alert("HighAgentExecutionLatency", "warning", "agents", agent_type="scout"),
        alert("HighAgentExecutionLatency", "warning", "agents", agent_type="writer"),
        alert("HighResponseTime", "warning", "backend"),
        alert("AgentHandoffFailure", "critical", "agents", from_agent="a", to_agent="b"),
    ]
    expected = {
        ("AgentExecutionFailureSpike", "scout"): False,
        ("HighAgentExecutionLatency", "scout"): True,
        ("HighAgentExecutionLatency", "writer"): False,
        ("HighResponseTime", None): False,
        ("AgentHandoffFailure", None): True,
    }
    seen: dict[tuple[str, str | None], bool] = {}
    try:
        deadline = time.monotonic() + 30
        while seen != expected and time.monotonic() < deadline:
            time.sleep(0.2)
            try:
                httpx.post(f"{url}/api/v2/alerts", json=posted, timeout=2).raise_for_status()
                answer = httpx.get(f"{url}/api/v2/alerts", timeout=2).json()
            except httpx.HTTPError:
                continue
            seen = {
                (a["labels"]["alertname"], a["labels"].get("agent_type")): bool(
                    a["status"]["inhibitedBy"]
                )
                for a in answer
            }
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()
    assert seen == expected


def test_alerts_carry_labels_annotations_and_a_runbook(bundle: Path):
    groups = yaml.safe_load((bundle / "prometheus/rules/alerts.yml").read_text())["groups"]
    rules = [rule for group in groups for rule in group["rules"]]
    assert {rule["alert"] for rule in rules} == {alert.name for alert in ALERTS}
    for rule in rules:
        assert rule["labels"]["severity"] in ("critical", "warning")
        assert rule["labels"]["team"]
        assert rule["annotations"]["summary"] and rule["annotations"]["description"]
        runbook = rule["annotations"]["runbook_url"].rsplit("/", 1)[1]
        text = (bundle / "runbooks" / runbook).read_text()
        assert text.startswith(f"# {rule['alert']}")
        # Each runbook points at the dashboards that graph what its alert reads.
        boards = re.findall(r"`(grafana/dashboards/[\w-]+\.json)`", text)
        assert boards and all((bundle / board).is_file() for board in boards), rule["alert"]
    assert sorted(p.stem for p in (bundle / "runbooks").glob("*.md")) == sorted(
        alert.name for alert in ALERTS
    )


def test_expressions_name_only_exported_metrics(bundle: Path):
    """Every metric in every rule is a catalog family of this namespace (or Prometheus's up)."""
    exported = set()
    for spec in METRICS_BY_NAME.values():
        name = spec.full_name(NAMESPACE)
        exported |= {name, f"{name}_bucket", f"{name}_count", f"{name}_sum"}
    recorded = set()
    for path in sorted((bundle / "prometheus/rules").glob("*.yml")):
        for group in yaml.safe_load(path.read_text())["groups"]:
            for rule in group["rules"]:
                recorded.add(rule.get("record"))
                for name in re.findall(r"\b([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(?:\{|\[)", rule["expr"]):
                    assert name in exported or name == "up", f"{rule} reads unknown {name}"
    assert f"{NAMESPACE}:agent_execution_failure_spike:value" in recorded


def test_secrets_are_referenced_by_file_never_written(bundle: Path):
    text = (bundle / "alertmanager/alertmanager.yml").read_text()
    config = yaml.safe_load(text)
    assert config["global"]["slack_api_url_file"] == "secrets/slack_api_url"
    pager = next(r for r in config["receivers"] if r["name"] == "pager")
    assert pager["pagerduty_configs"][0]["routing_key_file"] == "secrets/pagerduty_routing_key"
    assert "hooks.slack.com" not in text and "service_key:" not in text
    assert "routing_key:" not in text and "auth_password:" not in text


def test_stack_export_command(tmp_path: Path):
    import sys

    result = run(
        sys.executable,
        "-m",
        "swarmscope",
        "stack",
        "export",
        str(tmp_path / "out"),
        "--namespace",
        NAMESPACE,
    )
    assert result.returncode == 0, result.stderr
    (tmp_path / "file").write_text("x")
    clash = run(sys.executable, "-m", "swarmscope", "stack", "export", str(tmp_path / "file"))
    assert clash.returncode == 2 and "not a directory" in clash.stderr


def exported_settings(bundle: Path) -> dict[str, Any]:
    """What --alertmanager-target, --time-scale, --runbook-base and --traces-backend set, read
    from the files."""
    prometheus = yaml.safe_load((bundle / "prometheus/prometheus.yml").read_text())
    groups = yaml.safe_load((bundle / "prometheus/rules/alerts.yml").read_text())["groups"]
    rules = {rule["alert"]: rule for group in groups for rule in group["rules"]}
    routing = yaml.safe_load((bundle / "alertmanager/alertmanager.yml").read_text())["route"]
    spike = rules["AgentExecutionFailureSpike"]
    collector = yaml.safe_load((bundle / "otel-collector/config.yaml").read_text())
    return {
        "alertmanagers": prometheus["alerting"]["alertmanagers"][0]["static_configs"][0],
        "scrape_interval": prometheus["global"]["scrape_interval"],
        "for": spike["for"],
        "group_wait": routing["group_wait"],
        "window": re.findall(r"\[(\w+)\]", rules["AgentHandoffFailure"]["expr"]),
        "runbook_url": spike["annotations"]["runbook_url"],
        "rule tests": (bundle / "prometheus/tests").exists(),
        "span exporters": [name for name in collector["exporters"] if name.startswith("otlp_grpc")],
    }


def test_stack_export_options_change_the_files(tmp_path: Path):
    import sys

    command = [sys.executable, "-m", "swarmscope", "stack", "export", "--namespace", NAMESPACE]
    default = run(*command, str(tmp_path / "default"))
    assert default.returncode == 0, default.stderr
    runbooks = (tmp_path / "default/runbooks").resolve()
    assert exported_settings(tmp_path / "default") == {
        "alertmanagers": {"targets": ["alertmanager:9093"]},
        "scrape_interval": "15s",
        "for": "5m",
        "group_wait": "10s",
        "window": ["5m"],
        # The default runbook link is the exported file itself.
        "runbook_url": f"file://{runbooks}/AgentExecutionFailureSpike.md",
        "rule tests": True,
        "span exporters": ["otlp_grpc/tempo"],
    }
    assert Path(exported_settings(tmp_path / "default")["runbook_url"][7:]).is_file()
    options = [
        "--alertmanager-target",
        "am.internal:19093",
        "--time-scale",
        "0.1",
        "--runbook-base",
        "https://wiki.example.com/ops/runbooks/",
        "--traces-backend",
        "jaeger",
    ]
    changed = run(*command, *options, str(tmp_path / "changed"))
    assert changed.returncode == 0, changed.stderr
    assert exported_settings(tmp_path / "changed") == {
        "alertmanagers": {"targets": ["am.internal:19093"]},
        "scrape_interval": "2s",
        "for": "30s",
        "group_wait": "1s",
        "window": ["30s"],
        "runbook_url": "https://wiki.example.com/ops/runbooks/AgentExecutionFailureSpike.md",
        # Rule unit tests describe the unscaled rules.
        "rule tests": False,
        "span exporters": ["otlp_grpc/jaeger"],
    }
    # The command offers every trace store the bundle knows, and only those.
    assert set(TracesBackend) == set(TRACE_STORES)


def test_stack_up_without_the_binaries_says_how_to_run_the_compose_file(tmp_path: Path):
    import os
    import sys

    up = [sys.executable, "-m", "swarmscope", "stack", "up", str(tmp_path)]
    # No PATH entry holds prometheus or alertmanager.
    env = {**os.environ, "PATH": str(tmp_path / "no-binaries")}
    missing = subprocess.run(up, capture_output=True, text=True, env=env, timeout=60)
    assert missing.returncode == 1
    assert "run `swarmscope stack export` first" in missing.stderr
    export(tmp_path, namespace=NAMESPACE)
    result = subprocess.run(up, capture_output=True, text=True, env=env, timeout=60)
    assert result.returncode == 1
    assert "prometheus and alertmanager are not installed" in result.stderr
    assert "`docker compose up -d` in the exported directory" in result.stderr
    assert not (tmp_path / "data").exists()


def test_every_alert_fires_and_stays_silent_in_promtool_unit_tests(bundle: Path):
    """The bundle's own rule tests: per alert, series that fire it (labels and rendered
    annotations compared exactly) and series that keep it silent."""
    files = sorted(f"tests/{name}" for name in TEST_FILES)
    loaded = {f: yaml.safe_load((bundle / "prometheus" / f).read_text()) for f in files}
    names = [test["name"] for data in loaded.values() for test in data["tests"]]
    assert sorted(names) == sorted(
        f"{alert.name} {case}" for alert in ALERTS for case in ("fires", "stays silent")
    )
    for data in loaded.values():
        step = int(data["evaluation_interval"].removesuffix("m"))
        for test in data["tests"]:
            [check] = test["alert_rule_test"]
            # Each case is judged at an evaluation promtool runs.
            assert int(check["eval_time"].removesuffix("m")) % step == 0, test["name"]
            assert bool(check["exp_alerts"]) == test["name"].endswith("fires"), test["name"]
    # The day-long cases are the ones stepped every 5 minutes.
    assert {
        t["name"].rsplit(" ", 2)[0] for t in loaded["tests/daily_alerts_test.yml"]["tests"]
    } == {
        "LLMTokenQuotaApproaching",
        "TokenUsageSpike",
    }
    result = subprocess.run(
        (tool("promtool"), "test", "rules", *files),
        capture_output=True,
        text=True,
        cwd=bundle / "prometheus",
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("SUCCESS") == len(files), result.stdout


def test_bundle_holds_dashboards_and_grafana_provisioning(bundle: Path):
    import json

    dashboards = sorted((bundle / "grafana/dashboards").glob("*.json"))
    assert len(dashboards) >= 12
    for path in dashboards:
        model = json.loads(path.read_text())
        assert model["uid"] == path.stem and model["panels"]
    sources = yaml.safe_load(
        (bundle / "grafana/provisioning/datasources/datasources.yml").read_text()
    )
    assert {source["uid"] for source in sources["datasources"]} >= {"prometheus", "loki", "tempo"}


def test_recording_rules_carry_the_expensive_expressions(bundle: Path):
    alerts = yaml.safe_load((bundle / "prometheus/rules/alerts.yml").read_text())["groups"]
    recording = yaml.safe_load((bundle / "prometheus/rules/recording.yml").read_text())["groups"]
    records = {rule["record"]: rule["expr"] for group in recording for rule in group["rules"]}
    reads = {}
    for rule in (rule for group in alerts for rule in group["rules"]):
        assert "histogram_quantile" not in rule["expr"] and ") / (" not in rule["expr"], rule
        used = re.findall(r"\b(sergas:[a-z0-9_]+:value)\b", rule["expr"])
        assert all(name in records for name in used), rule
        reads[rule["alert"]] = used
    assert any("histogram_quantile" in expr for expr in records.values())
    # Each alert expression is recorded once, and every such series has an alert reading it.
    recorded = {name: expr for name, expr in records.items() if name.endswith(":value")}
    assert len(set(recorded.values())) == len(recorded)
    assert {name for used in reads.values() for name in used} == set(recorded)
    # A warning and a critical level of one expression read the same series.
    assert reads["AgentFailureRateCritical"] == reads["AgentExecutionFailureSpike"]
    assert reads["DatabaseConnectionsNearLimit"] == reads["DatabasePoolExhausted"]
    assert reads["AgentExecutionFailureSpike"] != reads["DatabasePoolExhausted"]
