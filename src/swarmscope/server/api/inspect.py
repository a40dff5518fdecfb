"""Debugging views: one agent, one handoff pair, and the requests an app recorded for replay.

    GET /api/agents/{agent}        runs, error rate, p50/p95, tools and models it used,
                                   failures, logs, and runs still open
    GET /api/handoffs              one pair's handoff latency, payloads, failures, problems
    GET /api/requests              recorded (``@replayable``) requests; ``failed=true``: only
                                   those whose run failed
    GET /api/requests/{trace_id}   the recorded request of a trace and how its run went

They serve ``swarmscope inspect-agent``, ``debug-handoff``, ``replay`` and ``replay-failed``.
Every figure is aggregated here in DuckDB, so a client never pulls a window's spans to count
them. This router is included after ``/api/agents/graph``'s, which therefore keeps its path
(an agent named ``graph`` cannot be inspected by path).
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query

from swarmscope.server.api.logs import LOG_AGENT, SEVERITY_RANK, all_of, iso, level_rank
from swarmscope.server.api.params import MAX_NS, time_ns
from swarmscope.server.context import Context
from swarmscope.server.store.database import Store

TIME = Annotated[str | None, Query(description="epoch s, ISO 8601, or 15m ago")]
# A settle time whose nanoseconds, taken from now, stay a 64-bit time: about 146 years.
MAX_SETTLE_S = 2**62 / 1e9


def attribute(key: str, table: str = "") -> str:
    """SQL for a span attribute as text (keys have dots, so they are quoted in the path)."""
    prefix = f"{table}." if table else ""
    return f"{prefix}attributes ->> '$.\"{key}\"'"


_ORCHESTRATE = "name LIKE 'orchestrate %'"
_SESSION = (
    f"coalesce({attribute('gen_ai.conversation.id')}, {attribute('session.id')},"
    f" {attribute('session_id')})"
)


def _cost(table: str = "") -> str:
    return f"TRY_CAST({attribute('swarmscope.llm.cost_usd', table)} AS DOUBLE)"


# -- one agent ---------------------------------------------------------------------------------

_RUNS = """
    SELECT count(*) AS runs,
           count(*) FILTER (WHERE status = 'error') AS errors,
           quantile_cont(duration_ms, 0.5) AS p50_ms,
           quantile_cont(duration_ms, 0.95) AS p95_ms,
           max(duration_ms) AS max_ms,
           count(DISTINCT trace_id) AS traces,
           min(start_ns) AS first_ns,
           max(start_ns) AS last_ns,
           list(DISTINCT service ORDER BY service) AS services
    FROM spans WHERE operation = 'invoke_agent' AND {where}
"""
# What ran inside the agent's runs: their descendants, down to (not into) a nested agent run,
# so a sub-agent's tools are its own. Children start after their parent: the window's lower
# bound narrows every step of the walk.
_INSIDE = f"""
    WITH RECURSIVE inside(trace_id, span_id, operation, name, tool, model, status, duration_ms,
                          input_tokens, output_tokens, cost_usd, depth) AS (
        SELECT trace_id, span_id, operation, name, tool, model, status, duration_ms,
               input_tokens, output_tokens, {_cost()}, 0
        FROM spans WHERE operation = 'invoke_agent' AND {{where}}
        UNION ALL
        SELECT child.trace_id, child.span_id, child.operation, child.name, child.tool,
               child.model, child.status, child.duration_ms, child.input_tokens,
               child.output_tokens, {_cost("child")},
               inside.depth + 1
        FROM inside JOIN spans AS child
             ON child.trace_id = inside.trace_id AND child.parent_span_id = inside.span_id
        WHERE coalesce(child.operation, '') <> 'invoke_agent' AND inside.depth < 32
              AND child.start_ns >= ?
    )
    SELECT operation,
           CASE WHEN operation = 'execute_tool' THEN coalesce(tool, name)
                ELSE coalesce(model, name) END AS name,
           count(*) AS calls,
           count(*) FILTER (WHERE status = 'error') AS errors,
           quantile_cont(duration_ms, 0.5) AS p50_ms,
           quantile_cont(duration_ms, 0.95) AS p95_ms,
           sum(input_tokens) AS input_tokens,
           sum(output_tokens) AS output_tokens,
           sum(cost_usd) AS cost_usd
    FROM inside
    WHERE depth > 0 AND operation IN ('execute_tool', 'chat', 'text_completion',
                                      'generate_content', 'embeddings')
    GROUP BY ALL ORDER BY calls DESC, name
