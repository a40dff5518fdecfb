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
from typing import Annotated, Any

from fastapi import APIRouter, Query

from swarmscope.api_words import AGENT_GRAPH, time_ns
from swarmscope.server.context import Context
from swarmscope.server.store.database import Store
from swarmscope.server.store.queries.agent_graph import GraphQuery, graph_edges, graph_nodes

TIME = Annotated[str | None, Query(description="epoch s, ISO 8601, or 15m ago")]


def routes(context: Context) -> APIRouter:
    router = APIRouter(tags=["agents"])

    @router.get(AGENT_GRAPH, summary="Agents and the handoffs between them")
    async def agent_graph(
        start: TIME = None, end: TIME = None, service: str | None = None
    ) -> dict[str, Any]:
        query = GraphQuery(time_ns("start", start), time_ns("end", end), service)
        return await asyncio.to_thread(graph, context.store, query)

    return router


def graph(store: Store, query: GraphQuery) -> dict[str, Any]:
    nodes = graph_nodes(store, query)
    edges = graph_edges(store, query)
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
