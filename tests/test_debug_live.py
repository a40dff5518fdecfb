"""The debugging commands on data the SDK sends while things happen: an agent run still open,
a handoff whose target never ran, a recorded request replayed (or refused), the API key.

The server runs in this process (``loopback.serve``), the SDK sends to it over OTLP/HTTP, and
the commands run through the real ``swarmscope`` Typer app.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request
from opentelemetry import trace
from typer.testing import CliRunner

import swarmscope as ss
from loopback import serve
from swarmscope.cli import app
from swarmscope.server.app import create_app
from swarmscope.server.settings import ServerSettings
from swarmscope.server.store.database import Store
from swarmscope.web import instrument_app, replayable
from swarmscope.web.replay import MAX_BODY_BYTES

runner = CliRunner()


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    store = Store(tmp_path / "store.duckdb")
    try:
        with serve(create_app(store, ServerSettings(api_key=None))) as url:
            ss.shutdown()
            ss.init(service_name="live", otlp_endpoint=url, log_stream="none")
            try:
                yield url
            finally:
                ss.shutdown()
    finally:
        store.close()


def flush() -> None:
    assert ss.current().flush(timeout=10), "telemetry did not flush"


def run(*args: str, env: dict[str, str] | None = None) -> Any:
    return runner.invoke(app, list(args), env=env)


def run_json(*args: str) -> dict[str, Any]:
    result = run(*args, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_an_agent_run_is_open_until_its_span_ends(server: str):
    with ss.agent_run("planner", session_id="s-9"):
        span_id = f"{trace.get_current_span().get_span_context().span_id:016x}"
        flush()
        report = run_json("inspect-agent", "planner", "--server", server)
        assert report["open_count"] == 1 and report["runs"] == 0
        [opened] = report["open_runs"]
        assert (opened["span_id"], opened["session"]) == (span_id, "s-9")
        assert opened["trace_id"] == ss.current_trace_id()
        human = run("inspect-agent", "planner", "--server", server)
        assert human.exit_code == 0 and "1 runs still open" in human.stdout
    flush()
    report = run_json("inspect-agent", "planner", "--server", server)
    assert report["open_count"] == 0 and report["runs"] == 1 and report["errors"] == 0
    assert [(s["session"], s["runs"]) for s in report["sessions"]] == [("s-9", 1)]
    other = run("inspect-agent", "planner", "--session", "s-10", "--server", server)
    assert other.exit_code == 1
    assert other.stderr == "swarmscope: no run of agent planner in session s-10 since 1h\n"


def test_a_handoff_whose_target_never_ran_is_a_problem_once_settled(server: str):
    with ss.orchestration("plan"), ss.agent_run("planner"):
        ss.handoff("planner", "coder", data={"task": "x" * 2000})
        lost_trace = ss.current_trace_id()
    with ss.orchestration("plan"):
        with ss.agent_run("planner"):
            ss.handoff("planner", "coder", data={"task": "y"})
        with ss.agent_run("coder"):
            pass
        kept_trace = ss.current_trace_id()
    flush()
    settled = run_json(
        "debug-handoff", "planner", "coder", "--settle", "0", "--max-bytes", "1000",
        "--server", server,
    )  # fmt: skip
    assert settled["handoffs"] == 2 and settled["failures"] == 0
    assert settled["latency"]["arrivals"] == 1
    never = settled["problems"]["target_never_ran"]
    assert never["count"] == 1 and never["examples"][0]["trace_id"] == lost_trace
    big = settled["problems"]["oversized"]
    assert big["count"] == 1 and big["examples"][0]["trace_id"] == lost_trace
    assert big["examples"][0]["bytes"] == len(json.dumps({"task": "x" * 2000}).replace(" ", ""))
    assert sorted(p["count"] for p in settled["payloads"]) == [2]
    young = run_json("debug-handoff", "planner", "coder", "--settle", "3600", "--server", server)
    assert young["problems"]["target_never_ran"]["count"] == 0, "too young to say"
    one = run_json(
        "debug-handoff", "planner", "coder", "--trace-id", kept_trace, "--server", server
    )
    assert one["handoffs"] == 1 and one["latency"]["arrivals"] == 1
    human = run("debug-handoff", "planner", "coder", "--settle", "0", "--server", server)
    assert human.exit_code == 0 and "1 target never ran" in human.stdout
    none = run("debug-handoff", "coder", "planner", "--server", server)
    assert none.exit_code == 1 and "no handoff from coder to planner" in none.stderr


@pytest.fixture
def app_url(server: str) -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """An instrumented app with a replayable route; it keeps what it received."""
    received: list[dict[str, Any]] = []
    web = FastAPI()

    @web.post("/tickets/{ticket}/triage")
    @replayable
    async def triage(ticket: str, request: Request) -> dict[str, Any]:
        body = await request.body()
        received.append(
            {
                "ticket": ticket,
                "body": body,
                "content_type": request.headers.get("content-type"),
                "replay_of": request.headers.get("x-replay-of"),
            }
        )
        return {"ticket": ticket, "size": len(body)}

    with serve(instrument_app(web)) as url:
        yield url, received


def test_replay_sends_the_recorded_request_to_the_app_that_took_it(server: str, app_url):
    url, received = app_url
    answer = httpx.post(f"{url}/tickets/T-7/triage?depth=2", json={"priority": "high"})
    assert answer.status_code == 200
    original = answer.headers["x-trace-id"]
    flush()
    shown = run_json("replay", original, "--server", server)
    assert (shown["method"], shown["target"]) == ("POST", "/tickets/T-7/triage?depth=2")
    assert json.loads(shown["body"]) == {"priority": "high"} and shown["origin"] == url

    replayed = run_json("replay", original, "--execute", "--wait", "15", "--server", server)
    assert replayed["complete"] and replayed["fixed"] and replayed["status_code"] == 200
    assert replayed["url"] == f"{url}/tickets/T-7/triage?depth=2"
    first, second = received
    # The SDK keeps a JSON body parsed and scrubbed, so it comes back re-serialized.
    assert json.loads(second["body"]) == json.loads(first["body"]) == {"priority": "high"}
    assert second["content_type"] == "application/json"
    assert second["replay_of"] == f"{original}-{shown['span_id']}"
    new = httpx.get(f"{server}/api/traces/{replayed['replay_trace_id']}").json()
    [root] = new["tree"]
    [link] = root["links"]
    assert (link["trace_id"], link["span_id"]) == (original, shown["span_id"])
    assert link.get("attributes", {}).get("swarmscope.link", "replay_of") == "replay_of"
    assert root["attributes"]["swarmscope.replay.of"] == original
    again = run_json("replay", original, "--server", server)
    assert again["replays"] == [replayed["replay_trace_id"]]


def test_a_request_whose_body_was_too_large_cannot_be_replayed(server: str, app_url):
    url, received = app_url
    answer = httpx.post(f"{url}/tickets/T-8/triage", content=b"x" * (MAX_BODY_BYTES + 1))
    trace_id = answer.headers["x-trace-id"]
    flush()
    shown = run("replay", trace_id, "--server", server)
    assert shown.exit_code == 0 and "not recorded: over 64 KiB" in shown.stdout
    refused = run("replay", trace_id, "--execute", "--server", server)
    assert refused.exit_code == 1 and len(received) == 1
    assert refused.stderr.strip() == (
        f"swarmscope: trace {trace_id} cannot be replayed: "
        "its body was over 64 KiB, so it was not recorded"
    )


def test_a_trace_without_a_recorded_request(server: str):
    with ss.agent_run("planner"):
        trace_id = ss.current_trace_id()
    flush()
    result = run("replay", trace_id, "--server", server)
    assert result.exit_code == 1
    assert "has no recorded request (its route is not @replayable)" in result.stderr


def test_the_api_key_is_sent_when_set(tmp_path: Path):
    store = Store(tmp_path / "keyed.duckdb")
    try:
        with serve(create_app(store, ServerSettings(api_key="s3cret"))) as url:
            denied = run("traces", "list", "--server", url, env={"SWARMSCOPE_API_KEY": ""})
            assert denied.exit_code == 1
            assert "wants an API key: set SWARMSCOPE_API_KEY" in denied.stderr
            allowed = run("traces", "list", "--server", url, env={"SWARMSCOPE_API_KEY": "s3cret"})
            assert allowed.exit_code == 1 and "no trace matches" in allowed.stderr
    finally:
        store.close()


def test_the_debugging_views_answer_bad_input_with_400_json(server: str):
    for path, reason in (
        ("/api/handoffs?to_agent=coder", "from_agent: Field required"),
        ("/api/handoffs?from_agent=a&to_agent=b&slow_ms=-1", "slow_ms"),
        ("/api/agents/planner?log_level=loud", "level must be one of"),
        ("/api/requests?start=last+tuesday", "start must be epoch seconds"),
    ):
        answer = httpx.get(f"{server}{path}")
        assert answer.status_code == 400, path
        body = answer.json()
        assert body["status"] == 400 and reason in body["error"], body
    missing = httpx.get(f"{server}/api/requests/{'a' * 32}")
    assert missing.status_code == 404
    assert missing.json() == {"error": f"unknown trace {'a' * 32}", "status": 404}


def test_usage_errors_exit_2_before_any_request():
    nowhere = "http://127.0.0.1:9"
    for args in (
        ("logs", "search", "--level", "loud"),
        ("traces", "list", "--since", "last tuesday"),
        ("inspect-agent", "planner", "--limit", "0"),
        ("replay", "--execute"),
    ):
        result = run(*args, "--server", nowhere)
        assert result.exit_code == 2, (args, result.output)
        assert "cannot reach" not in result.output


def test_the_debugging_views_are_in_the_openapi_document(server: str):
    paths = httpx.get(f"{server}/openapi.json").json()["paths"]
    documented = {
        path: {p["name"] for p in paths[path]["get"].get("parameters", [])}
        for path in ("/api/agents/{agent}", "/api/handoffs", "/api/requests")
    }
    assert {"agent", "start", "end", "session", "log_level", "limit"} <= documented[
        "/api/agents/{agent}"
    ]
    assert {"from_agent", "to_agent", "trace_id", "slow_ms", "max_bytes", "settle_s"} <= (
        documented["/api/handoffs"]
    )
    assert {"start", "end", "failed", "limit"} <= documented["/api/requests"]
    assert "/api/requests/{trace_id}" in paths and "/api/agents/graph" in paths


def test_open_runs_are_counted_past_the_limit_and_listed_newest_first(server: str):
    with ss.agent_run("planner"), ss.agent_run("planner"), ss.agent_run("planner"):
        newest = f"{trace.get_current_span().get_span_context().span_id:016x}"
        flush()
        report = run_json("inspect-agent", "planner", "--limit", "1", "--server", server)
        assert report["open_count"] == 3 and report["runs"] == 0
        [opened] = report["open_runs"]
        assert opened["span_id"] == newest and "open_count" not in opened
