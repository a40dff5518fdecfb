"""The swarmscope command as a user runs it."""

from __future__ import annotations

import json
import subprocess
import sys

import duckdb
import pytest
import typer

import swarmscope.__main__ as entry
from swarmscope import __version__
from swarmscope.cli import COMMANDS, Listed, load


def swarmscope(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "swarmscope", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )


def test_help_and_version():
    result = swarmscope("--help")
    assert result.returncode == 0
    for command in ("version", "demo", "catalog"):
        assert command in result.stdout
    assert swarmscope("version").stdout.strip() == __version__


def test_catalog_json_uses_the_namespace():
    result = swarmscope("catalog", "--namespace", "sergas", "--json")
    assert result.returncode == 0
    names = {row["name"] for row in json.loads(result.stdout)}
    assert "sergas_hitl_approval_latency_seconds" in names
    events = json.loads(swarmscope("catalog", "--events", "--json").stdout)
    assert any(row["event"] == "agent_handoff" for row in events)


def test_bad_input_is_a_usage_error_not_a_traceback():
    result = swarmscope("catalog", "--namespace", "bad-name")
    assert result.returncode == 2
    assert "namespace" in result.stderr and "Traceback" not in result.stderr


def test_serve_answers_and_rejects_a_file_as_data_dir(tmp_path):
    import socket
    import time

    import httpx

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "swarmscope",
            "serve",
            "--port",
            str(port),
            "--grpc-port",
            "-1",
            "--data",
            str(tmp_path / "data"),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                answer = httpx.get(f"http://127.0.0.1:{port}/api/traces", timeout=1)
                break
            except httpx.HTTPError:
                assert time.monotonic() < deadline and server.poll() is None
                time.sleep(0.1)
        assert answer.json() == {"traces": [], "count": 0}
        assert (tmp_path / "data" / "swarmscope.duckdb").exists()
        # Told no namespace, it serves what arrives, and says nothing has.
        assert httpx.get(f"http://127.0.0.1:{port}/api/namespaces").json() == {
            "namespaces": [],
            "configured": None,
            "served": "swarmscope",
            "notice": "No metrics have arrived yet.",
        }
    finally:
        server.terminate()
        server.wait(timeout=10)
    (tmp_path / "file").write_text("x")
    result = swarmscope("serve", "--data", str(tmp_path / "file"))
    assert result.returncode == 2 and "not a directory" in result.stderr
    result = swarmscope("serve", "--namespace", "not-a-prefix", "--data", str(tmp_path / "d"))
    assert result.returncode == 2 and "namespace" in result.stderr


def test_serve_refuses_a_store_of_another_layout(tmp_path):
    with duckdb.connect(str(tmp_path / "swarmscope.duckdb")) as old:
        old.execute("CREATE TABLE spans (trace_id VARCHAR, resource JSON)")
    result = swarmscope("serve", "--port", "0", "--grpc-port", "-1", "--data", str(tmp_path))
    assert result.returncode == 1
    assert "written by an earlier swarmscope" in result.stderr
    assert "Traceback" not in result.stderr


# -- start-up: a command imports what it runs, and nothing else ----------------------------

# Runs the command in-process as the entry point does, then writes its exit code and every
# module the run imported to the file named first.
PROBE = """
import json, sys
out, sys.argv = sys.argv[1], ["swarmscope", *sys.argv[2:]]
from swarmscope.__main__ import main
try:
    main()
    code = 0
except SystemExit as exit:
    code = exit.code
with open(out, "w") as f:
    json.dump({"code": code, "modules": sorted(sys.modules)}, f)
"""
SERVER_PACKAGES = {"duckdb", "pyarrow", "fastapi", "uvicorn", "httpx", "yaml"}


def imported_by(tmp_path, *args: str) -> set[str]:
    """The modules ``swarmscope ARGS`` imports; the command must succeed."""
    out = tmp_path / "modules.json"
    result = subprocess.run(
        [sys.executable, "-c", PROBE, str(out), *args],
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(out.read_text())
    assert report["code"] == 0, result.stderr
    return set(report["modules"])


def ours(modules: set[str], *prefixes: str) -> set[str]:
    return {m for m in modules if m.startswith(prefixes)}


def test_version_imports_no_command_and_no_sdk(tmp_path):
    modules = imported_by(tmp_path, "version")
    assert not ours(
        modules,
        "swarmscope.commands",
        "swarmscope.debug",
        "account_manager",
        "swarmscope.server",
        "swarmscope.stack",
        "swarmscope.instrument",
        "swarmscope.telemetry",
    )
    tops = {m.split(".")[0] for m in modules}
    assert tops.isdisjoint(SERVER_PACKAGES | {"structlog", "opentelemetry"})


def test_a_commands_help_imports_its_module_only(tmp_path):
    modules = imported_by(tmp_path, "traces", "list", "--help")
    assert "swarmscope.debug.traces" in modules
    assert not ours(
        modules,
        "swarmscope.commands",
        "account_manager",
        "swarmscope.debug.agents",
        "swarmscope.stack",
    )
    assert {m.split(".")[0] for m in modules}.isdisjoint(SERVER_PACKAGES)


def test_the_top_level_help_lists_every_command_importing_none(tmp_path):
    modules = imported_by(tmp_path, "--help")
    targets = {lazy.target.split(":")[0] for lazy in COMMANDS.values()}
    assert modules.isdisjoint(targets)
    listed = swarmscope("--help").stdout
    for name in ("version", *COMMANDS):
        assert f" {name} " in listed


def test_the_top_level_help_lines_are_the_commands_own():
    """The table's one-liners are what each command says of itself once imported."""
    for name, lazy in COMMANDS.items():
        command = load(name)
        assert command.name == name
        assert command.get_short_help_str(limit=1000) == Listed(
            name=name, help=lazy.help
        ).get_short_help_str(limit=1000)


def test_without_the_server_extra_the_command_says_so_in_one_line(monkeypatch, capsys):
    monkeypatch.setattr(entry, "SERVER_MODULES", ("typer", "swarmscope_no_such_module"))
    with pytest.raises(SystemExit) as exit:
        entry.main()
    assert exit.value.code == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.count("\n") == 1
    assert "pip install 'swarmscope[server]'" in captured.err
    assert "swarmscope_no_such_module" in captured.err and "typer" not in captured.err


def test_demo_runs_the_installed_demo_and_says_so_when_there_is_none():
    import json as json_module
    from importlib.metadata import EntryPoint

    from typer.testing import CliRunner

    from swarmscope.commands.demo import GROUP, installed_demo

    found = (EntryPoint("b", "json:dumps", GROUP), EntryPoint("a", "json:loads", GROUP))
    assert installed_demo(found) is json_module.loads  # the first by name
    app = typer.Typer()
    app.command("demo")(installed_demo(()))
    result = CliRunner().invoke(app, [])
    assert result.exit_code == 1
    assert "no demo is installed" in result.output and "examples/account_manager" in result.output
    # The repository's example is installed by tasks.py: `swarmscope demo` runs its command.
    assert "--faults" in swarmscope("demo", "--help").stdout
