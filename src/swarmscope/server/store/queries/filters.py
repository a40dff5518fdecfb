"""SQL fragments several named queries share: conditions built from optional filters, and
how a span attribute or name family, a log record's agent and its level are read."""

from __future__ import annotations

from typing import Any

from swarmscope.conventions import spans
from swarmscope.conventions.attributes import (
    SWARMSCOPE_HANDOFF_FROM_AGENT,
    SWARMSCOPE_HANDOFF_TO_AGENT,
)

# Severity text to rank; unknown or empty text ranks as info, OTLP's default.
SEVERITY_RANK = """CASE
    WHEN severity LIKE 'trace%' THEN 0
    WHEN severity LIKE 'debug%' THEN 1
    WHEN severity LIKE 'warn%' THEN 3
    WHEN severity LIKE 'err%' THEN 4
    WHEN severity LIKE 'crit%' OR severity LIKE 'fatal%' OR severity LIKE 'emerg%'
         OR severity LIKE 'alert%' THEN 5
    ELSE 2 END"""
# The agent a record belongs to, wherever its sender put it.
LOG_AGENT = "coalesce(agent, attributes ->> 'agent_id')"


def attribute(key: str, table: str = "") -> str:
    """SQL for a span attribute as text (keys have dots, so they are quoted in the path)."""
    prefix = f"{table}." if table else ""
    return f"{prefix}attributes ->> '$.\"{key}\"'"


def name_starts_with(prefix: str, table: str = "") -> str:
    """SQL: the span's name is one of the family ``prefix`` starts (``orchestrate plan``)."""
    column = f"{table}.name" if table else "name"
    return f"{column} LIKE '{prefix} %'"


# An orchestrator's run.
ORCHESTRATE = name_starts_with(spans.ORCHESTRATE)


def all_of(*filters: tuple[str, Any]) -> tuple[str, list[Any]]:
    """A WHERE condition from ``(clause, value)`` pairs, leaving out those whose value is None.

    A list value fills a clause with several placeholders.
    """
    conditions, params = ["true"], []
    for clause, wanted in filters:
        if wanted is not None:
            conditions.append(clause)
            params.extend(wanted if isinstance(wanted, list) else [wanted])
    return " AND ".join(conditions), params


def handoff_spans(where: str) -> str:
    """CTEs (for a ``WITH RECURSIVE``) ending in ``handoffs_found``: the handoff spans that
    ``where`` selects (a condition on ``h``), each with its ``source`` and ``target``.

    A handoff span names its ends (ours: in attributes, and the handoff columns) or only its
    target (the OpenAI Agents SDK's ``handoff to X``); then it leaves the agent whose run it
    is in: the nearest span above it that names an agent. Stores from before the handoff
    columns keep our ends in attributes only.
    """
    return f"""
    handoff_rows AS MATERIALIZED (
        SELECT h.trace_id, h.span_id, h.parent_span_id, h.start_ns, h.status,
               h.status_message, h.attributes,
               coalesce(h.handoff_from, {attribute(SWARMSCOPE_HANDOFF_FROM_AGENT, "h")}) AS named,
               coalesce(h.handoff_to, {attribute(SWARMSCOPE_HANDOFF_TO_AGENT, "h")}) AS target
        FROM spans AS h WHERE h.operation = '{spans.HANDOFF}' AND {where}
    ), handoff_scope AS MATERIALIZED (
        SELECT trace_id, span_id, parent_span_id, agent FROM spans
        WHERE trace_id IN (SELECT trace_id FROM handoff_rows WHERE named IS NULL)
    ), handoff_climb(trace_id, span_id, above, agent, depth) AS (
        SELECT trace_id, span_id, parent_span_id, NULL::VARCHAR, 0
        FROM handoff_rows WHERE named IS NULL
        UNION ALL
        SELECT c.trace_id, c.span_id, s.parent_span_id, s.agent, c.depth + 1
        FROM handoff_climb AS c JOIN handoff_scope AS s
             ON s.trace_id = c.trace_id AND s.span_id = c.above
        WHERE c.agent IS NULL AND c.depth < 32
    ), handoff_left AS (
        SELECT trace_id, span_id, any_value(agent) AS agent FROM handoff_climb
        WHERE agent IS NOT NULL GROUP BY ALL
    ), handoffs_found AS (
        SELECT r.*, coalesce(r.named, l.agent) AS source
        FROM handoff_rows AS r LEFT JOIN handoff_left AS l
             ON l.trace_id = r.trace_id AND l.span_id = r.span_id
    )"""
