"""Traces of 100,000 spans, and a chain of spans 100,000 deep: the waterfall answer holds
every span in tree order, a span's detail is read alone, the console lists only the rows in
view yet reaches every span, and ``trace show`` prints a summary and a tree cut to size.
"""

from __future__ import annotations

import dataclasses
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import httpx
import orjson
import pytest
from playwright.sync_api import Browser, Page, Route, expect

from huge_traces import CHAIN_TRACE, FAILING, WIDE_TRACE, span_id, store_huge_traces, wide_trace
from loopback import serve
from swarmscope.server import waterfall as waterfall_module
from swarmscope.server.app import create_app
from swarmscope.server.settings import ServerSettings
from swarmscope.server.store.database import Store
from swarmscope.server.waterfall import tree_order, waterfall
from test_server_console import Watched, browser, watch

__all__ = ["browser"]  # the Chromium fixture, shared with the console's other tests
WIDE_SPANS = 100_001
CHAIN_SPANS = 100_000
# The console keeps the rows in view in the page, and a few more: far fewer than this.
FEW_ROWS = 200


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A server over a store holding the wide trace and the chain."""
    store = Store(tmp_path_factory.mktemp("huge-trace") / "store.duckdb")
    try:
        store_huge_traces(store)
        with serve(create_app(store, ServerSettings(api_key=None))) as url:
            yield url
    finally:
        store.close()


def waterfall_of(server: str, trace_id: str) -> dict[str, Any]:
    answer = httpx.get(f"{server}/api/traces/{trace_id}/waterfall", timeout=120)
    assert answer.status_code == 200, answer.text
    return answer.json()


def names_in_order(trace: dict[str, Any]) -> list[str]:
    return [trace["columns"]["name"][position] for position in trace["order"]]


# -- the order ---------------------------------------------------------------------------------


def test_the_order_is_depth_first_with_children_by_start():
    # Given newest first, with a stray parent and a retried span.
    ids = ["c2", "c1", "root", "c1", "gc", "orphan"]
    parents = ["root", "root", None, "root", "c1", "gone"]
    starts = [30, 20, 10, 20, 25, 40]
    order = tree_order(ids, parents, starts)
    assert [ids[row] for row in order.rows] == ["root", "c1", "gc", "c2", "orphan"]
    assert [order.depth[row] for row in order.rows] == [0, 1, 2, 1, 0]
    assert [order.parent[row] for row in order.rows] == [-1, 2, 1, 2, -1]


def test_spans_in_a_cycle_of_parents_are_still_listed():
    # a and b are each other's parent; c is its own. Roots first, then the cycle.
    order = tree_order(["a", "b", "c"], ["b", "a", "c"], [1, 2, 3])
    assert order.rows == [2, 0, 1]
    assert [order.depth[row] for row in order.rows] == [0, 0, 1]


def test_a_chain_100_000_deep_is_ordered_without_recursion():
    count = 100_000
    ids = [f"{n:x}" for n in range(count)]
    parents = [None, *ids[:-1]]
    order = tree_order(ids[::-1], parents[::-1], list(range(count))[::-1])
    assert order.rows == list(range(count))[::-1]
    assert order.depth[0] == count - 1


# -- the API -----------------------------------------------------------------------------------


def test_the_waterfall_of_100_000_spans_is_every_span_in_tree_order(server: str):
    trace = waterfall_of(server, WIDE_TRACE)
    assert trace["spans"] == WIDE_SPANS == len(trace["order"]) == len(trace["columns"]["name"])
    names = names_in_order(trace)
    assert names[:3] == ["orchestrate huge_job", "invoke_agent agent-0", "execute_tool lookup-0"]
    assert names[100:102] == ["execute_tool lookup-7", "invoke_agent agent-1"]
    ids = trace["columns"]["span_id"]
    assert ids[trace["order"][-1]] == span_id(WIDE_SPANS - 1)
    assert max(trace["depth"]) == 2
    failing = {span_id(n) for n in range(FAILING, WIDE_SPANS, FAILING)}
    errors = {ids[p] for p, status in enumerate(trace["columns"]["status"]) if status == "error"}
    assert errors == failing
    assert {ids[position] for position, _, _ in trace["events"]} == failing
    assert {name for _, _, name in trace["events"]} == {"exception"}
    assert trace["end_ns"] - trace["start_ns"] == 100 * 1000 * 10**6


def test_the_first_rows_of_a_waterfall_come_alone_with_the_whole_trace_s_facts(server: str):
    whole = waterfall_of(server, WIDE_TRACE)
    in_order = [whole["columns"]["span_id"][p] for p in whole["order"]]
    # As far as the first failing call, the last row asked for.
    limit = in_order.index(span_id(FAILING)) + 1
    answer = httpx.get(f"{server}/api/traces/{WIDE_TRACE}/waterfall", params={"limit": limit})
    assert answer.status_code == 200, answer.text
    first = answer.json()
    assert len(answer.content) < 300_000
    for fact in ("spans", "errors", "services", "outcome", "start_ns", "end_ns"):
        assert first[fact] == whole[fact], fact
    assert first["spans"] == WIDE_SPANS
    assert first["errors"] == len(range(FAILING, WIDE_SPANS, FAILING))
    assert first["services"] == ["agents", "tools"]
    # Row n is position n, and the whole answer's row n, with its parent, depth and subtree.
    assert first["order"] == list(range(limit))
    assert first["columns"]["span_id"] == in_order[:limit]
    assert names_in_order(first) == names_in_order(whole)[:limit]
    starts = [whole["columns"]["start"][p] for p in whole["order"][:limit]]
    assert first["columns"]["start"] == starts
    assert first["parent"][:3] == [-1, 0, 1] and first["parent"][101] == 0
    assert first["depth"][:3] == [0, 1, 2]
    assert first["subtree"][:3] == [WIDE_SPANS, 100, 1]
    assert [whole["subtree"][p] for p in whole["order"][:limit]] == first["subtree"]
    # The failing call, with its exception event at its row.
    assert first["columns"]["status"][limit - 1] == "error"
    assert first["columns"]["status"].count("error") == 1
    assert [row for row, _, name in first["events"]] == [limit - 1]


def in_rows(trace: dict[str, Any]) -> list[tuple[Any, ...]]:
    """Each row's span id, parent's span id, depth, subtree and columns: what a waterfall
    shows, whatever positions its answer gave the spans."""
    columns, ids = trace["columns"], trace["columns"]["span_id"]
    return [
        (
            ids[trace["parent"][p]] if trace["parent"][p] >= 0 else None,
            trace["depth"][p],
            trace["subtree"][p],
            *(column[p] for column in columns.values()),
        )
        for p in trace["order"]
    ]


def test_a_limit_past_the_trace_is_the_whole_waterfall_and_a_bad_one_is_400(server: str):
    url = f"{server}/api/traces/{CHAIN_TRACE}/waterfall"
    whole = waterfall_of(server, CHAIN_TRACE)
    past = httpx.get(url, params={"limit": CHAIN_SPANS}, timeout=120).json()
    assert in_rows(past) == in_rows(whole) and past["spans"] == CHAIN_SPANS
    for bad in ("0", "-3", "many"):
        answer = httpx.get(url, params={"limit": bad})
        assert answer.status_code == 400 and "limit" in answer.text


def test_a_span_is_read_whole_on_its_own(server: str):
    answer = httpx.get(f"{server}/api/traces/{WIDE_TRACE}/spans/{span_id(FAILING)}")
    assert answer.status_code == 200
    span = answer.json()
    assert span["attributes"] == {"call.number": FAILING, "call.note": f"step {FAILING}"}
    [event] = span["events"]
    assert event["attributes"]["exception.type"] == "TimeoutError"
    assert "TimeoutError" in event["attributes"]["exception.stacktrace"]
    assert span["parent_span_id"] and span["messages"] == []


def test_unknown_traces_and_spans_are_404(server: str):
    for path in (
        f"/api/traces/{'0' * 32}/waterfall",
        f"/api/traces/{'0' * 32}/spans/{span_id(1)}",
        f"/api/traces/{WIDE_TRACE}/spans/{'0' * 16}",
    ):
        answer = httpx.get(f"{server}{path}")
        assert answer.status_code == 404
        assert "unknown trace" in answer.text or "has no span" in answer.text


def test_the_waterfall_of_a_chain_100_000_deep(server: str):
    trace = waterfall_of(server, CHAIN_TRACE)
    assert trace["spans"] == CHAIN_SPANS
    ids = trace["columns"]["span_id"]
    assert [ids[position] for position in trace["order"]] == [
        span_id(n) for n in range(CHAIN_SPANS)
    ]
    assert sorted(trace["depth"]) == list(range(CHAIN_SPANS))


def test_the_nested_tree_of_a_chain_too_deep_to_nest_is_refused_with_the_way_round(server: str):
    answer = httpx.get(f"{server}/api/traces/{CHAIN_TRACE}", timeout=120)
    assert answer.status_code == 422
    assert f"/api/traces/{CHAIN_TRACE}/waterfall" in answer.json()["error"]


# -- trace show --------------------------------------------------------------------------------


def trace_show(server: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("SWARMSCOPE_")}
    return subprocess.run(
        [sys.executable, "-m", "swarmscope", "trace", "show", *args, "--server", server],
        capture_output=True,
        text=True,
        timeout=180,
        env={**env, "COLUMNS": "160"},
    )


def test_trace_show_summarises_100_000_spans_and_cuts_the_tree(server: str):
    done = trace_show(server, WIDE_TRACE, "--limit", "50")
    assert done.returncode == 0, done.stderr
    out = done.stdout
    errors = len(range(FAILING, WIDE_SPANS, FAILING))
    assert f"{WIDE_SPANS:,} spans · depth 3 · {errors:,} errors" in out
    assert "services: agents (66,667), tools (33,334)" in out
    assert "slowest spans" in out and "most frequent span names" in out
    assert "execute_tool lookup-0" in out and "8,000" in out  # 99 calls a run, 13 names
    assert f"… {WIDE_SPANS - 50:,} more spans (--limit)" in out
    assert out.count("execute_tool lookup-") < 100


def test_trace_show_of_a_chain_100_000_deep(server: str):
    done = trace_show(server, CHAIN_TRACE, "--depth", "5")
    assert done.returncode == 0, done.stderr
    assert f"{CHAIN_SPANS:,} spans · depth {CHAIN_SPANS:,}" in done.stdout
    assert f"… {CHAIN_SPANS - 5:,} more spans below (--depth)" in done.stdout


def test_trace_show_refuses_a_depth_out_of_range(server: str):
    done = trace_show(server, CHAIN_TRACE, "--depth", "0")
    assert done.returncode == 2 and "Traceback" not in done.stderr


# -- the console -------------------------------------------------------------------------------


@pytest.fixture
def console(browser: Browser, server: str) -> Iterator[Watched]:
    watched = watch(browser, base_url=server)
    yield watched
    watched.page.context.close()


def read_whole(page: Page) -> None:
    """Waits until the page has every span (it draws the first rows before)."""
    expect(page.locator(".waterfall")).to_have_attribute("data-complete", "true", timeout=60_000)


def test_the_console_lists_100_000_spans_a_view_at_a_time(console: Watched):
    page = console.page
    page.goto(f"/#/traces/{WIDE_TRACE}")
    rows = page.locator(".wf-row[data-span-id]")
    expect(rows.first.locator(".name")).to_have_text("orchestrate huge_job", timeout=60_000)
    expect(page.locator("dl.facts").first).to_contain_text(f"{WIDE_SPANS:,}")
    assert 10 < rows.count() < FEW_ROWS
    # The root is selected, its detail read from the server.
    expect(page.locator(".span-detail h2")).to_contain_text("orchestrate huge_job")

    read_whole(page)
    page.locator(".wf-list").evaluate("list => { list.scrollTop = list.scrollHeight; }")
    last = page.locator(f'.wf-row[data-span-id="{span_id(WIDE_SPANS - 1)}"]')
    expect(last).to_be_visible()
    assert rows.count() < FEW_ROWS
    last.click()
    detail = page.locator(".span-detail")
    expect(detail.locator("h2")).to_contain_text("execute_tool lookup-")
    note = detail.locator("tr", has=page.locator("td", has_text="call.note"))
    expect(note.locator("td").nth(1)).to_have_text(f"step {WIDE_SPANS - 1}")
    console.shot("huge-trace")
    console.assert_clean()


def test_a_failed_call_deep_in_a_huge_trace_opens_with_its_stack(console: Watched, server: str):
    failed = span_id(FAILING * 90)
    page = console.page
    page.goto(f"/#/traces/{WIDE_TRACE}?span={failed}")
    row = page.locator(f'.wf-row[data-span-id="{failed}"]')
    expect(row).to_have_class(re.compile(r"\berror selected\b"), timeout=60_000)
    expect(row.locator(".wf-event.error")).to_have_count(1)
    event = page.locator(".span-detail .event")
    expect(event).to_contain_text("TimeoutError")
    expect(event).to_contain_text(f'File "tool.py", line {FAILING * 90}')
    console.assert_clean()


def test_subtrees_fold_and_spans_are_found_by_name(console: Watched):
    page = console.page
    page.goto(f"/#/traces/{WIDE_TRACE}")
    rows = page.locator(".wf-row[data-span-id]")
    root = rows.first
    expect(root.locator(".name")).to_have_text("orchestrate huge_job", timeout=60_000)
    root.locator("button.wf-toggle").click()
    expect(rows).to_have_count(1)
    expect(root.locator("button.wf-toggle")).to_have_attribute("aria-expanded", "false")
    root.locator("button.wf-toggle").click()
    expect(rows.nth(1).locator(".name")).to_have_text("invoke_agent agent-0")

    # Folding one agent run hides its 99 calls: the next run follows it.
    rows.nth(1).locator("button.wf-toggle").click()
    expect(rows.nth(2).locator(".name")).to_have_text("invoke_agent agent-1")

    read_whole(page)
    page.fill("input[name=find]", "agent-6")
    names = rows.locator(".name")
    expect(names.first).to_have_text("invoke_agent agent-6")
    assert set(names.all_text_contents()) == {"invoke_agent agent-6"}
    console.assert_clean()


def test_the_console_reaches_the_end_of_a_chain_100_000_deep(console: Watched):
    page = console.page
    page.goto(f"/#/traces/{CHAIN_TRACE}")
    rows = page.locator(".wf-row[data-span-id]")
    expect(rows.first.locator(".name")).to_have_text("step 0", timeout=60_000)
    read_whole(page)
    page.locator(".wf-list").evaluate("list => { list.scrollTop = list.scrollHeight; }")
    last = page.locator(f'.wf-row[data-span-id="{span_id(CHAIN_SPANS - 1)}"]')
    expect(last).to_be_visible()
    assert rows.count() < FEW_ROWS
    expect(last.locator(".wf-name")).to_have_attribute(
        "title", f"step {(CHAIN_SPANS - 1) % 10} (depth {CHAIN_SPANS - 1:,})"
    )
    console.assert_clean()


def test_the_first_rows_are_drawn_and_stay_when_the_rest_cannot_be_read(console: Watched):
    page = console.page
    whole = re.compile(rf"/api/traces/{WIDE_TRACE}/waterfall$")

    def refuse(route: Route) -> None:
        route.fulfill(status=503, json={"error": "the store is busy"})

    page.route(whole, refuse)
    page.goto(f"/#/traces/{WIDE_TRACE}")
    rows = page.locator(".wf-row[data-span-id]")
    expect(rows.first.locator(".name")).to_have_text("orchestrate huge_job", timeout=60_000)
    expect(page.locator(".notice.error")).to_contain_text(
        f"Only the first 500 of {WIDE_SPANS:,} spans could be read: the store is busy"
    )
    facts = page.locator("dl.facts").first
    expect(facts).to_contain_text(f"{WIDE_SPANS:,}")
    expect(facts).to_contain_text("agents, tools")
    # The list ends at the rows read, with no row left waiting.
    page.locator(".wf-list").evaluate("list => { list.scrollTop = list.scrollHeight; }")
    expect(page.locator(".waterfall")).to_have_attribute("data-complete", "false")
    expect(page.locator(".wf-pending")).to_have_count(0)
    last = page.locator(".wf-row[data-row='499']")
    expect(last).to_be_visible()
    assert page.locator(".wf-row[data-row='500']").count() == 0
    # What went wrong is the refused answer, and nothing else.
    assert console.problems and all("503" in problem for problem in console.problems)


def test_first_rows_whose_spans_are_gone_when_read_fall_back_to_the_whole(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
):
    # Retention deletes a trace between the read of its shape and the read of its first rows.
    store = Store(tmp_path_factory.mktemp("gone") / "store.duckdb")
    try:
        store.add("spans", wide_trace(agents=2, calls=3))
        whole = orjson.loads(waterfall(store, WIDE_TRACE) or "null")
        monkeypatch.setattr(waterfall_module, "waterfall_spans", lambda *args: [])
        answer = orjson.loads(waterfall(store, WIDE_TRACE, limit=2) or "null")
        assert in_rows(answer) == in_rows(whole) and answer["spans"] == len(whole["order"]) == 9
    finally:
        store.close()


def test_a_span_stored_twice_is_one_error_and_a_span_without_service_names_none(
    tmp_path_factory: pytest.TempPathFactory,
):
    """An exporter's retry stores a span twice; a span may come without a service. The
    header's counts, first rows or whole, are of the spans placed."""
    store = Store(tmp_path_factory.mktemp("twice") / "store.duckdb")
    try:
        rows = wide_trace(agents=2, calls=3)  # a root, 2 runs of 3 calls: 9 spans
        failing = dataclasses.replace(rows[-1], status="error")
        rows[-1] = failing
        rows[2] = dataclasses.replace(rows[2], service=None, status=None)
        store.add("spans", [*rows, failing])
        for limit in (None, 3):
            answer = orjson.loads(waterfall(store, WIDE_TRACE, limit) or "null")
            assert answer["spans"] == 9 and answer["errors"] == 1, limit
            assert answer["services"] == ["agents", "tools"], limit
            assert len(answer["order"]) == (9 if limit is None else 3)
    finally:
        store.close()
