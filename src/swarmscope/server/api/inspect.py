"""Debugging views: one agent, one handoff pair, and the requests an app recorded for replay.

    GET /api/agents/{agent}        runs, error rate, p50/p95, tools and models it used,
                                   failures, logs, and runs still open
    GET /api/handoffs              one pair's handoff latency, payloads, failures, problems
    GET /api/requests              recorded (``@replayable``) requests; ``failed=true``: only
                                   those whose run failed
    GET /api/requests/{trace_id}   the recorded request of a trace and how its run went

They serve ``swarmscope inspect-agent``, ``debug-handoff``, ``replay`` and ``replay-failed``.
Every figure is aggregated in DuckDB (the named queries of ``store.queries``), so a client
never pulls a window's spans to count them. ``/api/agents/graph`` keeps its path whatever
order the routers are included in: this router's agent parameter refuses the name
``graph`` (an agent named ``graph`` cannot be inspected by path).
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query
from starlette.convertors import StringConvertor, register_url_convertor

from swarmscope.api_words import (
    AGENT,
    AGENT_GRAPH,
    HANDOFFS,
    MAX_NS,
    REQUEST,
    REQUESTS,
    iso,
    level_rank,
    time_ns,
)
from swarmscope.conventions.spans import EXECUTE_TOOL
from swarmscope.server.context import Context
from swarmscope.server.store.database import Store
from swarmscope.server.store.queries.agent_runs import AgentQuery, agent_rows
from swarmscope.server.store.queries.handoffs import HandoffQuery, Problem, handoff_rows
from swarmscope.server.store.queries.requests import (
    RequestQuery,
    outcome_rows,
    recorded_request_rows,
    replays_of,
    trace_known,
)

TIME = Annotated[str | None, Query(description="epoch s, ISO 8601, or 15m ago")]
# A settle time whose nanoseconds, taken from now, stay a 64-bit time: about 146 years.
MAX_SETTLE_S = 2**62 / 1e9


class AgentName(StringConvertor):
    """A path segment that is not the graph's: ``/api/agents/graph`` is never an agent's
    page, whichever router is consulted first."""

    regex = f"(?!{AGENT_GRAPH.rsplit('/', 1)[1]}$)[^/]+"


register_url_convertor("agent_name", AgentName())


# -- one agent ---------------------------------------------------------------------------------


def agent_report(store: Store, query: AgentQuery) -> dict[str, Any]:
    found = agent_rows(store, query)
    summary = found.summary
    summary["error_rate"] = rate(summary["errors"], summary["runs"])
    return {
        "agent": query.agent,
        **summary,
        "tools": [_call(row) for row in found.calls if row["operation"] == EXECUTE_TOOL],
        "models": [_call(row) for row in found.calls if row["operation"] != EXECUTE_TOOL],
        "error_kinds": found.error_kinds,
        "failures": [_timed(row, "start_ns") for row in found.failures],
        "sessions": found.sessions,
        "open_runs": [_timed(row, "time_ns") for row in found.open_runs],
        "open_count": found.open_count,
        "logs": [_timed(row, "time_ns") for row in found.logs],
    }


def _call(row: dict[str, Any]) -> dict[str, Any]:
    shaped = {key: value for key, value in row.items() if key != "operation"}
    shaped["error_rate"] = rate(row["errors"], row["calls"])
    if row["operation"] == EXECUTE_TOOL:
        for key in ("input_tokens", "output_tokens", "cost_usd"):
            shaped.pop(key)
    return shaped


def _timed(row: dict[str, Any], column: str) -> dict[str, Any]:
    return {**row, "time": iso(row[column])}


def rate(part: int, whole: int) -> float:
    return round(part / whole, 6) if whole else 0.0


# -- one handoff pair --------------------------------------------------------------------------


def handoff_report(store: Store, query: HandoffQuery, now_ns: int) -> dict[str, Any]:
    found = handoff_rows(store, query, now_ns)
    counts = found.counts
    for payload in found.payloads:
        payload["keys"] = json.loads(payload["keys"])
    for row in found.oversized.examples:
        row["keys"] = json.loads(row["keys"])
    return {
        "from_agent": query.from_agent,
        "to_agent": query.to_agent,
        **counts,
        "failure_rate": rate(counts["failures"], counts["handoffs"]),
        "latency": {**found.latency, "buckets": [_bucket(row) for row in found.buckets]},
        "payloads": found.payloads,
        "failed": [_timed(row, "start_ns") for row in found.failed],
        "problems": {
            "slow": {"threshold_ms": query.slow_ms, **_problem(found.slow)},
            "target_never_ran": {
                "settle_s": query.settle_ns / 1e9,
                **_problem(found.never_ran),
            },
            "oversized": {"threshold_bytes": query.max_bytes, **_problem(found.oversized)},
        },
    }


def _problem(problem: Problem) -> dict[str, Any]:
    return {
        "count": problem.count,
        "examples": [_timed(row, "start_ns") for row in problem.examples],
    }


def _bucket(row: dict[str, Any]) -> dict[str, Any]:
    """JSON has no infinity: the last bucket's bound is null (Prometheus writes +Inf)."""
    return {"le_ms": None if row["le_ms"] == float("inf") else row["le_ms"], "count": row["count"]}


# -- recorded requests -------------------------------------------------------------------------


