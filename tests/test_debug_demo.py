"""The debugging toolkit on real demo data, run as a user runs it.

One demo runs under ``--faults crm-outage`` with its embedded server over a store in a
temporary directory. The figures the commands print are checked against figures this test
computes itself from the stored rows (read from the DuckDB file, read-only, once the demo's
server has stopped). Then ``swarmscope serve`` reopens the same store, a second demo without
faults sends to it, and the failed runs are replayed against that second demo.

Tests run in file order: the ones that compare figures come before the second demo adds data.
"""

from __future__ import annotations

import json
import math
import os
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import httpx
import pytest

from loopback import free_port, serve_command

READY = "swarmscope server listening on "
SCOUT, ANALYST, AUTHOR = "zoho_data_scout", "memory_analyst", "recommendation_author"


def environment(**extra: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("OTEL_EXPORTER_OTLP_ENDPOINT", "SWARMSCOPE_API_KEY", "SWARMSCOPE_SERVER")
    }
    return {**env, "COLUMNS": "200", **extra}


def swarmscope(*args: str, timeout: float = 90) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "swarmscope", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=environment(),
    )


def as_json(*args: str, timeout: float = 90) -> dict[str, Any]:
    done = swarmscope(*args, "--json", timeout=timeout)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def quantile(values: list[float], q: float) -> float:
    """Linear interpolation between the closest ranks."""
    ordered = sorted(values)
    position = (len(ordered) - 1) * q
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


@dataclass
class World:
    server: str
    data: Path
    runs_failed: int  # what the demo printed
    ended: float  # epoch seconds, after the demo stopped: its data is older
    spans: list[dict[str, Any]]
    logs: list[dict[str, Any]]

    def attr(self, span: dict[str, Any], key: str) -> Any:
        return span["attributes"].get(key)

    def failed_runs(self) -> set[str]:
        return {
            s["trace_id"]
            for s in self.spans
            if s["name"].startswith("orchestrate ") and s["status"] == "error"
        }

    def runs_of(self, agent: str) -> list[dict[str, Any]]:
        return [s for s in self.spans if s["operation"] == "invoke_agent" and s["agent"] == agent]

    def enclosing_agent(self, span: dict[str, Any]) -> str | None:
        """The agent whose run a span happened in (its nearest ``invoke_agent`` ancestor)."""
        by_id = {(s["trace_id"], s["span_id"]): s for s in self.spans}
        parent = by_id.get((span["trace_id"], span["parent_span_id"]))
        while parent is not None:
            if parent["operation"] == "invoke_agent":
                return parent["agent"]
            parent = by_id.get((parent["trace_id"], parent["parent_span_id"]))
        return None


def read_store(path: Path) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    with duckdb.connect(str(path), read_only=True) as db:
        tables = []
        for table in ("spans", "logs"):
            cursor = db.execute(f"SELECT * FROM {table}")
            names = [column[0] for column in cursor.description]
            tables.append([dict(zip(names, row, strict=True)) for row in cursor.fetchall()])
    spans, logs = tables
    for span in spans:
        span["attributes"] = json.loads(span["attributes"])
    return spans, logs


def start_server(data: Path, log: Path) -> tuple[subprocess.Popen[str], str]:
    with log.open("w") as errors:
        process = subprocess.Popen(
            serve_command(data),
            stdout=subprocess.PIPE,
            stderr=errors,
            text=True,
            env=environment(),
        )
    assert process.stdout is not None
    line = process.stdout.readline().strip()
    assert line.startswith(READY), f"server did not start: {line!r} {log.read_text()[-500:]}"
    return process, line.removeprefix(READY)


