"""The agent graph over an A2A delegation under an orchestrator: what ``/api/agents/graph``
shows for the demo's shape of trace, whatever order its spans arrive in."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest

from swarmscope.server.store.database import Store
from swarmscope.server.store.rows import SpanRow
from test_trace_list import span as stored_span

TRACE = 0xAB
ORCHESTRATOR = "orchestrate account_analysis"


def span(number: int, parent: int | None, name: str, **fields: Any) -> SpanRow:
    """Span ``number`` of the one trace, a millisecond long, started a minute ago."""
    start_ns = time.time_ns() - 60 * 10**9 + number * 10**6
    shape = {"kind": "internal", "service": "app", "end_ns": start_ns + 10**6, "duration_ms": 1.0}
    untyped = {"operation": None, "agent": None}
    return stored_span(TRACE, number, start_ns, parent, name=name, **(shape | untyped | fields))


def run(number: int, parent: int, agent: str, **fields: Any) -> SpanRow:
    return span(
        number, parent, f"invoke_agent {agent}", operation="invoke_agent", agent=agent, **fields
    )


# orchestrate > workflow > workflow_node > author's run > A2A delegation (client) >
# the remote service's request > the remote agent's run > its tool call; and the scout,
# spawned the same way, handing to the author.
SPANS = [
    span(1, None, "POST /api/analyze", kind="server"),
    span(2, 1, ORCHESTRATOR),
    span(3, 2, "workflow account_analysis"),
    span(4, 3, "workflow_node zoho_data_scout"),
    run(5, 4, "zoho_data_scout"),
    span(
        6,
        5,
        "handoff zoho_data_scout -> recommendation_author",
        operation="handoff",
        agent="zoho_data_scout",
        handoff_from="zoho_data_scout",
        handoff_to="recommendation_author",
    ),
    span(7, 3, "workflow_node recommendation_author"),
    run(8, 7, "recommendation_author", handoff_from="zoho_data_scout"),
    run(9, 8, "compliance_checker", kind="client"),
    span(10, 9, "POST /a2a/tasks", kind="server", service="compliance"),
    run(11, 10, "compliance_checker", service="compliance", status="error"),
    span(12, 11, "execute_tool policy_lookup", operation="execute_tool"),
]


def graph(server: str) -> tuple[dict[str, Any], dict[tuple[str, str, str], int]]:
    answer = httpx.get(f"{server}/api/agents/graph", timeout=30).json()
    nodes = {node["id"]: node for node in answer["nodes"]}
    edges = {(e["kind"], e["source"], e["target"]): e["count"] for e in answer["edges"]}
    return nodes, edges


def assert_demo_graph(server: str) -> None:
    nodes, edges = graph(server)
    runs = {name: (node["kind"], node["runs"], node["errors"]) for name, node in nodes.items()}
    # The delegation is not a run of the remote agent: its own run (which failed) is.
    assert runs == {
        ORCHESTRATOR: ("orchestrator", 1, 0),
        "zoho_data_scout": ("agent", 1, 0),
        "recommendation_author": ("agent", 1, 0),
        "compliance_checker": ("agent", 1, 1),
    }
    assert nodes["compliance_checker"]["services"] == ["compliance"]
    assert edges == {
        ("spawn", ORCHESTRATOR, "zoho_data_scout"): 1,
        ("spawn", ORCHESTRATOR, "recommendation_author"): 1,
        ("handoff", "zoho_data_scout", "recommendation_author"): 1,
        ("delegation", "recommendation_author", "compliance_checker"): 1,
    }


# Children end, and are exported, before their parents; but another service's exporter may
# send its spans later than the spans they hang under.
ORDERS = {
    "one batch": [SPANS],
    "children first": [[row] for row in reversed(SPANS)],
    "parents first": [[row] for row in SPANS],
    "remote service last": [SPANS[:9] + SPANS[11:], SPANS[9:11]],
}


@pytest.mark.parametrize("order", ORDERS)
def test_the_graph_links_runs_to_their_orchestrator_and_a2a_caller(
    store: Store, server: str, order: str
):
    for batch in ORDERS[order]:
        store.add("spans", batch)
    assert_demo_graph(server)


def test_a_store_from_before_the_links_gets_them_on_opening(store: Store, tmp_path):
    store.add("spans", SPANS)
    store.execute("DELETE FROM agent_links")
    store.close()
    from loopback import serve
    from swarmscope.server.app import create_app

    reopened = Store(tmp_path / "store.duckdb")
    try:
        with serve(create_app(reopened)) as url:
            assert_demo_graph(url)
    finally:
        reopened.close()


def test_a_run_whose_parent_never_arrives_is_a_node_without_edges(store: Store, server: str):
    store.add("spans", [run(5, 99, "lonely")])
    nodes, edges = graph(server)
    assert nodes["lonely"]["runs"] == 1
    assert edges == {}


def test_retention_drops_the_links_with_their_spans(store: Store, server: str):
    from swarmscope.server.store.queries.housekeeping import delete_before

    store.add("spans", SPANS[:6])  # the author's side has not arrived: rows wait
    delete_before(store, time.time_ns())
    nodes, edges = graph(server)
    assert (nodes, edges) == ({}, {})
