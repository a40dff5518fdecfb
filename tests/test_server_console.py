"""The web console in a real browser (Debian's Chromium, driven by Playwright) over the
telemetry of a real demo run: each view shows what the API answers, links lead where they
say, no request leaves loopback, and nothing breaks the server's Content-Security-Policy
(a violation is a console error, which fails the test).

The demo runs once, as a user runs it (a subprocess), sending to a server this module
starts; the browser tests then read that store. Screenshots of every view are written to
``test-artifacts/console/`` for a person to look at.
"""

from __future__ import annotations

import gzip
import itertools
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest
from playwright.sync_api import Browser, Page, Playwright, expect, sync_playwright
from playwright.sync_api import Error as PlaywrightError

from loopback import serve
from swarmscope.server.app import create_app
from swarmscope.server.console import STATIC
from swarmscope.server.settings import ServerSettings
from swarmscope.server.store.database import Store

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SHOTS = Path(__file__).resolve().parent.parent / "test-artifacts" / "console"
AGENTS = ("zoho_data_scout", "memory_analyst", "recommendation_author")
KEY = "console-test-key"
# How long a dashboard may take to draw its first chart: its data is computed first, which
# takes seconds on a loaded machine, past expect()'s default 5 s. The waits end as soon as
# the charts are there; this only bounds them.
CHART_DRAWN_MS = 30_000
# Chromium refuses what the policy forbids; this makes each refusal a console error.
REPORT_CSP_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  console.error(`CSP violation: ${event.effectiveDirective} ${event.blockedURI}`);
});
"""


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    store = Store(tmp_path_factory.mktemp("console") / "store.duckdb")
    yield store
    store.close()


@pytest.fixture(scope="module")
def server(store: Store, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The server, holding what one short demo run sent it (traces, logs and metrics)."""
    with serve(create_app(store, ServerSettings(api_key=None, alert_interval_seconds=3))) as url:
        logs = tmp_path_factory.mktemp("demo-logs")
        env = {
            **os.environ,
            "OTEL_EXPORTER_OTLP_ENDPOINT": url,
            "OTEL_METRIC_EXPORT_INTERVAL": "1000",
        }
        env.pop("SWARMSCOPE_API_KEY", None)
        command = [sys.executable, "-m", "swarmscope", "demo", "--duration", "4", "--rate", "4"]
        command += ["--port", "0", "--approval-timeout", "1", "--log-dir", str(logs)]
        demo = subprocess.run(
            command, env=env, capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL
        )
        assert demo.returncode == 0, demo.stderr
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `python3 tasks.py test` installs it (Debian)")
    SHOTS.mkdir(parents=True, exist_ok=True)
    playwright: Playwright = sync_playwright().start()
    try:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield browser
        browser.close()
    finally:
        playwright.stop()


@dataclass
class Watched:
    """A page, with every URL it requested and every error it logged or answered."""

    page: Page
    urls: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def shot(self, name: str) -> None:
        self.page.screenshot(path=SHOTS / f"{name}.png", full_page=True)

    def assert_clean(self) -> None:
        strangers = [
            url
            for url in self.urls
            if urlsplit(url).scheme not in ("data", "blob")
            and urlsplit(url).hostname not in ("127.0.0.1", "localhost")
        ]
        assert strangers == [], "requests left loopback"
        assert self.problems == [], "the console logged or met errors"


def watch(browser: Browser, **context: Any) -> Watched:
    page = browser.new_context(viewport={"width": 1400, "height": 900}, **context).new_page()
    page.add_init_script(REPORT_CSP_VIOLATIONS)
    watched = Watched(page)
    page.on("request", lambda request: watched.urls.append(request.url))
    page.on(
        "console",
        lambda message: message.type == "error" and watched.problems.append(message.text),
    )
    page.on("pageerror", lambda error: watched.problems.append(str(error)))
    page.on(
        "response",
        lambda answer: (
            answer.status >= 400 and watched.problems.append(f"{answer.status} {answer.url}")
        ),
    )
    return watched


