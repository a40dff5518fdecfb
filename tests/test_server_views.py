"""The server's views (logs, agent graph, approvals, overview) over data the SDK really sent.

One module-wide scenario: two runs of an orchestration (scout -> analyst -> author), the
second with a failed handoff and a failing author; approvals approved, rejected, timed out,
one decided inside a block that never ends, and one still waiting when the views are read.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import structlog

import swarmscope as ss
from loopback import serve
from swarmscope.server.app import create_app
from swarmscope.server.intake.otlp import LogRow
from swarmscope.server.store.database import Store

SERVICE = "views-test"
RANKS = {"debug": 1, "info": 2, "warning": 3, "error": 4, "critical": 5}


@dataclass(frozen=True)
class Scenario:
    url: str

    def get(self, path: str, **params: Any) -> dict[str, Any]:
        answer = httpx.get(f"{self.url}{path}", params=params, timeout=10)
        assert answer.status_code == 200, answer.text
        return answer.json()

    def status(self, path: str, **params: Any) -> httpx.Response:
        return httpx.get(f"{self.url}{path}", params=params, timeout=10)


def _agents_run(failing: bool) -> None:
    """One orchestration; ``failing`` adds a failed handoff, a timeout and an author error."""
    log = structlog.get_logger("app")
    with ss.orchestration("recommend"):
        with ss.agent_run("scout"):
            log.warning("CRM quota nearly exhausted", account="Acme-Corp")
            ss.handoff("scout", "analyst", {"account": "acme"})
        with ss.agent_run("analyst"):
            with ss.tool_call("recall_history"):
                pass
            with ss.llm_call("gpt-4o", provider="openai") as llm:
                llm.record_usage(input_tokens=100, output_tokens=20)
            if failing:
                ss.handoff("analyst", "author", error=ConnectionError("queue down"))
            ss.handoff("analyst", "author", {"insight": "upsell"})
        with ss.agent_run("author"):
            if not failing:
                with ss.approval("recommendation", approval_id="ap-1") as first:
                    time.sleep(0.02)
                    first.resolve("approved")
                with ss.approval("recommendation", approval_id="ap-2") as second:
                    time.sleep(0.12)
                    second.resolve("rejected", reason="wrong account")
                return
            with ss.approval("send_email", approval_id="ap-3", timeout=0.01):
                time.sleep(0.03)
            raise RuntimeError("CRM write failed")


def _requests_left_open() -> None:
    """Approval blocks a thread never leaves, so their spans never end: one decided (the
    decision is known from its event alone), then one nobody answers."""
    answered = ss.approval("recommendation", agent="author", approval_id="ap-5")
    answered.__enter__()
    time.sleep(0.05)
    answered.resolve("approved")
    ss.approval("send_email", agent="author", approval_id="ap-4", timeout=600).__enter__()


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Scenario]:
    store = Store(Path(tmp_path_factory.mktemp("views")) / "store.duckdb")
    try:
        with serve(create_app(store)) as url:
            ss.shutdown()
            ss.init(service_name=SERVICE, otlp_endpoint=url, log_stream="none")
            try:
                _agents_run(failing=False)
                with pytest.raises(RuntimeError):
                    _agents_run(failing=True)
                waiter = threading.Thread(target=_requests_left_open)
                waiter.start()
                waiter.join(5)
            finally:
                ss.shutdown()
            yield Scenario(url)
    finally:
        store.close()


def _all_logs(scenario: Scenario) -> list[dict[str, Any]]:
    return scenario.get("/api/logs", limit=1000)["logs"]


def test_logs_newest_first_with_decoded_fields(scenario: Scenario):
    logs = _all_logs(scenario)
    times = [record["time_ns"] for record in logs]
    assert times == sorted(times, reverse=True) and len(logs) > 20
    warning = next(record for record in logs if record["event"] == "CRM quota nearly exhausted")
    assert warning["severity"] == "warning" and warning["agent"] == "scout"
    assert warning["body"] == "CRM quota nearly exhausted" and warning["service"] == SERVICE
    assert warning["attributes"]["account"] == "Acme-Corp"
    assert warning["time"].endswith("Z") and len(warning["trace_id"]) == 32
    assert scenario.get("/api/logs", limit=3)["count"] == 3


def test_log_text_filter_reads_message_and_attributes_case_blind(scenario: Scenario):
    by_message = scenario.get("/api/logs", text="QUOTA nearly")
    assert by_message["count"] == 2
    assert {record["event"] for record in by_message["logs"]} == {"CRM quota nearly exhausted"}
    by_attribute = scenario.get("/api/logs", text="acme-corp")
    assert by_attribute["count"] == 2
    assert scenario.get("/api/logs", text="wrong account")["logs"][0]["event"] == (
        "hitl_approval_received"
    )
    assert scenario.get("/api/logs", text="no such words anywhere")["count"] == 0


def test_log_level_is_a_minimum(scenario: Scenario):
    everything = _all_logs(scenario)
    for level, alias in (("warning", "warn"), ("error", "ERROR")):
        found = scenario.get("/api/logs", level=alias, limit=1000)["logs"]
        expected = [r for r in everything if RANKS[r["severity"]] >= RANKS[level]]
        assert [(r["time_ns"], r["event"]) for r in found] == [
            (r["time_ns"], r["event"]) for r in expected
        ]
    errors = {r["event"] for r in scenario.get("/api/logs", level="error")["logs"]}
    assert {"hitl_approval_timeout", "agent_handoff_failed", "agent_execution_failed"} <= errors
    assert "CRM quota nearly exhausted" not in errors
    warnings = {r["event"] for r in scenario.get("/api/logs", level="warn")["logs"]}
    assert "CRM quota nearly exhausted" in warnings and "agent_handoff" not in warnings


def test_log_trace_and_agent_filters(scenario: Scenario):
    everything = _all_logs(scenario)
    failing = scenario.get("/api/traces", status="error")["traces"]
    assert len(failing) == 1
    trace_id = failing[0]["trace_id"]
    in_trace = scenario.get("/api/logs", trace_id=trace_id.upper(), limit=1000)["logs"]
    assert in_trace and len(in_trace) == sum(r["trace_id"] == trace_id for r in everything)
    assert "agent_handoff_failed" in {r["event"] for r in in_trace}
    analyst = scenario.get("/api/logs", agent="analyst", limit=1000)["logs"]
    assert {r["agent"] for r in analyst} == {"analyst"}
    assert sum(r["event"] == "llm_call_completed" for r in analyst) == 2
    assert scenario.get("/api/logs", service="elsewhere")["count"] == 0


def test_bad_log_parameters_are_400(scenario: Scenario):
    for params in ({"level": "loud"}, {"limit": 0}, {"limit": 1001}, {"start": "yesterday"}):
        answer = scenario.status("/api/logs", **params)
        assert answer.status_code == 400, params
        assert answer.json()["status"] == 400 and answer.json()["error"]


def _durations(scenario: Scenario, span_name: str) -> list[float]:
    found = []
    for summary in scenario.get("/api/traces")["traces"]:
        pending = scenario.get(f"/api/traces/{summary['trace_id']}")["tree"]
        while pending:
            span = pending.pop()
            pending.extend(span["children"])
            if span["name"] == span_name:
                found.append(span["duration_ms"])
    return found


def test_agent_graph_nodes_and_edges(scenario: Scenario):
    graph = scenario.get("/api/agents/graph")
    nodes = {node["id"]: node for node in graph["nodes"]}
    assert set(nodes) == {"orchestrate recommend", "scout", "analyst", "author"}
    assert graph["orchestrators"] == ["orchestrate recommend"]
    orchestrator = nodes["orchestrate recommend"]
    assert (orchestrator["kind"], orchestrator["runs"], orchestrator["errors"]) == (
        "orchestrator",
        2,
        1,
    )
    assert (nodes["author"]["runs"], nodes["author"]["errors"]) == (2, 1)
    assert nodes["author"]["error_rate"] == 0.5 and nodes["scout"]["error_rate"] == 0.0
    assert nodes["author"]["services"] == [SERVICE]
    # Quantiles interpolate between the author's two runs, read here from the trace trees.
    fast, slow = sorted(_durations(scenario, "invoke_agent author"))
    assert slow > 140 and nodes["author"]["p50_ms"] == pytest.approx((fast + slow) / 2)
    assert nodes["author"]["p95_ms"] == pytest.approx(fast + 0.95 * (slow - fast))
    edges = {(e["kind"], e["source"], e["target"]): e for e in graph["edges"]}
    assert set(edges) == {
        ("handoff", "scout", "analyst"),
        ("handoff", "analyst", "author"),
        ("spawn", "orchestrate recommend", "scout"),
        ("spawn", "orchestrate recommend", "analyst"),
        ("spawn", "orchestrate recommend", "author"),
    }
    to_author = edges[("handoff", "analyst", "author")]
    assert (to_author["count"], to_author["failures"], to_author["error_rate"]) == (3, 1, 0.333333)
    to_analyst = edges[("handoff", "scout", "analyst")]
    assert (to_analyst["count"], to_analyst["failures"]) == (2, 0)
    assert 0 < to_analyst["p50_ms"] <= to_analyst["p95_ms"] < 5_000
    spawned = edges[("spawn", "orchestrate recommend", "author")]
    assert (spawned["count"], spawned["failures"]) == (2, 1)


def test_agent_graph_filters(scenario: Scenario):
    assert scenario.get("/api/agents/graph", service="elsewhere") == {
        "nodes": [],
        "edges": [],
        "orchestrators": [],
    }
    past = scenario.get("/api/agents/graph", start="3h", end="2h")
    assert past["nodes"] == [] and past["edges"] == []
    assert scenario.status("/api/agents/graph", end="soon").status_code == 400


def _quantile(values: list[float], q: float) -> float:
    """Linear interpolation between closest ranks, as DuckDB's quantile_cont."""
    ordered = sorted(values)
    position = q * (len(ordered) - 1)
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (position - low) * (ordered[high] - ordered[low])


