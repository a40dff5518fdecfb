"""`swarmscope stack export --catalog account_manager.catalog:CATALOG`: the customer's other
metric names as recording rules, its alert and its dashboard, all accepted by promtool."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import yaml

from account_manager.catalog import RECORDING_RULES
from swarmscope.stack.rule_tests import TEST_FILES
from test_cli import swarmscope
from test_ops_bundle import tool


def test_the_exported_stack_carries_the_apps_rules_and_dashboard(tmp_path: Path):
    result = swarmscope(
        "stack",
        "export",
        str(tmp_path),
        "--namespace",
        "sergas",
        "--catalog",
        "account_manager.catalog:CATALOG",
    )
    assert result.returncode == 0, result.stderr
    recording = yaml.safe_load((tmp_path / "prometheus/rules/recording.yml").read_text())
    [group] = [g for g in recording["groups"] if g["name"] == "sergas_account_manager"]
    assert [r["record"] for r in group["rules"]] == [f"sergas_{r.name}" for r in RECORDING_RULES]
    assert "sergas_agent_success_rate" in {r["record"] for r in group["rules"]}
    alerts = yaml.safe_load((tmp_path / "prometheus/rules/alerts.yml").read_text())
    names = {r["alert"] for g in alerts["groups"] for r in g["rules"]}
    assert "LowRecommendationConfidence" in names and "AgentExecutionFailureSpike" in names
    board = json.loads((tmp_path / "grafana/dashboards/account-manager.json").read_text())
    exprs = [t["expr"] for p in board["panels"] for t in p["targets"]]
    assert any("sergas_zoho_api_calls_total" in e for e in exprs)

    rules = sorted(str(p) for p in (tmp_path / "prometheus/rules").glob("*.yml"))
    checked = subprocess.run(
        (tool("promtool"), "check", "rules", *rules), capture_output=True, text=True, timeout=60
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    tested = subprocess.run(
        (tool("promtool"), "test", "rules", *(f"tests/{name}" for name in TEST_FILES)),
        capture_output=True,
        text=True,
        cwd=tmp_path / "prometheus",
        timeout=300,
    )
    assert tested.returncode == 0, tested.stdout + tested.stderr
