"""``GET /api/overview``: the console's landing numbers over a window (the last hour by default),
each with its trend against the window of the same length just before it.

One aggregate query per table, covering both windows, so the page stays cheap however much
is stored. Pending approvals and firing alerts are states of now, not of the window: their
trend compares now with the moment the window began.
"""

from __future__ import annotations

import asyncio
import time
from typing import Annotated, Any

from fastapi import APIRouter, Query

from swarmscope.api_words import LEVELS, iso, time_ns
from swarmscope.definitions.dashboards import ERRORS, HITL, LLM, PERFORMANCE
from swarmscope.exceptions import BadParameter
from swarmscope.server.alerting import Alerting
from swarmscope.server.context import Context
from swarmscope.server.store.database import Store
from swarmscope.server.store.queries.approvals import pending_count
from swarmscope.server.store.queries.logs import records_by_level
from swarmscope.server.store.queries.overview import span_totals

_LEVEL_NAMES = {rank: name for name, rank in LEVELS.items()}
# The dashboard that charts each trend over time, for the console's links.
_DASHBOARDS = {
    "runs": PERFORMANCE.uid,
    "error_traces": ERRORS.uid,
    "error_rate": ERRORS.uid,
    "llm_cost_usd": LLM.uid,
    "llm_tokens": LLM.uid,
    "p95_run_ms": PERFORMANCE.uid,
    "approvals_open": HITL.uid,
}


def routes(context: Context, alerting: Alerting) -> APIRouter:
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
        answer = await asyncio.to_thread(overview, context.store, since_ns, until_ns)
        firing = answer["trends"]["alerts_firing"]
        firing["now"] = alerting.firing_at(until_ns / 1e9)
        firing["before"] = alerting.firing_at(since_ns / 1e9)
        return answer

    return router


def _trend(now: float | None, before: float | None) -> dict[str, float | None]:
    return {"now": now, "before": before}


def _error_rate(spans: dict[str, Any]) -> float:
    traces = spans["traces"]
    return round(spans["error_traces"] / traces, 6) if traces else 0.0


def _tokens(spans: dict[str, Any]) -> int:
    return int(spans["input_tokens"]) + int(spans["output_tokens"])


def overview(store: Store, since_ns: int, until_ns: int) -> dict[str, Any]:
    previous_ns = since_ns - (until_ns - since_ns)
    spans, before = span_totals(store, since_ns, until_ns, previous_ns)
    levels = records_by_level(store, since_ns, until_ns)
    pending, pending_before = pending_count(store, since_ns)
    return {
        "window": {
            "start": iso(since_ns),
            "end": iso(until_ns),
            # What the trends compare with: as long, just before.
            "previous": {"start": iso(previous_ns), "end": iso(since_ns)},
        },
        "traces": spans["traces"],
        "spans": spans["spans"],
        "error_traces": spans["error_traces"],
        "error_rate": _error_rate(spans),
        "services": spans["services"] or [],
        "agents": spans["agents"] or [],
        "llm": {
            "calls": spans["llm_calls"],
            "input_tokens": int(spans["input_tokens"]),
            "output_tokens": int(spans["output_tokens"]),
            "cost_usd": round(float(spans["cost_usd"]), 6),
            "calls_by_model": dict(sorted((spans["by_model"] or {}).items())),
        },
        "approvals_pending": pending,
        "logs": {
            "records": sum(row["records"] for row in levels),
            "by_level": {_LEVEL_NAMES[row["rank"]]: row["records"] for row in levels},
        },
        # Each figure now and over the previous window (states: at the window's start).
        "trends": {
            "runs": _trend(spans["traces"], before["traces"]),
            "error_traces": _trend(spans["error_traces"], before["error_traces"]),
            "error_rate": _trend(_error_rate(spans), _error_rate(before)),
            "llm_cost_usd": _trend(
                round(float(spans["cost_usd"]), 6), round(float(before["cost_usd"]), 6)
            ),
            "llm_tokens": _trend(_tokens(spans), _tokens(before)),
            "p95_run_ms": _trend(spans["p95_run_ms"], before["p95_run_ms"]),
            "approvals_open": _trend(pending, pending_before),
            "alerts_firing": _trend(None, None),
        },
        "dashboards": _DASHBOARDS,
    }
