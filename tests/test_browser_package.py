"""The browser package (``js/browser``) in Debian's Chromium against a real server.

A shop page is served by a small Starlette backend instrumented with the SDK's middleware,
on another loopback origin than the swarmscope server; the page loads the bundle from the
server's ``/sdk/swarmscope-browser.js`` with a plain ``<script>`` tag and sends its telemetry
there across CORS. Each test reads what the server stored (spans, logs, metric points) and,
for the backend's side, what the SDK's in-memory exporter holds.

The package's own files are checked here too: the committed catalog copy and bundle are what
the current sources make, and the bundle holds its size budget.
"""

from __future__ import annotations

import asyncio
import gzip
import json
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.sync_api import Browser, Page
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from loopback import serve
from swarmscope.conventions import typescript
from swarmscope.server.app import create_app
from swarmscope.server.console import SDK_URL, STATIC
from swarmscope.server.settings import ServerSettings
from swarmscope.server.store.database import Store
from swarmscope.telemetry.secrets import scrub
from swarmscope.web.middleware import SwarmscopeMiddleware
from test_server_console import browser

__all__ = ["browser"]  # the suite's one Chromium fixture

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "js" / "browser"
SERVICE = "shop-web"
NAMESPACE = "shop"
# The size budget of the <script> bundle, gzipped: the OpenTelemetry web SDK (traces, logs,
# metrics, OTLP/HTTP exporters) is most of it.
BUDGET_GZIP_BYTES = 60 * 1024
ARRIVAL_SECONDS = 30.0
AG_UI_EVENTS = ("RUN_STARTED", "TEXT_MESSAGE_START", "TEXT_MESSAGE_CONTENT")
AG_UI_EVENTS += ("TEXT_MESSAGE_CONTENT", "TEXT_MESSAGE_END", "RUN_FINISHED")

APP_JS = """
swarmscope.init(window.SWARMSCOPE_OPTIONS);
document.getElementById("checkout").addEventListener("click", () => {
  window.checkout = fetch("/api/checkout", {method: "POST"}).then((answer) => answer.json());
});
// An AG-UI agent as @ag-ui/client's HttpAgent drives its subscribers: one run, read as SSE
// over fetch, each event handed to onEvent.
window.runAgent = async () => {
  const subscribers = [];
  const agent = {agentId: "shop-agent", subscribe(s) { subscribers.push(s); return {unsubscribe() {}}; }};
  swarmscope.trackAgUiAgent(agent);
  subscribers.forEach((s) => s.onRunInitialized());
  const text = await (await fetch("/agui", {method: "POST"})).text();
  for (const line of text.split("\\n")) {
    if (line.startsWith("data: ")) {
      const event = JSON.parse(line.slice(6));
      subscribers.forEach((s) => s.onEvent({event}));
    }
  }
  subscribers.forEach((s) => s.onRunFinalized());
};
"""

if TYPE_CHECKING:  # the suite's conftest; the examples' has the same module name
    from conftest import Captured


# -- the servers ------------------------------------------------------------------------------


