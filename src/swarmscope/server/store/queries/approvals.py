"""Human approvals: every approval assembled from its span and its log events, and the
number still pending. (The module docstring of ``api.approvals`` says how they are read.)"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from swarmscope.conventions.attributes import (
    SWARMSCOPE_APPROVAL_DECISION,
    SWARMSCOPE_APPROVAL_ID,
    SWARMSCOPE_APPROVAL_REASON,
    SWARMSCOPE_APPROVAL_TIMEOUT_S,
    SWARMSCOPE_APPROVAL_TYPE,
)
from swarmscope.conventions.spans import HITL_APPROVAL
from swarmscope.server.store.database import Store
from swarmscope.server.store.queries.filters import LOG_AGENT, all_of, attribute, name_starts_with

# The prefix test is pushed into the scan as a range, so most rows never reach the IN list.
_EVENTS = (
    "LIKE 'hitl\\_approval\\_%' ESCAPE '\\' AND event IN ('hitl_approval_required',"
    " 'hitl_approval_received', 'hitl_approval_timeout', 'hitl_approval_cancelled')"
)
# Approvals whose span ended, and what the log events say of every approval (no attributes).
_KNOWN = f"""
    WITH ended AS (
        SELECT trace_id, span_id, service, agent, start_ns, end_ns,
               {attribute(SWARMSCOPE_APPROVAL_TYPE)} AS approval_type,
               {attribute(SWARMSCOPE_APPROVAL_ID)} AS approval_id,
               {attribute(SWARMSCOPE_APPROVAL_DECISION)} AS decision,
               {attribute(SWARMSCOPE_APPROVAL_REASON)} AS reason,
               TRY_CAST({attribute(SWARMSCOPE_APPROVAL_TIMEOUT_S)} AS DOUBLE) AS timeout_s
        FROM spans WHERE {name_starts_with(HITL_APPROVAL)} AND {{span_where}}
    ), told AS (
        SELECT trace_id, span_id, any_value(service) AS service,
               min(time_ns) FILTER (WHERE event = 'hitl_approval_required') AS requested_ns,
               max(time_ns) FILTER (WHERE event <> 'hitl_approval_required') AS decided_ns
        FROM logs WHERE event {_EVENTS} AND span_id IS NOT NULL AND {{log_where}}
        GROUP BY trace_id, span_id
    ), unended AS (
        SELECT * FROM told AS t
        WHERE NOT EXISTS (
            SELECT 1 FROM ended AS e WHERE e.trace_id = t.trace_id AND e.span_id = t.span_id
        )
    )
"""
# Every approval, one row each: the span's fields, else those of its events.
_APPROVALS = f"""{_KNOWN}, details AS (
        SELECT trace_id, span_id,
               any_value({LOG_AGENT}) AS agent,
               any_value(attributes ->> 'approval_type') AS approval_type,
               any_value(attributes ->> 'approval_id') AS approval_id,
               any_value(TRY_CAST(attributes ->> 'timeout_s' AS DOUBLE)) AS timeout_s,
               arg_max(CASE event WHEN 'hitl_approval_received' THEN attributes ->> 'decision'
                                  WHEN 'hitl_approval_timeout' THEN 'timeout'
                                  ELSE 'cancelled' END, time_ns)
                   FILTER (WHERE event <> 'hitl_approval_required') AS decision,
               any_value(attributes ->> 'reason')
                   FILTER (WHERE event = 'hitl_approval_received') AS reason
        FROM logs
        WHERE event {_EVENTS} AND span_id IN (SELECT span_id FROM unended) AND {{log_where}}
        GROUP BY trace_id, span_id
    ), approvals AS (
        SELECT coalesce(e.trace_id, t.trace_id) AS trace_id,
               coalesce(e.span_id, t.span_id) AS span_id,
               coalesce(e.approval_id, d.approval_id) AS approval_id,
               coalesce(e.approval_type, d.approval_type) AS approval_type,
               coalesce(e.agent, d.agent) AS agent,
               coalesce(e.service, t.service) AS service,
               coalesce(t.requested_ns, e.start_ns) AS requested_ns,
               coalesce(t.decided_ns, e.end_ns) AS decided_ns,
               CASE WHEN e.span_id IS NOT NULL THEN coalesce(e.decision, 'cancelled')
                    ELSE coalesce(d.decision, 'pending') END AS status,
               coalesce(e.reason, d.reason) AS reason,
               coalesce(e.timeout_s, d.timeout_s) AS timeout_s
        FROM ended AS e
             FULL OUTER JOIN told AS t ON e.trace_id = t.trace_id AND e.span_id = t.span_id
             LEFT JOIN details AS d ON t.trace_id = d.trace_id AND t.span_id = d.span_id
    ), chosen AS MATERIALIZED (
        SELECT *, CASE WHEN status IN ('approved', 'rejected', 'timeout')
                       THEN (decided_ns - requested_ns) / 1e9 END AS latency_seconds
        FROM approvals WHERE {{where}}
    ), listed AS (
        SELECT * FROM chosen WHERE {{status_where}} ORDER BY requested_ns DESC LIMIT ?
    ), types AS (
        SELECT coalesce(approval_type, 'unknown') AS approval_type, count(*) AS requested,
               count(*) FILTER (WHERE status = 'approved') AS approved,
               count(*) FILTER (WHERE status = 'rejected') AS rejected,
               count(*) FILTER (WHERE status = 'timeout') AS timeout,
               count(*) FILTER (WHERE status = 'pending') AS pending
        FROM chosen GROUP BY ALL
    )
    SELECT (SELECT list(listed ORDER BY requested_ns DESC) FROM listed) AS listed,
           (SELECT list(types ORDER BY approval_type) FROM types) AS by_type,
           count(*) AS requested,
           count(*) FILTER (WHERE status = 'approved') AS approved,
           count(*) FILTER (WHERE status = 'rejected') AS rejected,
           count(*) FILTER (WHERE status = 'timeout') AS timeout,
           count(*) FILTER (WHERE status = 'cancelled') AS cancelled,
           count(*) FILTER (WHERE status = 'pending') AS pending,
           quantile_cont(latency_seconds, 0.5) FILTER (WHERE status IN ('approved', 'rejected'))
               AS p50_latency_seconds,
           quantile_cont(latency_seconds, 0.95) FILTER (WHERE status IN ('approved', 'rejected'))
               AS p95_latency_seconds
    FROM chosen
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

    def where(self) -> tuple[str, list[Any]]:
        """What the summary counts: every filter but the status."""
        return all_of(
            ("requested_ns >= ?", self.since_ns),
            ("requested_ns <= ?", self.until_ns),
            ("approval_type = ?", self.approval_type),
            ("agent = ?", self.agent),
        )


