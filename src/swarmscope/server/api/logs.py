"""``GET /api/logs``: log records, newest first, filtered by text, level, trace and agent.

Records arrive from any OpenTelemetry SDK, so the level is read from the severity text by
prefix (``WARN``, ``warning``, ``ERROR2`` and ``FATAL`` all rank where a reader expects).
The swarmscope SDK puts the agent in the ``agent_id`` attribute (structlog context), other
senders in ``gen_ai.agent.name`` and friends: the agent column is taken first, that
attribute second, so the agent filter finds both.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query

from swarmscope.server.api.params import BadParameter, time_ns
from swarmscope.server.context import Context
from swarmscope.server.store.database import Store

LEVELS = {"trace": 0, "debug": 1, "info": 2, "warning": 3, "error": 4, "critical": 5}
_ALIASES = {"warn": "warning", "fatal": "critical", "err": "error"}
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
# How far back the successive passes of a newest-first search look.
WINDOWS_NS = (15 * 60 * 10**9, 3 * 3600 * 10**9, 24 * 3600 * 10**9)
TIME = Annotated[str | None, Query(description="epoch s, ISO 8601, or 15m ago")]


def level_rank(text: str) -> int:
    """The rank of a level name a user typed; 400 for a name no logger uses."""
    name = text.strip().lower()
    name = _ALIASES.get(name, name)
    if name not in LEVELS:
        raise BadParameter(f"level must be one of {', '.join(LEVELS)} (or warn)")
    return LEVELS[name]


def routes(context: Context) -> APIRouter:
    router = APIRouter(tags=["logs"])

    @router.get("/api/logs", summary="Log records, newest first")
    async def list_logs(
        text: Annotated[
            str | None, Query(description="substring of the message, event or attributes")
        ] = None,
        level: Annotated[
            str | None, Query(description="minimum level: debug, info, warning, error, critical")
        ] = None,
        trace_id: str | None = None,
        agent: str | None = None,
        service: str | None = None,
        start: TIME = None,
        end: TIME = None,
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    ) -> dict[str, Any]:
        query = LogQuery(
            text=text or None,
            min_rank=None if level is None else level_rank(level),
            trace_id=trace_id.lower() if trace_id else None,
            agent=agent,
            service=service,
            since_ns=time_ns("start", start),
            until_ns=time_ns("end", end),
            limit=limit,
        )
        logs = await asyncio.to_thread(search, context.store, query)
        return {"logs": logs, "count": len(logs)}

    return router


@dataclass(frozen=True)
class LogQuery:
    """The filters of one search; ``None`` leaves a filter out."""

    text: str | None = None
    min_rank: int | None = None
    trace_id: str | None = None
    agent: str | None = None
    service: str | None = None
    since_ns: int | None = None
    until_ns: int | None = None
    limit: int = 100

    def where(self) -> tuple[str, list[Any]]:
        # Body and event are few distinct strings (dictionary-compressed): lowering them is
        # cheap. Attributes are unique per record: a case-blind regex spares a lowered copy.
        text = None if self.text is None else self.text.lower()
        matches_text = (
            "(contains(lower(body), ?) OR contains(lower(coalesce(event, '')), ?)"
            " OR regexp_matches(attributes::VARCHAR, ?, 'i'))"
        )
        return all_of(
            ("time_ns >= ?", self.since_ns),
            ("time_ns <= ?", self.until_ns),
            ("trace_id = ?", self.trace_id),
            ("service = ?", self.service),
            (f"{LOG_AGENT} = ?", self.agent),
            (f"{SEVERITY_RANK} >= ?", self.min_rank),
            (matches_text, None if text is None else [text, text, literal_pattern(text)]),
        )


def literal_pattern(text: str) -> str:
    """A regular expression (RE2) matching ``text`` literally: punctuation as code points."""
    return "".join(char if char.isalnum() else f"\\x{{{ord(char):x}}}" for char in text)


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


def search(store: Store, query: LogQuery, now_ns: int | None = None) -> list[dict[str, Any]]:
    """The newest ``limit`` matching records.

    Looked for in successive windows back from now, each pass reading only rows older than
    the last: the table is in time order, so a search whose matches are recent reads the
    recent row groups only, and one that finds little reads each row once. A trace's
    records are few and found by id alone, so that search is one pass.
    """
    if query.trace_id is not None:
        return _search(store, query)
    newest = query.until_ns if query.until_ns is not None else now_ns or time.time_ns()
    found: list[dict[str, Any]] = []
    until = query.until_ns
    for window in WINDOWS_NS:
        since = newest - window
        if query.since_ns is not None and since <= query.since_ns:
            break
        found += _search(
            store, replace(query, since_ns=since, until_ns=until, limit=query.limit - len(found))
        )
        if len(found) >= query.limit:
            return found
        until = since - 1
    return found + _search(store, replace(query, until_ns=until, limit=query.limit - len(found)))


def _search(store: Store, query: LogQuery) -> list[dict[str, Any]]:
    where, params = query.where()
    rows = store.rows(
        f"""
        SELECT time_ns, severity, event, body, service, {LOG_AGENT} AS agent, trace_id,
               span_id, attributes
        FROM logs WHERE {where} ORDER BY time_ns DESC LIMIT ?
        """,
        [*params, query.limit],
    )
    return [_shaped(row) for row in rows]


def iso(ns: int) -> str:
    """An instant in nanoseconds as ISO 8601 UTC with microseconds."""
    return datetime.fromtimestamp(ns / 1e9, UTC).isoformat().replace("+00:00", "Z")


def _shaped(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "time": iso(row["time_ns"]),
        "time_ns": row["time_ns"],
        "severity": row["severity"],
        "event": row["event"],
        "body": row["body"],
        "service": row["service"],
        "agent": row["agent"],
        "trace_id": row["trace_id"],
        "span_id": row["span_id"],
        "attributes": json.loads(row["attributes"]) if row["attributes"] else {},
    }