class Backend:
    """The shop's backend: the page, its script, and two traced endpoints."""

    def __init__(self) -> None:
        self.telemetry_url = ""

    def app(self) -> Starlette:
        async def page(request: Request) -> HTMLResponse:
            options = json.loads(request.query_params.get("options", "{}"))
            options |= {"endpoint": self.telemetry_url, "serviceName": SERVICE}
            options["namespace"] = NAMESPACE
            return HTMLResponse(
                "<!doctype html><title>shop</title>"
                f'<script src="{self.telemetry_url}{SDK_URL}"></script>'
                f"<script>window.SWARMSCOPE_OPTIONS = {json.dumps(options)};</script>"
                '<button id="checkout" data-ss-action="checkout">Checkout</button>'
                '<script src="/app.js"></script>'
            )

        async def script(request: Request) -> Response:
            return Response(APP_JS, media_type="text/javascript")

        async def checkout(request: Request) -> JSONResponse:
            return JSONResponse({"order": 7})

        async def agui(request: Request) -> StreamingResponse:
            async def events() -> Any:
                for kind in AG_UI_EVENTS:
                    yield f"data: {json.dumps({'type': kind})}\n\n"
                    await asyncio.sleep(0)

            return StreamingResponse(events(), media_type="text/event-stream")

        async def orders(request: Request) -> StreamingResponse:
            async def events() -> Any:
                # Two messages, then the stream ends: the browser reconnects after 50 ms.
                yield "retry: 50\n\n"
                for number in (1, 2):
                    yield f"event: order_update\ndata: {number}\n\n"

            return StreamingResponse(events(), media_type="text/event-stream")

        routes = [
            Route("/", page),
            Route("/orders", orders),
            Route("/app.js", script),
            Route("/api/checkout", checkout, methods=["POST"]),
            Route("/agui", agui, methods=["POST"]),
        ]
        return Starlette(routes=routes, middleware=[Middleware(SwarmscopeMiddleware)])


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str, Store]]:
    """(page origin, telemetry server URL, the server's store), on two loopback origins."""
    backend = Backend()
    store = Store(tmp_path_factory.mktemp("browser") / "store.duckdb")
    try:
        with serve(backend.app()) as page_url:
            settings = ServerSettings(api_key=None, cors_origins=(page_url,))
            with serve(create_app(store, settings)) as telemetry_url:
                backend.telemetry_url = telemetry_url
                yield page_url, telemetry_url, store
    finally:
        store.close()


@pytest.fixture
def shop(
    browser: Browser, stack: tuple[str, str, Store], telemetry: Captured
) -> Iterator[Callable[..., Page]]:
    """Open the shop page with ``init`` options; every request it makes must stay on loopback."""
    page_url = stack[0]
    requested: list[str] = []
    contexts = []

    def open_page(**options: Any) -> Page:
        context = browser.new_context()
        contexts.append(context)
        page = context.new_page()
        page.on("request", lambda request: requested.append(request.url))
        page.goto(f"{page_url}/?options={json.dumps(options)}")
        page.wait_for_function("() => window.swarmscope !== undefined")
        return page

    yield open_page
    for context in contexts:
        context.close()
    strangers = [url for url in requested if urlsplit(url).hostname != "127.0.0.1"]
    assert strangers == [], "the page made requests off loopback"


FAST = {"batchDelayMs": 100, "metricIntervalMs": 300}


def arrived(
    store: Store, query: str, params: tuple[Any, ...] = (), at_least: int = 1
) -> list[dict[str, Any]]:
    """The rows ``query`` finds once the server has ``at_least`` of them (bounded wait)."""
    deadline = time.monotonic() + ARRIVAL_SECONDS
    while True:
        rows = store.rows(query, params)
        if len(rows) >= at_least or time.monotonic() > deadline:
            return rows
        time.sleep(0.1)


def log_of(store: Store, event: str, needle: str = "") -> dict[str, Any]:
    rows = arrived(
        store,
        "SELECT * FROM logs WHERE event = ? AND service = ? AND attributes::VARCHAR LIKE ?",
        (event, SERVICE, f"%{needle}%"),
    )
    assert rows, f"no {event} log from the page"
    return {**rows[0], "attributes": json.loads(rows[0]["attributes"])}


# -- the page's telemetry ---------------------------------------------------------------------


def test_a_click_is_a_span_and_its_fetch_makes_the_backend_span_its_descendant(
    shop: Callable[..., Page], stack: tuple[str, str, Store], telemetry: Captured
):
    store = stack[2]
    page = shop(**FAST)
    page.click("#checkout")
    assert page.evaluate("window.checkout") == {"order": 7}
    [click] = arrived(
        store, "SELECT * FROM spans WHERE name = 'user_action checkout' AND service = ?", (SERVICE,)
    )
    [request] = arrived(
        store,
        "SELECT * FROM spans WHERE name = 'fetch POST /api/checkout' AND trace_id = ?",
        (click["trace_id"],),
    )
    assert request["parent_span_id"] == click["span_id"] and request["kind"] == "client"
    backend = telemetry.span("POST /api/checkout")
    assert backend.context is not None and backend.parent is not None
    assert f"{backend.context.trace_id:032x}" == click["trace_id"]
    assert f"{backend.parent.span_id:016x}" == request["span_id"]
    triggered = log_of(store, "user_action_triggered", "checkout")
    assert triggered["trace_id"] == click["trace_id"]
    assert triggered["attributes"]["action"] == "checkout"
    latency = arrived(
        store,
        "SELECT * FROM metric_points WHERE name = ? AND service = ?",
        (f"{NAMESPACE}_frontend_backend_latency_seconds", SERVICE),
    )
    assert latency and latency[0]["count"] >= 1