def test_approvals_pending_and_decided(scenario: Scenario):
    approvals = scenario.get("/api/approvals")
    [waiting] = approvals["pending"]
    assert (waiting["approval_id"], waiting["approval_type"], waiting["agent"]) == (
        "ap-4",
        "send_email",
        "author",
    )
    assert waiting["status"] == "pending" and waiting["overdue"] is False
    assert 0 <= waiting["waiting_seconds"] < 120 and waiting["timeout_s"] == 600
    decided = {row["approval_id"]: row for row in approvals["decided"]}
    assert {key: row["status"] for key, row in decided.items()} == {
        "ap-1": "approved",
        "ap-2": "rejected",
        "ap-3": "timeout",
        "ap-5": "approved",
    }
    assert decided["ap-2"]["reason"] == "wrong account"
    assert decided["ap-1"]["agent"] == "author" and decided["ap-1"]["service"] == SERVICE
    assert decided["ap-5"]["approval_type"] == "recommendation"
    latencies = {key: row["latency_seconds"] for key, row in decided.items()}
    # Each waited as long as its block slept before the decision, and not ten times more.
    for key, slept in (("ap-1", 0.02), ("ap-2", 0.12), ("ap-3", 0.03), ("ap-5", 0.05)):
        assert slept <= latencies[key] < slept * 10, key
    summary = approvals["summary"]
    counts = {key: summary[key] for key in ("requested", "approved", "rejected", "timeout")}
    assert counts == {"requested": 5, "approved": 2, "rejected": 1, "timeout": 1}
    assert (summary["pending"], summary["cancelled"]) == (1, 0)
    answered = [latencies[key] for key in ("ap-1", "ap-2", "ap-5")]
    assert summary["p50_latency_seconds"] == pytest.approx(_quantile(answered, 0.5))
    assert summary["p95_latency_seconds"] == pytest.approx(_quantile(answered, 0.95))
    assert summary["by_type"]["recommendation"] == {
        "requested": 3,
        "approved": 2,
        "rejected": 1,
        "timeout": 0,
        "pending": 0,
    }
    assert summary["by_type"]["send_email"] == {
        "requested": 2,
        "approved": 0,
        "rejected": 0,
        "timeout": 1,
        "pending": 1,
    }


