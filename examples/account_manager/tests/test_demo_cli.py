"""`swarmscope demo` as a user runs it: the command the example registers."""

from __future__ import annotations

import json
import socket

import duckdb

from test_cli import swarmscope  # the product's tests folder, on the path by conftest


def test_bad_input_is_a_usage_error_not_a_traceback():
    result = swarmscope("demo", "--rate", "-1")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    result = swarmscope("demo", "--faults", "crm-outage,meteor-strike")
    assert result.returncode == 2 and "meteor-strike" in result.stderr


def test_demo_runs_the_instrumented_service_and_writes_correlated_logs(tmp_path):
    log_file = tmp_path / "demo.log"
    result = swarmscope(
        "demo",
        "--duration",
        "3",
        "--port",
        "0",
        "--rate",
        "8",
        "--approval-timeout",
        "0.5",
        "--namespace",
        "sergas",
        "--log-dir",
        str(tmp_path),
        "--server-port",
        "0",
        "--data",
        str(tmp_path / "data"),
        timeout=90,
    )
    assert result.returncode == 0, result.stderr
    assert "/metrics" in result.stdout and str(log_file) in result.stdout
    console = next(
        line.split()[1] for line in result.stdout.splitlines() if line.startswith("console")
    )
    assert console.startswith("http://127.0.0.1:") and console.endswith("/")
    # Both services sent all three signals to the embedded server, which kept them.
    store = duckdb.connect(str(tmp_path / "data" / "swarmscope.duckdb"), read_only=True)
    for table in ("spans", "logs", "metric_points"):
        services = {
            row[0] for row in store.execute(f"SELECT DISTINCT service FROM {table}").fetchall()
        }
        assert services == {"swarmscope-demo", "swarmscope-compliance"}, table
    [[sessions]] = store.execute(
        "SELECT count(*) FROM metric_points WHERE name = 'sergas_agent_sessions_total'"
    ).fetchall()
    assert sessions > 0
    store.close()
    compliance = [
        json.loads(line) for line in (tmp_path / "compliance.log").read_text().splitlines()
    ]
    assert {line["service"] for line in compliance} == {"swarmscope-compliance"}
    final = next(line for line in result.stdout.splitlines() if line.startswith("final"))
    assert "runs finished 0 " not in final
    lines = [json.loads(line) for line in log_file.read_text().splitlines()]
    completed = [line for line in lines if line["event"] == "orchestration_completed"]
    assert completed, "no orchestration finished"
    trace_id = completed[0]["trace_id"]
    same_trace = {line["event"] for line in lines if line.get("trace_id") == trace_id}
    assert {
        "request_completed",
        "agent_execution_started",
        "tool_call_completed",
        "llm_call_completed",
        "agent_handoff",
    } <= same_trace


def test_demo_on_a_taken_port_says_so(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = swarmscope(
            "demo",
            "--port",
            str(port),
            "--duration",
            "1",
            "--log-dir",
            str(tmp_path),
            "--server-port",
            "0",
            "--data",
            str(tmp_path / "data"),
            timeout=60,
        )
    assert result.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr
    assert "Traceback" not in result.stderr
