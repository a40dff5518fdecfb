"""Traces of 100,000 spans, written straight into a store: one wide (a root, a thousand
agent runs, each with its tool and LLM calls) and one a single chain 100,000 deep. The
tests of huge traces and ``benchmarks/huge_trace.py`` read them."""

from __future__ import annotations

import json

from swarmscope.server.store.database import Store
from swarmscope.server.store.rows import SpanRow

WIDE_TRACE = "a1" * 16
CHAIN_TRACE = "c4" * 16
START_NS = 1_900_000_000 * 10**9
MS = 10**6
# Every span whose number this divides fails, with an exception event (the root aside).
FAILING = 997


def span_id(number: int) -> str:
    return f"{number + 1:016x}"


def _span(
    trace_id: str,
    number: int,
    parent: int | None,
    name: str,
    start_ns: int,
    duration_ns: int,
    failed: bool = False,
    operation: str | None = None,
    agent: str | None = None,
) -> SpanRow:
    events = []
    if failed:
        stack = f'Traceback (most recent call last):\n  File "tool.py", line {number}\nTimeoutError'
        events.append(
            {
                "name": "exception",
                "time_ns": start_ns + duration_ns // 2,
                "attributes": {
                    "exception.type": "TimeoutError",
                    "exception.message": f"call {number} timed out",
                    "exception.stacktrace": stack,
                },
            }
        )
    return SpanRow(
        trace_id=trace_id,
        span_id=span_id(number),
        parent_span_id=None if parent is None else span_id(parent),
        name=name,
        kind="internal",
        service="agents" if number % 3 else "tools",
        start_ns=start_ns,
        end_ns=start_ns + duration_ns,
        duration_ms=duration_ns / MS,
        status="error" if failed else "ok",
        status_message=f"call {number} timed out" if failed else "",
        operation=operation,
        agent=agent,
        tool=None,
        model=None,
        input_tokens=None,
        output_tokens=None,
        attributes=json.dumps({"call.number": number, "call.note": f"step {number}"}),
        events=json.dumps(events),
        links="[]",
        resource_id="",
    )


def wide_trace(agents: int = 1000, calls: int = 99) -> list[SpanRow]:
    """A root, ``agents`` agent runs under it one after another, each with ``calls`` tool
    calls: ``1 + agents * (1 + calls)`` spans, 100,000 by default. The last span (in
    waterfall order too) is the last call of the last run."""
    rows = [_span(WIDE_TRACE, 0, None, "orchestrate huge_job", START_NS, agents * 100 * MS)]
    for run in range(agents):
        agent = f"agent-{run % 7}"
        number = len(rows)
        run_start = START_NS + run * 100 * MS
        rows.append(
            _span(WIDE_TRACE, number, 0, f"invoke_agent {agent}", run_start, 90 * MS,
                  failed=number % FAILING == 0, operation="invoke_agent", agent=agent)
        )  # fmt: skip
        for call in range(calls):
            at = len(rows)
            rows.append(
                _span(WIDE_TRACE, at, number, f"execute_tool lookup-{call % 13}",
                      run_start + call * 900_000, 800_000, failed=at % FAILING == 0,
                      operation="execute_tool", agent=agent)
            )  # fmt: skip
    return rows


def chain_trace(depth: int = 100_000) -> list[SpanRow]:
    """One span under another, ``depth`` deep: each starts a microsecond after its parent."""
    return [
        _span(CHAIN_TRACE, n, n - 1 if n else None, f"step {n % 10}", START_NS + n * 1000,
              (depth - n) * 1000 + 500)
        for n in range(depth)
    ]  # fmt: skip


def store_huge_traces(store: Store) -> None:
    """Both traces, written in batches the size of an intake's."""
    for rows in (wide_trace(), chain_trace()):
        for first in range(0, len(rows), 20_000):
            store.add("spans", rows[first : first + 20_000])
