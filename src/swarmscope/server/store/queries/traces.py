"""Traces: one trace's spans and how its run ended, and trace summaries under filters (with
their outcome, LLM calls, tokens, cost and waits)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from swarmscope.api_words import Outcome
from swarmscope.conventions.spans import (
    INVOKE_AGENT,
    LLM_OPERATIONS,
    WAIT_INPUT_REQUIRED,
    WAIT_INTERRUPT,
)
from swarmscope.server.store.database import Store
from swarmscope.server.store.queries.filters import ORCHESTRATE

# An LLM call, in any convention: tokens and cost are summed over these only (a framework's
# span that sums its calls, the Vercel AI SDK's generateText say, would count them twice).
_LLM = f"operation IN {LLM_OPERATIONS!r}"
# A trace's spans, root first: the root (no parent), else the oldest span stored (its root
# has not arrived, or lives in a system that sends nothing).
_ROOT_FIRST = "coalesce(parent_span_id IS NOT NULL, false)::INT * 1e18 + start_ns"
# The run at the top of a trace: its oldest orchestration or agent run (a parent starts
# before what it runs), the one that says how the run ended when the root is only the HTTP
# request that started it in the background (202 Accepted, ok).
_TOP_RUN_STATUS = (
    f"arg_min(status, start_ns) FILTER (WHERE {ORCHESTRATE} OR operation = '{INVOKE_AGENT}')"
)
# How a trace's run ended, as an aggregate over the trace's spans: one expression for the
# list, its filter and one trace, so they cannot disagree. A run that stopped for a person
# (a LangGraph interrupt records an exception, and may end its spans in error) is
# interrupted, not failed; our approvals wait inside the run, which goes on.
OUTCOME = f"""CASE
    WHEN bool_or(wait IN ('{WAIT_INTERRUPT}', '{WAIT_INPUT_REQUIRED}')) THEN '{Outcome.INTERRUPTED}'
    WHEN arg_min(status, {_ROOT_FIRST}) = 'error' OR coalesce({_TOP_RUN_STATUS} = 'error', false)
        THEN '{Outcome.FAILED}'
    WHEN bool_or(status = 'error') THEN '{Outcome.RECOVERED}'
    ELSE '{Outcome.OK}' END"""
# A trace that is one HTTP request served and nothing more: a poll, a probe. It ended well
# (a failed one is worth seeing) and holds no other span.
_PLAIN_REQUEST = "(count(*) = 1 AND bool_and(kind = 'server') AND NOT bool_or(status = 'error'))"


_SPANS = (
    "SELECT spans.* EXCLUDE (resource_id), resources.attributes AS resource FROM spans"
    " LEFT JOIN resources USING (resource_id) WHERE trace_id = ?"
)


def trace_spans(store: Store, trace_id: str) -> list[dict[str, Any]]:
    """Every span of a trace, oldest first, with attributes, events and links decoded."""
    return _decoded(store.rows(f"{_SPANS} ORDER BY start_ns", [trace_id]))


def trace_span(store: Store, trace_id: str, span_id: str) -> dict[str, Any] | None:
    """One span of a trace, as ``trace_spans`` gives it; None when the trace has no such
    span."""
    rows = _decoded(store.rows(f"{_SPANS} AND span_id = ? LIMIT 1", [trace_id, span_id]))
    return rows[0] if rows else None


def _decoded(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    for row in rows:
        for key in ("attributes", "events", "links", "resource"):
            row[key] = json.loads(row[key]) if row[key] else None
    return rows


# The columns a waterfall draws, each sent as one JSON array, every array in the same order.
WATERFALL_COLUMNS = (
    "span_id", "parent_span_id", "name", "service", "kind", "operation", "agent", "tool",
    "model", "status", "status_message", "start_ns", "duration_ms", "input_tokens",
    "output_tokens", "cost_usd",
)  # fmt: skip
# When the trace began and ended.
_TRACE_TIMES = "min(start_ns) AS first_start_ns, max(end_ns) AS last_end_ns"
# One list of every span (one snapshot: an intake writing meanwhile cannot misalign the
# columns), then each column drawn from it; list indices are 0-based here, 1-based in SQL.
# A span waits for a human when the agent model says so (an approval, an interrupt).
_WATERFALL = f"""
    WITH listed AS (
        SELECT list({{{", ".join(f"{c}: {c}" for c in WATERFALL_COLUMNS)},
                     approval: wait IS NOT NULL,
                     events: nullif(events::VARCHAR, '[]')}}) AS spans,
               {_TRACE_TIMES}
        FROM spans WHERE trace_id = ?
    ), evented AS (
        SELECT *, list_filter(range(len(spans)), lambda i: spans[i + 1].events IS NOT NULL)
                  AS evented
        FROM listed
    )
    SELECT len(spans) AS spans, first_start_ns, last_end_ns,
           {", ".join(f"to_json(list_transform(spans, lambda s: s.{c})) AS {c}" for c in WATERFALL_COLUMNS)},
           to_json(list_filter(range(len(spans)), lambda i: spans[i + 1].approval)) AS approval,
           evented, list_transform(evented, lambda i: spans[i + 1].events) AS events
    FROM evented
