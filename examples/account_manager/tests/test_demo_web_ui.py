"""The demo's web UI end to end, in Debian's Chromium through Playwright.

``swarmscope demo`` runs as a user runs it (a subprocess, its embedded server on a free
port, no simulated approvers); the page it serves at ``/ui/`` is opened in Chromium, a click
on "Analyze" starts an analysis and a click on "Approve" answers each approval it asks for.
What the embedded server stored is then read through its HTTP API: the click's trace holds
the whole analysis and the decisions, the page's events and metric families arrived, an
error thrown in the page arrived with its stack, and the page asked nothing of any host but
loopback.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from subprocess import DEVNULL
from typing import Any, TypeVar
from urllib.parse import urlsplit

import httpx
import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, Page

from account_manager.agents import ANALYST, AUTHOR, SCOUT
from account_manager.api import build_services, create_app
from account_manager.webui import SERVICE, WebUi
from account_manager.world import DemoConfig
from test_server_console import browser

__all__ = ["browser"]  # the suite's one Chromium fixture

NAMESPACE = "webui"
STARTUP_SECONDS = 60.0
ARRIVAL_SECONDS = 60.0
# Each step of the page (an approval shown, the run finished) on a loaded machine.
PAGE_STEP_MS = 60_000
# The accounts the test analyses, from the end of the page's list: the simulated users
# favour the first accounts. An analysis asks a person for one approval at least nine times
# in ten, and completes most of the time (the simulated CRM and models fail now and then),
# so one of a few does both.
ACCOUNTS = ("ACC-00100", "ACC-00097", "ACC-00093", "ACC-00089", "ACC-00083")
# The frontend families of the monitoring plan, as the page sends them.
FRONTEND_FAMILIES = (
    "ag_ui_events_received_total",
    "copilotkit_actions_total",
    "copilotkit_action_duration_seconds",
    "sse_connections_active",
    "sse_connection_duration_seconds",
    "frontend_backend_latency_seconds",
    "frontend_errors_total",
)
SHOTS = Path(__file__).resolve().parents[3] / "test-artifacts" / "demo-web-ui"
T = TypeVar("T")


@dataclass
class Demo:
    """The running demo: its web UI and its embedded server, and what it printed."""

    process: subprocess.Popen[str]
    lines: list[str] = field(default_factory=list)
    addresses: threading.Event = field(default_factory=threading.Event)

    def read(self) -> None:
        """Keep reading its output (a full pipe would stop it); note when the URLs are out."""
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line.rstrip("\n"))
            if line.startswith("logs"):
                self.addresses.set()

    def url(self, name: str) -> str:
        found = [line.split()[-1] for line in self.lines if line.startswith(name)]
        assert found, f"the demo printed no {name} URL:\n" + "\n".join(self.lines)
        return found[0].rstrip("/")

    def stop(self) -> None:
        """Ctrl-C, then a second one if draining takes long (it stops its children either way)."""
        for wait in (20, 40):
            if self.process.poll() is not None:
                return
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=wait)
            except subprocess.TimeoutExpired:
                continue
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    where = tmp_path_factory.mktemp("web-ui")
    env = {key: value for key, value in os.environ.items() if not key.startswith("OTEL_")}
    env.pop("SWARMSCOPE_API_KEY", None)
    command = [sys.executable, "-m", "swarmscope", "demo", "--port", "0", "--server-port", "0"]
    command += ["--rate", "0.2", "--no-approvers", "--approval-timeout", "90"]
    command += ["--namespace", NAMESPACE, "--log-dir", str(where / "logs")]
    command += ["--data", str(where / "data")]
    # Its errors go to a file: a pipe nobody reads could fill and stop it.
    with (where / "stderr.txt").open("w") as errors:
        process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=errors, text=True, env=env, stdin=DEVNULL
        )
    running = Demo(process)
    reader = threading.Thread(target=running.read, daemon=True)
    reader.start()
    try:
        assert running.addresses.wait(STARTUP_SECONDS), "the demo did not print its URLs"
        yield running
    finally:
        running.stop()
        reader.join(timeout=10)


@dataclass
class Visit:
    page: Page
    requested: list[str]
    trace_id: str
    approved: int


@pytest.fixture(scope="module")
def visit(browser: Browser, demo: Demo) -> Iterator[Visit]:
    """The page opened, analyses started until one asked for approvals, each approved."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    page.goto(f"{demo.url('web UI')}/")
    page.wait_for_function("() => document.body.dataset.ready === 'true'", timeout=PAGE_STEP_MS)
    SHOTS.mkdir(parents=True, exist_ok=True)
    approved = 0
    for account in ACCOUNTS:
        approved = analyse_approving(page, account)
        if approved and "complete" in page.inner_text("#status"):
            break
    assert approved, "no analysis asked for an approval"
    assert "complete" in page.inner_text("#status")
    trace_id = page.inner_text("#trace").split("trace ")[1].split()[0]
    page.screenshot(path=str(SHOTS / "analysed.png"), full_page=True)
    try:
        yield Visit(page, requested, trace_id, approved)
    finally:
        context.close()