"""
_FAILURES = f"""
    SELECT trace_id, span_id, start_ns, duration_ms, status_message,
           {attribute("error.type")} AS error_type
    FROM spans WHERE operation = 'invoke_agent' AND status = 'error' AND {{where}}
    ORDER BY start_ns DESC LIMIT ?
"""
_ERROR_KINDS = f"""
    SELECT coalesce({attribute("error.type")}, nullif(status_message, ''), 'unknown') AS error,
           count(*) AS count
    FROM spans WHERE operation = 'invoke_agent' AND status = 'error' AND {{where}}
    GROUP BY ALL ORDER BY count DESC, error
"""
_SESSIONS = f"""
    SELECT {_SESSION} AS session, count(*) AS runs,
           count(*) FILTER (WHERE status = 'error') AS errors,
           min(start_ns) AS first_ns, max(end_ns) AS last_ns
    FROM spans WHERE operation = 'invoke_agent' AND {_SESSION} IS NOT NULL AND {{where}}
    GROUP BY ALL ORDER BY last_ns DESC LIMIT 20
"""
# An agent run is open when its start was logged (the log names the run's span) but the span
# has not arrived: spans are exported when they end.
_OPEN = """
    SELECT l.trace_id, l.span_id, l.time_ns, l.service,
           coalesce(l.attributes ->> 'session_id', l.attributes ->> 'session.id') AS session
    FROM logs AS l
    WHERE l.event = 'agent_execution_started' AND l.span_id IS NOT NULL AND {where}
          AND NOT EXISTS (SELECT 1 FROM spans AS s
                          WHERE s.trace_id = l.trace_id AND s.span_id = l.span_id)
    ORDER BY l.time_ns DESC
"""
_LOGS = """
    SELECT time_ns, severity, event, body, service, trace_id, span_id
    FROM logs WHERE {where} ORDER BY time_ns DESC LIMIT ?
"""


@dataclass(frozen=True)
class AgentQuery:
    agent: str
    since_ns: int | None = None
    until_ns: int | None = None
    session: str | None = None
    log_rank: int = 3
    limit: int = 20

    def spans(self) -> tuple[str, list[Any]]:
        return all_of(
            ("agent = ?", self.agent),
            ("start_ns >= ?", self.since_ns),
            ("start_ns <= ?", self.until_ns),
            (f"{_SESSION} = ?", self.session),
        )

    def logs(self) -> tuple[str, list[Any]]:
        """Conditions on log records, unqualified: they name the innermost table's columns."""
        session = "coalesce(attributes ->> 'session_id', attributes ->> 'session.id')"
        return all_of(
            (f"{LOG_AGENT} = ?", self.agent),
            ("time_ns >= ?", self.since_ns),
            ("time_ns <= ?", self.until_ns),
            (f"{session} = ?", self.session),
        )