def test_ag_ui_events_received_are_counted_by_type_and_the_run_is_a_stream(
    shop: Callable[..., Page], stack: tuple[str, str, Store]
):
    store = stack[2]
    page = shop(**FAST)
    page.evaluate("window.runAgent()")
    expected = {kind: float(AG_UI_EVENTS.count(kind)) for kind in AG_UI_EVENTS}
    name = f"{NAMESPACE}_ag_ui_events_received_total"
    deadline = time.monotonic() + ARRIVAL_SECONDS
    counted: dict[str, float] = {}
    while counted != expected and time.monotonic() < deadline:
        rows = store.rows(
            "SELECT labels['event_type'] AS kind, max(value) AS n FROM metric_points"
            " WHERE name = ? AND service = ? GROUP BY 1",
            (name, SERVICE),
        )
        counted = {row["kind"]: row["n"] for row in rows}
        time.sleep(0.1)
    assert counted == expected
    [stream] = arrived(
        store, "SELECT * FROM spans WHERE name = 'sse shop-agent' AND service = ?", (SERVICE,)
    )
    assert json.loads(stream["attributes"])["swarmscope.sse.messages"] == len(AG_UI_EVENTS)
    closed = log_of(store, "sse_connection_closed", "shop-agent")
    assert closed["attributes"]["messages_received"] == len(AG_UI_EVENTS)
    assert closed["span_id"] == stream["span_id"]


def test_an_event_source_is_followed_through_its_reconnects_until_closed(
    shop: Callable[..., Page], stack: tuple[str, str, Store]
):
    store = stack[2]
    page = shop(**FAST)
    page.evaluate(
        """() => {
          window.orders = new EventSource("/orders");
          window.read = 0;
          window.orders.addEventListener("order_update", () => { window.read += 1; });
          swarmscope.trackEventSource(window.orders, "orders", ["order_update"]);
        }"""
    )
    # Each connection sends two messages: four read means it reconnected at least once.
    page.wait_for_function("() => window.read >= 4", timeout=ARRIVAL_SECONDS * 1000)
    page.evaluate("window.orders.close()")
    opened = log_of(store, "sse_connection_opened", "orders")
    reconnecting = log_of(store, "sse_connection_error", "orders")
    closed = log_of(store, "sse_connection_closed", "orders")
    assert reconnecting["attributes"]["reconnecting"] is True
    assert closed["attributes"]["reconnects"] >= 1
    assert closed["attributes"]["messages_received"] >= 4
    assert closed["attributes"]["status"] == "success"
    [span] = arrived(
        store, "SELECT * FROM spans WHERE name = 'sse orders' AND service = ?", (SERVICE,)
    )
    assert opened["span_id"] == closed["span_id"] == span["span_id"]


