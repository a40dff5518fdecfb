"""``GET /api/overview``: the console's landing numbers over a window (the last hour by default).

One aggregate query per table, so the page stays cheap however much is stored. Pending
approvals are a state of now, not of the window: they are counted whenever requested.
"""

from __future__ import annotations

import asyncio
import time
from typing import Annotated, Any

from fastapi import APIRouter, Query

from swarmscope.api_words import LEVELS, iso, time_ns
from swarmscope.exceptions import BadParameter
from swarmscope.server.context import Context
from swarmscope.server.store.database import Store
from swarmscope.server.store.queries.approvals import pending_count
from swarmscope.server.store.queries.logs import records_by_level
from swarmscope.server.store.queries.overview import span_totals

_LEVEL_NAMES = {rank: name for name, rank in LEVELS.items()}


def routes(context: Context) -> APIRouter:
    router = APIRouter(tags=["overview"])

    @router.get("/api/overview", summary="Landing numbers over a window (default: last hour)")
    async def get_overview(
        start: Annotated[str, Query(description="epoch s, ISO 8601, or 15m ago")] = "1h",
        end: Annotated[str | None, Query(description="epoch s, ISO 8601; default now")] = None,
    ) -> dict[str, Any]:
        now_ns = time.time_ns()
        since_ns = time_ns("start", start, now_ns)
        until_ns = time_ns("end", end, now_ns) or now_ns
        if since_ns is None or since_ns > until_ns:
            raise BadParameter("start must be before end")
        return await asyncio.to_thread(overview, context.store, since_ns, until_ns)

    return router


def overview(store: Store, since_ns: int, until_ns: int) -> dict[str, Any]:
    spans = span_totals(store, since_ns, until_ns)
    levels = records_by_level(store, since_ns, until_ns)
    traces = spans["traces"]
    return {
        "window": {"start": iso(since_ns), "end": iso(until_ns)},
        "traces": traces,
        "spans": spans["spans"],
        "error_traces": spans["error_traces"],
        "error_rate": round(spans["error_traces"] / traces, 6) if traces else 0.0,
        "services": spans["services"] or [],
        "agents": spans["agents"] or [],
        "llm": {
            "calls": spans["llm_calls"],
            "input_tokens": int(spans["input_tokens"]),
            "output_tokens": int(spans["output_tokens"]),
            "calls_by_model": dict(sorted((spans["by_model"] or {}).items())),
        },
        "approvals_pending": pending_count(store),
        "logs": {
            "records": sum(row["records"] for row in levels),
            "by_level": {_LEVEL_NAMES[row["rank"]]: row["records"] for row in levels},
        },
    }
