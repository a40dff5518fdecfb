"""The console's Sessions view in Chromium, over what LangGraph's OpenInference instrumentor
really sent (a thread that stopped at an interrupt for a person and was resumed): the list
and the session's runs show what the sessions API answers, and a run opens its trace. And
the span detail keeps long attribute keys and values on its panel in a narrow window.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Locator, expect

from loopback import serve
from otlp_fixtures import post
from swarmscope.server.app import create_app
from swarmscope.server.settings import ServerSettings
from swarmscope.server.store.database import Store
from test_server_console import Watched, browser, spans_of, watch

__all__ = ["browser"]  # the Chromium fixture, shared with the console's other tests
NONE = "\N{EN DASH}"  # what the console shows for a figure it does not have


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A fresh server holding the recorded LangGraph run, its times moved to now."""
    store = Store(tmp_path_factory.mktemp("sessions-console") / "store.duckdb")
    try:
        with serve(create_app(store, ServerSettings(api_key=None))) as url:
            post(url, "openinference_langgraph")
            yield url
    finally:
        store.close()


@pytest.fixture
def console(browser: Browser, server: str) -> Iterator[Watched]:
    watched = watch(browser, base_url=server)
    yield watched
    watched.page.context.close()


def dollars(cell: Locator) -> float | None:
    """The figure a cost cell shows ("$0.000052", "$1,204.50"), None for the dash of none."""
    shown = cell.inner_text().strip()
    return None if shown == NONE else float(shown.removeprefix("$").replace(",", ""))


def assert_cost(cell: Locator, cost_usd: float | None) -> None:
    shown = dollars(cell)
    if cost_usd is None:
        assert shown is None
    else:
        assert shown == pytest.approx(cost_usd, rel=0.05)


def figures(scope: Locator, row: dict[str, Any]) -> None:
    """The counts a table row (a session, a run) shows are the API's."""
    for name, key in (
        ("llm-calls", "llm_calls"),
        ("tokens-in", "input_tokens"),
        ("tokens-out", "output_tokens"),
        ("waits", "waits"),
    ):
        expect(scope.locator(f"td.{name}")).to_have_text(f"{row[key]:,}")
    assert_cost(scope.locator("td.cost"), row["cost_usd"])


def test_a_session_lists_its_runs_in_order_and_a_run_opens_its_trace(console: Watched, server: str):
    [session] = httpx.get(f"{server}/api/sessions").json()["sessions"]
    detail = httpx.get(f"{server}/api/sessions/{session['id']}").json()
    assert session["runs"] == len(detail["runs"]) == 2, "the fixture is an interrupted thread"

    page = console.page
    page.goto("/#/sessions")
    expect(page.locator("#nav a.active")).to_have_text("Sessions")
    rows = page.locator("table.grid tbody tr")
    expect(rows).to_have_count(1)
    row = rows.first
    expect(row.locator("a.session-id")).to_have_text(session["id"])
    expect(row.locator("td.runs")).to_have_text(str(session["runs"]))
    expect(row.locator("td.errors")).to_have_text(str(session["errors"]))
    figures(row, session)
    for agent in session["agents"]:
        expect(row.locator(f"a.chip[href='#/traces?agent={agent}']")).to_be_visible()
    console.shot("sessions")

    # The service filter asks the API and keeps the choice in the address.
    [service] = session["services"]
    page.fill("input[name=service]", service)
    page.click("form.filters button[type=submit]")
    expect(page).to_have_url(f"{server}/#/sessions?service={service}")
    expect(rows.first.locator("a.session-id")).to_have_text(session["id"])
    page.fill("input[name=service]", "no-such-service")
    page.click("form.filters button[type=submit]")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("No session in this range.")
    page.goto("/#/sessions")

    page.click(f"a.session-id:text-is('{session['id']}')")
    expect(page).to_have_url(f"{server}/#/sessions/{session['id']}")
    expect(page.locator("#nav a.active")).to_have_text("Sessions")
    expect(page.locator("h1")).to_have_text(session["id"])
    totals = page.locator(".totals")
    expect(totals.locator(".runs .value")).to_have_text(str(detail["totals"]["runs"]))
    for name, key in (
        ("llm-calls", "llm_calls"),
        ("tokens-in", "input_tokens"),
        ("tokens-out", "output_tokens"),
        ("waits", "waits"),
        ("errors", "errors"),
    ):
        expect(totals.locator(f".{name} .value")).to_have_text(f"{detail['totals'][key]:,}")
    assert_cost(totals.locator(".cost .value"), detail["totals"]["cost_usd"])

    runs = page.locator("table.grid tbody tr")
    expect(runs).to_have_count(len(detail["runs"]))
    for index, run in enumerate(detail["runs"]):
        shown = runs.nth(index)
        expect(shown.locator("a.root")).to_have_text(run["root"])
        expect(shown.locator("td.agent")).to_have_text(run["agent"] or NONE)
        expect(shown.locator("td.status")).to_have_text(run["status"])
        figures(shown, run)
    console.shot("session")

    resumed = detail["runs"][1]
    runs.nth(1).locator("a.root").click()
    expect(page).to_have_url(f"{server}/#/traces/{resumed['trace_id']}")
    expect(page.locator("#nav a.active")).to_have_text("Traces")
    trace = httpx.get(f"{server}/api/traces/{resumed['trace_id']}").json()
    expect(page.locator(".wf-row[data-span-id]")).to_have_count(len(spans_of(trace["tree"])))
    console.assert_clean()