def analyse_approving(page: Page, account: str) -> int:
    """Analyse ``account`` on the page, approving each approval it shows; how many there were."""
    page.select_option("#account", account)
    page.click("#analyze")
    pending = "#approvals button.approve:not([disabled])"
    approved = 0
    while True:
        page.wait_for_function(
            f"() => document.querySelector('{pending}') || !document.querySelector('#analyze')"
            ".disabled",
            timeout=PAGE_STEP_MS,
        )
        if page.query_selector(pending) is None:
            return approved
        if approved == 0:
            page.screenshot(path=str(SHOTS / "approval.png"), full_page=True)
        page.click(pending)
        approved += 1


def arrived(read: Callable[[], T], ready: Callable[[T], bool]) -> T:
    """What ``read`` answers once ``ready`` holds for it, or its last answer (bounded wait)."""
    deadline = time.monotonic() + ARRIVAL_SECONDS
    while True:
        answer = read()
        if ready(answer) or time.monotonic() > deadline:
            return answer
        time.sleep(0.5)


def spans_of(tree: list[dict[str, Any]]) -> list[dict[str, Any]]:
    found = []
    stack = list(tree)
    while stack:
        span = stack.pop()
        found.append(span)
        stack.extend(span["children"])
    return found


def get(demo: Demo, path: str, **params: str) -> Any:
    response = httpx.get(f"{demo.url('console')}{path}", params=params, timeout=10)
    return response.json() if response.status_code == 200 else {}


def test_one_click_is_one_trace_holding_the_analysis_and_the_persons_decisions(
    demo: Demo, visit: Visit
):
    def complete(answer: dict[str, Any]) -> bool:
        names = [span["name"] for span in spans_of(answer.get("tree", []))]
        decided = [n for n in names if n.startswith("hitl_")]
        return len(decided) == 2 * visit.approved and "POST /a2a/tasks" in names

    trace = arrived(lambda: get(demo, f"/api/traces/{visit.trace_id}"), complete)
    [root] = trace["tree"]
    assert (root["name"], root["service"]) == ("user_action analyze_account", SERVICE)
    spans = spans_of(trace["tree"])
    names = {span["name"] for span in spans}
    assert "orchestrate account_analysis" in names
    assert {f"invoke_agent {agent}" for agent in (SCOUT, ANALYST, AUTHOR)} <= names
    # The A2A check: the author's delegation, continued by the compliance service.
    [delegation] = [
        s for s in spans if s["name"] == "invoke_agent compliance_checker" and s["kind"] == "client"
    ]
    [served] = [s for s in spans if s["parent_span_id"] == delegation["span_id"]]
    assert (served["name"], served["service"]) == ("POST /a2a/tasks", "swarmscope-compliance")
    # Each approval from both sides: the backend's wait for the person, the page's prompt.
    waits = [s for s in spans if s["name"] == "hitl_approval recommendation"]
    prompts = [s for s in spans if s["name"] == "hitl_prompt recommendation"]
    assert len(waits) == len(prompts) == visit.approved
    for span in waits:
        assert span["attributes"]["swarmscope.approval.decision"] == "approved"
        assert span["wait"] == "approval" and span["duration_ms"] > 0
    for span in prompts:
        assert span["service"] == SERVICE and span["parent_span_id"] == root["span_id"]
        assert span["attributes"]["swarmscope.approval.decision"] == "approved"
        assert span["attributes"]["swarmscope.approval.wait_ms"] > 0
    # The decisions were sent in the analysis's trace, so the backend's answers are in it.
    decided = [s for s in spans if s["name"] == "POST /api/approvals/{approval_id}"]
    assert len(decided) == visit.approved