def test_approval_filters(scenario: Scenario):
    pending = scenario.get("/api/approvals", status="pending")
    assert [row["approval_id"] for row in pending["pending"]] == ["ap-4"]
    assert pending["decided"] == [] and pending["summary"]["requested"] == 5
    by_type = scenario.get("/api/approvals", type="recommendation")
    assert sorted(row["approval_id"] for row in by_type["decided"]) == ["ap-1", "ap-2", "ap-5"]
    assert by_type["pending"] == [] and by_type["summary"]["requested"] == 3
    timeouts = scenario.get("/api/approvals", status="timeout", agent="author")
    assert [row["approval_id"] for row in timeouts["decided"]] == ["ap-3"]
    assert scenario.get("/api/approvals", agent="scout")["summary"]["requested"] == 0
    newest = scenario.get("/api/approvals", limit=1)
    assert [row["approval_id"] for row in newest["pending"]] == ["ap-4"]
    assert newest["decided"] == []
    assert scenario.status("/api/approvals", status="maybe").status_code == 400
    assert scenario.status("/api/approvals", limit=5000).status_code == 400


def test_overview_numbers(scenario: Scenario):
    overview = scenario.get("/api/overview")
    # Per run: orchestrate, 3 agents, 2 handoffs, tool, chat, and the run's approvals.
    assert (overview["traces"], overview["spans"], overview["error_traces"]) == (2, 20, 1)
    assert overview["error_rate"] == 0.5
    assert overview["services"] == [SERVICE]
    assert overview["agents"] == ["analyst", "author", "scout"]
    assert overview["llm"] == {
        "calls": 2,
        "input_tokens": 200,
        "output_tokens": 40,
        # gpt-4o's price: 200 tokens in at $2.50 and 40 out at $10 per million.
        "cost_usd": 0.0009,
        "calls_by_model": {"gpt-4o": 2},
    }
    assert overview["approvals_pending"] == 1
    levels: dict[str, int] = {}
    for record in _all_logs(scenario):
        levels[record["severity"]] = levels.get(record["severity"], 0) + 1
    assert overview["logs"] == {"records": sum(levels.values()), "by_level": levels}
    quiet = scenario.get("/api/overview", start="3h", end="2h")
    assert (quiet["traces"], quiet["spans"], quiet["llm"]["calls"]) == (0, 0, 0)
    assert quiet["logs"] == {"records": 0, "by_level": {}}
    assert scenario.status("/api/overview", start="1h", end="2h").status_code == 400
    assert scenario.status("/api/overview", start="whenever").status_code == 400


