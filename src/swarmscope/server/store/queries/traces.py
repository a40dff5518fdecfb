"""Traces: one trace's spans, and trace summaries under filters (with their LLM calls,
tokens, cost and waits)."""

from __future__ import annotations

import json
from typing import Any

from swarmscope.conventions.spans import LLM_OPERATIONS
from swarmscope.server.store.database import Store

# An LLM call, in any convention: tokens and cost are summed over these only (a framework's
# span that sums its calls, the Vercel AI SDK's generateText say, would count them twice).
_LLM = f"operation IN {LLM_OPERATIONS!r}"


def trace_spans(store: Store, trace_id: str) -> list[dict[str, Any]]:
    """Every span of a trace, oldest first, with attributes, events and links decoded."""
    rows = store.rows(
        "SELECT spans.* EXCLUDE (resource_id), resources.attributes AS resource FROM spans"
        " LEFT JOIN resources USING (resource_id) WHERE trace_id = ? ORDER BY start_ns",
        [trace_id],
    )
    for row in rows:
        for key in ("attributes", "events", "links", "resource"):
            row[key] = json.loads(row[key]) if row[key] else None
    return rows


def trace_events(store: Store, trace_id: str, events: list[str]) -> list[dict[str, Any]]:
    """The trace's log records of some event names (an LLM call's messages, say), oldest
    first, with their span id, event, body and decoded attributes."""
    rows = store.rows(
        "SELECT span_id, event, body, attributes FROM logs"
        " WHERE trace_id = ? AND list_contains(?, event) ORDER BY time_ns",
        [trace_id, events],
    )
    for row in rows:
        row["attributes"] = json.loads(row["attributes"]) if row["attributes"] else {}
    return rows


def trace_summaries(
    store: Store,
    service: str | None = None,
    agent: str | None = None,
    status: str | None = None,
    min_duration_ms: float | None = None,
    since_ns: int | None = None,
    until_ns: int | None = None,
    attribute: tuple[str, str] | None = None,
    limit: int = 50,
) -> list[dict[str, Any]]:
    """One summary per trace, newest first; filters keep traces with a matching span."""
    conditions: list[str] = []
    params: list[object] = []
    where: list[str] = []
    where_params: list[object] = []
    for column, wanted in (("service", service), ("agent", agent)):
        if wanted is not None:
            conditions.append(f"bool_or({column} = ?)")
            params.append(wanted)
    if attribute is not None:
        key, wanted_value = attribute
        conditions.append("bool_or(attributes ->> ? = ?)")
        params.extend([f"$.{json.dumps(key)}", wanted_value])
    if status == "error":
        conditions.append("bool_or(status = 'error')")
    elif status == "ok":
        conditions.append("NOT bool_or(status = 'error')")
    if min_duration_ms is not None:
        conditions.append("(max(end_ns) - min(start_ns)) / 1e6 >= ?")
        params.append(min_duration_ms)
    # Time bounds narrow the scan itself: a trace is in range if it started in range.
    if since_ns is not None:
        where.append("trace_id IN (SELECT trace_id FROM spans WHERE start_ns >= ?)")
        where_params.append(since_ns)
        conditions.append("min(start_ns) >= ?")
        params.append(since_ns)
    if until_ns is not None:
        conditions.append("min(start_ns) <= ?")
        params.append(until_ns)
    having = f"HAVING {' AND '.join(conditions)}" if conditions else ""
    scan = f"WHERE {' AND '.join(where)}" if where else ""
    query = f"""
        SELECT trace_id,
               arg_min(name, coalesce(parent_span_id IS NOT NULL, false)::INT * 1e18
                       + start_ns) AS root,
               min(start_ns) AS start_ns,
               (max(end_ns) - min(start_ns)) / 1e6 AS duration_ms,
               count(*) AS spans,
               count(*) FILTER (WHERE status = 'error') AS errors,
               list(DISTINCT service ORDER BY service) AS services,
               list(DISTINCT agent ORDER BY agent) FILTER (WHERE agent IS NOT NULL) AS agents,
               count(*) FILTER (WHERE {_LLM}) AS llm_calls,
               sum(input_tokens) FILTER (WHERE {_LLM}) AS input_tokens,
               sum(output_tokens) FILTER (WHERE {_LLM}) AS output_tokens,
               sum(cost_usd) FILTER (WHERE {_LLM}) AS cost_usd,
               count(*) FILTER (WHERE wait IS NOT NULL) AS waits
        FROM spans {scan} GROUP BY trace_id {having}
        ORDER BY start_ns DESC LIMIT ?
    """
    return store.rows(query, [*where_params, *params, limit])
