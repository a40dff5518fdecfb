"""Log records: the newest that match a search, and counts by level.

A record's agent is the one its sender named (the swarmscope SDK's ``agent_id``, a
``gen_ai.agent.name``...) or else the agent of the span it was written in: the span's own
agent, or the nearest agent run above it. That is read when queried, not at intake, because
a span is exported when it ends, after the records written inside it.
"""

from __future__ import annotations

from typing import Any

from swarmscope.api_words import LogQuery
from swarmscope.server.store.database import Store
from swarmscope.server.store.queries.filters import LOG_AGENT, SEVERITY_RANK, all_of

_LEVEL_COUNTS = f"""
    SELECT {SEVERITY_RANK} AS rank, count(*) AS records
    FROM logs WHERE time_ns >= ? AND time_ns <= ? GROUP BY rank ORDER BY rank
"""


def log_conditions(query: LogQuery) -> tuple[str, list[Any]]:
    """The search's filters as a condition on the logs table."""
    # Body and event are few distinct strings (dictionary-compressed): lowering them is
    # cheap. Attributes are unique per record: a case-blind regex spares a lowered copy.
    text = None if query.text is None else query.text.lower()
    matches_text = (
        "(contains(lower(body), ?) OR contains(lower(coalesce(event, '')), ?)"
        " OR regexp_matches(attributes::VARCHAR, ?, 'i'))"
    )
    return all_of(
        ("time_ns >= ?", query.since_ns),
        ("time_ns <= ?", query.until_ns),
        ("trace_id = ?", query.trace_id),
        ("service = ?", query.service),
        (_OF_AGENT, None if query.agent is None else [query.agent, query.agent, query.agent]),
        (f"{SEVERITY_RANK} >= ?", query.min_rank),
        (matches_text, None if text is None else [text, text, literal_pattern(text)]),
    )


# A record of the agent: named so, or written in a span of one of its runs (its runs and what
# ran inside them, down to, not into, another agent's run).
_OF_AGENT = f"""({LOG_AGENT} = ? OR ({LOG_AGENT} IS NULL AND span_id IN (
    WITH RECURSIVE under(trace_id, span_id, depth) AS (
        SELECT trace_id, span_id, 0 FROM spans WHERE agent = ?
        UNION ALL
        SELECT s.trace_id, s.span_id, under.depth + 1
        FROM under JOIN spans AS s
             ON s.trace_id = under.trace_id AND s.parent_span_id = under.span_id
        WHERE (s.agent IS NULL OR s.agent = ?) AND under.depth < 32
    )
    SELECT span_id FROM under)))"""
# The agent of each span asked for: its own, else the nearest one above it.
_SPAN_AGENTS = """
    WITH RECURSIVE wanted AS (
        SELECT unnest(?::VARCHAR[]) AS trace_id, unnest(?::VARCHAR[]) AS span_id
    ), scope AS MATERIALIZED (
        SELECT trace_id, span_id, parent_span_id, agent FROM spans
        WHERE trace_id IN (SELECT trace_id FROM wanted)
    ), up(trace_id, span_id, above, agent, depth) AS (
        SELECT w.trace_id, w.span_id, s.parent_span_id, s.agent, 0
        FROM wanted AS w JOIN scope AS s ON s.trace_id = w.trace_id AND s.span_id = w.span_id
        UNION ALL
        SELECT up.trace_id, up.span_id, s.parent_span_id, s.agent, up.depth + 1
        FROM up JOIN scope AS s ON s.trace_id = up.trace_id AND s.span_id = up.above
        WHERE up.agent IS NULL AND up.depth < 32
    )
    SELECT trace_id, span_id, any_value(agent) AS agent FROM up
    WHERE agent IS NOT NULL GROUP BY ALL
"""


def span_agents(store: Store, spans: list[tuple[str, str]]) -> dict[tuple[str, str], str]:
    """The agent each ``(trace_id, span_id)`` ran under, for those that ran under one."""
    if not spans:
        return {}
    rows = store.rows(_SPAN_AGENTS, [[trace for trace, _ in spans], [span for _, span in spans]])
    return {(row["trace_id"], row["span_id"]): row["agent"] for row in rows}


def literal_pattern(text: str) -> str:
    """A regular expression (RE2) matching ``text`` literally: punctuation as code points."""
    return "".join(char if char.isalnum() else f"\\x{{{ord(char):x}}}" for char in text)


def newest_records(store: Store, query: LogQuery) -> list[dict[str, Any]]:
    """The newest ``limit`` records matching the search, in one pass over its bounds."""
    where, params = log_conditions(query)
    found = store.rows(
        f"""
        SELECT time_ns, severity, event, body, service, {LOG_AGENT} AS agent, trace_id,
               span_id, attributes
        FROM logs WHERE {where} ORDER BY time_ns DESC LIMIT ?
        """,
        [*params, query.limit],
    )
    unnamed = {
        (row["trace_id"], row["span_id"])
        for row in found
        if row["agent"] is None and row["trace_id"] and row["span_id"]
    }
    agents = span_agents(store, sorted(unnamed))
    for row in found:
        if row["agent"] is None:
            row["agent"] = agents.get((row["trace_id"], row["span_id"]))
    return found


def records_by_level(store: Store, since_ns: int, until_ns: int) -> list[dict[str, Any]]:
    """How many records each severity rank has over a window, lowest rank first."""
    return store.rows(_LEVEL_COUNTS, [since_ns, until_ns])
