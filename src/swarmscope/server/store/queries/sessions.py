"""Sessions (conversations, threads): the runs that carried one session id, and their sum.

A span names its session in the ``session`` column (``gen_ai.conversation.id``,
``session.id``, LangGraph's thread, OpenLLMetry's association property, MCP's session...).
A run is a trace; a trace belongs to every session one of its spans names, and all its spans
count for it (an LLM call inside the run need not repeat the session id). Tokens and cost
are the LLM calls' own, so a framework's span that sums its calls (the Vercel AI SDK's
``ai.generateText``) is not counted twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from swarmscope.conventions.spans import INVOKE_AGENT, LLM_OPERATIONS
from swarmscope.server.store.database import Store
from swarmscope.server.store.queries.filters import all_of

_LLM = f"operation IN {LLM_OPERATIONS!r}"
# One row per (session, trace): the run's figures.
_RUNS = f"""
    WITH members AS MATERIALIZED (
        SELECT DISTINCT session, trace_id FROM spans
        WHERE session IS NOT NULL AND {{where}}
    ), runs AS MATERIALIZED (
        SELECT m.session, s.trace_id,
               arg_min(s.name, coalesce(s.parent_span_id IS NOT NULL, false)::INT * 1e18
                       + s.start_ns) AS root,
               arg_min(s.agent, s.start_ns) FILTER (WHERE s.operation = '{INVOKE_AGENT}'
                                                   AND s.agent IS NOT NULL) AS agent,
               list(DISTINCT s.agent ORDER BY s.agent)
                   FILTER (WHERE s.operation = '{INVOKE_AGENT}' AND s.agent IS NOT NULL)
                   AS agents,
               list(DISTINCT s.service ORDER BY s.service) AS services,
               min(s.start_ns) AS start_ns, max(s.end_ns) AS end_ns,
               count(*) FILTER (WHERE s.{_LLM}) AS llm_calls,
               coalesce(sum(s.input_tokens) FILTER (WHERE s.{_LLM}), 0) AS input_tokens,
               coalesce(sum(s.output_tokens) FILTER (WHERE s.{_LLM}), 0) AS output_tokens,
               sum(s.cost_usd) FILTER (WHERE s.{_LLM}) AS cost_usd,
               count(*) FILTER (WHERE s.status = 'error') AS errors,
               count(*) FILTER (WHERE s.wait IS NOT NULL) AS waits
        FROM members AS m JOIN spans AS s ON s.trace_id = m.trace_id
        GROUP BY m.session, s.trace_id
    )
"""
_SESSIONS = f"""{_RUNS}
    SELECT session AS id,
           list_sort(list_distinct(flatten(list(services)))) AS services,
           list_sort(list_distinct(flatten(list(coalesce(agents, []))))) AS agents,
           min(start_ns) AS first_ns, max(end_ns) AS last_ns,
           count(*) AS runs, sum(llm_calls) AS llm_calls,
           sum(input_tokens) AS input_tokens, sum(output_tokens) AS output_tokens,
           sum(cost_usd) AS cost_usd, sum(errors) AS errors, sum(waits) AS waits
    FROM runs GROUP BY session ORDER BY last_ns DESC LIMIT ?
"""
_ONE = f"""{_RUNS}
    SELECT trace_id, root, agent, agents, services, start_ns, end_ns,
           (end_ns - start_ns) / 1e6 AS duration_ms, llm_calls, input_tokens,
           output_tokens, cost_usd, errors, waits
    FROM runs ORDER BY start_ns, trace_id
"""


@dataclass(frozen=True)
class SessionQuery:
    since_ns: int | None = None
    until_ns: int | None = None
    service: str | None = None
    limit: int = 100

    def where(self) -> tuple[str, list[Any]]:
        return all_of(
            ("start_ns >= ?", self.since_ns),
            ("start_ns <= ?", self.until_ns),
            ("service = ?", self.service),
        )


def session_rows(store: Store, query: SessionQuery) -> list[dict[str, Any]]:
    """Sessions with their figures, the latest active first."""
    where, params = query.where()
    return store.rows(_SESSIONS.format(where=where), [*params, query.limit])


def session_runs(store: Store, session: str) -> list[dict[str, Any]]:
    """One session's runs (traces), oldest first; empty when no span names it."""
    return store.rows(_ONE.format(where="session = ?"), [session])