@pytest.fixture
def console(browser: Browser, server: str) -> Iterator[Watched]:
    watched = watch(browser, base_url=server)
    yield watched
    watched.page.context.close()


def spans_of(tree: list[dict[str, Any]]) -> list[dict[str, Any]]:
    found = []
    for span in tree:
        found.append(span)
        found.extend(spans_of(span["children"]))
    return found


def test_a_demo_trace_as_a_waterfall(console: Watched, server: str):
    page = console.page
    page.goto("/#/traces")
    page.fill("input[name=agent]", "recommendation_author")
    page.click("form.filters button[type=submit]")
    expect(page).to_have_url(f"{server}/#/traces?agent=recommendation_author")
    first = page.locator("a.root").first
    expect(first).to_have_text("POST /api/accounts/{account_id}/analyze")
    console.shot("traces")
    trace_id = first.get_attribute("href").rsplit("/", 1)[1]
    first.click()

    spans = spans_of(httpx.get(f"{server}/api/traces/{trace_id}").json()["tree"])
    rows = page.locator(".wf-row[data-span-id]")
    expect(rows).to_have_count(len(spans))
    names = rows.locator(".wf-name .name").all_text_contents()
    assert sorted(names) == sorted(span["name"] for span in spans)
    for agent in AGENTS:
        assert f"invoke_agent {agent}" in names
    assert "handoff zoho_data_scout -> memory_analyst" in names
    assert page.locator(".wf-bar").count() == len(spans)
    # Bars sit where the span started, relative to the whole trace.
    start = min(span["start_ns"] for span in spans)
    total = max(span["end_ns"] for span in spans) - start
    analyst = next(span for span in spans if span["name"] == "invoke_agent memory_analyst")
    bar = page.locator(f'.wf-row[data-span-id="{analyst["span_id"]}"] .wf-bar')
    left = float(bar.evaluate("element => element.style.left").rstrip("%"))
    assert left == pytest.approx(100 * (analyst["start_ns"] - start) / total, abs=0.01)
    assert "op-invoke_agent" in bar.get_attribute("class")
    errors = [span for span in spans if span["status"] == "error"]
    assert page.locator(".wf-bar.error").count() == len(errors)

    chat = next(span for span in spans if span["operation"] == "chat")
    page.click(f'.wf-row[data-span-id="{chat["span_id"]}"]')
    detail = page.locator(".span-detail")
    expect(detail.locator("h2")).to_contain_text(chat["name"])
    model = detail.locator("tr", has=page.locator("td", has_text="gen_ai.request.model"))
    expect(model.locator("td").nth(1)).to_have_text(chat["model"])
    expect(page).to_have_url(f"{server}/#/traces/{trace_id}?span={chat['span_id']}")
    console.shot("trace")

    page.click("text=Logs of this trace")
    expect(page).to_have_url(f"{server}/#/logs?trace_id={trace_id}")
    links = page.locator("table.grid tbody a[href^='#/traces/']")
    expect(links.first).to_be_visible()
    hrefs = links.evaluate_all("links => links.map(link => link.getAttribute('href'))")
    assert hrefs and all(href.startswith(f"#/traces/{trace_id}") for href in hrefs)
    console.assert_clean()


