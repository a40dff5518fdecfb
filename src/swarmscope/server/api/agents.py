"""``GET /api/agents/graph``: agents as nodes, handoffs between them as edges.

A node is an agent that ran (its ``invoke_agent`` spans) or an orchestrator (its
``orchestrate`` spans). An edge is either a handoff (the SDK's ``handoff a -> b`` spans; their
latency is the time until ``b`` started, which the SDK writes on ``b``'s span as
``swarmscope.handoff.latency_ms``, since the handoff span itself is an instant) or an
orchestrator starting an agent (an ``invoke_agent`` span whose parent is ``orchestrate``).
Both are aggregated in DuckDB: one query for nodes, one for edges.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Query

from swarmscope.server.api.logs import all_of
from swarmscope.server.api.params import time_ns
from swarmscope.server.context import Context
from swarmscope.server.store.database import Store

TIME = Annotated[str | None, Query(description="epoch s, ISO 8601, or 15m ago")]
_ORCHESTRATE = "name LIKE 'orchestrate %'"
_NODES = f"""
    SELECT CASE WHEN {_ORCHESTRATE} THEN name ELSE agent END AS id,
           CASE WHEN {_ORCHESTRATE} THEN 'orchestrator' ELSE 'agent' END AS kind,
           count(*) AS runs,
           count(*) FILTER (WHERE status = 'error') AS errors,
           quantile_cont(duration_ms, 0.5) AS p50_ms,
           quantile_cont(duration_ms, 0.95) AS p95_ms,
           list(DISTINCT service ORDER BY service) AS services
    FROM spans
    WHERE ((operation = 'invoke_agent' AND agent IS NOT NULL) OR {_ORCHESTRATE}) AND {{where}}
    GROUP BY ALL ORDER BY kind DESC, id
"""
_EDGES = """
    WITH handoffs AS (
        SELECT attributes ->> '$."swarmscope.handoff.from_agent"' AS source,
               attributes ->> '$."swarmscope.handoff.to_agent"' AS target,
               count(*) AS count,
               count(*) FILTER (WHERE status = 'error') AS failures
        FROM spans WHERE operation = 'handoff' AND {where}
        GROUP BY ALL
    ), arrivals AS (
        SELECT attributes ->> '$."swarmscope.handoff.from_agent"' AS source, agent AS target,
               TRY_CAST(attributes ->> '$."swarmscope.handoff.latency_ms"' AS DOUBLE) AS ms
        FROM spans
        WHERE operation = 'invoke_agent' AND contains(attributes, 'swarmscope.handoff.latency_ms')
              AND {where}
    ), latency AS (
        SELECT source, target, quantile_cont(ms, 0.5) AS p50_ms, quantile_cont(ms, 0.95) AS p95_ms
        FROM arrivals WHERE ms IS NOT NULL GROUP BY ALL
    ), spawns AS (
        SELECT parent.name AS source, child.agent AS target,
               count(*) AS count,
               count(*) FILTER (WHERE child.status = 'error') AS failures
        FROM spans AS child JOIN spans AS parent
             ON child.trace_id = parent.trace_id AND child.parent_span_id = parent.span_id
        WHERE child.operation = 'invoke_agent' AND child.agent IS NOT NULL
              AND parent.name LIKE 'orchestrate %' AND {child_where}
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


def routes(context: Context) -> APIRouter:
    router = APIRouter(tags=["agents"])

    @router.get("/api/agents/graph", summary="Agents and the handoffs between them")
    async def agent_graph(
        start: TIME = None, end: TIME = None, service: str | None = None
    ) -> dict[str, Any]:
        query = GraphQuery(time_ns("start", start), time_ns("end", end), service)
        return await asyncio.to_thread(graph, context.store, query)

    return router


def graph(store: Store, query: GraphQuery) -> dict[str, Any]:
    where, params = query.where()
    child_where, child_params = query.where("child")
    nodes = store.rows(_NODES.format(where=where), params)
    edges = store.rows(
        _EDGES.format(where=where, child_where=child_where),
        [*params, *params, *child_params],
    )
    for node in nodes:
        node["error_rate"] = _rate(node["errors"], node["runs"])
    for edge in edges:
        edge["error_rate"] = _rate(edge["failures"], edge["count"])
    # An agent handed work that never ran (in this window) is still a node of the graph.
    known = {node["id"] for node in nodes}
    for edge in edges:
        for end in (edge["source"], edge["target"]):
            if end not in known:
                known.add(end)
                nodes.append(
                    {
                        "id": end,
                        "kind": "agent",
                        "runs": 0,
                        "errors": 0,
                        "p50_ms": None,
                        "p95_ms": None,
                        "services": [],
                        "error_rate": 0.0,
                    }
                )
    orchestrators = [node["id"] for node in nodes if node["kind"] == "orchestrator"]
    return {"nodes": nodes, "edges": edges, "orchestrators": orchestrators}


def _rate(part: int, whole: int) -> float:
    return round(part / whole, 6) if whole else 0.0
