"""The console's overview as a newcomer first sees it: the chosen window's figures against
the window of the same length before it, each with its rise or fall, and each a link to the
page that explains it. The store holds runs placed in each window, so every figure and every
difference is known; the page is read in Debian's Chromium.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import expect

from loopback import serve
from swarmscope.server.alerting.states import Active, RuleAlerts
from swarmscope.server.app import create_app
from swarmscope.server.settings import ServerSettings
from swarmscope.server.store.database import Store
from swarmscope.server.store.rows import LogRow, SpanRow
from test_server_console import Watched, browser, console
from test_trace_list import span

# The Chromium fixtures, shared with the console's tests (`console` opens this module's server).
__all__ = ["browser", "console"]

MINUTE = 60 * 10**9


def run(trace: int, start_ns: int, duration_ms: float, failed: bool, cost: float) -> list[SpanRow]:
    """A run: its root span and one LLM call under it (100 tokens in, 20 out per cent)."""
    units = round(cost * 100)
    return [
        span(
            trace,
            1,
            start_ns,
            end_ns=start_ns + int(duration_ms * 1e6),
            duration_ms=duration_ms,
            status="error" if failed else "ok",
        ),
        span(
            trace,
            2,
            start_ns,
            parent=1,
            name="chat gpt-4o",
            operation="chat",
            model="gpt-4o",
            input_tokens=100 * units,
            output_tokens=20 * units,
            cost_usd=cost,
        ),
    ]


def approval_event(number: int, event: str, time_ns: int) -> LogRow:
    return LogRow(
        time_ns=time_ns,
        trace_id=f"{number + 500:032x}",
        span_id=f"{number + 500:016x}",
        severity="info",
        event=event,
        body=event,
        service="agents",
        agent="planner",
        attributes="{}",
    )


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Over the last 15 minutes: 3 runs (1 failed), 6 cents of LLM calls, 3 approvals open.
    Over the 15 before: 2 runs, 2 cents, 2 approvals open when the last 15 minutes began."""
    store = Store(tmp_path_factory.mktemp("overview") / "store.duckdb")
    now = time.time_ns()
    spans = [
        *run(1, now - 25 * MINUTE, 1000, False, 0.01),
        *run(2, now - 20 * MINUTE, 2000, False, 0.01),
        *run(3, now - 8 * MINUTE, 1000, False, 0.02),
        *run(4, now - 6 * MINUTE, 3000, True, 0.02),
        *run(5, now - 4 * MINUTE, 5000, False, 0.02),
    ]
    store.add("spans", spans)
    store.add(
        "logs",
        [
            # Requested before the window and still open; requested in it; decided in it.
            approval_event(1, "hitl_approval_required", now - 20 * MINUTE),
            approval_event(2, "hitl_approval_required", now - 5 * MINUTE),
            approval_event(3, "hitl_approval_required", now - 25 * MINUTE),
            approval_event(3, "hitl_approval_received", now - 10 * MINUTE),
            approval_event(4, "hitl_approval_required", now - 3 * MINUTE),
        ],
    )
    try:
        with serve(create_app(store, ServerSettings(namespace="sergas"))) as url:
            yield url
    finally:
        store.close()


def test_each_figure_comes_with_the_previous_window_and_where_it_is_explained(server: str):
    overview = httpx.get(f"{server}/api/overview", params={"start": "15m"}, timeout=10).json()
    window = overview["window"]
    assert window["previous"]["end"] == window["start"]
    trends = overview["trends"]
    assert trends["runs"] == {"now": 3, "before": 2}
    assert trends["error_traces"] == {"now": 1, "before": 0}
    assert trends["error_rate"] == {"now": pytest.approx(1 / 3), "before": 0.0}
    assert trends["llm_cost_usd"] == {"now": pytest.approx(0.06), "before": pytest.approx(0.02)}
    assert trends["llm_tokens"] == {"now": 3 * 240, "before": 2 * 120}
    # Exact p95s of the runs' root spans: 1, 3, 5 s and 1, 2 s.
    assert trends["p95_run_ms"] == {"now": pytest.approx(4800), "before": pytest.approx(1950)}
    assert trends["approvals_open"] == {"now": 3, "before": 2}
    assert trends["alerts_firing"] == {"now": 0, "before": 0}
    assert overview["dashboards"]["llm_cost_usd"] == "llm-usage-cost"
    # The window's own figures stay what they were.
    assert (overview["traces"], overview["error_traces"], overview["approvals_pending"]) == (
        3,
        1,
        3,
    )


