"""``GET /api/approvals``: human approvals, pending and decided, and how long people took.

A span is exported only when it ends, so an approval still waiting has no span yet: the
only trace of it is the ``hitl_approval_required`` log event the SDK writes at request
time (from inside the approval's span, so it carries that span's id). An approval is keyed
by its span id; its outcome is read from the span (``swarmscope.approval.decision``) once it
ended, else from the decision events (``hitl_approval_received``, ``_timeout``,
``_cancelled``), and it is pending when neither exists. The response latency is the one the
SDK measured at the decision (``latency_ms`` of the received event), else the span's length.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query

from swarmscope.server.api.logs import LOG_AGENT, all_of, iso
from swarmscope.server.api.params import time_ns
from swarmscope.server.context import Context
from swarmscope.server.store import Store

TIME = Annotated[str | None, Query(description="epoch s, ISO 8601, or 15m ago")]
_DECISION_EVENTS = "('hitl_approval_received', 'hitl_approval_timeout', 'hitl_approval_cancelled')"

# Every approval known from its span or its events, one row each, oldest fields first.
_APPROVALS = f"""
    WITH ended AS (
        SELECT trace_id, span_id, service, agent, start_ns, duration_ms,
               attributes ->> '$."swarmscope.approval.type"' AS approval_type,
               attributes ->> '$."swarmscope.approval.id"' AS approval_id,
               attributes ->> '$."swarmscope.approval.decision"' AS decision,
               attributes ->> '$."swarmscope.approval.reason"' AS reason,
               TRY_CAST(attributes ->> '$."swarmscope.approval.timeout_s"' AS DOUBLE) AS timeout_s,
               end_ns
        FROM spans WHERE name LIKE 'hitl_approval %' AND {{span_where}}
    ), told AS (
        SELECT trace_id, span_id,
               any_value(service) AS service,
               any_value({LOG_AGENT}) AS agent,
               min(time_ns) FILTER (WHERE event = 'hitl_approval_required') AS requested_ns,
               any_value(attributes ->> 'approval_type') AS approval_type,
               any_value(attributes ->> 'approval_id') AS approval_id,
               any_value(TRY_CAST(attributes ->> 'timeout_s' AS DOUBLE)) AS timeout_s,
               arg_max(CASE event WHEN 'hitl_approval_received' THEN attributes ->> 'decision'
                                  WHEN 'hitl_approval_timeout' THEN 'timeout'
                                  ELSE 'cancelled' END, time_ns)
                   FILTER (WHERE event IN {_DECISION_EVENTS}) AS decision,
               max(time_ns) FILTER (WHERE event IN {_DECISION_EVENTS}) AS decided_ns,
               any_value(attributes ->> 'reason')
                   FILTER (WHERE event = 'hitl_approval_received') AS reason,
               any_value(TRY_CAST(coalesce(attributes ->> 'latency_ms', attributes ->> 'waited_ms')
                                  AS DOUBLE))
                   FILTER (WHERE event IN {_DECISION_EVENTS}) AS latency_ms
        FROM logs
        WHERE (event = 'hitl_approval_required' OR event IN {_DECISION_EVENTS})
              AND span_id IS NOT NULL AND {{log_where}}
        GROUP BY trace_id, span_id
    ), approvals AS (
        SELECT coalesce(e.trace_id, t.trace_id) AS trace_id,
               coalesce(e.span_id, t.span_id) AS span_id,
               coalesce(e.approval_id, t.approval_id) AS approval_id,
               coalesce(e.approval_type, t.approval_type) AS approval_type,
               coalesce(e.agent, t.agent) AS agent,
               coalesce(e.service, t.service) AS service,
               coalesce(e.start_ns, t.requested_ns) AS requested_ns,
               coalesce(t.decided_ns, e.end_ns) AS decided_ns,
               CASE WHEN e.span_id IS NOT NULL THEN coalesce(e.decision, t.decision, 'cancelled')
                    ELSE coalesce(t.decision, 'pending') END AS status,
               coalesce(e.reason, t.reason) AS reason,
               coalesce(e.timeout_s, t.timeout_s) AS timeout_s,
               coalesce(t.latency_ms, e.duration_ms) / 1000.0 AS latency_s
        FROM ended AS e FULL OUTER JOIN told AS t
             ON e.trace_id = t.trace_id AND e.span_id = t.span_id
    )