def stop(process: subprocess.Popen[str], how: int = signal.SIGTERM) -> None:
    if process.poll() is None:
        process.send_signal(how)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    root = tmp_path_factory.mktemp("debug-demo")
    data = root / "data"
    demo = swarmscope(
        "demo", "--port", "0", "--server-port", "0", "--data", str(data),
        "--log-dir", str(root / "logs"), "--duration", "6", "--rate", "4", "--seed", "5",
        "--faults", "crm-outage", "--approval-timeout", "0.5",
        timeout=120,
    )  # fmt: skip
    assert demo.returncode == 0, demo.stderr
    assert re.search(r"^console\s+http://127\.0\.0\.1:\d+/$", demo.stdout, re.M), demo.stdout
    final = re.search(r"^final .*runs failed (\d+)", demo.stdout, re.M)
    assert final, demo.stdout
    spans, logs = read_store(data / "swarmscope.duckdb")
    server, url = start_server(data, root / "server.log")
    try:
        yield World(url, data, int(final.group(1)), time.time(), spans, logs)
    finally:
        stop(server)


def test_replay_failed_lists_every_run_the_demo_counted_as_failed(world: World):
    assert world.runs_failed >= 3, "the outage should fail some runs"
    listing = as_json(
        "replay-failed", "--since", "1h", "--until", f"{world.ended:.3f}", "--server", world.server
    )
    assert listing["failed"] == world.runs_failed == len(world.failed_runs())
    assert {r["trace_id"] for r in listing["requests"]} == world.failed_runs()
    for request in listing["requests"]:
        assert request["method"] == "POST" and request["target"].endswith("/analyze")
        assert request["outcome"]["orchestration"] == "error"
    human = swarmscope("replay-failed", "--since", "1h", "--server", world.server)
    assert human.returncode == 0 and f"{world.runs_failed} failed runs" in human.stdout


def test_traces_list_failed_are_the_failed_runs_and_recovered_the_rest(world: World):
    with_errors = {s["trace_id"] for s in world.spans if s["status"] == "error"}
    listing = as_json("traces", "list", "--failed", "--limit", "1000", "--server", world.server)
    assert {t["trace_id"] for t in listing["traces"]} == world.failed_runs()
    assert {t["outcome"] for t in listing["traces"]} == {"failed"}
    # The outage's errors that retries or fallbacks got over: not failed runs.
    got_over = as_json("traces", "list", "--recovered", "--limit", "1000", "--server", world.server)
    assert {t["trace_id"] for t in got_over["traces"]} == with_errors - world.failed_runs()
    assert got_over["traces"], "the outage should leave some runs that recovered"
    scout = as_json("traces", "list", "--agent", SCOUT, "--limit", "1000", "--server", world.server)
    assert scout["count"] == len({s["trace_id"] for s in world.runs_of(SCOUT)})


def test_the_demo_logs_no_line_per_http_request(world: World):
    # httpx's "HTTP Request: GET .../api/approvals" for every poll the simulated people send.
    loggers = Counter(json.loads(r["attributes"] or "{}").get("logger") for r in world.logs)
    assert loggers["httpx"] == 0 and loggers["swarmscope"] > 0, loggers


def test_trace_show_has_the_tree_errors_and_logs_of_a_failed_run(world: World):
    trace_id = sorted(world.failed_runs())[0]
    spans = [s for s in world.spans if s["trace_id"] == trace_id]
    shown = as_json("trace", "show", trace_id, "--server", world.server)
    assert shown["spans"] == len(spans)
    assert len(shown["logs"]) == len([r for r in world.logs if r["trace_id"] == trace_id])
    human = swarmscope("trace", "show", trace_id, "--server", world.server)
    assert human.returncode == 0
    [orchestration] = [s for s in spans if s["name"].startswith("orchestrate ")]
    assert orchestration["status_message"] in human.stdout
    assert "✗ orchestrate account_analysis" in human.stdout
    assert "agent_execution_failed" in human.stdout, "the logs are under their spans"


