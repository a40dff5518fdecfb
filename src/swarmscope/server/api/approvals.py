"""``GET /api/approvals``: human approvals, pending and decided, and how long people took.

A span is exported only when it ends, so an approval still waiting has no span yet: the
only trace of it is the ``hitl_approval_required`` log event the SDK writes at request
time (from inside the approval's span, so it carries that span's id). An approval is keyed
by its span id; its outcome is read from the span (``swarmscope.approval.decision``) once it
ended, else from the decision events (``hitl_approval_received``, ``_timeout``,
``_cancelled``), and it is pending when neither exists. Its latency runs from the request
event to the decision event (the span's start and end when the events are missing).

Log attributes are read only for approvals without an ended span (the pending ones, as a
rule): decompressing the attributes of every approval event costs ten times the rest of
the query on a day of data.
"""

from __future__ import annotations

import asyncio
import time
from enum import Enum
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query

from swarmscope.api_words import WAITS, iso, time_ns
from swarmscope.conventions.spans import WAIT_KINDS
from swarmscope.server.context import Context
from swarmscope.server.store.database import Store
from swarmscope.server.store.queries.approvals import (
    ApprovalQuery,
    WaitQuery,
    approval_summary,
    wait_rows,
)

TIME = Annotated[str | None, Query(description="epoch s, ISO 8601, or 15m ago")]
# The kinds of wait, as a parameter FastAPI checks (another value is a 400 naming them).
WaitKind = Enum("WaitKind", {kind: kind for kind in WAIT_KINDS}, type=str)  # type: ignore[misc]


def routes(context: Context) -> APIRouter:
    router = APIRouter(tags=["approvals"])

    @router.get(
        "/api/approvals",
        summary="Human approvals: pending, decided, and a summary",
        description="The summary counts every approval the filters select except `status`.",
    )
    async def list_approvals(
        status: Literal["pending", "approved", "rejected", "timeout", "cancelled"] | None = None,
        approval_type: Annotated[str | None, Query(alias="type")] = None,
        agent: str | None = None,
        start: TIME = None,
        end: TIME = None,
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    ) -> dict[str, Any]:
        query = ApprovalQuery(
            status, approval_type, agent, time_ns("start", start), time_ns("end", end), limit
        )
        return await asyncio.to_thread(approvals, context.store, query)

    @router.get(
        WAITS,
        summary="Waits for a person, from any instrumentor",
        description="Every span that waited for someone's input: swarmscope's approvals"
        f" (`{WAIT_KINDS[0]}`), LangGraph interrupts (`{WAIT_KINDS[1]}`) and A2A tasks that"
        f" required input (`{WAIT_KINDS[2]}`), newest first, with counts by kind.",
    )
    async def list_waits(
        kind: WaitKind | None = None,
        agent: str | None = None,
        session: str | None = None,
        start: TIME = None,
        end: TIME = None,
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    ) -> dict[str, Any]:
        wanted = None if kind is None else str(kind.value)
        query = WaitQuery(
            wanted, agent, session, time_ns("start", start), time_ns("end", end), limit
        )
        rows = await asyncio.to_thread(wait_rows, context.store, query)
        waits = [{**row, "start": iso(row["start_ns"])} for row in rows]
        by_kind: dict[str, int] = {}
        for row in waits:
            by_kind[row["kind"]] = by_kind.get(row["kind"], 0) + 1
        return {"waits": waits, "count": len(waits), "by_kind": by_kind}

    return router


def approvals(store: Store, query: ApprovalQuery) -> dict[str, Any]:
    """The listing and the summary, from one statement: the approvals are assembled once."""
    summary = approval_summary(store, query)
    now_ns = time.time_ns()
    shaped = [_shaped(row, now_ns) for row in summary.pop("listed") or []]
    summary["by_type"] = {row.pop("approval_type"): row for row in summary["by_type"] or []}
    return {
        "pending": [row for row in shaped if row["status"] == "pending"],
        "decided": [row for row in shaped if row["status"] != "pending"],
        "summary": summary,
    }


def _shaped(row: dict[str, Any], now_ns: int) -> dict[str, Any]:
    requested_ns = row.pop("requested_ns")
    decided_ns = row.pop("decided_ns")
    row["requested_at"] = iso(requested_ns) if requested_ns else None
    if row["status"] == "pending":
        waiting = max(now_ns - requested_ns, 0) / 1e9 if requested_ns else None
        row["waiting_seconds"] = waiting
        # The SDK exports nothing when a process dies mid-wait: say the deadline has passed.
        row["overdue"] = bool(
            row["timeout_s"] is not None and waiting and waiting > row["timeout_s"]
        )
        del row["latency_seconds"], row["reason"]
    else:
        row["decided_at"] = iso(decided_ns) if decided_ns else None
    return row