def agent_report(store: Store, query: AgentQuery) -> dict[str, Any]:
    where, params = query.spans()
    [summary] = store.rows(_RUNS.format(where=where), params)
    summary["error_rate"] = rate(summary["errors"], summary["runs"])
    calls = store.rows(_INSIDE.format(where=where), [*params, query.since_ns or 0])
    failures = store.rows(_FAILURES.format(where=where), [*params, query.limit])
    log_where, log_params = query.logs()
    open_runs = _OPEN.format(where=log_where)
    [open_count] = store.rows(f"SELECT count(*) AS count FROM ({open_runs})", log_params)
    opened = store.rows(f"{open_runs} LIMIT ?", [*log_params, query.limit])
    logs = store.rows(
        _LOGS.format(where=f"{log_where} AND {SEVERITY_RANK} >= ?"),
        [*log_params, query.log_rank, query.limit],
    )
    return {
        "agent": query.agent,
        **summary,
        "tools": [_call(row) for row in calls if row["operation"] == "execute_tool"],
        "models": [_call(row) for row in calls if row["operation"] != "execute_tool"],
        "error_kinds": store.rows(_ERROR_KINDS.format(where=where), params),
        "failures": [_timed(row, "start_ns") for row in failures],
        "sessions": store.rows(_SESSIONS.format(where=where), params),
        "open_runs": [_timed(row, "time_ns") for row in opened],
        "open_count": open_count["count"],
        "logs": [_timed(row, "time_ns") for row in logs],
    }


def _call(row: dict[str, Any]) -> dict[str, Any]:
    shaped = {key: value for key, value in row.items() if key != "operation"}
    shaped["error_rate"] = rate(row["errors"], row["calls"])
    if row["operation"] == "execute_tool":
        for key in ("input_tokens", "output_tokens", "cost_usd"):
            shaped.pop(key)
    return shaped


def _timed(row: dict[str, Any], column: str) -> dict[str, Any]:
    return {**row, "time": iso(row[column])}


def rate(part: int, whole: int) -> float:
    return round(part / whole, 6) if whole else 0.0


# -- one handoff pair --------------------------------------------------------------------------

# Latency bucket upper bounds in ms; the last bucket is everything above.
LATENCY_BOUNDS_MS = (1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000)
_FROM, _TO = "swarmscope.handoff.from_agent", "swarmscope.handoff.to_agent"
# The pair's handoff spans, and the target's runs that closed one of them: the latency of a
# handoff is measured when the target starts, on its run's span.
_PAIR = f"""
    WITH handoffs AS (
        SELECT trace_id, span_id, start_ns, status, status_message,
               TRY_CAST({attribute("swarmscope.handoff.data_bytes")} AS BIGINT) AS bytes,
               coalesce(attributes -> '$."swarmscope.handoff.data_keys"', '[]')::VARCHAR AS keys
        FROM spans
        WHERE operation = 'handoff' AND {attribute(_FROM)} = ? AND {attribute(_TO)} = ?
              AND {{where}}
    ), arrivals AS (
        SELECT trace_id, span_id, start_ns,
               TRY_CAST({attribute("swarmscope.handoff.latency_ms")} AS DOUBLE) AS latency_ms
        FROM spans
        WHERE operation = 'invoke_agent' AND agent = ? AND {attribute(_FROM)} = ? AND {{where}}
    )
"""
_COUNTS = """
    SELECT count(*) AS handoffs,
           count(*) FILTER (WHERE status = 'error') AS failures,
           min(bytes) AS min_bytes, avg(bytes) AS mean_bytes,
           quantile_cont(bytes, 0.95) AS p95_bytes, max(bytes) AS max_bytes,
           coalesce(sum(bytes), 0) AS total_bytes
    FROM handoffs
"""
_LATENCY = """
    SELECT count(latency_ms) AS arrivals, min(latency_ms) AS min_ms, avg(latency_ms) AS mean_ms,
           quantile_cont(latency_ms, 0.5) AS p50_ms, quantile_cont(latency_ms, 0.9) AS p90_ms,
           quantile_cont(latency_ms, 0.95) AS p95_ms, quantile_cont(latency_ms, 0.99) AS p99_ms,
           max(latency_ms) AS max_ms
    FROM arrivals
"""
_BOUNDS = ", ".join(
    f"({low}, {high})"
    for low, high in zip(
        (0, *LATENCY_BOUNDS_MS), (*LATENCY_BOUNDS_MS, "'inf'::DOUBLE"), strict=True
    )
)
# Buckets of (low, high]; the first also takes latencies of 0 (a clock that did not tick).
_BUCKETS = f"""
    SELECT b.high AS le_ms, count(a.latency_ms) AS count
    FROM (VALUES {_BOUNDS}) AS b(low, high)
         LEFT JOIN arrivals AS a
         ON (a.latency_ms > b.low OR (b.low = 0 AND a.latency_ms >= 0)) AND a.latency_ms <= b.high
    GROUP BY ALL ORDER BY b.high
"""
_PAYLOADS = """
    SELECT keys, count(*) AS count, min(bytes) AS min_bytes, avg(bytes) AS mean_bytes,
           max(bytes) AS max_bytes
    FROM handoffs GROUP BY ALL ORDER BY count DESC, keys
"""
_FAILED = """
    SELECT trace_id, span_id, start_ns, status_message AS error FROM handoffs
    WHERE status = 'error' ORDER BY start_ns DESC
"""
_SLOW = """
    SELECT trace_id, span_id, start_ns, latency_ms FROM arrivals
    WHERE latency_ms > ? ORDER BY latency_ms DESC
"""
# A handoff that succeeded, is older than the settle time, and after which the target neither
# ran nor started running in that trace. (Inside the subqueries, unqualified columns are the
# inner table's.)
_NEVER_RAN = f"""
    SELECT h.trace_id, h.span_id, h.start_ns FROM handoffs AS h
    WHERE h.status <> 'error' AND h.start_ns <= ?
      AND NOT EXISTS (
          SELECT 1 FROM spans AS s
          WHERE s.trace_id = h.trace_id AND s.operation = 'invoke_agent' AND s.agent = ?
                AND s.start_ns >= h.start_ns)
      AND NOT EXISTS (
          SELECT 1 FROM logs AS l
          WHERE l.trace_id = h.trace_id AND l.event = 'agent_execution_started'
                AND {LOG_AGENT} = ? AND l.time_ns >= h.start_ns)
    ORDER BY h.start_ns DESC
"""
_OVERSIZED = """
    SELECT trace_id, span_id, start_ns, bytes, keys FROM handoffs
    WHERE bytes > ? ORDER BY bytes DESC
"""