"""
_SHAPE = f"""
    SELECT count(*) AS spans, to_json(list(span_id)) AS span_id,
           to_json(list(parent_span_id)) AS parent_span_id, to_json(list(start_ns)) AS start_ns,
           to_json(list(coalesce(status = 'error', false))) AS failed,
           coalesce(to_json(list(DISTINCT service ORDER BY service)
                            FILTER (WHERE service IS NOT NULL)), '[]') AS services,
           {_TRACE_TIMES}
    FROM spans WHERE trace_id = ?
"""


def waterfall_columns(store: Store, trace_id: str) -> dict[str, Any]:
    """A trace's spans as JSON text of one array per ``WATERFALL_COLUMNS`` (an unspecified
    order, the same in each: a span's *position*); ``approval``, the same of the positions
    of spans that wait for a human; ``evented``, the positions of spans with events, and
    ``events`` their events, still encoded; ``spans``, how many (0: no such trace);
    ``first_start_ns`` and ``last_end_ns``, when the trace began and ended.

    DuckDB writes the arrays: made into Python objects first, 100,000 spans' columns cost
    several times more. Attributes and resources stay in the store: a span's detail is
    read alone (``trace_span``).
    """
    [found] = store.rows(_WATERFALL, [trace_id])
    return found


def waterfall_shape(store: Store, trace_id: str) -> dict[str, Any]:
    """What ``waterfall_columns`` says of the trace, with only the columns that place a span
    in the tree (``span_id``, ``parent_span_id``, ``start_ns``), whether it ended in error
    (``failed``) and the services it crossed (``services``, sorted): a sixth of the work,
    for a waterfall that draws its first rows before it has them all."""
    [found] = store.rows(_SHAPE, [trace_id])
    return found


def waterfall_spans(store: Store, trace_id: str, span_ids: list[str]) -> list[dict[str, Any]]:
    """Some spans of a trace with ``WATERFALL_COLUMNS``, ``approval`` and their ``events``
    still encoded (None when they have none); a span stored twice comes twice."""
    return store.rows(
        f"SELECT {', '.join(WATERFALL_COLUMNS)}, wait IS NOT NULL AS approval,"
        " nullif(events::VARCHAR, '[]') AS events"
        " FROM spans WHERE trace_id = ? AND span_id = ANY(?)",
        [trace_id, span_ids],
    )


def trace_outcome(store: Store, trace_id: str) -> Outcome | None:
    """How the trace's run ended; None for a trace with no span stored."""
    rows = store.rows(
        f"SELECT {OUTCOME} AS outcome FROM spans WHERE trace_id = ? GROUP BY trace_id", [trace_id]
    )
    return Outcome(rows[0]["outcome"]) if rows else None