def approval_summary(store: Store, query: ApprovalQuery) -> dict[str, Any]:
    """One row: the listed approvals (``listed``), counts by type (``by_type``) and the
    summary's counts and latencies, over the approvals the filters select."""
    span_where, log_where, scan_params = query.scans()
    where, params = query.where()
    status_where, status_params = all_of(("status = ?", query.status))
    sql = _APPROVALS.format(
        span_where=span_where, log_where=log_where, where=where, status_where=status_where
    )
    [summary] = store.rows(
        sql, [*scan_params, *scan_params, *scan_params, *params, *status_params, query.limit]
    )
    return summary


def pending_count(store: Store, then_ns: int) -> tuple[int, int]:
    """Approvals requested and not decided yet (whenever requested), and how many were open
    at ``then_ns`` (requested by then, decided after it or not yet): the overview's number
    and its trend."""
    sql = _KNOWN.format(span_where="true", log_where="true")
    [row] = store.rows(
        f"""{sql}, requests AS (
            SELECT coalesce(t.requested_ns, e.start_ns) AS requested_ns,
                   coalesce(t.decided_ns, e.end_ns) AS decided_ns, e.span_id IS NULL AS unended
            FROM ended AS e
                 FULL OUTER JOIN told AS t ON e.trace_id = t.trace_id AND e.span_id = t.span_id
        )
        SELECT count(*) FILTER (WHERE unended AND decided_ns IS NULL) AS pending,
               count(*) FILTER (WHERE requested_ns <= ? AND coalesce(decided_ns > ?, true))
                   AS open_then
        FROM requests""",
        [then_ns, then_ns],
    )
    return int(row["pending"]), int(row["open_then"])


# Every span that waited for someone, in any convention (the ``wait`` column): our approvals,
# LangGraph interrupts, A2A tasks that asked for input. The agent is the span's own or, for
# a wait recorded on a step inside an agent's run, its parent's.
_WAITS = """
    SELECT w.trace_id, w.span_id, w.wait AS kind, w.name, w.service, w.session,
           coalesce(w.agent, p.agent) AS agent, w.start_ns, w.end_ns, w.duration_ms,
           w.status
    FROM spans AS w LEFT JOIN spans AS p
         ON p.trace_id = w.trace_id AND p.span_id = w.parent_span_id
    WHERE w.wait IS NOT NULL AND {where}
    ORDER BY w.start_ns DESC LIMIT ?
"""


@dataclass(frozen=True)
class WaitQuery:
    kind: str | None = None
    agent: str | None = None
    session: str | None = None
    since_ns: int | None = None
    until_ns: int | None = None
    limit: int = 100


def wait_rows(store: Store, query: WaitQuery) -> list[dict[str, Any]]:
    """The waits the filters select, newest first."""
    where, params = all_of(
        ("w.wait = ?", query.kind),
        ("coalesce(w.agent, p.agent) = ?", query.agent),
        ("w.session = ?", query.session),
        ("w.start_ns >= ?", query.since_ns),
        ("w.start_ns <= ?", query.until_ns),
    )
    return store.rows(_WAITS.format(where=where), [*params, query.limit])