def test_logs_search_finds_what_the_store_holds(world: World):
    def matches(record: dict[str, Any]) -> bool:
        text = " ".join(str(record[key] or "") for key in ("body", "event", "attributes"))
        return "crmunavailable" in text.lower() and record["severity"] in ("error", "critical")

    found = as_json(
        "logs", "search", "crmunavailable", "--level", "error", "--since", "1h",
        "--limit", "1000", "--server", world.server,
    )  # fmt: skip
    assert found["count"] == len([r for r in world.logs if matches(r)]) > 0


def test_inspect_agent_figures_equal_the_stored_spans(world: World):
    runs = world.runs_of(SCOUT)
    failed = [s for s in runs if s["status"] == "error"]
    durations = [s["duration_ms"] for s in runs]
    report = as_json("inspect-agent", SCOUT, "--server", world.server)
    assert (report["runs"], report["errors"]) == (len(runs), len(failed))
    assert report["error_rate"] == pytest.approx(len(failed) / len(runs), abs=1e-6)
    assert report["p50_ms"] == pytest.approx(quantile(durations, 0.5), rel=1e-9)
    assert report["p95_ms"] == pytest.approx(quantile(durations, 0.95), rel=1e-9)
    assert report["max_ms"] == pytest.approx(max(durations), rel=1e-9)

    tools: Counter[str] = Counter()
    tool_errors: Counter[str] = Counter()
    for span in world.spans:
        if span["operation"] == "execute_tool" and world.enclosing_agent(span) == SCOUT:
            name = span["tool"] or span["name"]
            tools[name] += 1
            tool_errors[name] += span["status"] == "error"
    assert {t["name"]: (t["calls"], t["errors"]) for t in report["tools"]} == {
        name: (calls, tool_errors[name]) for name, calls in tools.items()
    }
    kinds = Counter(world.attr(s, "error.type") or s["status_message"] for s in failed)
    assert {k["error"]: k["count"] for k in report["error_kinds"]} == dict(kinds)
    newest = sorted(failed, key=lambda s: s["start_ns"], reverse=True)[:10]
    assert [f["trace_id"] for f in report["failures"]] == [s["trace_id"] for s in newest]
    assert report["open_count"] == 0, "the demo ended every run it started"

    analyst = as_json("inspect-agent", ANALYST, "--server", world.server)
    calls = [
        s for s in world.spans if s["operation"] == "chat" and world.enclosing_agent(s) == ANALYST
    ]
    expected = {}
    for model in {s["model"] for s in calls}:
        of_model = [s for s in calls if s["model"] == model]
        costs = [world.attr(s, "swarmscope.llm.cost_usd") for s in of_model]
        expected[model] = (
            len(of_model),
            sum(s["input_tokens"] or 0 for s in of_model),
            sum(s["output_tokens"] or 0 for s in of_model),
            round(sum(c for c in costs if c is not None), 9) if any(costs) else None,
        )
    assert {
        m["name"]: (
            m["calls"],
            m["input_tokens"],
            m["output_tokens"],
            None if m["cost_usd"] is None else round(m["cost_usd"], 9),
        )
        for m in analyst["models"]
    } == expected
    human = swarmscope("inspect-agent", SCOUT, "--server", world.server)
    assert human.returncode == 0 and "fetch_account" in human.stdout
    assert "no run still open" in human.stdout


def test_the_agent_view_leaves_the_graph_route_alone(world: World):
    graph = httpx.get(f"{world.server}/api/agents/graph").json()
    assert {SCOUT, ANALYST, AUTHOR} <= {node["id"] for node in graph["nodes"]}
    unknown = swarmscope("inspect-agent", "nobody", "--server", world.server)
    assert unknown.returncode == 1
    assert unknown.stderr == "swarmscope: no run of agent nobody since 1h\n"