def trace_events(
    store: Store, trace_id: str, events: list[str], span_id: str | None = None
) -> list[dict[str, Any]]:
    """The trace's log records of some event names (an LLM call's messages, say), oldest
    first, with their span id, event, body and decoded attributes; of one span only when
    ``span_id`` is given."""
    one_span = "" if span_id is None else " AND span_id = ?"
    rows = store.rows(
        "SELECT span_id, event, body, attributes FROM logs"
        f" WHERE trace_id = ? AND list_contains(?, event){one_span} ORDER BY time_ns",
        [trace_id, events, *([] if span_id is None else [span_id])],
    )
    for row in rows:
        row["attributes"] = json.loads(row["attributes"]) if row["attributes"] else {}
    return rows


@dataclass(frozen=True)
class _Filters:
    """A trace list's filters as one HAVING clause over a trace's spans, and its parameters."""

    having: list[str]
    params: list[object]

    def clause(self, *more: str) -> str:
        conditions = [*self.having, *more]
        return f"HAVING {' AND '.join(conditions)}" if conditions else ""


@dataclass(frozen=True)
class TraceFilters:
    """Which traces a list keeps; ``None`` leaves a filter out.

    ``status`` is about spans (``error``: some span of the trace ended in error, ``ok``:
    none did); ``outcome`` is about the run. Plain requests (a trace that is one HTTP
    request and nothing more: polls, probes) are left out unless ``plain_requests``.
    """

    service: str | None = None
    agent: str | None = None
    status: str | None = None
    outcome: Outcome | None = None
    min_duration_ms: float | None = None
    since_ns: int | None = None
    until_ns: int | None = None
    attribute: tuple[str, str] | None = None
    plain_requests: bool = False


def _filters(wanted: TraceFilters) -> _Filters:
    having: list[str] = []
    params: list[object] = []
    for column, value in (("service", wanted.service), ("agent", wanted.agent)):
        if value is not None:
            having.append(f"bool_or({column} = ?)")
            params.append(value)
    if wanted.attribute is not None:
        key, wanted_value = wanted.attribute
        having.append("bool_or(attributes ->> ? = ?)")
        params.extend([f"$.{json.dumps(key)}", wanted_value])
    if wanted.status == "error":
        having.append("bool_or(status = 'error')")
    elif wanted.status == "ok":
        having.append("NOT bool_or(status = 'error')")
    if wanted.outcome is not None:
        having.append(f"({OUTCOME}) = ?")
        params.append(str(wanted.outcome))
    if not wanted.plain_requests:
        having.append(f"NOT {_PLAIN_REQUEST}")
    if wanted.min_duration_ms is not None:
        having.append("(max(end_ns) - min(start_ns)) / 1e6 >= ?")
        params.append(wanted.min_duration_ms)
    if wanted.until_ns is not None:
        having.append("min(start_ns) <= ?")
        params.append(wanted.until_ns)
    return _Filters(having, params)


# The first window looked at, before the newest span; each next one is this many times wider.
FIRST_WINDOW_NS = 5 * 60 * 10**9
WIDER = 8
_NEWEST = "SELECT max(start_ns) AS newest, min(start_ns) AS oldest FROM spans"
_WANTED = "SELECT trace_id, min(start_ns) AS start_ns FROM spans {where} GROUP BY trace_id {having}"
# A summary of each trace of ``{scope}`` (a condition on its spans).
_SUMMARIES = f"""
    SELECT trace_id,
           arg_min(name, {_ROOT_FIRST}) AS root,
           min(start_ns) AS start_ns,
           (max(end_ns) - min(start_ns)) / 1e6 AS duration_ms,
           count(*) AS spans,
           count(*) FILTER (WHERE status = 'error') AS errors,
           list_sort(list_distinct(list(service))) AS services,
           list_sort(list_distinct(list(agent) FILTER (WHERE agent IS NOT NULL))) AS agents,
           count(*) FILTER (WHERE {_LLM}) AS llm_calls,
           sum(input_tokens) FILTER (WHERE {_LLM}) AS input_tokens,
           sum(output_tokens) FILTER (WHERE {_LLM}) AS output_tokens,
           sum(cost_usd) FILTER (WHERE {_LLM}) AS cost_usd,
           count(*) FILTER (WHERE wait IS NOT NULL) AS waits,
           {OUTCOME} AS outcome
    FROM spans WHERE {{scope}} GROUP BY trace_id
"""
# What the list adds to a summary while it looks: how many traces the window held, and
# whether a span of theirs began before the window.
_LOOKING = ("found", "older")


