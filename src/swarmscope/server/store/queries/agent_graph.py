"""The agent graph: agents and orchestrators as nodes, handoffs and spawns as edges."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from swarmscope.conventions import spans
from swarmscope.conventions.attributes import (
    SWARMSCOPE_HANDOFF_FROM_AGENT,
    SWARMSCOPE_HANDOFF_LATENCY_MS,
)
from swarmscope.conventions.spans import INVOKE_AGENT
from swarmscope.server.store.database import Store
from swarmscope.server.store.queries.filters import (
    ORCHESTRATE,
    all_of,
    attribute,
    handoff_spans,
    name_starts_with,
)

_NODES = f"""
    SELECT CASE WHEN {ORCHESTRATE} THEN name ELSE agent END AS id,
           CASE WHEN {ORCHESTRATE} THEN 'orchestrator' ELSE 'agent' END AS kind,
           count(*) AS runs,
           count(*) FILTER (WHERE status = 'error') AS errors,
           quantile_cont(duration_ms, 0.5) AS p50_ms,
           quantile_cont(duration_ms, 0.95) AS p95_ms,
           list(DISTINCT service ORDER BY service) AS services
    FROM spans
    WHERE ((operation = '{INVOKE_AGENT}' AND agent IS NOT NULL) OR {ORCHESTRATE}) AND {{where}}
    GROUP BY ALL ORDER BY kind DESC, id