def test_debug_handoff_figures_equal_the_stored_spans(world: World):
    handoffs = [
        s
        for s in world.spans
        if s["operation"] == "handoff"
        and world.attr(s, "swarmscope.handoff.from_agent") == ANALYST
        and world.attr(s, "swarmscope.handoff.to_agent") == AUTHOR
    ]
    latencies = [
        world.attr(s, "swarmscope.handoff.latency_ms")
        for s in world.runs_of(AUTHOR)
        if world.attr(s, "swarmscope.handoff.from_agent") == ANALYST
    ]
    sizes = [world.attr(s, "swarmscope.handoff.data_bytes") for s in handoffs]
    assert len(handoffs) >= 3 and len(latencies) >= 3
    slow_ms, max_bytes = quantile(latencies, 0.5), int(quantile(sizes, 0.5))

    def target_ran(handoff: dict[str, Any]) -> bool:
        return any(
            run["trace_id"] == handoff["trace_id"] and run["start_ns"] >= handoff["start_ns"]
            for run in world.runs_of(AUTHOR)
        )

    report = as_json(
        "debug-handoff", ANALYST, AUTHOR, "--slow-ms", str(slow_ms), "--max-bytes",
        str(max_bytes), "--settle", "0", "--server", world.server,
    )  # fmt: skip
    assert report["handoffs"] == len(handoffs)
    assert report["failures"] == len([s for s in handoffs if s["status"] == "error"])
    latency = report["latency"]
    assert latency["arrivals"] == len(latencies)
    for key, q in (("p50_ms", 0.5), ("p95_ms", 0.95), ("p99_ms", 0.99)):
        assert latency[key] == pytest.approx(quantile(latencies, q), rel=1e-9)
    assert latency["max_ms"] == pytest.approx(max(latencies))
    assert sum(bucket["count"] for bucket in latency["buckets"]) == len(latencies)
    assert (report["min_bytes"], report["max_bytes"]) == (min(sizes), max(sizes))
    keys = Counter(tuple(world.attr(s, "swarmscope.handoff.data_keys")) for s in handoffs)
    assert {tuple(p["keys"]): p["count"] for p in report["payloads"]} == dict(keys)
    problems = report["problems"]
    assert problems["slow"]["count"] == len([v for v in latencies if v > slow_ms])
    assert problems["oversized"]["count"] == len([v for v in sizes if v > max_bytes])
    assert problems["target_never_ran"]["count"] == len(
        [h for h in handoffs if h["status"] != "error" and not target_ran(h)]
    )
    human = swarmscope("debug-handoff", ANALYST, AUTHOR, "--server", world.server)
    assert human.returncode == 0 and "latency distribution" in human.stdout


def test_unknown_traces_and_unreachable_servers(world: World):
    unknown = swarmscope("trace", "show", "0" * 32, "--server", world.server)
    assert unknown.returncode == 1
    assert unknown.stderr == f"swarmscope: unknown trace {'0' * 32}\n"
    assert swarmscope("replay", "0" * 32, "--server", world.server).returncode == 1
    nowhere = f"http://127.0.0.1:{free_port()}"
    for command in (("traces", "list"), ("inspect-agent", SCOUT), ("replay-failed",)):
        done = swarmscope(*command, "--server", nowhere)
        assert done.returncode == 1 and "Traceback" not in done.stderr
        assert done.stderr.startswith(
            f"swarmscope: cannot reach the swarmscope server at {nowhere}"
        )
        assert done.stderr.count("\n") == 1 and done.stdout == ""
    bad = swarmscope("traces", "list", "--since", "yesterday-ish", "--server", world.server)
    assert bad.returncode == 2 and "Traceback" not in bad.stderr


# -- replay against a second demo, without the fault -------------------------------------------