def inside(box: dict[str, float] | None, panel: dict[str, float] | None) -> bool:
    assert box is not None and panel is not None
    return (
        box["x"] >= panel["x"] - 0.5
        and box["x"] + box["width"] <= panel["x"] + panel["width"] + 0.5
    )


def test_long_keys_and_values_stay_on_the_span_panel(browser: Browser, server: str):
    trace_id, span_id = "5e" * 16, "5f" * 8
    key = "llm.input_messages.0.message.contents.0.message_content." + "k" * 64
    assert len(key) == 120
    value = "v" * 300
    said = "w" * 300
    messages = f'[{{"role":"user","parts":[{{"type":"text","content":"{said}"}}]}}]'
    attributes = {
        key: value,
        "gen_ai.operation.name": "chat",
        "gen_ai.request.model": "gpt-4o-mini",
        "gen_ai.input.messages": messages,
    }
    now = time.time_ns()
    span = {
        "traceId": trace_id,
        "spanId": span_id,
        "name": "chat gpt-4o-mini",
        "kind": 3,
        "startTimeUnixNano": str(now - 10**9),
        "endTimeUnixNano": str(now),
        "attributes": [{"key": k, "value": {"stringValue": v}} for k, v in attributes.items()],
    }
    payload = {"resourceSpans": [{"resource": {}, "scopeSpans": [{"spans": [span]}]}]}
    assert httpx.post(f"{server}/v1/traces", json=payload).status_code == 200

    console = watch(browser, base_url=server)
    page = console.page
    try:
        page.set_viewport_size({"width": 900, "height": 900})
        page.goto(f"/#/traces/{trace_id}?span={span_id}")
        detail = page.locator(".span-detail")
        row = detail.locator("tr", has=page.locator("td", has_text=key))
        key_cell, value_cell = row.locator("td").nth(0), row.locator("td").nth(1)
        expect(value_cell).to_have_text(value)
        panel = detail.bounding_box()
        assert inside(key_cell.bounding_box(), panel), "the key runs off the panel"
        assert inside(value_cell.bounding_box(), panel), "the value runs off the panel"
        message = detail.locator(".chat .message")
        expect(message).to_contain_text(said)
        assert inside(message.bounding_box(), panel), "the message runs off the panel"
        # Nor does the panel itself scroll sideways to make room.
        assert detail.evaluate("panel => panel.scrollWidth <= panel.clientWidth")
        console.shot("span-detail-long-keys")
        console.assert_clean()
    finally:
        page.context.close()