@dataclass(frozen=True)
class HandoffQuery:
    from_agent: str
    to_agent: str
    trace_id: str | None = None
    since_ns: int | None = None
    until_ns: int | None = None
    slow_ms: float = 1000.0
    max_bytes: int = 256 * 1024
    settle_ns: int = 30 * 10**9
    limit: int = 20

    def pair(self) -> tuple[str, list[Any]]:
        """The ``WITH handoffs, arrivals`` prefix of every query, and its parameters."""
        where, params = all_of(
            ("trace_id = ?", self.trace_id),
            ("start_ns >= ?", self.since_ns),
            ("start_ns <= ?", self.until_ns),
        )
        return _PAIR.format(where=where), [
            self.from_agent,
            self.to_agent,
            *params,
            self.to_agent,
            self.from_agent,
            *params,
        ]


def handoff_report(store: Store, query: HandoffQuery, now_ns: int) -> dict[str, Any]:
    pair, pair_params = query.pair()

    def rows(sql: str, *params: Any) -> list[dict[str, Any]]:
        return store.rows(pair + sql, [*pair_params, *params])

    def problem(sql: str, *params: Any) -> dict[str, Any]:
        """How many rows a problem query finds, and the first ``limit`` of them."""
        [total] = rows(f"SELECT count(*) AS count FROM ({sql})", *params)
        examples = rows(f"{sql} LIMIT ?", *params, query.limit)
        return {"count": total["count"], "examples": [_timed(row, "start_ns") for row in examples]}

    [counts] = rows(_COUNTS)
    [latency] = rows(_LATENCY)
    payloads = rows(_PAYLOADS)
    for payload in payloads:
        payload["keys"] = json.loads(payload["keys"])
    oversized = problem(_OVERSIZED, query.max_bytes)
    for row in oversized["examples"]:
        row["keys"] = json.loads(row["keys"])
    return {
        "from_agent": query.from_agent,
        "to_agent": query.to_agent,
        **counts,
        "failure_rate": rate(counts["failures"], counts["handoffs"]),
        "latency": {**latency, "buckets": [_bucket(row) for row in rows(_BUCKETS)]},
        "payloads": payloads,
        "failed": [_timed(row, "start_ns") for row in rows(f"{_FAILED} LIMIT ?", query.limit)],
        "problems": {
            "slow": {"threshold_ms": query.slow_ms, **problem(_SLOW, query.slow_ms)},
            "target_never_ran": {
                "settle_s": query.settle_ns / 1e9,
                **problem(_NEVER_RAN, now_ns - query.settle_ns, query.to_agent, query.to_agent),
            },
            "oversized": {"threshold_bytes": query.max_bytes, **oversized},
        },
    }