def test_copilotkit_actions_are_spans_logs_and_counts_by_status(
    shop: Callable[..., Page], stack: tuple[str, str, Store]
):
    store = stack[2]
    page = shop(**FAST)
    outcome = page.evaluate(
        """async () => {
          const refund = swarmscope.trackCopilotAction({
            name: "refund", handler: async ({ok}) => { if (!ok) throw new RangeError("no"); return "done"; },
          });
          const done = await refund.handler({ok: true});
          const failed = await refund.handler({ok: false}).catch((error) => error.name);
          return [done, failed];
        }"""
    )
    assert outcome == ["done", "RangeError"]
    completed = log_of(store, "copilot_action_completed", "refund")
    failed = log_of(store, "copilot_action_failed", "refund")
    assert failed["attributes"]["error_type"] == "RangeError"
    query = "SELECT * FROM spans WHERE name = 'copilotkit_action refund' ORDER BY start_ns"
    spans = arrived(store, query, at_least=2)
    assert [span["status"] for span in spans] == ["unset", "error"]
    assert completed["span_id"] == spans[0]["span_id"]
    name = f"{NAMESPACE}_copilotkit_actions_total"
    deadline = time.monotonic() + ARRIVAL_SECONDS
    counted: dict[str, float] = {}
    while counted != {"success": 1.0, "failure": 1.0} and time.monotonic() < deadline:
        rows = store.rows(
            "SELECT labels['status'] AS status, max(value) AS n FROM metric_points"
            " WHERE name = ? AND service = ? GROUP BY 1",
            (name, SERVICE),
        )
        counted = {row["status"]: row["n"] for row in rows}
        time.sleep(0.1)
    assert counted == {"success": 1.0, "failure": 1.0}


def test_an_uncaught_error_arrives_with_its_stack_and_without_its_secrets(
    shop: Callable[..., Page], stack: tuple[str, str, Store]
):
    store = stack[2]
    page = shop(**FAST)
    page.evaluate(
        """() => setTimeout(function chargeCard() {
             throw new TypeError("charge failed for ann@example.com password=hunter2");
           })"""
    )
    error = log_of(store, "frontend_error", "chargeCard")
    fields = error["attributes"]
    assert error["severity"] == "error"
    assert fields["exception.type"] == "TypeError" and fields["source"] == "window"
    assert "chargeCard" in fields["exception.stacktrace"]
    assert "ann@example.com" not in json.dumps(fields) and "hunter2" not in json.dumps(fields)
    assert "[REDACTED]" in fields["exception.message"]


def test_an_approval_answered_on_the_page_carries_the_persons_wait(
    shop: Callable[..., Page], stack: tuple[str, str, Store]
):
    store = stack[2]
    page = shop(**FAST)
    page.evaluate("window.prompt = swarmscope.approvalShown('refund', {approval_id: 'r-1'})")
    page.wait_for_timeout(300)
    waited = page.evaluate("window.prompt.answered('approved')")
    requested = log_of(store, "hitl_approval_requested", "r-1")
    submitted = log_of(store, "hitl_approval_submitted", "r-1")
    assert requested["attributes"]["approval_type"] == "refund"
    assert submitted["attributes"]["decision"] == "approved"
    assert submitted["attributes"]["wait_ms"] == pytest.approx(waited)
    assert waited >= 300
    [span] = arrived(store, "SELECT * FROM spans WHERE name = 'hitl_prompt refund'")
    assert span["span_id"] == submitted["span_id"]


def test_a_copilotkit_prompt_answered_carries_the_decision_and_the_wait(
    shop: Callable[..., Page], stack: tuple[str, str, Store]
):
    store = stack[2]
    page = shop(**FAST)
    page.evaluate(
        """() => {
          const action = swarmscope.trackCopilotAction({
            name: "confirm_refund", renderAndWaitForResponse: (props) => props.respond,
          });
          window.respond = action.renderAndWaitForResponse({status: "executing", respond() {}});
        }"""
    )
    page.wait_for_timeout(200)
    page.evaluate("window.respond({approved: false})")
    submitted = log_of(store, "hitl_approval_submitted", "confirm_refund")
    assert submitted["attributes"]["decision"] == "rejected"
    assert submitted["attributes"]["wait_ms"] >= 200
    assert log_of(store, "hitl_approval_requested", "confirm_refund")


def test_what_is_buffered_is_sent_when_the_page_goes_away(
    shop: Callable[..., Page], stack: tuple[str, str, Store]
):
    """Batches wait a minute here: only the flush on ``pagehide`` can send them in time."""
    store = stack[2]
    page = shop(batchDelayMs=60_000, metricIntervalMs=60_000)
    page.evaluate("swarmscope.action('leave', () => 1)")
    assert store.rows("SELECT * FROM spans WHERE name = 'user_action leave'") == []
    page.goto("about:blank")
    assert arrived(store, "SELECT * FROM spans WHERE name = 'user_action leave'")