def test_agent_graph_follows_the_handoffs(console: Watched, server: str):
    graph = httpx.get(f"{server}/api/agents/graph", params={"start": "1h"}).json()
    handoffs = {
        (edge["source"], edge["target"]): edge["count"]
        for edge in graph["edges"]
        if edge["kind"] == "handoff"
    }
    # The orchestrator spawns each agent (through its workflow's nodes), and the author's
    # A2A delegation is an edge to the compliance checker, whose runs are its own only.
    edges = {(edge["kind"], edge["source"], edge["target"]) for edge in graph["edges"]}
    [orchestrator] = graph["orchestrators"]
    assert {("spawn", orchestrator, agent) for agent in AGENTS} <= edges
    assert ("delegation", "recommendation_author", "compliance_checker") in edges
    runs = {node["id"]: node["runs"] for node in graph["nodes"]}
    delegated = [e for e in graph["edges"] if e["target"] == "compliance_checker"]
    assert runs["compliance_checker"] == sum(edge["count"] for edge in delegated)
    page = console.page
    page.goto("/#/agents")
    nodes = page.locator("svg.agent-graph g.node")
    expect(nodes).to_have_count(len(graph["nodes"]))
    lefts = []
    for agent in AGENTS:
        rect = page.locator(f'g.node[data-agent="{agent}"] rect')
        lefts.append(float(rect.get_attribute("x")))
    assert lefts == sorted(lefts) and len(set(lefts)) == 3, "columns follow the handoff order"
    # Every name stays inside its box (a name too long is cut; the box's title has it whole).
    inside = nodes.evaluate_all(
        """nodes => nodes.map(node => {
            const name = node.querySelector('.node-name').getBBox();
            const box = node.querySelector('rect').getBBox();
            const title = node.querySelector('title').textContent;
            return name.x >= box.x && name.x + name.width <= box.x + box.width
                && title.startsWith(`${node.dataset.agent}:`);
        })"""
    )
    assert inside == [True] * len(graph["nodes"])
    for source, target in itertools.pairwise(AGENTS):
        edge = page.locator(f'g.edge.handoff[data-from="{source}"][data-to="{target}"]')
        expect(edge.locator(".edge-label")).to_contain_text(
            f"{handoffs[(source, target)]}\N{MULTIPLICATION SIGN}"
        )
    console.shot("agents")
    page.click('g.node[data-agent="memory_analyst"]')
    expect(page).to_have_url(f"{server}/#/traces?agent=memory_analyst")
    expect(page.locator("input[name=agent]")).to_have_value("memory_analyst")
    console.assert_clean()


def test_a_log_record_opens_its_span(console: Watched, server: str):
    [record] = httpx.get(
        f"{server}/api/logs", params={"agent": "memory_analyst", "limit": 1}
    ).json()["logs"]
    page = console.page
    page.goto("/#/logs?agent=memory_analyst&limit=20")
    rows = page.locator("table.grid tbody tr")
    expect(rows).to_have_count(20)
    expect(rows.first.locator(".event")).to_have_text(record["event"])
    console.shot("logs")
    rows.first.locator("a[href^='#/traces/']").click()
    expect(page).to_have_url(f"{server}/#/traces/{record['trace_id']}?span={record['span_id']}")
    expect(page.locator(".wf-row.selected")).to_have_attribute("data-span-id", record["span_id"])
    console.assert_clean()


def test_overview_approvals_and_alerts_show_what_the_api_says(console: Watched, server: str):
    page = console.page
    page.goto("/#/overview")
    overview = httpx.get(f"{server}/api/overview").json()
    traces = page.locator("a.tile", has_text="traces").first
    expect(traces.locator(".value")).to_have_text(f"{overview['traces']:,}")
    for agent in AGENTS:
        expect(page.locator(f"a.chip[href='#/traces?agent={agent}']")).to_be_visible()
    console.shot("overview")

    page.click("#nav a[data-tab=approvals]")
    approvals = httpx.get(f"{server}/api/approvals", params={"limit": 100}).json()
    assert approvals["decided"], "the demo's people decide approvals"
    decided = f"Decided ({len(approvals['decided'])})"
    expect(page.locator("h2", has_text="Decided")).to_have_text(decided)
    console.shot("approvals")

    # Rules are evaluated every round: compare with the very answer the page drew.
    with page.expect_response(lambda answer: urlsplit(answer.url).path == "/api/alerts") as sent:
        page.click("#nav a[data-tab=alerts]")
    alerts = sent.value.json()
    rows = page.locator("table.grid").first.locator("tbody tr")
    expect(rows).to_have_count(len(alerts["alerts"]))
    console.shot("alerts")
    console.assert_clean()