@pytest.fixture(scope="module")
def healthy_app(world: World, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A second demo, no faults, sending to the same server (so it starts none)."""
    root = tmp_path_factory.mktemp("healthy")
    process = subprocess.Popen(
        [
            sys.executable, "-m", "swarmscope", "demo", "--port", "0", "--duration", "120",
            "--rate", "0.1", "--seed", "11", "--approval-timeout", "0.5",
            "--log-dir", str(root / "logs"),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=environment(OTEL_EXPORTER_OTLP_ENDPOINT=world.server),
    )  # fmt: skip
    try:
        assert process.stdout is not None
        url = None
        while url is None:
            line = process.stdout.readline()
            assert line, "the second demo stopped before it served"
            found = re.match(r"metrics\s+(http://127\.0\.0\.1:\d+)/metrics", line)
            url = found.group(1) if found else None
        assert "console" not in line
        yield url
    finally:
        stop(process, signal.SIGINT)


def assert_links_to(span: dict[str, Any], trace_id: str, span_id: str) -> None:
    """One link, to the original request's span (stores that keep link attributes say why)."""
    [link] = span["links"]
    assert (link["trace_id"], link["span_id"]) == (trace_id, span_id)
    assert link.get("attributes", {}).get("swarmscope.link", "replay_of") == "replay_of"


def crm_outage(outcome: dict[str, Any]) -> bool:
    """Whether the run failed on the CRM's outage (503s). The healthy demo's CRM still
    rate-limits 8% of calls, so a run can fail on three 429s in a row, or on the breaker they
    open, now and then: that is the app at work, not the fault the replay escaped."""
    why = [e["message"] for e in outcome["error_spans"] if e["span"].startswith("orchestrate ")]
    return any("CrmUnavailable" in text for text in why)


def test_a_failed_run_replays_successfully_once_the_fault_is_off(world: World, healthy_app: str):
    # The healthy demo's model still fails 2% of calls; a replay that hits one is tried again
    # with another failed run, but it must not fail on the CRM's outage.
    for trace_id in sorted(world.failed_runs())[:3]:
        replayed = as_json(
            "replay", trace_id, "--execute", "--target", healthy_app, "--server", world.server
        )
        assert replayed["complete"] and replayed["status_code"] == 202
        new = replayed["replay_trace_id"]
        tree = httpx.get(f"{world.server}/api/traces/{new}").json()["tree"]
        [request] = [s for s in tree if s["kind"] == "server"]
        [original] = [s for s in world.spans if s["trace_id"] == trace_id and s["kind"] == "server"]
        assert_links_to(request, trace_id, original["span_id"])
        assert request["attributes"]["swarmscope.replay.of"] == trace_id
        outcome = httpx.get(f"{world.server}/api/requests/{new}").json()["outcome"]
        assert not crm_outage(outcome), outcome
        if replayed["fixed"]:
            assert outcome["orchestration"] == "ok"
            # An approval that times out is an error span of a run that still succeeds.
            failed_steps = [
                e["span"]
                for e in outcome["error_spans"]
                if e["span"].startswith(("invoke_agent ", "orchestrate "))
            ]
            assert failed_steps == [], outcome
            assert outcome["agents"][:3] == [SCOUT, ANALYST, AUTHOR]
            assert replayed["original"]["orchestration"] == "error"
            break
    else:
        pytest.fail("three replays all failed")


def test_replay_failed_replays_every_failed_run(world: World, healthy_app: str):
    report = as_json(
        "replay-failed", "--since", "1h", "--until", f"{world.ended:.3f}", "--execute",
        "--target", healthy_app, "--server", world.server,
        timeout=150,
    )  # fmt: skip
    assert report["failed"] == report["replayed"] == world.runs_failed
    assert report["incomplete"] == report["skipped"] == 0
    assert report["fixed"] + report["still_failing"] == world.runs_failed
    assert report["fixed"] >= 1
    assert {r["original_trace_id"] for r in report["results"]} == world.failed_runs()
    for result in report["results"]:
        outcome = httpx.get(f"{world.server}/api/requests/{result['replay_trace_id']}").json()
        assert outcome["replay_of"] == result["original_trace_id"]
        assert (result["result"] == "fixed") == (outcome["outcome"]["orchestration"] == "ok")
        assert not crm_outage(outcome["outcome"])