"""
_SUMMARY = """
    SELECT count(*) AS requested,
           count(*) FILTER (WHERE status = 'approved') AS approved,
           count(*) FILTER (WHERE status = 'rejected') AS rejected,
           count(*) FILTER (WHERE status = 'timeout') AS timeout,
           count(*) FILTER (WHERE status = 'cancelled') AS cancelled,
           count(*) FILTER (WHERE status = 'pending') AS pending,
           quantile_cont(latency_s, 0.5) FILTER (WHERE status IN ('approved', 'rejected'))
               AS p50_latency_seconds,
           quantile_cont(latency_s, 0.95) FILTER (WHERE status IN ('approved', 'rejected'))
               AS p95_latency_seconds
    FROM approvals WHERE {where}
"""
_BY_TYPE = """
    SELECT approval_type, count(*) AS requested,
           count(*) FILTER (WHERE status = 'approved') AS approved,
           count(*) FILTER (WHERE status = 'rejected') AS rejected,
           count(*) FILTER (WHERE status = 'timeout') AS timeout,
           count(*) FILTER (WHERE status = 'pending') AS pending
    FROM approvals WHERE {where} GROUP BY approval_type ORDER BY approval_type
"""


@dataclass(frozen=True)
class ApprovalQuery:
    status: str | None = None
    approval_type: str | None = None
    agent: str | None = None
    since_ns: int | None = None
    until_ns: int | None = None
    limit: int = 100

    def scans(self) -> tuple[str, str, list[Any]]:
        """Conditions that narrow the span and log scans (a decision follows its request)."""
        if self.since_ns is None:
            return "true", "true", []
        return "start_ns >= ?", "time_ns >= ?", [self.since_ns]

    def where(self, with_status: bool) -> tuple[str, list[Any]]:
        return all_of(
            ("requested_ns >= ?", self.since_ns),
            ("requested_ns <= ?", self.until_ns),
            ("approval_type = ?", self.approval_type),
            ("agent = ?", self.agent),
            ("status = ?", self.status if with_status else None),
        )


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

    return router


def _sql(query: ApprovalQuery, tail: str, with_status: bool) -> tuple[str, list[Any]]:
    span_where, log_where, scan_params = query.scans()
    where, params = query.where(with_status)
    sql = _APPROVALS.format(span_where=span_where, log_where=log_where) + tail.format(where=where)
    return sql, [*scan_params, *scan_params, *params]


def approvals(store: Store, query: ApprovalQuery) -> dict[str, Any]:
    listing, params = _sql(
        query, "SELECT * FROM approvals WHERE {where} ORDER BY requested_ns DESC LIMIT ?", True
    )
    rows = store.rows(listing, [*params, query.limit])
    summary_sql, summary_params = _sql(query, _SUMMARY, False)
    [summary] = store.rows(summary_sql, summary_params)
    by_type_sql, by_type_params = _sql(query, _BY_TYPE, False)
    summary["by_type"] = {
        row.pop("approval_type") or "unknown": row
        for row in store.rows(by_type_sql, by_type_params)
    }
    now_ns = time.time_ns()
    shaped = [_shaped(row, now_ns) for row in rows]
    return {
        "pending": [row for row in shaped if row["status"] == "pending"],
        "decided": [row for row in shaped if row["status"] != "pending"],
        "summary": summary,
    }


def pending_count(store: Store, since_ns: int | None = None) -> int:
    """Approvals requested (since ``since_ns``) and not decided yet: the overview's number."""
    sql, params = _sql(
        ApprovalQuery(status="pending", since_ns=since_ns),
        "SELECT count(*) AS pending FROM approvals WHERE {where}",
        True,
    )
    [row] = store.rows(sql, params)
    return int(row["pending"])


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
        del row["latency_s"], row["reason"]
    else:
        row["decided_at"] = iso(decided_ns) if decided_ns else None
        row["latency_seconds"] = row.pop("latency_s")
    return row