def test_a_dashboard_draws_its_panels_with_uplot(console: Watched, server: str):
    listing = httpx.get(f"{server}/api/dashboards").json()
    page = console.page
    page.goto("/#/dashboards")
    expect(page.locator("table.grid tbody tr")).to_have_count(len(listing))
    assert not [url for url in console.urls if "uplot" in url.lower()], "only charts load uPlot"
    console.shot("dashboards")

    def computed(answer: Any) -> bool:
        return urlsplit(answer.url).path == "/api/dashboards/multi-agent-orchestration"

    with page.expect_response(computed) as sent:
        page.click("text=Multi-Agent Orchestration")
    dashboard = sent.value.json()
    panels = page.locator(".panels > .panel")
    expect(panels).to_have_count(len(dashboard["panels"]))
    expect(page.locator(".panel canvas").first).to_be_visible(timeout=CHART_DRAWN_MS)
    # The demo's few seconds of data fill the charts: the range shown is fitted to them (at
    # least 5 minutes), not the last hour read, until the user picks one.
    expect(page.locator(".segmented .fitted")).to_have_text("5m")
    expect(page.locator(".segmented a.on")).to_have_count(0)
    drawn = zeros = 0
    for index, panel in enumerate(dashboard["panels"]):
        shown = panels.nth(index)
        expect(shown.locator("h3")).to_contain_text(panel["title"])
        # The demo pushes its metrics: a panel with figures says so, and that its quantiles
        # were read from the spans; one without figures, nothing.
        said = {
            ("pushed",): "pushed metrics",
            ("pushed", "spans"): "pushed metrics and counts from spans",
        }.get(tuple(panel["sources"]), "")
        expect(shown.locator("h3 .source")).to_have_text(said)
        with_points = [series for series in panel["series"] if series["points"]]
        if panel["kind"] == "timeseries" and with_points:
            expect(shown.locator("canvas").first).to_be_visible(timeout=CHART_DRAWN_MS)
            # Every series is in the legend (after the time row), however many there are.
            names = shown.locator(".u-legend tr.u-series th .u-label")
            expect(names).to_have_count(len(panel["series"]) + 1)
            assert names.all_text_contents()[1:] == [one["label"] for one in panel["series"]]
            values = shown.locator(".u-legend tr.u-series td.u-value")
            for at, one in enumerate(panel["series"]):
                if one["points"] and one["points"][-1][1] == 0:
                    # A series at zero says 0 (in its unit), never that there is no data.
                    expect(values.nth(at + 1)).to_have_text(re.compile(r"^0( |%|$)"))
                    zeros += 1
            drawn += 1
        elif not with_points:
            expect(shown).to_contain_text("No data in this range.")
        elif panel["kind"] in ("stat", "gauge") and panel["unit"] == "short":
            # Counts are whole or to three significant digits: 1,286 or 53.3, not 1,286.21.
            text = shown.locator(".big").first.inner_text()
            assert re.fullmatch(r"-?\d{1,3}(,\d{3})*|-?\d{1,2}\.\d{1,2}|-?0\.\d+", text), text
    assert drawn >= 3, "the demo's metrics fill several charts"
    assert zeros >= 1, "the demo has a series at zero (an agent without errors)"
    [script] = [url for url in console.urls if url.endswith("/vendor/uplot/uPlot.iife.min.js")]

    # A shorter range asks the server for it and redraws, with uPlot already loaded.
    with page.expect_response(computed) as sent:
        page.click(".segmented a:text-is('15m')")
    assert dict(parse_qsl(urlsplit(sent.value.url).query)) == {"start": "15m"}
    expect(page).to_have_url(f"{server}/#/dashboards/multi-agent-orchestration?range=15m")
    expect(page.locator(".segmented a.on")).to_have_text("15m")
    expect(page.locator(".segmented .fitted")).to_be_hidden()
    expect(page.locator(".panel canvas").first).to_be_visible(timeout=CHART_DRAWN_MS)
    assert len([url for url in console.urls if url == script]) == 1
    console.shot("dashboard")
    console.assert_clean()