def _bucket(row: dict[str, Any]) -> dict[str, Any]:
    """JSON has no infinity: the last bucket's bound is null (Prometheus writes +Inf)."""
    return {"le_ms": None if row["le_ms"] == float("inf") else row["le_ms"], "count": row["count"]}


# -- recorded requests -------------------------------------------------------------------------

_REQUEST_COLUMNS = f"""
    trace_id, span_id, start_ns, duration_ms, service, name,
    {attribute("swarmscope.replay.method")} AS method,
    {attribute("swarmscope.replay.target")} AS target,
    {attribute("swarmscope.replay.headers")} AS headers,
    {attribute("swarmscope.replay.body")} AS body,
    coalesce(TRY_CAST({attribute("swarmscope.replay.body_too_large")} AS BOOLEAN), false)
        AS body_too_large,
    {attribute("url.scheme")} AS scheme,
    {attribute("server.address")} AS address,
    TRY_CAST({attribute("server.port")} AS INTEGER) AS port,
    TRY_CAST({attribute("http.response.status_code")} AS INTEGER) AS status_code,
    {attribute("swarmscope.replay.of")} AS replay_of
"""
_RECORDED = f"kind = 'server' AND {attribute('swarmscope.replay.method')} IS NOT NULL"
# One recorded request per trace (the first), with whether its run failed: an orchestration
# ended in error, or, without one, the request itself answered 5xx.
_REQUESTS = f"""
    WITH requests AS (
        SELECT {_REQUEST_COLUMNS} FROM spans WHERE {_RECORDED} AND {{where}}
        QUALIFY row_number() OVER (PARTITION BY trace_id ORDER BY start_ns) = 1
    ), runs AS (
        SELECT trace_id, bool_or(status = 'error') AS failed FROM spans
        WHERE {_ORCHESTRATE} AND trace_id IN (SELECT trace_id FROM requests)
        GROUP BY ALL
    )
    SELECT requests.*, coalesce(runs.failed, coalesce(status_code, 0) >= 500) AS failed
    FROM requests LEFT JOIN runs USING (trace_id)
    WHERE {{failed}}
    ORDER BY start_ns DESC LIMIT ?
"""
_OUTCOMES = f"""
    SELECT trace_id, count(*) AS spans, min(start_ns) AS start_ns,
           (max(end_ns) - min(start_ns)) / 1e6 AS duration_ms,
           count(*) FILTER (WHERE status = 'error') AS errors,
           coalesce(list(agent ORDER BY start_ns)
                    FILTER (WHERE operation = 'invoke_agent' AND agent IS NOT NULL), [])
               AS agents,
           CASE WHEN bool_or({_ORCHESTRATE} AND status = 'error') THEN 'error'
                WHEN bool_or({_ORCHESTRATE}) THEN 'ok' END AS orchestration,
           coalesce(list({{'span': name, 'message': status_message}} ORDER BY start_ns)
                    FILTER (WHERE status = 'error'), []) AS error_spans
    FROM spans WHERE trace_id IN (SELECT unnest(?::VARCHAR[])) GROUP BY trace_id
"""
# Spans whose parent has not arrived (it is still running); a SERVER span's parent may live
# in a client that sends no telemetry, so those do not count.
_DANGLING = """
    WITH t AS (SELECT * FROM spans WHERE trace_id IN (SELECT unnest(?::VARCHAR[])))
    SELECT child.trace_id, count(*) AS dangling
    FROM t AS child LEFT JOIN t AS parent
         ON parent.trace_id = child.trace_id AND parent.span_id = child.parent_span_id
    WHERE child.parent_span_id IS NOT NULL AND parent.span_id IS NULL AND child.kind <> 'server'
    GROUP BY ALL
"""
_OPEN_IN_TRACES = """
    SELECT l.trace_id, count(*) AS open_runs FROM logs AS l
    WHERE l.trace_id IN (SELECT unnest(?::VARCHAR[])) AND l.event = 'agent_execution_started'
          AND l.span_id IS NOT NULL
          AND NOT EXISTS (SELECT 1 FROM spans AS s
                          WHERE s.trace_id = l.trace_id AND s.span_id = l.span_id)
    GROUP BY ALL
"""


