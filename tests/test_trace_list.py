"""The trace list, newest first: the same traces whether they are found in the newest
spans' windows or among every span, in the order of the traces' first spans."""

from __future__ import annotations

import dataclasses

from swarmscope.server.store.database import Store
from swarmscope.server.store.queries.traces import FIRST_WINDOW_NS, TraceFilters, trace_summaries
from swarmscope.server.store.rows import SpanRow

MINUTE = 60 * 10**9
NOW = 1_800_000_000 * 10**9


def span(trace: int, number: int, start_ns: int, parent: int | None = None, **fields) -> SpanRow:
    row = SpanRow(
        trace_id=f"{trace:032x}",
        span_id=f"{trace:08x}{number:08x}",
        parent_span_id=None if parent is None else f"{trace:08x}{parent:08x}",
        name=f"invoke_agent agent-{trace}" if parent is None else "execute_tool lookup",
        kind="internal",
        service="agents",
        start_ns=start_ns,
        end_ns=start_ns + MINUTE // 60,
        duration_ms=1000.0,
        status="ok",
        status_message="",
        operation="invoke_agent" if parent is None else "execute_tool",
        agent=f"agent-{trace}",
        tool=None,
        model=None,
        input_tokens=None,
        output_tokens=None,
        attributes="{}",
        events="[]",
        links="[]",
        resource_id="",
    )
    return dataclasses.replace(row, **fields)


def ids(rows: list[dict]) -> list[int]:
    return [int(row["trace_id"], 16) for row in rows]


def test_the_newest_traces_come_from_the_first_window_that_holds_enough(store: Store):
    # A trace a minute for two days: far more than the first window holds.
    store.add("spans", [span(n, 0, NOW - n * MINUTE) for n in range(2 * 24 * 60)])
    assert ids(trace_summaries(store, limit=3)) == [0, 1, 2]
    # More than the first window holds: found in a wider one.
    wide = int(FIRST_WINDOW_NS / MINUTE) * 3
    assert ids(trace_summaries(store, limit=wide)) == list(range(wide))


def test_a_trace_that_began_long_ago_is_listed_by_its_first_span_not_its_last(store: Store):
    store.add("spans", [span(n, 0, NOW - n * MINUTE) for n in range(1, 10)])
    # Trace 99 began a day ago and has a span now: it is the oldest trace, not the newest.
    store.add("spans", [span(99, 0, NOW - 24 * 60 * MINUTE), span(99, 1, NOW, parent=0)])
    listed = trace_summaries(store, limit=10)
    assert ids(listed) == [*range(1, 10), 99]
    assert listed[-1]["spans"] == 2 and listed[-1]["root"] == "invoke_agent agent-99"
    assert ids(trace_summaries(store, limit=3)) == [1, 2, 3]


def test_since_leaves_out_a_trace_that_began_before_it(store: Store):
    store.add("spans", [span(n, 0, NOW - n * MINUTE) for n in range(1, 30)])
    store.add("spans", [span(99, 0, NOW - 20 * MINUTE), span(99, 1, NOW, parent=0)])
    since = NOW - 10 * MINUTE
    assert ids(trace_summaries(store, TraceFilters(since_ns=since), limit=50)) == list(range(1, 11))


def test_a_filter_that_few_traces_pass_is_answered_from_every_span(store: Store):
    spans = [span(n, 0, NOW - n * MINUTE) for n in range(3 * 24 * 60)]
    spans[2000] = dataclasses.replace(spans[2000], status="error")
    spans[5] = dataclasses.replace(spans[5], status="error")
    store.add("spans", spans)
    assert ids(trace_summaries(store, TraceFilters(status="error"))) == [5, 2000]
    before = TraceFilters(status="error", until_ns=NOW - 6 * MINUTE)
    assert ids(trace_summaries(store, before)) == [2000]
    assert trace_summaries(store, TraceFilters(service="nobody")) == []


def test_an_empty_store_lists_nothing(store: Store):
    assert trace_summaries(store) == []
