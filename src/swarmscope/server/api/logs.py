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
from dataclasses import replace
from typing import Annotated, Any

from fastapi import APIRouter, Query

from swarmscope.api_words import LOGS, LogQuery, iso, level_rank, time_ns
from swarmscope.server.context import Context
from swarmscope.server.store.database import Store
from swarmscope.server.store.queries.logs import newest_records

# How far back the successive passes of a newest-first search look.
WINDOWS_NS = (15 * 60 * 10**9, 3 * 3600 * 10**9, 24 * 3600 * 10**9)
TIME = Annotated[str | None, Query(description="epoch s, ISO 8601, or 15m ago")]


def routes(context: Context) -> APIRouter:
    router = APIRouter(tags=["logs"])

    @router.get(LOGS, summary="Log records, newest first")
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
    return [_shaped(row) for row in newest_records(store, query)]


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