def outcomes(store: Store, trace_ids: list[str]) -> dict[str, dict[str, Any]]:
    """How each trace's run went, and whether it is complete (nothing still running)."""
    if not trace_ids:
        return {}
    rows = outcome_rows(store, trace_ids)
    found = {row["trace_id"]: row for row in rows.outcomes}
    dangling = {row["trace_id"]: row["dangling"] for row in rows.dangling}
    running = {row["trace_id"]: row["open_runs"] for row in rows.open_runs}
    for trace_id, outcome in found.items():
        outcome["error_spans"] = outcome["error_spans"][:10]
        outcome["dangling_spans"] = dangling.get(trace_id, 0)
        outcome["open_runs"] = running.get(trace_id, 0)
        outcome["complete"] = not outcome["dangling_spans"] and not outcome["open_runs"]
    return found


def _request(row: dict[str, Any]) -> dict[str, Any]:
    headers = row["headers"]
    try:
        parsed = json.loads(headers) if headers else {}
    except ValueError:
        parsed = {}
    return {
        **row,
        "headers": parsed if isinstance(parsed, dict) else {},
        "time": iso(row["start_ns"]),
        "origin": (
            f"{row['scheme'] or 'http'}://{row['address']}:{row['port']}"
            if row["address"] and row["port"]
            else None
        ),
    }


def recorded_requests(store: Store, query: RequestQuery) -> list[dict[str, Any]]:
    """Recorded requests, newest first, each with its run's outcome."""
    rows = recorded_request_rows(store, query)
    found = outcomes(store, [row["trace_id"] for row in rows])
    return [{**_request(row), "outcome": found.get(row["trace_id"])} for row in rows]


def recorded_request(store: Store, trace_id: str) -> dict[str, Any] | None:
    """The trace's recorded request, its outcome and the replays of it; None if it has none."""
    rows = recorded_requests(store, RequestQuery(trace_id=trace_id, limit=1))
    if not rows:
        return None
    return {**rows[0], "replays": replays_of(store, trace_id)}


# -- routes ------------------------------------------------------------------------------------


def routes(context: Context) -> APIRouter:
    router = APIRouter(tags=["debugging"])
    store = context.store

    @router.get(
        AGENT.replace("{agent}", "{agent:agent_name}"),
        summary="One agent: runs, latency, tools, errors, logs",
    )
    async def inspect_agent(
        agent: str,
        start: TIME = None,
        end: TIME = None,
        session: Annotated[str | None, Query(description="only this session's runs")] = None,
        log_level: Annotated[str, Query(description="minimum level of the logs shown")] = (
            "warning"
        ),
        limit: Annotated[int, Query(ge=1, le=500, description="rows per list")] = 20,
    ) -> dict[str, Any]:
        query = AgentQuery(
            agent=agent,
            since_ns=time_ns("start", start),
            until_ns=time_ns("end", end),
            session=session,
            log_rank=level_rank(log_level),
            limit=limit,
        )
        return await asyncio.to_thread(agent_report, store, query)

    @router.get(HANDOFFS, summary="Handoffs from one agent to another, and their problems")
    async def handoffs(
        from_agent: Annotated[str, Query(description="the agent handing work over")],
        to_agent: Annotated[str, Query(description="the agent receiving it")],
        trace_id: str | None = None,
        start: TIME = None,
        end: TIME = None,
        slow_ms: Annotated[
            float,
            Query(ge=0, allow_inf_nan=False, description="slower handoffs are a problem"),
        ] = 1000.0,
        max_bytes: Annotated[
            int, Query(ge=0, le=MAX_NS, description="larger payloads are a problem")
        ] = 256 * 1024,
        settle_s: Annotated[
            float,
            Query(
                ge=0,
                le=MAX_SETTLE_S,
                allow_inf_nan=False,
                description="age before a handoff with no target run counts",
            ),
        ] = 30.0,
        limit: Annotated[int, Query(ge=1, le=500, description="rows per list")] = 20,
    ) -> dict[str, Any]:
        query = HandoffQuery(
            from_agent=from_agent,
            to_agent=to_agent,
            trace_id=trace_id.lower() if trace_id else None,
            since_ns=time_ns("start", start),
            until_ns=time_ns("end", end),
            slow_ms=slow_ms,
            max_bytes=max_bytes,
            settle_ns=int(settle_s * 1e9),
            limit=limit,
        )
        return await asyncio.to_thread(handoff_report, store, query, time.time_ns())

    @router.get(REQUESTS, summary="Recorded (replayable) requests, newest first")
    async def requests(
        start: TIME = None,
        end: TIME = None,
        failed: Annotated[bool, Query(description="only requests whose run failed")] = False,
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    ) -> dict[str, Any]:
        query = RequestQuery(
            since_ns=time_ns("start", start),
            until_ns=time_ns("end", end),
            failed_only=failed,
            limit=limit,
        )
        rows = await asyncio.to_thread(recorded_requests, store, query)
        return {"requests": rows, "count": len(rows)}

    @router.get(REQUEST, summary="A trace's recorded request and its outcome")
    async def request(trace_id: str) -> dict[str, Any]:
        trace_id = trace_id.lower()
        found = await asyncio.to_thread(recorded_request, store, trace_id)
        if found is not None:
            return found
        if await asyncio.to_thread(trace_known, store, trace_id):
            raise HTTPException(
                404, f"trace {trace_id} has no recorded request (its route is not @replayable)"
            )
        raise HTTPException(404, f"unknown trace {trace_id}")

    return router
