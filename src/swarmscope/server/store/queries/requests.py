"""Recorded (replayable) requests, how each trace's run went, and the replays of a trace."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from swarmscope.conventions.attributes import (
    HTTP_RESPONSE_STATUS_CODE,
    SERVER_ADDRESS,
    SERVER_PORT,
    SWARMSCOPE_REPLAY_BODY,
    SWARMSCOPE_REPLAY_BODY_TOO_LARGE,
    SWARMSCOPE_REPLAY_HEADERS,
    SWARMSCOPE_REPLAY_METHOD,
    SWARMSCOPE_REPLAY_OF,
    SWARMSCOPE_REPLAY_TARGET,
    URL_SCHEME,
)
from swarmscope.conventions.spans import INVOKE_AGENT
from swarmscope.server.store.database import Store
from swarmscope.server.store.queries.filters import ORCHESTRATE, all_of, attribute

_REQUEST_COLUMNS = f"""
    trace_id, span_id, start_ns, duration_ms, service, name,
    {attribute(SWARMSCOPE_REPLAY_METHOD)} AS method,
    {attribute(SWARMSCOPE_REPLAY_TARGET)} AS target,
    {attribute(SWARMSCOPE_REPLAY_HEADERS)} AS headers,
    {attribute(SWARMSCOPE_REPLAY_BODY)} AS body,
    coalesce(TRY_CAST({attribute(SWARMSCOPE_REPLAY_BODY_TOO_LARGE)} AS BOOLEAN), false)
        AS body_too_large,
    {attribute(URL_SCHEME)} AS scheme,
    {attribute(SERVER_ADDRESS)} AS address,
    TRY_CAST({attribute(SERVER_PORT)} AS INTEGER) AS port,
    TRY_CAST({attribute(HTTP_RESPONSE_STATUS_CODE)} AS INTEGER) AS status_code,
    {attribute(SWARMSCOPE_REPLAY_OF)} AS replay_of
"""
_RECORDED = f"kind = 'server' AND {attribute(SWARMSCOPE_REPLAY_METHOD)} IS NOT NULL"
# One recorded request per trace (the first), with whether its run failed: an orchestration
# ended in error, or, without one, the request itself answered 5xx.
_REQUESTS = f"""
    WITH requests AS (
        SELECT {_REQUEST_COLUMNS} FROM spans WHERE {_RECORDED} AND {{where}}
        QUALIFY row_number() OVER (PARTITION BY trace_id ORDER BY start_ns) = 1
    ), runs AS (
        SELECT trace_id, bool_or(status = 'error') AS failed FROM spans
        WHERE {ORCHESTRATE} AND trace_id IN (SELECT trace_id FROM requests)
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
                    FILTER (WHERE operation = '{INVOKE_AGENT}' AND agent IS NOT NULL), [])
               AS agents,
           CASE WHEN bool_or({ORCHESTRATE} AND status = 'error') THEN 'error'
                WHEN bool_or({ORCHESTRATE}) THEN 'ok' END AS orchestration,
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
_REPLAYS = f"""
    SELECT trace_id FROM spans
    WHERE kind = 'server' AND {attribute(SWARMSCOPE_REPLAY_OF)} = ?
    ORDER BY start_ns
"""


@dataclass(frozen=True)
class RequestQuery:
    trace_id: str | None = None
    since_ns: int | None = None
    until_ns: int | None = None
    failed_only: bool = False
    limit: int = 100


def recorded_request_rows(store: Store, query: RequestQuery) -> list[dict[str, Any]]:
    """One recorded request per trace, newest first, with whether its run failed."""
    where, params = all_of(
        ("trace_id = ?", query.trace_id),
        ("start_ns >= ?", query.since_ns),
        ("start_ns <= ?", query.until_ns),
    )
    return store.rows(
        _REQUESTS.format(where=where, failed="failed" if query.failed_only else "true"),
        [*params, query.limit],
    )


@dataclass(frozen=True)
class OutcomeRows:
    """Per trace: how its run went, its spans whose parent has not arrived, its open runs."""

    outcomes: list[dict[str, Any]]
    dangling: list[dict[str, Any]]
    open_runs: list[dict[str, Any]]


def outcome_rows(store: Store, trace_ids: list[str]) -> OutcomeRows:
    return OutcomeRows(
        outcomes=store.rows(_OUTCOMES, [trace_ids]),
        dangling=store.rows(_DANGLING, [trace_ids]),
        open_runs=store.rows(_OPEN_IN_TRACES, [trace_ids]),
    )


def replays_of(store: Store, trace_id: str) -> list[str]:
    """The traces that replayed this trace's recorded request, oldest first."""
    rows = store.rows(_REPLAYS, [trace_id])
    return [row["trace_id"] for row in rows]


def trace_known(store: Store, trace_id: str) -> bool:
    return bool(store.rows("SELECT 1 FROM spans WHERE trace_id = ? LIMIT 1", [trace_id]))
