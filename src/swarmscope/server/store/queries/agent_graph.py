"""The agent graph: agents and orchestrators as nodes, handoffs and spawns as edges."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from swarmscope.conventions import spans
from swarmscope.conventions.attributes import (
    SWARMSCOPE_HANDOFF_FROM_AGENT,
    SWARMSCOPE_HANDOFF_LATENCY_MS,
    SWARMSCOPE_HANDOFF_TO_AGENT,
)
from swarmscope.conventions.spans import HANDOFF, INVOKE_AGENT
from swarmscope.server.store.database import Store
from swarmscope.server.store.queries.filters import (
    ORCHESTRATE,
    all_of,
    attribute,
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
_EDGES = f"""
    WITH handoffs AS (
        SELECT {attribute(SWARMSCOPE_HANDOFF_FROM_AGENT)} AS source,
               {attribute(SWARMSCOPE_HANDOFF_TO_AGENT)} AS target,
               count(*) AS count,
               count(*) FILTER (WHERE status = 'error') AS failures
        FROM spans WHERE operation = '{HANDOFF}' AND {{where}}
        GROUP BY ALL
    ), arrivals AS (
        SELECT {attribute(SWARMSCOPE_HANDOFF_FROM_AGENT)} AS source, agent AS target,
               TRY_CAST({attribute(SWARMSCOPE_HANDOFF_LATENCY_MS)} AS DOUBLE) AS ms
        FROM spans
        WHERE operation = '{INVOKE_AGENT}' AND contains(attributes, '{SWARMSCOPE_HANDOFF_LATENCY_MS}')
              AND {{where}}
    ), latency AS (
        SELECT source, target, quantile_cont(ms, 0.5) AS p50_ms, quantile_cont(ms, 0.95) AS p95_ms
        FROM arrivals WHERE ms IS NOT NULL GROUP BY ALL
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
    WHERE source IS NOT NULL AND target IS NOT NULL
    UNION ALL
    SELECT 'spawn', source, target, count, failures, NULL, NULL FROM spawns
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
    """Handoffs (with the latency until the target started) and orchestrator spawns."""
    where, params = query.where()
    child_where, child_params = query.where("child")
    return store.rows(
        _EDGES.format(where=where, child_where=child_where),
        [*params, *params, *child_params],
    )
