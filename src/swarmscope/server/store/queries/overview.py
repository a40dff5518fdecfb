"""The overview's span figures over a window: one aggregate over the spans table."""

from __future__ import annotations

from typing import Any

from swarmscope.conventions.spans import LLM_OPERATIONS
from swarmscope.server.store.database import Store

_LLM = f"operation IN {LLM_OPERATIONS!r}"
_SPANS = f"""
    SELECT count(*) AS spans,
           count(DISTINCT trace_id) AS traces,
           count(DISTINCT trace_id) FILTER (WHERE status = 'error') AS error_traces,
           list(DISTINCT service ORDER BY service) FILTER (WHERE service IS NOT NULL) AS services,
           list(DISTINCT agent ORDER BY agent) FILTER (WHERE agent IS NOT NULL) AS agents,
           count(*) FILTER (WHERE {_LLM}) AS llm_calls,
           coalesce(sum(input_tokens) FILTER (WHERE {_LLM}), 0) AS input_tokens,
           coalesce(sum(output_tokens) FILTER (WHERE {_LLM}), 0) AS output_tokens,
           histogram(coalesce(model, 'unknown')) FILTER (WHERE {_LLM}) AS by_model
    FROM spans WHERE start_ns >= ? AND start_ns <= ?
"""


def span_totals(store: Store, since_ns: int, until_ns: int) -> dict[str, Any]:
    """Spans, traces, failing traces, services, agents and LLM calls of a window."""
    [totals] = store.rows(_SPANS, [since_ns, until_ns])
    return totals