"""
_FROM = SWARMSCOPE_HANDOFF_FROM_AGENT
# The edges between agents, by the rule ``api.agents`` documents: explicit handoffs first
# (handoff spans; agent runs that name the agent that handed to them), then, for pairs no
# explicit handoff joins in that trace, an agent run nested in another's (delegation) or
# following another's under the same parent (sequence); and orchestrators' spawns.
# (Stores from before the handoff columns keep the ends in our attributes only.)
_EDGES = f"""
    WITH RECURSIVE runs AS MATERIALIZED (
        SELECT trace_id, span_id, parent_span_id, agent, start_ns, status,
               coalesce(handoff_from, {attribute(_FROM)}) AS handed_by
        FROM spans WHERE operation = '{INVOKE_AGENT}' AND agent IS NOT NULL AND {{where}}
    ), scope AS MATERIALIZED (
        SELECT trace_id, span_id, parent_span_id, agent,
               operation = '{INVOKE_AGENT}' AND agent IS NOT NULL AS is_run,
               {ORCHESTRATE} AS is_orchestrator
        FROM spans WHERE trace_id IN (SELECT trace_id FROM runs)
    ), {handoff_spans("{handoff_where}")}, handoff_spans AS MATERIALIZED (
        SELECT trace_id, status, source, target FROM handoffs_found
    ), arrived AS (
        SELECT r.trace_id, r.status, r.handed_by AS source, r.agent AS target FROM runs AS r
        WHERE r.handed_by IS NOT NULL AND r.handed_by <> r.agent
              AND NOT EXISTS (SELECT 1 FROM handoff_spans AS h
                              WHERE h.trace_id = r.trace_id AND h.source = r.handed_by
                                    AND h.target = r.agent)
    ), explicit AS MATERIALIZED (
        SELECT trace_id, status, source, target FROM handoff_spans
        WHERE source IS NOT NULL AND target IS NOT NULL
        UNION ALL SELECT * FROM arrived
    ), handoffs AS (
        SELECT source, target, count(*) AS count,
               count(*) FILTER (WHERE status = 'error') AS failures
        FROM explicit GROUP BY ALL
    ), arrivals AS (
        SELECT {attribute(_FROM)} AS source, agent AS target,
               TRY_CAST({attribute(SWARMSCOPE_HANDOFF_LATENCY_MS)} AS DOUBLE) AS ms
        FROM spans
        WHERE operation = '{INVOKE_AGENT}' AND contains(attributes, '{SWARMSCOPE_HANDOFF_LATENCY_MS}')
              AND {{where}}
    ), latency AS (
        SELECT source, target, quantile_cont(ms, 0.5) AS p50_ms, quantile_cont(ms, 0.95) AS p95_ms
        FROM arrivals WHERE ms IS NOT NULL GROUP BY ALL
    ), up(trace_id, run_id, target, status, above, depth) AS (
        -- From each run up its ancestors to the nearest agent run or orchestrator.
        SELECT trace_id, span_id, agent, status, parent_span_id, 0
        FROM runs WHERE parent_span_id IS NOT NULL
        UNION ALL
        SELECT up.trace_id, up.run_id, up.target, up.status, s.parent_span_id, up.depth + 1
        FROM up JOIN scope AS s ON s.trace_id = up.trace_id AND s.span_id = up.above
        WHERE NOT s.is_run AND NOT s.is_orchestrator AND s.parent_span_id IS NOT NULL
              AND up.depth < 32
    ), nested AS (
        SELECT up.trace_id, up.status, s.agent AS source, up.target
        FROM up JOIN scope AS s ON s.trace_id = up.trace_id AND s.span_id = up.above
        WHERE s.is_run AND s.agent <> up.target
    ), siblings AS (
        SELECT trace_id, parent_span_id, status, agent AS target,
               lag(agent) OVER (PARTITION BY trace_id, parent_span_id ORDER BY start_ns) AS source
        FROM runs WHERE parent_span_id IS NOT NULL
    ), followed AS (
        SELECT b.trace_id, b.status, b.source, b.target
        FROM siblings AS b LEFT JOIN scope AS p
             ON p.trace_id = b.trace_id AND p.span_id = b.parent_span_id
        WHERE b.source IS NOT NULL AND b.source <> b.target
              AND NOT coalesce(p.is_orchestrator, false)
    ), implicit AS (
        SELECT 'delegation' AS kind, * FROM nested
        UNION ALL SELECT 'sequence', * FROM followed
    ), unexplained AS (
        SELECT i.kind, i.source, i.target, count(*) AS count,
               count(*) FILTER (WHERE i.status = 'error') AS failures
        FROM implicit AS i
        WHERE NOT EXISTS (SELECT 1 FROM explicit AS e
                          WHERE e.trace_id = i.trace_id AND e.source = i.source
                                AND e.target = i.target)
        GROUP BY ALL
    ), spawns AS (
        SELECT parent.name AS source, child.agent AS target,
               count(*) AS count,
               count(*) FILTER (WHERE child.status = 'error') AS failures
        FROM spans AS child JOIN spans AS parent
             ON child.trace_id = parent.trace_id AND child.parent_span_id = parent.span_id
        WHERE child.operation = '{INVOKE_AGENT}' AND child.agent IS NOT NULL
              AND {name_starts_with(spans.ORCHESTRATE, "parent")} AND {{child_where}}
        GROUP BY ALL
    )
    SELECT 'handoff' AS kind, source, target, count, failures, p50_ms, p95_ms
    FROM handoffs LEFT JOIN latency USING (source, target)
    UNION ALL
    SELECT 'spawn', source, target, count, failures, NULL, NULL FROM spawns
    UNION ALL
    SELECT kind, source, target, count, failures, NULL, NULL FROM unexplained
    ORDER BY kind, source, target
"""


@dataclass(frozen=True)
class GraphQuery:
    since_ns: int | None = None
    until_ns: int | None = None
    service: str | None = None

    def where(self, table: str = "") -> tuple[str, list[Any]]:
        prefix = f"{table}." if table else ""
        return all_of(
            (f"{prefix}start_ns >= ?", self.since_ns),
            (f"{prefix}start_ns <= ?", self.until_ns),
            (f"{prefix}service = ?", self.service),
        )


def graph_nodes(store: Store, query: GraphQuery) -> list[dict[str, Any]]:
    """Agents that ran and orchestrators, with their run counts and latencies."""
    where, params = query.where()
    return store.rows(_NODES.format(where=where), params)


def graph_edges(store: Store, query: GraphQuery) -> list[dict[str, Any]]:
    """Handoffs (with the latency until the target started), orchestrator spawns, and the
    delegations and sequences between agent runs no handoff explains."""
    where, params = query.where()
    handoff_where, handoff_params = query.where("h")
    child_where, child_params = query.where("child")
    return store.rows(
        _EDGES.format(where=where, handoff_where=handoff_where, child_where=child_where),
        [*params, *handoff_params, *params, *child_params],
    )
