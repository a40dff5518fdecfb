"""Log records: the newest that match a search, and counts by level."""

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
        (f"{LOG_AGENT} = ?", query.agent),
        (f"{SEVERITY_RANK} >= ?", query.min_rank),
        (matches_text, None if text is None else [text, text, literal_pattern(text)]),
    )


def literal_pattern(text: str) -> str:
    """A regular expression (RE2) matching ``text`` literally: punctuation as code points."""
    return "".join(char if char.isalnum() else f"\\x{{{ord(char):x}}}" for char in text)


def newest_records(store: Store, query: LogQuery) -> list[dict[str, Any]]:
    """The newest ``limit`` records matching the search, in one pass over its bounds."""
    where, params = log_conditions(query)
    return store.rows(
        f"""
        SELECT time_ns, severity, event, body, service, {LOG_AGENT} AS agent, trace_id,
               span_id, attributes
        FROM logs WHERE {where} ORDER BY time_ns DESC LIMIT ?
        """,
        [*params, query.limit],
    )


def records_by_level(store: Store, since_ns: int, until_ns: int) -> list[dict[str, Any]]:
    """How many records each severity rank has over a window, lowest rank first."""
    return store.rows(_LEVEL_COUNTS, [since_ns, until_ns])