def test_a_quantile_known_only_as_a_bucket_bound_is_said_as_that_bound(console: Watched):
    """The API marks a bucket quantile that is only a bound (``bound`` on a single value,
    ``bounds`` on a series' points); the panel says "≤ 5 s", not the interpolated figure."""
    now = time.time()
    stat = {"label": "p95", "labels": {}, "points": [[now, 2.5]], "value": 2.5}
    answer = {
        "id": "bounded",
        "title": "Bounded",
        "start": now - 3600,
        "end": now,
        "step": 30,
        "panels": [
            {
                "kind": "stat",
                "unit": "s",
                "title": "Latency P95",
                "value": 2.5,
                "bound": {"op": "le", "value": 5},
                "series": [{**stat, "bound": {"op": "le", "value": 5}}],
            },
            {
                "kind": "timeseries",
                "unit": "s",
                "title": "Latency P95 over time",
                "series": [
                    {
                        "label": "p95",
                        "labels": {},
                        "points": [[now - 60, 0.2], [now - 30, 2.5]],
                        "approximate": True,
                        "bounds": [[now - 30, "le", 5]],
                    }
                ],
            },
        ],
    }
    page = console.page
    page.route("**/api/dashboards/bounded?*", lambda route: route.fulfill(json=answer))
    page.goto("/#/dashboards/bounded?range=1h")
    panels = page.locator(".panels > .panel")
    expect(panels.nth(0).locator(".big")).to_have_text("\u2264 5 s")
    # The legend gives the latest point, the bounded one; an exact point is said as it is.
    legend = panels.nth(1).locator(".u-legend tr.u-series td.u-value")
    expect(legend.nth(1)).to_have_text("\u2264 5 s", timeout=CHART_DRAWN_MS)
    console.assert_clean()


UNIT_CASES = {
    (1286.21, "short"): "1,286",
    (1286, ""): "1,286",
    (53.333, "short"): "53.3",
    (0, "short"): "0",
    (2_500_000, "short"): "2.5 M",
    (0.0123456, "reqps"): "0.0123 req/s",
    (12.345, "ops"): "12.3 /s",
    (0, "ops"): "0 /s",
    (0.000123, "s"): "123 µs",
    (0.25, "s"): "250 ms",
    (4.9479, "s"): "4.95 s",
    (95, "ms"): "95 ms",
    (1536, "bytes"): "1.5 KiB",
    (0, "percentunit"): "0%",
    (0.98046, "percentunit"): "98%",
    (None, "short"): "\u2013",  # an en dash: no value
}


def test_figures_are_said_in_their_unit(console: Watched):
    """What the panels' numbers look like, unit by unit, from the console's own formatter."""
    console.page.goto("/#/dashboards")
    expect(console.page.locator("table.grid tbody tr").first).to_be_visible()
    said = console.page.evaluate(
        """async (cases) => {
          const script = document.querySelector('script[src$="/app.js"]').src;
          const units = await import(new URL("views/units.js", script));
          return {
            values: cases.map(([value, unit]) => units.formatValue(value, unit)),
            // A quantile the server could only bound (in the lowest or the +Inf bucket).
            bounded: [
              units.formatBounded(2.5, "s", { op: "le", value: 5 }),
              units.formatBounded(12, "s", { op: "ge", value: 10 }),
              units.formatBounded(2.5, "s", null),
            ],
          };
        }""",
        [list(case) for case in UNIT_CASES],
    )
    assert dict(zip(UNIT_CASES, said["values"], strict=True)) == UNIT_CASES
    assert said["bounded"] == ["\u2264 5 s", "\u2265 10 s", "2.5 s"]
    console.assert_clean()


