"""SQL fragments several named queries share: conditions built from optional filters, and
how a span attribute or name family, a log record's agent and its level are read."""

from __future__ import annotations

from typing import Any

from swarmscope.conventions import spans

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