def test_secrets_in_attributes_are_scrubbed_as_the_python_sdk_scrubs_them(
    shop: Callable[..., Page], stack: tuple[str, str, Store]
):
    store = stack[2]
    page = shop(**FAST)
    page.evaluate(
        "swarmscope.action('pay', () => 1, {api_key: 'k-1', note: 'Bearer abc.def', card: 4111111111111111})"
    )
    fields = log_of(store, "user_action_triggered", "pay")["attributes"]
    assert fields["api_key"] == "[REDACTED]" and fields["card"] == "[REDACTED]"
    assert fields["note"] == "[REDACTED]"
    samples = [
        "Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig-nature",
        "db postgres://app:hunter2@db:5432/shop and mail ops@example.com",
        '{"password": "x1", "user": "ann", "api_key": "abc"}',
        "key sk-ant-abcdefghijklmnopqrstuv ghp_abcdefghijklmnopqrstuvwxyz0123456789",
        "cards 4111 1111 1111 1111 and 1234 5678 9012 3456",
        "aws AKIAABCDEFGHIJKLMNOP wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        "-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY----- after",
        "token_count=5 max_tokens: 10 cache_key=abc session_token=s3cr3t",
        "userPassword=abc X-Api-Key: k1 aws_secret_access_key=z apiToken=t author=me",
        'headers {"Authorization": "Basic dXNlcjpwYXNzd29yZA==", "cookie": "sid=1"}',
        "https://hooks.slack.com/services/T000/B000/XXXX and xoxb-1234567890-abcdef",
        "nothing secret here",
    ]
    assert page.evaluate("(texts) => texts.map(swarmscope.scrub)", samples) == [
        scrub(text) for text in samples
    ]


# -- the package's committed files ------------------------------------------------------------


def test_the_committed_catalog_copy_is_current():
    copy = PACKAGE / "src" / "catalog.generated.ts"
    assert copy.read_text(encoding="utf-8") == typescript.render(), (
        "run `python -m swarmscope.conventions.typescript .` and commit the copies"
    )


@pytest.fixture(scope="module")
def fresh_bundle(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """The IIFE bundle built now from the package's sources (installing its locked
    dependencies first when ``python3 tasks.py test`` has not)."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        pytest.fail("node and npm are missing: `python3 tasks.py test` installs Debian's")
    if not (PACKAGE / "node_modules").is_dir():
        quiet = ("--no-audit", "--no-fund", "--loglevel=error")
        subprocess.run([npm, "ci", *quiet], cwd=PACKAGE, check=True, timeout=600)
    out = tmp_path_factory.mktemp("bundle")
    build = subprocess.run(
        [node, "build.mjs", "--outdir", str(out)],
        cwd=PACKAGE,
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )
    assert build.returncode == 0, build.stderr
    return (out / "swarmscope-browser.js").read_bytes()


def test_the_shipped_bundle_is_what_the_sources_build(fresh_bundle: bytes):
    shipped = (STATIC / "swarmscope-browser.js").read_bytes()
    assert shipped == fresh_bundle, "run `node build.mjs --ship` in js/browser and commit"


def test_the_bundle_holds_its_size_budget(fresh_bundle: bytes):
    size = len(gzip.compress(fresh_bundle, 9))
    assert size <= BUDGET_GZIP_BYTES, f"{size} bytes gzipped, budget {BUDGET_GZIP_BYTES}"


def test_the_server_serves_the_bundle_at_a_stable_cacheable_url(stack: tuple[str, str, Store]):
    url = f"{stack[1]}{SDK_URL}"
    answer = httpx.get(url)
    assert answer.status_code == 200 and answer.headers["content-type"].startswith(
        "text/javascript"
    )
    assert answer.content == (STATIC / "swarmscope-browser.js").read_bytes()
    assert "max-age" in answer.headers["cache-control"]
    again = httpx.get(url, headers={"if-none-match": answer.headers["etag"]})
    assert again.status_code == 304