def test_a_namespace_without_metrics_is_a_banner_and_the_selector_offers_the_stored(
    browser: Browser, store: Store, server: str
):
    # ``server`` has filled the store: the demo's metrics are under swarmscope_.
    with serve(create_app(store, ServerSettings(namespace="nowhere"))) as url:
        watched = watch(browser, base_url=url)
        page = watched.page
        page.goto("/#/dashboards/cache-database")
        banner = page.locator(".namespace-notice")
        expect(banner).to_be_visible()
        expect(banner).to_have_text(
            "No metrics under nowhere_; this server holds swarmscope. "
            "Start serve with --namespace swarmscope or choose it."
        )
        selector = page.locator("select.namespace")
        expect(selector).to_have_value("nowhere")
        watched.shot("dashboard-namespace-notice")
        with page.expect_response(lambda answer: "/api/dashboards/" in answer.url) as sent:
            selector.select_option("swarmscope")
        assert dict(parse_qsl(urlsplit(sent.value.url).query))["namespace"] == "swarmscope"
        # No range was picked, so none is put in the URL: it stays fitted to the data.
        expect(page).to_have_url(f"{url}/#/dashboards/cache-database?namespace=swarmscope")
        expect(page.locator(".namespace-notice")).to_be_hidden()
        expect(page.locator("select.namespace")).to_have_value("swarmscope")
        watched.shot("dashboard-namespace")
        # The choice stays on the way back to the list and into another dashboard.
        page.click("text=← Dashboards")
        expect(page).to_have_url(f"{url}/#/dashboards?namespace=swarmscope")
        with page.expect_response(lambda answer: "/api/dashboards/" in answer.url) as sent:
            page.click("text=Multi-Agent Orchestration")
        assert dict(parse_qsl(urlsplit(sent.value.url).query))["namespace"] == "swarmscope"
        watched.assert_clean()
        page.context.close()


def test_with_an_api_key_the_browser_is_challenged(browser: Browser, store: Store):
    with serve(create_app(store, ServerSettings(api_key=KEY))) as url:
        # Without credentials the challenge goes unanswered (headless has no dialog).
        stranger = watch(browser)
        challenges = []
        stranger.page.on("response", lambda answer: challenges.append(answer))
        with pytest.raises(PlaywrightError, match="ERR_INVALID_AUTH_CREDENTIALS"):
            stranger.page.goto(f"{url}/")
        [challenge] = challenges
        assert challenge.status == 401
        assert challenge.headers["www-authenticate"].startswith("Basic")
        stranger.page.context.close()

        wrong = watch(browser, http_credentials={"username": "me", "password": "guess"})
        answer = wrong.page.goto(f"{url}/")
        assert answer is not None and answer.status == 401
        assert answer.json() == {"error": "missing or wrong API key", "status": 401}
        wrong.page.context.close()

        user = watch(browser, http_credentials={"username": "me", "password": KEY})
        answer = user.page.goto(f"{url}/#/traces")
        assert answer is not None and answer.status == 200
        # The API calls the page makes carry the credentials too.
        expect(user.page.locator("a.root").first).to_be_visible()
        user.assert_clean()
        user.page.context.close()


def test_static_files_are_compressed_and_cached_and_nothing_else_is_shadowed(server: str):
    page = httpx.get(f"{server}/")
    assert page.status_code == 200 and page.headers["cache-control"] == "no-cache"
    [script] = [
        line.split('src="')[1].split('"')[0] for line in page.text.splitlines() if "app.js" in line
    ]
    app = httpx.get(f"{server}{script}", headers={"accept-encoding": "gzip"})
    assert app.headers["content-encoding"] == "gzip"
    assert app.headers["content-type"].startswith("text/javascript")
    assert "immutable" in app.headers["cache-control"]

    # uPlot, vendored, is one of those files: served as committed, gzipped and cached.
    chart = f"{script.rsplit('/', 1)[0]}/vendor/uplot/uPlot.iife.min.js"
    with httpx.stream("GET", f"{server}{chart}", headers={"accept-encoding": "gzip"}) as raw:
        compressed = b"".join(raw.iter_raw())
        assert raw.headers["content-encoding"] == "gzip"
        assert "immutable" in raw.headers["cache-control"]
    vendored = (STATIC / "vendor" / "uplot" / "uPlot.iife.min.js").read_bytes()
    assert gzip.decompress(compressed) == vendored

    missing = httpx.get(f"{server}{script.rsplit('/', 1)[0]}/nope.js")
    assert missing.status_code == 404 and missing.json()["status"] == 404
    stale = httpx.get(f"{server}/static/000000000000/app.js")
    assert stale.status_code == 404
    unknown = httpx.get(f"{server}/api/nothing-here")
    assert unknown.status_code == 404 and unknown.json()["status"] == 404


