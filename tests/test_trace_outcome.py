"""A trace says how its run ended: a run that had errors and got over them (a retried 429) is
``recovered``, not ``failed``; a run fails when its root, or the run at its top (an
orchestration, an agent run), ends in error, even under a request that answered 202. The API,
``swarmscope traces list`` and the console's list say the same. Traces that are one HTTP
request alone (an approver polling) stay out of the list unless asked for.

The SDK sends real runs, and an instrumented app serves real requests, to a server in this
process; the commands run through the real ``swarmscope`` Typer app and the console in
Debian's Chromium.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from playwright.sync_api import Browser, expect
from typer.testing import CliRunner

import swarmscope as ss
from loopback import serve
from otlp_fixtures import post
from swarmscope.cli import app
from swarmscope.server.app import create_app
from swarmscope.server.settings import ServerSettings
from swarmscope.server.store.database import Store
from swarmscope.web import instrument_app
from test_server_console import Watched, browser, watch

__all__ = ["browser"]  # the Chromium fixture, shared with the console's other tests
runner = CliRunner()


@dataclass(frozen=True)
class Runs:
    """The server, and the trace id of each kind of run sent to it."""

    server: str
    ok: str
    recovered: str  # a tool call failed (429) and its retry went through
    failed: str  # the agent run at the top raised
    failed_under_202: str  # the request answered 202; the run it started failed
    poll: str  # a GET that only read: one server span

    def outcomes(self) -> dict[str, str]:
        return {
            self.ok: "ok",
            self.recovered: "recovered",
            self.failed: "failed",
            self.failed_under_202: "failed",
        }


def service() -> FastAPI:
    web = FastAPI()

    @web.get("/approvals")
    async def approvals() -> dict[str, Any]:
        return {"approvals": []}

    @web.post("/analyze", status_code=202)
    async def analyze() -> dict[str, Any]:
        with contextlib.suppress(RuntimeError), ss.orchestration("analysis"):
            with ss.agent_run("scout"):
                raise RuntimeError("CRM unreachable")
        return {"accepted": True}

    return instrument_app(web)


def send_runs(app_url: str) -> dict[str, str]:
    with ss.orchestration("analysis"), ss.agent_run("scout"), ss.tool_call("lookup"):
        ok = ss.current_trace_id()
    with ss.orchestration("analysis"), ss.agent_run("scout"):
        recovered = ss.current_trace_id()
        with contextlib.suppress(RuntimeError), ss.tool_call("lookup"):
            raise RuntimeError("429 Too Many Requests")
        with ss.tool_call("lookup"):
            pass
    with contextlib.suppress(RuntimeError), ss.agent_run("scout"):
        failed = ss.current_trace_id()
        raise RuntimeError("budget exhausted")
    accepted = httpx.post(f"{app_url}/analyze", timeout=10)
    assert accepted.status_code == 202
    poll = httpx.get(f"{app_url}/approvals", timeout=10)
    assert poll.status_code == 200
    return {
        "ok": ok,
        "recovered": recovered,
        "failed": failed,
        "failed_under_202": accepted.headers["x-trace-id"],
        "poll": poll.headers["x-trace-id"],
    }


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runs]:
    store = Store(tmp_path_factory.mktemp("outcome") / "store.duckdb")
    try:
        with serve(create_app(store, ServerSettings(api_key=None))) as server:
            ss.shutdown()
            ss.init(service_name="outcome", otlp_endpoint=server, log_stream="none")
            try:
                with serve(service()) as app_url:
                    sent = send_runs(app_url)
                assert ss.current().flush(timeout=10), "telemetry did not flush"
                yield Runs(server, **sent)
            finally:
                ss.shutdown()
    finally:
        store.close()


def listed(server: str, **params: str) -> dict[str, str]:
    """Trace id to outcome, for the traces the list shows under ``params``."""
    answer = httpx.get(f"{server}/api/traces", params={"limit": "1000", **params}, timeout=30)
    assert answer.status_code == 200, answer.text
    return {trace["trace_id"]: trace["outcome"] for trace in answer.json()["traces"]}


def cli(*args: str) -> Any:
    return runner.invoke(app, ["traces", "list", *args])


def cli_ids(*args: str) -> set[str]:
    result = cli(*args, "--json")
    assert result.exit_code == 0, result.output
    return {trace["trace_id"] for trace in json.loads(result.stdout)["traces"]}


def test_a_recovered_run_is_not_a_failed_one_in_the_api(runs: Runs):
    assert listed(runs.server) == runs.outcomes()
    for trace_id, outcome in runs.outcomes().items():
        trace = httpx.get(f"{runs.server}/api/traces/{trace_id}", timeout=30).json()
        assert trace["outcome"] == outcome
    assert listed(runs.server, outcome="failed") == {
        runs.failed: "failed",
        runs.failed_under_202: "failed",
    }
    assert listed(runs.server, outcome="recovered") == {runs.recovered: "recovered"}
    assert listed(runs.server, outcome="ok") == {runs.ok: "ok"}
    # status=error still means what it says: some span ended in error, recovered runs too.
    assert set(listed(runs.server, status="error")) == {
        runs.recovered,
        runs.failed,
        runs.failed_under_202,
    }
    bad = httpx.get(f"{runs.server}/api/traces", params={"outcome": "broken"}, timeout=30)
    assert bad.status_code == 400 and "recovered" in bad.text, bad.text


def test_a_poll_is_listed_only_when_plain_requests_are_asked_for(runs: Runs):
    assert runs.poll not in listed(runs.server)
    everything = listed(runs.server, plain_requests="true")
    assert everything == {**runs.outcomes(), runs.poll: "ok"}
    assert cli_ids("--server", runs.server) == set(runs.outcomes())
    assert runs.poll in cli_ids("--plain-requests", "--server", runs.server)


def test_traces_list_failed_and_recovered_in_the_cli(runs: Runs):
    assert cli_ids("--failed", "--server", runs.server) == {runs.failed, runs.failed_under_202}
    assert cli_ids("--recovered", "--server", runs.server) == {runs.recovered}
    table = cli("--server", runs.server)
    assert table.exit_code == 0, table.output
    lines = table.stdout.splitlines()
    for trace_id, outcome in runs.outcomes().items():
        [line] = [line for line in lines if trace_id in line]
        assert outcome in line.split()
    shown = runner.invoke(app, ["trace", "show", runs.recovered, "--server", runs.server])
    assert shown.exit_code == 0, shown.output
    title = shown.stdout.splitlines()[0].split(" · ")
    assert title[1:3] == ["recovered", "4 spans"] and "1 errors" in title
    both = cli("--failed", "--recovered", "--server", runs.server)
    assert both.exit_code == 2 and "exclude each other" in both.stderr


def test_a_run_that_stopped_for_a_person_is_interrupted(server: str):
    # LangGraph's OpenInference spans: a thread that stopped at an interrupt, then resumed.
    post(server, "openinference_langgraph")
    traces = httpx.get(f"{server}/api/traces", timeout=30).json()["traces"]
    assert sorted((t["waits"], t["outcome"]) for t in traces) == [(0, "ok"), (1, "interrupted")]


@pytest.fixture
def console(browser: Browser, runs: Runs) -> Iterator[Watched]:
    watched = watch(browser, base_url=runs.server)
    yield watched
    watched.page.context.close()


def test_the_console_list_shows_recovered_apart_from_failed(console: Watched, runs: Runs):
    page = console.page
    page.goto("/#/traces")
    rows = page.locator("table.grid tbody tr")
    expect(rows).to_have_count(len(runs.outcomes()))
    for trace_id, outcome in runs.outcomes().items():
        row = rows.filter(has=page.locator(f'a[href="#/traces/{trace_id}"]').first)
        badge = row.locator("td.outcome .badge")
        expect(badge).to_have_text(outcome)
        expect(badge).to_have_class(f"badge {outcome}")
    console.shot("traces-outcome")

    page.select_option("select[name=outcome]", "failed")
    page.click("form.filters button[type=submit]")
    expect(page).to_have_url(f"{runs.server}/#/traces?outcome=failed")
    expect(rows).to_have_count(2)
    expect(rows.locator("td.outcome .badge")).to_have_text(["failed", "failed"])

    page.goto("/#/traces?plain_requests=true")
    expect(page.locator("input[name=plain_requests]")).to_be_checked()
    expect(rows).to_have_count(len(runs.outcomes()) + 1)

    page.goto(f"/#/traces/{runs.recovered}")
    fact = page.locator("dl.facts dt", has_text="Outcome").locator("xpath=following-sibling::dd[1]")
    expect(fact).to_have_text("recovered")
    console.assert_clean()
