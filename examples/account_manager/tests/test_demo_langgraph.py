"""`swarmscope demo --framework langgraph`: the same three agents as a LangGraph graph, whose
telemetry comes from ``ss.instrument_langgraph`` and fills the same families and agent graph.

The demo runs as a user runs it (a subprocess), sending to a swarmscope server in this test's
process; its /metrics is scraped while it runs, the server's agent graph read after it stopped.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from test_demo_api import (
    SEED,
    SPEED,
    asgi_client,
    assert_valid_run,
    run,
    settle,
    waiting_approval,
)
from test_demo_e2e import launch, parse

from account_manager.api import build_services, create_app
from account_manager.graph import AGENTS, REVIEW
from account_manager.runs import Run
from account_manager.world import LANGGRAPH, DemoConfig
from loopback import serve_store
from swarmscope.conventions import attributes, spans
from swarmscope.integrations.langgraph import uninstrument_langgraph

NAMESPACE = "lgdemo"
SCOUT, ANALYST, AUTHOR = AGENTS
Samples = dict[str, list[tuple[dict[str, str], float]]]


def test_a_graph_run_waits_for_a_person_and_resumes_with_the_answer(telemetry) -> None:
    """In-process: the run pauses at the review node's interrupt, the API lists the approval
    under the interrupt's id, and the approver's answer resumes the thread to the end."""

    async def main() -> tuple[Run, dict[str, Any], float]:
        config = DemoConfig(seed=SEED, approval_timeout=10.0, speed=SPEED)
        services = build_services(config, framework=LANGGRAPH)
        try:
            async with asgi_client(create_app(services)) as client:
                run_id, approval = await waiting_approval(client)
                waiting = telemetry.metric("hitl_approvals_pending", approval_type=REVIEW)
                body = await settle(client, run_id)
                assert body["status"] == "completed", body
                return services.runs.runs[run_id], approval, waiting
        finally:
            services.memory.close()
            await services.http.aclose()

    try:
        done, approval, waiting = run(main)
    finally:
        uninstrument_langgraph()
    assert waiting == 1
    assert telemetry.metric("hitl_approvals_pending", approval_type=REVIEW) == 0
    assert_valid_run(done.events)
    steps = [e.step_name for e in done.events if e.type.value == "STEP_FINISHED"]
    assert steps == list(AGENTS)
    # Each tool the tool node ran, and the author's text, as the hand-written run streams them.
    types = [e.type.value for e in done.events]
    assert types.count("TOOL_CALL_RESULT") == 5 and "TEXT_MESSAGE_CONTENT" in types
    assert done.result is not None
    assert "approved" in {rec["decision"] for rec in done.result["recommendations"]}

    # The approval's span is the interrupt's, under the review node, in the run's trace; the
    # run that resumed it links to where it paused.
    by_id = {s.context.span_id: s for s in telemetry.spans()}
    [asked] = [
        s
        for s in by_id.values()
        if s.attributes.get(attributes.SWARMSCOPE_APPROVAL_ID) == approval["approval_id"]
    ]
    assert asked.name == f"hitl_approval {REVIEW}"
    assert asked.attributes[attributes.GEN_AI_AGENT_NAME] == AUTHOR
    assert asked.context.trace_id == int(done.trace_id, 16)
    names = set()
    ancestor = asked
    while ancestor.parent is not None and ancestor.parent.span_id in by_id:
        ancestor = by_id[ancestor.parent.span_id]
        names.add(ancestor.name)
    assert {"orchestrate account_analysis", "workflow account_analysis"} <= names, names
    resumed = [
        s
        for s in by_id.values()
        if s.name == "workflow account_analysis"
        and s.context.trace_id == asked.context.trace_id
        and any(
            link.attributes.get(attributes.SWARMSCOPE_LINK) == spans.LINK_RESUME_OF
            for link in s.links
        )
    ]
    assert resumed, "no resumed run links to the pause"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    with serve_store(tmp_path / "store.duckdb") as url:
        yield url


def run_demo(server: str, log_dir: Path) -> tuple[Samples, str]:
    """Run the LangGraph demo for a few seconds; its last /metrics scrape and its stdout."""
    env = {
        **os.environ,
        "OTEL_EXPORTER_OTLP_ENDPOINT": server,
        "OTEL_METRIC_EXPORT_INTERVAL": "1000",
    }
    command = [sys.executable, "-m", "swarmscope", "demo", "--framework", "langgraph"]
    command += ["--duration", "6", "--port", "0", "--rate", "6", "--seed", "5"]
    command += ["--approval-timeout", "1.5", "--namespace", NAMESPACE, "--log-dir", str(log_dir)]
    demo = launch(command, env)
    scraped = ""
    try:
        assert demo.stdout is not None
        head = []
        for line in demo.stdout:
            head.append(line)
            if line.startswith("logs"):
                break
        metrics_url = next((ln.split()[1] for ln in head if ln.startswith("metrics")), None)
        assert metrics_url, f"the demo did not print its /metrics URL: {head}"
        # Scrape until the service goes away (it drains its runs first), for at most a minute.
        for _ in range(240):
            try:
                scraped = httpx.get(metrics_url, timeout=5).text
            except httpx.HTTPError:
                break
            time.sleep(0.25)
        out, err = demo.communicate(timeout=60)
    finally:
        if demo.poll() is None:
            demo.kill()
    assert demo.returncode == 0, err
    assert "Traceback" not in err, err
    return parse(scraped), "".join(head) + out


def value(samples: Samples, family: str, **labels: str) -> float:
    """The sum of ``family``'s samples (``_total`` counters, histogram ``_count``) matching."""
    name = f"{NAMESPACE}_{family}"
    series = samples.get(name) or samples.get(f"{name}_total") or samples.get(f"{name}_count")
    return sum(v for found, v in series or [] if all(found.get(k) == w for k, w in labels.items()))