def trace_summaries(
    store: Store, wanted: TraceFilters | None = None, limit: int = 50
) -> list[dict[str, Any]]:
    """One summary per trace, newest first (by the start of its first span); filters on
    spans keep traces with a matching span.

    A trace that started at or after some instant has all its spans after it, so the newest
    traces are found among the newest spans: windows back from the newest span, each
    ``WIDER`` times the last, until one holds ``limit`` traces that started inside it (none
    of their spans is older). Each window is one statement (``_summaries_after``): which
    traces (only their ids and starts, the cheapest aggregate), then the summaries of those
    traces only, read from the window's start on (the store's time order lets DuckDB skip
    the rest of the table): summarising every trace to keep fifty cost twenty times more.
    The last resort is every span: a selective filter may need it.
    """
    wanted = wanted or TraceFilters()
    filters = _filters(wanted)
    [bounds] = store.rows(_NEWEST)
    if bounds["newest"] is None:
        return []
    until_ns, since_ns = wanted.until_ns, wanted.since_ns
    anchor = bounds["newest"] if until_ns is None else min(bounds["newest"], until_ns)
    floor = max(bounds["oldest"], since_ns if since_ns is not None else bounds["oldest"])
    window = FIRST_WINDOW_NS
    while anchor - window > floor:
        found = _summaries_after(store, filters, anchor - window, limit)
        if found and found[0]["found"] == limit and not found[0]["older"]:
            return [{k: v for k, v in row.items() if k not in _LOOKING} for row in found]
        window *= WIDER
    newest = _every_trace(store, filters, since_ns, limit)
    if not newest:
        return []
    oldest = min(row["start_ns"] for row in newest)
    scope = "start_ns >= ? AND trace_id = ANY(?::VARCHAR[])"
    return store.rows(
        f"{_SUMMARIES.format(scope=scope)} ORDER BY start_ns DESC",
        [oldest, [row["trace_id"] for row in newest]],
    )


def _summaries_after(store: Store, filters: _Filters, cut: int, limit: int) -> list[dict[str, Any]]:
    """The summaries of the newest traces among the spans from ``cut`` on that pass the
    filters there, each with ``found`` (how many) and ``older`` (whether a span of theirs
    began before ``cut``: a trace that did is among them as if it began later)."""
    wanted = _WANTED.format(where="WHERE start_ns >= ?", having=filters.clause())
    scope = "start_ns >= ? AND trace_id IN (SELECT trace_id FROM found)"
    query = f"""
        WITH found AS MATERIALIZED ({wanted} ORDER BY start_ns DESC LIMIT ?),
        summaries AS ({_SUMMARIES.format(scope=scope)})
        SELECT *, (SELECT count(*) FROM found) AS found,
               EXISTS (
                   SELECT 1 FROM spans
                   WHERE start_ns < ? AND trace_id IN (SELECT trace_id FROM found)
               ) AS older
        FROM summaries ORDER BY start_ns DESC
    """
    return store.rows(query, [cut, *filters.params, limit, cut, cut])


def _every_trace(
    store: Store, filters: _Filters, since_ns: int | None, limit: int
) -> list[dict[str, Any]]:
    """The newest traces that pass the filters and began at or after ``since_ns``, over
    every span."""
    began = [] if since_ns is None else ["min(start_ns) >= ?"]
    query = _WANTED.format(where="", having=filters.clause(*began))
    params = [*filters.params, *([] if since_ns is None else [since_ns]), limit]
    return store.rows(f"{query} ORDER BY start_ns DESC LIMIT ?", params)