@pytest.fixture
def aged_logs(tmp_path: Path) -> Iterator[str]:
    """Records of other senders, hours and days old: severity texts as other loggers write
    them, the agent in a column or only in ``agent_id``."""
    store = Store(tmp_path / "aged.duckdb")
    now = time.time_ns()
    ages = {"2d": 48 * 3600, "5h": 5 * 3600, "1h": 3600, "5m": 300}
    severities = {"2d": "FATAL", "5h": "WARN", "1h": "ERROR2", "5m": ""}
    store.add(
        "logs",
        [
            LogRow(
                time_ns=now - seconds * 10**9,
                trace_id=None,
                span_id=None,
                severity=severities[age].lower(),
                event=None,
                body=f"record {age} ago",
                service="java-app",
                agent="planner" if age == "5h" else None,
                attributes=json.dumps({"agent_id": "planner"} if age == "2d" else {}),
            )
            for age, seconds in ages.items()
        ],
    )
    try:
        with serve(create_app(store)) as url:
            yield url
    finally:
        store.close()


def test_newest_first_reaches_back_past_every_window(aged_logs: str):
    def bodies(**params: Any) -> list[str]:
        answer = httpx.get(f"{aged_logs}/api/logs", params=params, timeout=10)
        assert answer.status_code == 200, answer.text
        return [record["body"] for record in answer.json()["logs"]]

    assert bodies(limit=2) == ["record 5m ago", "record 1h ago"]
    assert bodies(limit=3) == ["record 5m ago", "record 1h ago", "record 5h ago"]
    assert bodies() == ["record 5m ago", "record 1h ago", "record 5h ago", "record 2d ago"]
    assert bodies(text="2D AGO") == ["record 2d ago"]
    assert bodies(text='"AGENT_ID": "planner"') == ["record 2d ago"]
    assert bodies(text="a(b*") == []
    assert bodies(start="6h") == ["record 5m ago", "record 1h ago", "record 5h ago"]
    assert bodies(start="6h", end="30m") == ["record 1h ago", "record 5h ago"]
    assert bodies(level="warning") == ["record 1h ago", "record 5h ago", "record 2d ago"]
    assert bodies(level="critical") == ["record 2d ago"]
    assert bodies(level="info") == bodies()
    assert bodies(agent="planner") == ["record 5h ago", "record 2d ago"]
