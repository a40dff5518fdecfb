"""``GET /api/agents/graph``: agents as nodes, the work passed between them as edges.

A node is an agent that ran (a span the agent model reads as ``invoke_agent`` and names an
agent, in whatever convention it came: ours, GenAI, OpenInference's AGENT spans and
LangGraph nodes, the Agents SDK, OpenLLMetry, pydantic-ai...) or an orchestrator (our
``orchestrate`` spans). Edges, by this rule, each counted once per trace and pair:

1. ``handoff``: a handoff span (ours ``handoff a -> b``; the Agents SDK's ``handoff to b``,
   which leaves the agent whose run it is in), or an agent run that names the agent that
   handed to it (``graph.node.parent_id``, ``swarmscope.handoff.from_agent``) where no
   handoff span of that pair is in the trace. Latency is the time until ``b`` started, which
   the SDK writes on ``b``'s span as ``swarmscope.handoff.latency_ms``.
2. ``spawn``: an orchestrator starting an agent (an ``invoke_agent`` span whose parent is
   ``orchestrate``).
3. For a pair no handoff joins in that trace: ``delegation``, an agent run nested in
   another's (the nearest agent run above it), and ``sequence``, an agent run following
   another under the same parent (LangGraph's nodes, one after the other), not under an
   orchestrator (those are spawns).

Both are aggregated in DuckDB, one query for nodes and one for edges, over ``agent_links``:
the runs, orchestrators, delegations and handoffs with the run or orchestrator each was
called from, kept as spans are written (``store.queries.agent_links``). An A2A delegation
(a CLIENT ``invoke_agent`` span) is an edge from the agent that sent it, not a run of the
remote agent; spawns are from the nearest orchestrator above a run.
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import APIRouter, Query

from swarmscope.api_words import AGENT_GRAPH, time_ns
from swarmscope.server.context import Context
from swarmscope.server.store.database import Store
from swarmscope.server.store.queries.agent_graph import GraphQuery, graph_rows
from swarmscope.server.store.queries.agent_links import settle

TIME = Annotated[str | None, Query(description="epoch s, ISO 8601, or 15m ago")]


def routes(context: Context) -> APIRouter:
    router = APIRouter(tags=["agents"])

    @router.get(
        AGENT_GRAPH,
        summary="Agents and the handoffs between them",
        description="Nodes: agents that ran (any instrumentor's convention) and orchestrators."
        " Edges, once per trace and pair: `handoff` (handoff spans, or runs naming the agent"
        " that handed to them), `spawn` (an orchestrator starting an agent), and where no"
        " handoff joins the pair, `delegation` (a run nested in another agent's) and"
        " `sequence` (a run following another's under the same parent).",
    )
    async def agent_graph(
        start: TIME = None, end: TIME = None, service: str | None = None
    ) -> dict[str, Any]:
        query = GraphQuery(time_ns("start", start), time_ns("end", end), service)
        return await asyncio.to_thread(graph, context.store, query)

    return router


def graph(store: Store, query: GraphQuery) -> dict[str, Any]:
    settle(store)
    nodes, edges = graph_rows(store, query)
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
