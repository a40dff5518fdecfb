"""The agent graph: agents and orchestrators as nodes, handoffs and spawns as edges."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from swarmscope.server.store.database import Store
from swarmscope.server.store.queries.agent_links import (
    DELEGATION,
    HANDOFF_ROLE,
    LINKS,
    ORCHESTRATOR,
    RUN,
)
from swarmscope.server.store.queries.filters import all_of

# Both read ``agent_links`` (the graph's spans with the run or orchestrator each was called
# from, kept as spans arrive), not the spans: a few columns of a tenth of the rows.
_NODES = f"""
    SELECT agent AS id, CASE role WHEN '{RUN}' THEN 'agent' ELSE role END AS kind,
           count(*) AS runs,
           count(*) FILTER (WHERE status = 'error') AS errors,
           quantile_cont(duration_ms, 0.5) AS p50_ms,
           quantile_cont(duration_ms, 0.95) AS p95_ms,
           list(DISTINCT service ORDER BY service) AS services
    FROM {LINKS}
    WHERE role IN ('{RUN}', '{ORCHESTRATOR}') AND agent IS NOT NULL AND {{where}}
    GROUP BY ALL ORDER BY kind DESC, id
"""
# The edges between agents, by the rule ``api.agents`` documents: explicit handoffs first
# (handoff spans; agent runs that name the agent that handed to them), then orchestrators'
# spawns and A2A delegations, and for pairs no explicit handoff joins in that trace, an agent
# run nested in another's (delegation) or following another's under the same parent
# (sequence). A remote agent's run under the delegation sent to it is that delegation.
_EDGES = f"""
    WITH linked AS MATERIALIZED (
        SELECT trace_key, parent_key, parent_span_id, start_ns, status, role, agent,
               handed_by, latency_ms, caller_role, caller_agent
        FROM {LINKS} WHERE {{where}}
    ), runs AS (
        SELECT * FROM linked WHERE role IN ('{RUN}', '{DELEGATION}')
    ), shared AS (
        -- Parents of more than one run: ordering runs of every parent is the costly part.
        SELECT parent_key FROM runs WHERE parent_span_id IS NOT NULL
        GROUP BY ALL HAVING count(*) > 1
    ), siblings AS (
        SELECT trace_key, status, caller_role, agent AS target,
               lag(agent) OVER (PARTITION BY parent_key ORDER BY start_ns) AS source
        FROM runs SEMI JOIN shared USING (parent_key)
    ), ways AS (
        -- Every way a pair is joined in a trace, grouped once by trace and pair below (an
        -- aggregate, cheaper than anti-joins between the kinds).
        SELECT trace_key, coalesce(handed_by, caller_agent) AS source, agent AS target, status,
               'span' AS way
        FROM linked WHERE role = '{HANDOFF_ROLE}'
        UNION ALL
        SELECT trace_key, handed_by, agent, status, 'arrival' FROM runs
        WHERE role = '{RUN}' AND handed_by <> agent
        UNION ALL
        SELECT trace_key, caller_agent, agent, status, 'delegation' FROM runs
        WHERE caller_role IN ('{RUN}', '{DELEGATION}') AND caller_agent <> agent
        UNION ALL
        SELECT trace_key, source, target, status, 'sequence' FROM siblings
        WHERE source <> target AND coalesce(caller_role, '') <> '{ORCHESTRATOR}'
    ), in_trace AS (
        SELECT source, target,
               count(*) FILTER (WHERE way = 'span') AS spans,
               count(*) FILTER (WHERE way = 'span' AND status = 'error') AS span_failures,
               count(*) FILTER (WHERE way = 'arrival') AS arrivals,
               count(*) FILTER (WHERE way = 'arrival' AND status = 'error') AS arrival_failures,
               count(*) FILTER (WHERE way = 'delegation') AS delegations,
               count(*) FILTER (WHERE way = 'delegation' AND status = 'error')
                   AS delegation_failures,
               count(*) FILTER (WHERE way = 'sequence') AS sequences,
               count(*) FILTER (WHERE way = 'sequence' AND status = 'error') AS sequence_failures
        FROM ways WHERE source IS NOT NULL AND target IS NOT NULL
        GROUP BY trace_key, source, target
    ), pairs AS (
        -- A handoff span explains its pair; else runs naming who handed to them; the
        -- implicit kinds count where neither does.
        SELECT source, target,
               sum(CASE WHEN spans > 0 THEN spans ELSE arrivals END) AS handoffs,
               sum(CASE WHEN spans > 0 THEN span_failures ELSE arrival_failures END)
                   AS handoff_failures,
               sum(delegations) FILTER (WHERE spans + arrivals = 0) AS delegations,
               sum(delegation_failures) FILTER (WHERE spans + arrivals = 0)
                   AS delegation_failures,
               sum(sequences) FILTER (WHERE spans + arrivals = 0) AS sequences,
               sum(sequence_failures) FILTER (WHERE spans + arrivals = 0) AS sequence_failures
        FROM in_trace GROUP BY ALL
    ), latency AS (
        SELECT handed_by AS source, agent AS target,
               quantile_cont(latency_ms, 0.5) AS p50_ms, quantile_cont(latency_ms, 0.95) AS p95_ms
        FROM runs WHERE latency_ms IS NOT NULL GROUP BY ALL
    ), spawns AS (
        SELECT caller_agent AS source, agent AS target, count(*) AS count,
               count(*) FILTER (WHERE status = 'error') AS failures
        FROM runs WHERE caller_role = '{ORCHESTRATOR}' GROUP BY ALL
    )
    SELECT 'handoff' AS kind, source, target, handoffs AS count, handoff_failures AS failures,
           p50_ms, p95_ms
    FROM pairs LEFT JOIN latency USING (source, target) WHERE handoffs > 0
    UNION ALL
    SELECT 'spawn', source, target, count, failures, NULL, NULL FROM spawns
    UNION ALL
    SELECT 'delegation', source, target, delegations, delegation_failures, NULL, NULL
    FROM pairs WHERE delegations > 0
    UNION ALL
    SELECT 'sequence', source, target, sequences, sequence_failures, NULL, NULL
    FROM pairs WHERE sequences > 0
    ORDER BY kind, source, target
"""


@dataclass(frozen=True)
class GraphQuery:
    since_ns: int | None = None
    until_ns: int | None = None
    service: str | None = None

    def where(self) -> tuple[str, list[Any]]:
        return all_of(
            ("start_ns >= ?", self.since_ns),
            ("start_ns <= ?", self.until_ns),
            ("service = ?", self.service),
        )


def graph_rows(
    store: Store, query: GraphQuery
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The graph's nodes (agents that ran and orchestrators, with their run counts and
    latencies) and its edges (handoffs, with the latency until the target started,
    orchestrator spawns, and the delegations and sequences between agent runs no handoff
    explains), read side by side."""
    where, params = query.where()
    nodes, edges = store.rows_at_once(
        [(_NODES.format(where=where), params), (_EDGES.format(where=where), params)]
    )
    return nodes, edges