def test_the_overview_page_shows_each_trend_and_links_it(console: Watched, server: str):
    page = console.page
    page.goto("/#/overview?window=15m")
    tiles = {
        "runs": ("3", "▲ +1 (+50%) vs previous 15m", "#/traces?start=15m"),
        "error_traces": (
            "1",
            "▲ +1 (none before) vs previous 15m",
            "#/traces?status=error&start=15m",
        ),
        "error_rate": (
            "33%",
            "▲ +33.3 pts vs previous 15m",
            "#/dashboards/error-tracking?range=15m",
        ),
        "llm_cost_usd": (
            "$0.0600",
            "▲ +$0.0400 (+200%) vs previous 15m",
            "#/dashboards/llm-usage-cost?range=15m",
        ),
        "llm_tokens": (
            "720",
            "▲ +480 (+200%) vs previous 15m",
            "#/dashboards/llm-usage-cost?range=15m",
        ),
        "p95_run_ms": (
            "4.80 s",
            "▲ +2.85 s (+146%) vs previous 15m",
            "#/traces?min_duration_ms=4800&start=15m",
        ),
        "approvals_open": ("3", "▲ +1 (+50%) vs 15m ago", "#/approvals"),
        "alerts_firing": ("0", "= no change vs 15m ago", "#/alerts?state=firing"),
    }
    for name, (value, moved, href) in tiles.items():
        tile = page.locator(f"a.tile[data-trend={name}]")
        expect(tile.locator(".value")).to_have_text(value)
        expect(tile.locator(".delta")).to_have_text(moved)
        expect(tile).to_have_attribute("href", href)
    # More failures and slower runs are bad news; more runs are neither.
    expect(page.locator("a.tile[data-trend=error_traces] .delta.worse")).to_be_visible()
    expect(page.locator("a.tile[data-trend=p95_run_ms] .delta.worse")).to_be_visible()
    expect(page.locator("a.tile[data-trend=runs] .delta")).to_have_class("delta up")
    console.shot("overview-trends")

    # The p95's link lists the runs at or past it: here the 5-second one.
    slow = httpx.get(
        f"{server}/api/traces", params={"min_duration_ms": 4800, "start": "15m"}, timeout=10
    ).json()
    assert [row["duration_ms"] for row in slow["traces"]] == [5000]

    # Another window: the last hour holds every run, the hour before none.
    page.click(".segmented.windows a:text-is('1h')")
    expect(page).to_have_url(f"{server}/#/overview?window=1h")
    expect(page.locator("a.tile[data-trend=runs] .value")).to_have_text("5")
    expect(page.locator("a.tile[data-trend=runs] .delta")).to_have_text(
        "▲ +5 (none before) vs previous 1h"
    )
    page.click("a.tile[data-trend=approvals_open]")
    expect(page.locator("#nav a[data-tab=approvals]")).to_have_class("active")
    console.assert_clean()


def test_firing_alerts_are_counted_as_of_any_moment_the_history_reaches():
    alerts = RuleAlerts(hold_seconds=10)
    spike = Active({"alertname": "Spike", "agent": "scout"}, {}, 0.5)
    alerts.update([spike], now=100)  # pending
    alerts.update([spike], now=110)  # firing from 110
    alerts.update([], now=200)  # resolved at 200
    alerts.update([spike], now=300)
    alerts.update([spike], now=320)  # firing again from 320
    assert [alerts.firing_at(moment) for moment in (105, 110, 199, 200, 310, 320, 400)] == [
        0,
        1,
        1,
        0,
        0,
        1,
        1,
    ]


def test_a_window_before_anything_was_stored_has_no_p95_to_compare(tmp_path: Path):
    store = Store(tmp_path / "store.duckdb")
    store.add("spans", run(1, time.time_ns() - MINUTE, 1000, False, 0.01))
    try:
        with serve(create_app(store)) as url:
            trends = httpx.get(f"{url}/api/overview", params={"start": "15m"}).json()["trends"]
    finally:
        store.close()
    assert trends["p95_run_ms"] == {"now": 1000.0, "before": None}
    assert trends["runs"] == {"now": 1, "before": 0}