def test_the_api_docs_work_offline_and_under_the_policy(console: Watched, server: str):
    page = console.page
    page.goto("/api/docs")
    overview = page.locator(".opblock", has=page.locator('[data-path="/api/overview"]'))
    expect(overview).to_be_visible()
    expect(page.locator(".opblock-tag", has_text="OTLP receiver")).to_be_visible()

    # Swagger UI calls the API from the page: connect-src 'self' is enough for it.
    overview.locator(".opblock-summary").click()
    overview.locator("button.try-out__btn").click()
    with page.expect_response(lambda answer: urlsplit(answer.url).path == "/api/overview") as sent:
        overview.locator("button.execute").click()
    assert sent.value.status == 200
    status = overview.locator(".live-responses-table td.response-col_status:not(.col_header)")
    expect(status).to_have_text("200")
    console.shot("api-docs")

    foreign = [
        url
        for url in console.urls
        if urlsplit(url).scheme not in ("data", "blob") and not url.startswith(f"{server}/")
    ]
    assert foreign == [], "the docs page requested another origin"
    assert any(urlsplit(url).path.endswith("/swagger-ui-bundle.js") for url in console.urls)
    console.assert_clean()


def test_a_script_injected_into_the_console_does_not_run(console: Watched):
    page = console.page
    page.goto("/#/overview")
    expect(page.locator("a.tile").first).to_be_visible()
    ran = page.evaluate(
        """() => {
            const script = document.createElement("script");
            script.textContent = "window.injected = true";
            document.body.append(script);
            const image = document.createElement("img");
            image.setAttribute("onerror", "window.injected = true");
            image.src = "/nothing.png";
            document.body.append(image);
            return new Promise((done) => setTimeout(() => done(window.injected === true), 200));
        }"""
    )
    assert ran is False
    refused = [problem for problem in console.problems if problem.startswith("CSP violation:")]
    assert refused and all("script-src" in problem for problem in refused)


def test_a_handler_log_without_an_event_shows_its_text_once(console: Watched, server: str):
    """The standard OTel logging handler sends a body and no event name: the row shows the
    text once (it was shown as the event and again as the text after it)."""
    text = "handler text of the quokka, shown once"
    record = {
        "timeUnixNano": str(time.time_ns()),
        "severityText": "WARN",
        "body": {"stringValue": text},
    }
    payload = {
        "resourceLogs": [
            {
                "resource": {
                    "attributes": [{"key": "service.name", "value": {"stringValue": "plain"}}]
                },
                "scopeLogs": [{"logRecords": [record]}],
            }
        ]
    }
    assert httpx.post(f"{server}/v1/logs", json=payload).status_code == 200
    page = console.page
    page.goto("/#/logs?text=quokka")
    rows = page.locator("table.grid tbody tr")
    expect(rows).to_have_count(1)
    message = rows.first.locator("td.message")
    expect(message).to_contain_text(text)
    assert message.inner_text().count(text) == 1
    console.assert_clean()


