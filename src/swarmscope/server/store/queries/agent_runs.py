"""One agent's runs: counts and latencies, what ran inside them, failures, sessions, the
runs still open and the agent's logs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from swarmscope.conventions.attributes import (
    SESSION_ID,
)
from swarmscope.server.store.database import Store
from swarmscope.server.store.queries.agent_links import CALL, LINKS, RUN, settle
from swarmscope.server.store.queries.filters import (
    SEVERITY_RANK,
    all_of,
)

# The agent's runs are read from ``agent_links``: a few columns of a fraction of the spans,
# with their session and error type taken from the attributes as they were written.
_OF_RUNS = f"FROM {LINKS} WHERE role = '{RUN}'"

_RUNS = f"""
    SELECT count(*) AS runs,
           count(*) FILTER (WHERE status = 'error') AS errors,
           quantile_cont(duration_ms, 0.5) AS p50_ms,
           quantile_cont(duration_ms, 0.95) AS p95_ms,
           max(duration_ms) AS max_ms,
           count(DISTINCT trace_id) AS traces,
           min(start_ns) AS first_ns,
           max(start_ns) AS last_ns,
           list(DISTINCT service ORDER BY service) AS services
    {_OF_RUNS} AND {{where}}
"""
# What ran inside the agent's runs: the tool and LLM calls whose nearest run above is one of
# them (so a sub-agent's tools are its own), as ``agent_links`` keeps them.
_INSIDE = f"""
    SELECT c.operation, c.agent AS name,
           count(*) AS calls,
           count(*) FILTER (WHERE c.status = 'error') AS errors,
           quantile_cont(c.duration_ms, 0.5) AS p50_ms,
           quantile_cont(c.duration_ms, 0.95) AS p95_ms,
           sum(c.input_tokens) AS input_tokens,
           sum(c.output_tokens) AS output_tokens,
           sum(c.cost_usd) AS cost_usd
    FROM {LINKS} AS c
         SEMI JOIN (SELECT trace_id, span_id {_OF_RUNS} AND {{where}}) AS r
         ON c.trace_id = r.trace_id AND c.caller_span = r.span_id
    WHERE c.role = '{CALL}' AND c.caller_role = '{RUN}' AND c.caller_agent = ?
          AND c.start_ns >= ?
    GROUP BY ALL ORDER BY calls DESC, name
"""
_FAILURES = f"""
    SELECT trace_id, span_id, start_ns, duration_ms, status_message, error_type
    {_OF_RUNS} AND status = 'error' AND {{where}}
    ORDER BY start_ns DESC LIMIT ?
"""
_ERROR_KINDS = f"""
    SELECT coalesce(error_type, nullif(status_message, ''), 'unknown') AS error,
           count(*) AS count
    {_OF_RUNS} AND status = 'error' AND {{where}}
    GROUP BY ALL ORDER BY count DESC, error
"""
_SESSIONS = f"""
    SELECT session, count(*) AS runs,
           count(*) FILTER (WHERE status = 'error') AS errors,
           min(start_ns) AS first_ns, max(end_ns) AS last_ns
    {_OF_RUNS} AND session IS NOT NULL AND {{where}}
    GROUP BY ALL ORDER BY last_ns DESC LIMIT 20
"""
# An agent run is open when its start was logged (the log names the run's span) but the span
# has not arrived: spans are exported when they end. The runs are looked for in
# ``agent_links``, a few columns of a fraction of the spans.
_OPEN = f"""
    SELECT l.trace_id, l.span_id, l.time_ns, l.service, count(*) OVER () AS open_count
    FROM logs AS l ANTI JOIN (SELECT trace_id, span_id {_OF_RUNS}) AS s
         ON s.trace_id = l.trace_id AND s.span_id = l.span_id
    WHERE l.event = 'agent_execution_started' AND l.span_id IS NOT NULL AND {{where}}
"""
# The sessions of the newest of them, from their records' JSON only: the records are found
# again by time (the store's order), not carried through the sort with all their attributes.
_OPEN_SESSIONS = f"""
    SELECT span_id, coalesce(attributes ->> 'session_id', attributes ->> '{SESSION_ID}') AS session
    FROM logs
    WHERE event = 'agent_execution_started' AND time_ns BETWEEN ? AND ?
          AND list_contains(?, span_id)
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
            ("session = ?", self.session),
        )

    def logs(self) -> tuple[str, list[Any]]:
        """Conditions on log records, unqualified: they name the innermost table's columns."""
        session = f"coalesce(attributes ->> 'session_id', attributes ->> '{SESSION_ID}')"
        return all_of(
            # The intake files ``agent_id`` under the column: the attributes' JSON, read for
            # every record, was most of the page's time.
            ("agent = ?", self.agent),
            ("time_ns >= ?", self.since_ns),
            ("time_ns <= ?", self.until_ns),
            (f"{session} = ?", self.session),
        )


@dataclass(frozen=True)
class AgentRows:
    """What the store holds of one agent's runs, as rows; the router shapes them."""

    summary: dict[str, Any]
    calls: list[dict[str, Any]]
    failures: list[dict[str, Any]]
    error_kinds: list[dict[str, Any]]
    sessions: list[dict[str, Any]]
    open_count: int
    open_runs: list[dict[str, Any]]
    logs: list[dict[str, Any]]


def agent_rows(store: Store, query: AgentQuery) -> AgentRows:
    settle(store)
    where, params = query.spans()
    log_where, log_params = query.logs()
    [summary], calls, failures, error_kinds, sessions, opened, logs = store.rows_at_once(
        [
            (_RUNS.format(where=where), params),
            (_INSIDE.format(where=where), [*params, query.agent, query.since_ns or 0]),
            (_FAILURES.format(where=where), [*params, query.limit]),
            (_ERROR_KINDS.format(where=where), params),
            (_SESSIONS.format(where=where), params),
            (
                f"{_OPEN.format(where=log_where)} ORDER BY l.time_ns DESC LIMIT ?",
                [*log_params, query.limit],
            ),
            (
                _LOGS.format(where=f"{log_where} AND {SEVERITY_RANK} >= ?"),
                [*log_params, query.log_rank, query.limit],
            ),
        ]
    )
    # How many runs are open, counted before the limit (the same on every row).
    open_count = opened[0]["open_count"] if opened else 0
    for row in opened:
        del row["open_count"]
    if opened:
        times = [row["time_ns"] for row in opened]
        ids = [row["span_id"] for row in opened]
        found = store.rows(_OPEN_SESSIONS, [min(times), max(times), ids])
        open_sessions = {row["span_id"]: row["session"] for row in found}
        for row in opened:
            row["session"] = open_sessions.get(row["span_id"])
    return AgentRows(
        summary=summary,
        calls=calls,
        failures=failures,
        error_kinds=error_kinds,
        sessions=sessions,
        open_count=open_count,
        open_runs=opened,
        logs=logs,
    )
