"""``GET /api/sessions`` and ``GET /api/sessions/{session}``: conversations and their runs.

A session is what apps and instrumentors call a conversation or a thread: every span that
names it (in whatever convention, see ``conventions.agent_model``) ties its trace, one run
of the conversation, to it. The list sums each session's runs (LLM calls, tokens, cost,
errors, waits for a person); one session lists its runs in order, so a conversation that
stopped at an interrupt and resumed reads as two runs, the first with its wait.
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query

from swarmscope.api_words import SESSION, SESSIONS, iso, time_ns
from swarmscope.server.context import Context
from swarmscope.server.store.queries.sessions import SessionQuery, session_rows, session_runs

TIME = Annotated[str | None, Query(description="epoch s, ISO 8601, or 15m ago")]
_TOTALS = ("llm_calls", "input_tokens", "output_tokens", "errors", "waits")


def routes(context: Context) -> APIRouter:
    router = APIRouter(tags=["sessions"])

    @router.get(SESSIONS, summary="Sessions (conversations), the latest active first")
    async def list_sessions(
        start: TIME = None,
        end: TIME = None,
        service: str | None = None,
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    ) -> dict[str, Any]:
        query = SessionQuery(time_ns("start", start), time_ns("end", end), service, limit)
        rows = await asyncio.to_thread(session_rows, context.store, query)
        sessions = [_timed(row) for row in rows]
        return {"sessions": sessions, "count": len(sessions)}

    @router.get(SESSION, summary="One session's runs, in order, and their totals")
    async def get_session(session: str) -> dict[str, Any]:
        runs = await asyncio.to_thread(session_runs, context.store, session)
        if not runs:
            raise HTTPException(404, f"unknown session {session}")
        return {"id": session, "runs": [_run(row) for row in runs], "totals": _totals(runs)}

    return router


def _timed(row: dict[str, Any]) -> dict[str, Any]:
    return {**row, "first": iso(row["first_ns"]), "last": iso(row["last_ns"])}


def _run(row: dict[str, Any]) -> dict[str, Any]:
    return {
        **row,
        "start": iso(row["start_ns"]),
        "status": "error" if row["errors"] else "ok",
        "agents": row["agents"] or [],
    }


def _totals(runs: list[dict[str, Any]]) -> dict[str, Any]:
    totals: dict[str, Any] = {key: sum(run[key] for run in runs) for key in _TOTALS}
    costs = [run["cost_usd"] for run in runs if run["cost_usd"] is not None]
    totals["cost_usd"] = sum(costs) if costs else None
    totals["runs"] = len(runs)
    totals["duration_ms"] = (
        max(r["end_ns"] for r in runs) - min(r["start_ns"] for r in runs)
    ) / 1e6
    return totals