def test_an_llm_calls_messages_read_as_a_chat_with_its_cost(console: Watched, server: str):
    trace_id, span_id = "7a" * 16, "7b" * 8
    messages = '[{"role":"user","parts":[{"type":"text","content":"Weather in Paris?"}]}]'
    answer = '[{"role":"assistant","parts":[{"type":"tool_call","name":"get_weather","arguments":{"city":"Paris"}}]}]'
    attributes = {
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": "openai",
        "gen_ai.request.model": "gpt-4o-mini",
        "gen_ai.usage.input_tokens": 42,
        "gen_ai.usage.output_tokens": 17,
        "gen_ai.input.messages": messages,
        "gen_ai.output.messages": answer,
    }
    now = time.time_ns()
    span = {
        "traceId": trace_id,
        "spanId": span_id,
        "name": "chat gpt-4o-mini",
        "kind": 3,
        "startTimeUnixNano": str(now - 10**9),
        "endTimeUnixNano": str(now),
        "attributes": [
            {
                "key": key,
                "value": {"intValue": str(value)}
                if isinstance(value, int)
                else {"stringValue": value},
            }
            for key, value in attributes.items()
        ],
    }
    payload = {"resourceSpans": [{"resource": {}, "scopeSpans": [{"spans": [span]}]}]}
    assert httpx.post(f"{server}/v1/traces", json=payload).status_code == 200
    page = console.page
    page.goto(f"/#/traces/{trace_id}?span={span_id}")
    chat = page.locator(".chat .message")
    expect(chat).to_have_count(2)
    expect(chat.first).to_contain_text("Weather in Paris?")
    expect(chat.nth(1)).to_contain_text("get_weather")
    expect(page.locator("dl.facts").last).to_contain_text("$0.0000")
    console.shot("llm-chat")
    console.assert_clean()


def test_an_exception_event_shows_its_type_message_and_stack(console: Watched, server: str):
    trace_id, span_id = "8a" * 16, "8b" * 8
    stack = 'Traceback (most recent call last):\n  File "crm.py", line 12, in fetch\nTimeoutError'
    event_attributes = {
        "exception.type": "TimeoutError",
        "exception.message": "the CRM did not answer",
        "exception.stacktrace": stack,
    }
    now = time.time_ns()
    span = {
        "traceId": trace_id,
        "spanId": span_id,
        "name": "execute_tool fetch_account",
        "startTimeUnixNano": str(now - 10**9),
        "endTimeUnixNano": str(now),
        "status": {"code": 2, "message": "the CRM did not answer"},
        "events": [
            {
                "name": "exception",
                "timeUnixNano": str(now - 10**8),
                "attributes": [
                    {"key": key, "value": {"stringValue": value}}
                    for key, value in event_attributes.items()
                ],
            }
        ],
    }
    payload = {"resourceSpans": [{"resource": {}, "scopeSpans": [{"spans": [span]}]}]}
    assert httpx.post(f"{server}/v1/traces", json=payload).status_code == 200
    page = console.page
    page.goto(f"/#/traces/{trace_id}?span={span_id}")
    event = page.locator(".event")
    expect(event).to_have_count(1)
    expect(event).to_contain_text("exception")
    expect(event).to_contain_text("TimeoutError")
    expect(event).to_contain_text('File "crm.py", line 12, in fetch')
    expect(page.locator(".wf-event.error")).to_have_count(1)
    assert "[object" not in page.locator("body").inner_text()
    console.assert_clean()


def test_the_demos_orchestration_p95_is_read_from_its_spans(console: Watched, server: str):
    """The demo's orchestrations take well under the histogram's lowest bucket (5 s): the
    dashboard reads their p95 from their spans, and the stat is no bucket bound."""
    path = "/api/dashboards/multi-agent-orchestration"
    answer = httpx.get(f"{server}{path}", timeout=60).json()
    [(index, panel)] = [
        (index, panel)
        for index, panel in enumerate(answer["panels"])
        if panel["title"] == "Orchestration Duration P95"
    ]
    assert panel["bound"] is None
    assert {one["quantile_from"] for one in panel["series"]} == {"spans"}
    console.page.goto("/#/dashboards/multi-agent-orchestration")
    big = console.page.locator(".panels > .panel").nth(index).locator(".big")
    expect(big).to_have_text(re.compile(r"^[0-9][0-9.,]* (ms|s)$"))