def outcomes(store: Store, trace_ids: list[str]) -> dict[str, dict[str, Any]]:
    """How each trace's run went, and whether it is complete (nothing still running)."""
    if not trace_ids:
        return {}
    found = {row["trace_id"]: row for row in store.rows(_OUTCOMES, [trace_ids])}
    dangling = {row["trace_id"]: row["dangling"] for row in store.rows(_DANGLING, [trace_ids])}
    running = {
        row["trace_id"]: row["open_runs"] for row in store.rows(_OPEN_IN_TRACES, [trace_ids])
    }
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


@dataclass(frozen=True)
class RequestQuery:
    trace_id: str | None = None
    since_ns: int | None = None
    until_ns: int | None = None
    failed_only: bool = False
    limit: int = 100


def recorded_requests(store: Store, query: RequestQuery) -> list[dict[str, Any]]:
    """Recorded requests, newest first, each with its run's outcome."""
    where, params = all_of(
        ("trace_id = ?", query.trace_id),
        ("start_ns >= ?", query.since_ns),
        ("start_ns <= ?", query.until_ns),
    )
    rows = store.rows(
        _REQUESTS.format(where=where, failed="failed" if query.failed_only else "true"),
        [*params, query.limit],
    )
    found = outcomes(store, [row["trace_id"] for row in rows])
    return [{**_request(row), "outcome": found.get(row["trace_id"])} for row in rows]


def recorded_request(store: Store, trace_id: str) -> dict[str, Any] | None:
    """The trace's recorded request, its outcome and the replays of it; None if it has none."""
    rows = recorded_requests(store, RequestQuery(trace_id=trace_id, limit=1))
    if not rows:
        return None
    replays = store.rows(
        f"""SELECT trace_id FROM spans
            WHERE kind = 'server' AND {attribute("swarmscope.replay.of")} = ?
            ORDER BY start_ns""",
        [trace_id],
    )
    return {**rows[0], "replays": [row["trace_id"] for row in replays]}


def trace_known(store: Store, trace_id: str) -> bool:
    return bool(store.rows("SELECT 1 FROM spans WHERE trace_id = ? LIMIT 1", [trace_id]))


# -- routes ------------------------------------------------------------------------------------


def routes(context: Context) -> APIRouter:
    router = APIRouter(tags=["debugging"])
    store = context.store

    @router.get("/api/agents/{agent}", summary="One agent: runs, latency, tools, errors, logs")
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

    @router.get("/api/handoffs", summary="Handoffs from one agent to another, and their problems")
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

    @router.get("/api/requests", summary="Recorded (replayable) requests, newest first")
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

    @router.get("/api/requests/{trace_id}", summary="A trace's recorded request and its outcome")
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
