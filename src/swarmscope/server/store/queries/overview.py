"""The overview's span figures over a window and the window before it: one aggregate over
the spans table, one row per window, so a trend costs no second scan."""

from __future__ import annotations

from typing import Any

from swarmscope.conventions.spans import LLM_OPERATIONS
from swarmscope.server.store.database import Store

_LLM = f"operation IN {LLM_OPERATIONS!r}"
# A run is a trace; its duration is its root span's (the one without a parent).
_SPANS = f"""
    SELECT start_ns >= ? AS current,
           count(*) AS spans,
           count(DISTINCT trace_id) AS traces,
           count(DISTINCT trace_id) FILTER (WHERE status = 'error') AS error_traces,
           list(DISTINCT service ORDER BY service) FILTER (WHERE service IS NOT NULL) AS services,
           list(DISTINCT agent ORDER BY agent) FILTER (WHERE agent IS NOT NULL) AS agents,
           count(*) FILTER (WHERE {_LLM}) AS llm_calls,
           coalesce(sum(input_tokens) FILTER (WHERE {_LLM}), 0) AS input_tokens,
           coalesce(sum(output_tokens) FILTER (WHERE {_LLM}), 0) AS output_tokens,
           coalesce(sum(cost_usd) FILTER (WHERE {_LLM}), 0) AS cost_usd,
           quantile_cont(duration_ms, 0.95) FILTER (WHERE parent_span_id IS NULL)
               AS p95_run_ms,
           histogram(coalesce(model, 'unknown')) FILTER (WHERE {_LLM}) AS by_model
    FROM spans WHERE start_ns >= ? AND start_ns <= ?
    GROUP BY ALL
"""
_EMPTY: dict[str, Any] = {
    "spans": 0,
    "traces": 0,
    "error_traces": 0,
    "services": [],
    "agents": [],
    "llm_calls": 0,
    "input_tokens": 0,
    "output_tokens": 0,
    "cost_usd": 0.0,
    "p95_run_ms": None,
    "by_model": {},
}


def span_totals(
    store: Store, since_ns: int, until_ns: int, previous_ns: int
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Spans, traces, failing traces, services, agents, LLM calls, cost and the runs' p95 of
    the window ``[since_ns, until_ns]``, and the same of ``[previous_ns, since_ns)``."""
    rows = store.rows(_SPANS, [since_ns, previous_ns, until_ns])
    by_window = {bool(row.pop("current")): row for row in rows}
    return by_window.get(True, dict(_EMPTY)), by_window.get(False, dict(_EMPTY))