def final_figures(out: str) -> dict[str, float]:
    """The final line's counts ("runs finished 12"), without its states ("CRM breaker: open")."""
    final = next(line for line in out.splitlines() if line.startswith("final"))
    counts = [part for part in final.removeprefix("final ").split(" · ") if ": " not in part]
    return {key: float(number) for key, number in (part.rsplit(" ", 1) for part in counts)}


def test_the_langgraph_demo_fills_the_agent_families_and_the_agent_graph(
    server: str, tmp_path: Path
) -> None:
    samples, out = run_demo(server, tmp_path)
    figures = final_figures(out)
    assert figures["runs finished"] > 0, out

    # Each of the three graph nodes is an agent with sessions; the tool node is none.
    for agent in AGENTS:
        assert value(samples, "agent_sessions_total", agent_type=agent, status="success") > 0
    assert value(samples, "agent_sessions_total", agent_type="tools") == 0

    # The ToolNode's tools are tool calls of the agent that asked for them.
    asked = {
        SCOUT: ("fetch_account", "search_deals"),
        ANALYST: ("recall_history", "support_tickets"),
        AUTHOR: ("check_compliance",),
    }
    for agent, tools in asked.items():
        for tool in tools:
            calls = value(samples, "agent_tool_calls_total", agent_type=agent, tool_name=tool)
            assert calls > 0, (agent, tool)
    # Beneath them, the world is the hand-written demo's: the CRM, the MCP support desk, the
    # compliance service over A2A.
    assert value(samples, "integration_calls_total", integration_name="zoho") > 0
    assert value(samples, "mcp_tool_invocations_total", tool_name="support_tickets") > 0
    assert value(samples, "a2a_delegations_total") > 0

    # One agent node after another is a handoff.
    for source, target in ((SCOUT, ANALYST), (ANALYST, AUTHOR)):
        moved = value(samples, "agent_handoffs_total", from_agent=source, to_agent=target)
        assert moved > 0, (source, target)

    # The chat model's requests are LLM calls with tokens and a cost (gpt-4o has a price).
    assert value(samples, "llm_tokens_total", model="gpt-4o", agent_type=AUTHOR) > 0
    assert value(samples, "llm_cost_usd_total", model="gpt-4o", agent_type=AUTHOR) > 0
    assert value(samples, "llm_tokens_total", agent_type=ANALYST) > 0

    # interrupt() is an approval of the author's, decided when the approver's answer resumes
    # the thread, or timed out; when the demo stopped none was pending.
    approval = {"approval_type": REVIEW, "agent_type": AUTHOR}
    requested = value(samples, "hitl_approvals_requested_total", **approval)
    received = value(samples, "hitl_approvals_received_total", **approval)
    assert requested > 0 and received > 0
    assert value(samples, "hitl_approvals_received_total", decision="approved", **approval) > 0
    assert figures["approvals pending"] == 0, out
    events = [
        json.loads(line)["event"] for line in (tmp_path / "demo.log").read_text().splitlines()
    ]
    assert events.count("hitl_approval_required") == (
        events.count("hitl_approval_received") + events.count("hitl_approval_timeout")
    )
    assert events.count("hitl_approval_timeout") > 0, "nobody left an approval unanswered"

    # The server drew the agent graph from the spans: the three agents and their handoffs.
    graph = httpx.get(f"{server}/api/agents/graph", timeout=30).json()
    nodes = {node["id"] for node in graph["nodes"]}
    assert set(AGENTS) <= nodes, nodes
    edges = {(edge["kind"], edge["source"], edge["target"]) for edge in graph["edges"]}
    assert ("handoff", SCOUT, ANALYST) in edges, edges
    assert ("handoff", ANALYST, AUTHOR) in edges, edges


def test_an_unknown_framework_is_a_usage_error() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "swarmscope", "demo", "--framework", "crewai"],
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "crewai" in result.stderr and "langgraph" in result.stderr