def test_the_pages_events_are_in_the_servers_logs_with_the_trace_id(demo: Demo, visit: Visit):
    wanted = {
        "user_action_triggered",
        "copilot_action_completed",
        "sse_connection_opened",
        "sse_connection_closed",
        "hitl_approval_requested",
        "hitl_approval_submitted",
    }

    def events(answer: dict[str, Any]) -> set[str]:
        return {record["event"] for record in answer.get("logs", [])}

    logs = arrived(
        lambda: get(demo, "/api/logs", trace_id=visit.trace_id, service=SERVICE),
        lambda answer: wanted <= events(answer),
    )
    assert wanted <= events(logs)
    submitted = [r for r in logs["logs"] if r["event"] == "hitl_approval_submitted"]
    assert len(submitted) == visit.approved
    assert all(r["attributes"]["decision"] == "approved" for r in submitted)
    closed = next(r for r in logs["logs"] if r["event"] == "sse_connection_closed")
    assert closed["attributes"]["messages_received"] > 0


def test_an_error_thrown_in_the_page_arrives_with_its_stack(demo: Demo, visit: Visit):
    visit.page.evaluate(
        "() => setTimeout(function renderForecast() { throw new RangeError('no forecast') })"
    )
    logs = arrived(
        lambda: get(demo, "/api/logs", service=SERVICE, text="renderForecast"),
        lambda answer: bool(answer.get("logs")),
    )
    [error] = logs["logs"]
    assert (error["event"], error["severity"]) == ("frontend_error", "error")
    assert error["attributes"]["exception.type"] == "RangeError"
    assert "renderForecast" in error["attributes"]["exception.stacktrace"]


def test_the_frontend_metric_families_have_data(demo: Demo, visit: Visit):
    # An error of its own, so frontend_errors_total has a point whichever test ran first.
    visit.page.evaluate("() => setTimeout(function chartFailed() { throw new Error('x') })")
    wanted = {f"{NAMESPACE}_{family}" for family in FRONTEND_FAMILIES}

    def sent(answer: dict[str, Any]) -> set[str]:
        return {m["name"] for m in answer.get("metrics", []) if SERVICE in m["services"]}

    metrics = arrived(lambda: get(demo, "/api/metrics"), lambda answer: wanted <= sent(answer))
    assert sorted(wanted - sent(metrics)) == []


def test_the_page_asked_nothing_of_any_host_but_loopback(visit: Visit):
    assert visit.requested, "the page made no request"
    strangers = [
        url
        for url in visit.requested
        if urlsplit(url).scheme != "data"
        and urlsplit(url).hostname not in ("127.0.0.1", "localhost")
    ]
    assert strangers == []


def test_the_page_is_served_with_its_settings_and_without_a_telemetry_server(telemetry: object):
    services = build_services(DemoConfig())
    try:
        # A namespace can't end the page's <script> early, whatever it holds.
        ui = WebUi(telemetry=None, namespace="</script><b>")
        with TestClient(create_app(services, ui)) as client:
            home = client.get("/", follow_redirects=False)
            assert home.status_code == 307 and home.headers["location"] == "/ui/"
            page = client.get("/ui/")
            assert page.status_code == 200 and 'src="app.js"' in page.text
            settings = client.get("/ui/config.js")
            assert settings.headers["content-type"].startswith("text/javascript")
            assert "</script>" not in settings.text
            assert '"telemetry": null' in settings.text
            accounts = client.get("/api/accounts", params={"limit": 3}).json()
            assert [a["account_id"] for a in accounts["accounts"]] == [
                "ACC-00001",
                "ACC-00002",
                "ACC-00003",
            ]
        with TestClient(create_app(services)) as client:
            assert client.get("/ui/").status_code == 404
    finally:
        services.memory.close()
