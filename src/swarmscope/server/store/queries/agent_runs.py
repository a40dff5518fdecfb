"""One agent's runs: counts and latencies, what ran inside them, failures, sessions, the
runs still open and the agent's logs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from swarmscope.conventions.attributes import (
    ERROR_TYPE,
    GEN_AI_CONVERSATION_ID,
    SESSION_ID,
    SWARMSCOPE_LLM_COST_USD,
)
from swarmscope.conventions.spans import EXECUTE_TOOL, INVOKE_AGENT, LLM_OPERATIONS
from swarmscope.server.store.database import Store
from swarmscope.server.store.queries.filters import LOG_AGENT, SEVERITY_RANK, all_of, attribute

# The session and cost columns are the agent model's (any convention, priced at intake);
# the attributes are read for rows stored before those columns existed.
_SESSION = (
    f"coalesce(session, {attribute(GEN_AI_CONVERSATION_ID)}, {attribute(SESSION_ID)},"
    f" {attribute('session_id')})"
)


def _cost(table: str = "") -> str:
    prefix = f"{table}." if table else ""
    return (
        f"coalesce({prefix}cost_usd,"
        f" TRY_CAST({attribute(SWARMSCOPE_LLM_COST_USD, table)} AS DOUBLE))"
    )


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
    FROM spans WHERE operation = '{INVOKE_AGENT}' AND {{where}}
"""
# What ran inside the agent's runs: their descendants, down to (not into) a nested agent run,
# so a sub-agent's tools are its own. Children start after their parent: the window's lower
# bound narrows every step of the walk.
_INSIDE = f"""
    WITH RECURSIVE inside(trace_id, span_id, operation, name, tool, model, status, duration_ms,
                          input_tokens, output_tokens, cost_usd, depth) AS (
        SELECT trace_id, span_id, operation, name, tool, model, status, duration_ms,
               input_tokens, output_tokens, {_cost()}, 0
        FROM spans WHERE operation = '{INVOKE_AGENT}' AND {{where}}
        UNION ALL
        SELECT child.trace_id, child.span_id, child.operation, child.name, child.tool,
               child.model, child.status, child.duration_ms, child.input_tokens,
               child.output_tokens, {_cost("child")},
               inside.depth + 1
        FROM inside JOIN spans AS child
             ON child.trace_id = inside.trace_id AND child.parent_span_id = inside.span_id
        WHERE coalesce(child.operation, '') <> '{INVOKE_AGENT}' AND inside.depth < 32
              AND child.start_ns >= ?
    )
    SELECT operation,
           CASE WHEN operation = '{EXECUTE_TOOL}' THEN coalesce(tool, name)
                ELSE coalesce(model, name) END AS name,
           count(*) AS calls,
           count(*) FILTER (WHERE status = 'error') AS errors,
           quantile_cont(duration_ms, 0.5) AS p50_ms,
           quantile_cont(duration_ms, 0.95) AS p95_ms,
           sum(input_tokens) AS input_tokens,
           sum(output_tokens) AS output_tokens,
           sum(cost_usd) AS cost_usd
    FROM inside
    WHERE depth > 0 AND operation IN {(EXECUTE_TOOL, *LLM_OPERATIONS)!r}
    GROUP BY ALL ORDER BY calls DESC, name
"""
_FAILURES = f"""
    SELECT trace_id, span_id, start_ns, duration_ms, status_message,
           {attribute(ERROR_TYPE)} AS error_type
    FROM spans WHERE operation = '{INVOKE_AGENT}' AND status = 'error' AND {{where}}
    ORDER BY start_ns DESC LIMIT ?
"""
_ERROR_KINDS = f"""
    SELECT coalesce({attribute(ERROR_TYPE)}, nullif(status_message, ''), 'unknown') AS error,
           count(*) AS count
    FROM spans WHERE operation = '{INVOKE_AGENT}' AND status = 'error' AND {{where}}
    GROUP BY ALL ORDER BY count DESC, error
"""
_SESSIONS = f"""
    SELECT {_SESSION} AS session, count(*) AS runs,
           count(*) FILTER (WHERE status = 'error') AS errors,
           min(start_ns) AS first_ns, max(end_ns) AS last_ns
    FROM spans WHERE operation = '{INVOKE_AGENT}' AND {_SESSION} IS NOT NULL AND {{where}}
    GROUP BY ALL ORDER BY last_ns DESC LIMIT 20
"""
# An agent run is open when its start was logged (the log names the run's span) but the span
# has not arrived: spans are exported when they end.
_OPEN = f"""
    SELECT l.trace_id, l.span_id, l.time_ns, l.service,
           coalesce(l.attributes ->> 'session_id', l.attributes ->> '{SESSION_ID}') AS session
    FROM logs AS l
    WHERE l.event = 'agent_execution_started' AND l.span_id IS NOT NULL AND {{where}}
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
        session = f"coalesce(attributes ->> 'session_id', attributes ->> '{SESSION_ID}')"
        return all_of(
            (f"{LOG_AGENT} = ?", self.agent),
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
    where, params = query.spans()
    [summary] = store.rows(_RUNS.format(where=where), params)
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
    return AgentRows(
        summary=summary,
        calls=calls,
        failures=failures,
        error_kinds=store.rows(_ERROR_KINDS.format(where=where), params),
        sessions=store.rows(_SESSIONS.format(where=where), params),
        open_count=open_count["count"],
        open_runs=opened,
        logs=logs,
    )
