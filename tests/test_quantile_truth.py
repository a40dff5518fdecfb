"""A quantile tells the truth: the same known durations read through every path agree.

Agent runs of 150-320 ms, their tool calls of 3-60 ms and handoffs whose targets start
0.5-1.45 ms later are stored as spans; beside them, the histograms the SDK would have
pushed for the runs (the seeds' buckets, the lowest at 1 s) and for orchestrations (the
lowest at 5 s). The dashboards compute the quantiles of the families derived from spans
from the spans (exact, as ``inspect-agent`` and ``debug-handoff`` compute theirs), and say
of a quantile read from buckets that it is only a bound when it falls in the lowest bucket
("≤ 5 s", not "4.75 s"), and otherwise is within the bucket it falls in.
"""

from __future__ import annotations

import json
import math
import time
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from swarmscope.cli import app
from swarmscope.conventions.attributes import (
    SERVICE_NAMESPACE,
    SWARMSCOPE_HANDOFF_FROM_AGENT,
    SWARMSCOPE_HANDOFF_LATENCY_MS,
    SWARMSCOPE_HANDOFF_TO_AGENT,
)
from swarmscope.conventions.catalog import METRICS_BY_NAME
from swarmscope.conventions.spans import HANDOFF, INVOKE_AGENT, ORCHESTRATE
from swarmscope.server.store.database import Store
from swarmscope.server.store.queries.span_quantiles import SpanLeaf, span_quantiles
from swarmscope.server.store.rows import MetricRow, ResourceRow, SpanRow, arrow_batch
from test_server_evaluate import NS, row
from test_trace_list import span as stored_span

MS = 1_000_000
RUNS_MS = [150 + 9 * i for i in range(20)]  # 150 ... 321 ms
TOOLS_MS = [3 + 3 * i for i in range(20)]  # 3 ... 60 ms
HANDOFFS_MS = [0.5 + 0.05 * i for i in range(20)]  # 0.5 ... 1.45 ms
ORCHESTRATIONS_S = [0.2 + 0.01 * i for i in range(20)]  # all under the lowest bound, 5 s
QUEUE_WAITS_S = [100.0 + 5 * i for i in range(20)]  # all over the highest bound, 60 s
runner = CliRunner()


def quantile(values: list[float], q: float) -> float:
    """Linear between the closest ranks: DuckDB's quantile_cont, numpy's default."""
    ordered = sorted(values)
    rank = q * (len(ordered) - 1)
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def span(trace: int, number: int, start_ns: int, duration_ms: float, **fields: Any) -> SpanRow:
    """A span of trace ``trace`` (span 1 is its root) lasting ``duration_ms``."""
    end_ns = start_ns + round(duration_ms * MS)
    return stored_span(
        trace,
        number,
        start_ns,
        end_ns=end_ns,
        duration_ms=duration_ms,
        resource_id="app",
        **fields,
    )


def spans(now_ns: int) -> list[SpanRow]:
    """Per trace: a planner run with a tool call and a handoff to the writer, whose run
    carries the handoff's latency (as our SDK records it), all in the last two minutes."""
    rows = []
    for i in range(20):
        trace, start = i + 1, now_ns - 120 * 10**9 + i * 5 * 10**9
        handed = start + 100 * MS
        ends = {SWARMSCOPE_HANDOFF_FROM_AGENT: "planner", SWARMSCOPE_HANDOFF_TO_AGENT: "writer"}
        arrival = {
            SWARMSCOPE_HANDOFF_FROM_AGENT: "planner",
            SWARMSCOPE_HANDOFF_LATENCY_MS: HANDOFFS_MS[i],
        }
        rows += [
            span(trace, 1, start, RUNS_MS[i], operation=INVOKE_AGENT, agent="planner"),
            span(trace, 2, start + MS, TOOLS_MS[i], parent=1, agent="planner", tool="lookup"),
            span(
                trace,
                3,
                handed,
                0.0,
                parent=1,
                operation=HANDOFF,
                agent="planner",
                handoff_from="planner",
                handoff_to="writer",
                attributes=json.dumps(ends),
            ),
            span(
                trace,
                4,
                handed + round(HANDOFFS_MS[i] * MS),
                40.0,
                operation=INVOKE_AGENT,
                agent="writer",
                handoff_from="planner",  # as the intake reads it from the attributes
                attributes=json.dumps(arrival),
            ),
        ]
    return rows


def histogram(
    name: str, labels: dict[str, str], seconds: list[float], now_ns: int
) -> list[MetricRow]:
    """Two cumulative points: nothing, then every observation."""
    bounds = list(METRICS_BY_NAME[name].buckets or ())
    counts = [0.0] * (len(bounds) + 1)
    for value in seconds:
        counts[next((i for i, b in enumerate(bounds) if value <= b), len(bounds))] += 1
    now_ms = now_ns // MS
    return [
        row(
            name,
            "histogram",
            at_ms,
            labels,
            count=sum(buckets),
            total=total,
            bounds=bounds,
            buckets=buckets,
            started_ms=now_ms - 300_000,
        )
        for at_ms, buckets, total in (
            (now_ms - 150_000, [0.0] * len(counts), 0.0),
            (now_ms - 1000, counts, sum(seconds)),
        )
    ]


@pytest.fixture
def known(store: Store) -> int:
    """The store holds the known durations; the time they end before."""
    now_ns = time.time_ns()
    metrics = [
        *histogram(
            "agent_session_duration_seconds",
            {"agent_type": "planner", "operation": ""},
            [ms / 1000 for ms in RUNS_MS],
            now_ns,
        ),
        *histogram(
            "orchestration_duration_seconds", {"operation": "plan"}, ORCHESTRATIONS_S, now_ns
        ),
        *histogram(
            "agent_queue_wait_time_seconds", {"agent_type": "planner"}, QUEUE_WAITS_S, now_ns
        ),
    ]
    write(store, spans(now_ns), metrics)
    return now_ns


def write(store: Store, rows: list[SpanRow], metrics: list[MetricRow]) -> None:
    """Spans of the app's process (its namespace ``NS``), and metric points."""
    resource = ResourceRow("app", json.dumps({SERVICE_NAMESPACE: NS}))
    store.write(
        [
            ("resources", arrow_batch(ResourceRow, [resource])),
            ("spans", arrow_batch(SpanRow, rows)),
            ("metric_points", arrow_batch(MetricRow, metrics)),
        ]
    )


def dashboard(server: str, uid: str, now_ns: int) -> dict[str, dict[str, Any]]:
    end = now_ns / 1e9
    answer = httpx.get(
        f"{server}/api/dashboards/{uid}",
        params={"namespace": NS, "start": end - 600, "end": end, "step": 15},
        timeout=60,
    )
    assert answer.status_code == 200, answer.text
    return {panel["title"]: panel for panel in answer.json()["panels"]}


def series(panel: dict[str, Any], label: str) -> dict[str, Any]:
    [found] = [one for one in panel["series"] if one["label"] == label]
    return found


def cli(*args: str) -> dict[str, Any]:
    result = runner.invoke(app, [*args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_the_dashboards_quantiles_of_span_durations_are_the_spans_own(server: str, known: int):
    panels = dashboard(server, "agent-performance", known)
    runs = series(panels["Session Duration"], "planner p95")
    assert runs["quantile_from"] == "spans" and runs["approximate"] is False
    # The pushed histogram, whose lowest bucket is 1 s, would have said 0.95 s.
    assert runs["points"][-1][1] == pytest.approx(quantile(RUNS_MS, 0.95) / 1000, rel=1e-9)
    tools = series(panels["Tool Call Duration P95"], "lookup")
    assert tools["points"][-1][1] == pytest.approx(quantile(TOOLS_MS, 0.95) / 1000, rel=1e-9)
    handoffs = series(
        dashboard(server, "multi-agent-orchestration", known)["Handoff Latency P95"],
        "planner → writer",
    )
    assert handoffs["quantile_from"] == "spans"
    assert handoffs["points"][-1][1] == pytest.approx(quantile(HANDOFFS_MS, 0.95) / 1000, rel=1e-9)


def test_inspect_agent_and_debug_handoff_agree_with_the_dashboard(server: str, known: int):
    panels = dashboard(server, "agent-performance", known)
    on_dashboard = series(panels["Session Duration"], "planner p95")["points"][-1][1]
    tool_on_dashboard = series(panels["Tool Call Duration P95"], "lookup")["points"][-1][1]
    api = httpx.get(f"{server}/api/agents/planner", params={"start": "1h"}, timeout=60).json()
    report = cli("inspect-agent", "planner", "--server", server)
    for found in (api, report):
        assert found["p95_ms"] / 1000 == pytest.approx(on_dashboard, rel=1e-9)
        [tool] = found["tools"]
        assert tool["p95_ms"] / 1000 == pytest.approx(tool_on_dashboard, rel=1e-9)
    handoffs = dashboard(server, "multi-agent-orchestration", known)["Handoff Latency P95"]
    latency = cli("debug-handoff", "planner", "writer", "--server", server)["latency"]
    assert latency["p95_ms"] == pytest.approx(quantile(HANDOFFS_MS, 0.95), rel=1e-9)
    assert latency["p95_ms"] / 1000 == pytest.approx(
        series(handoffs, "planner → writer")["points"][-1][1], rel=1e-9
    )


def test_a_quantile_from_buckets_says_when_it_is_only_a_bound(server: str, known: int):
    panel = dashboard(server, "multi-agent-orchestration", known)["Orchestration Duration P95"]
    # Runs of 200-390 ms, a lowest bucket of 5 s: Prometheus's 4.75 s is only "at most 5 s".
    assert panel["bound"] == {"op": "le", "value": 5.0}
    [only] = panel["series"]
    assert only["quantile_from"] == "buckets" and only["approximate"] is True
    assert only["bounds"][-1][1:] == ["le", 5.0]
    assert quantile(ORCHESTRATIONS_S, 0.95) <= only["bound"]["value"]


def test_an_orchestrations_p95_comes_from_its_spans_when_they_are_stored(
    store: Store, server: str, known: int
):
    """The orchestrations' own spans answer instead of the 5 s lowest bucket."""
    start = known - 100 * 10**9
    orchestrations = [
        span(100 + i, 1, start + i * 10**9, seconds * 1000, name=f"{ORCHESTRATE} plan")
        for i, seconds in enumerate(ORCHESTRATIONS_S)
    ]
    write(store, orchestrations, [])
    panel = dashboard(server, "multi-agent-orchestration", known)["Orchestration Duration P95"]
    assert panel["bound"] is None and "spans" in panel["sources"]
    [only] = panel["series"]
    assert only["quantile_from"] == "spans" and only["approximate"] is False
    assert only["points"][-1][1] == pytest.approx(quantile(ORCHESTRATIONS_S, 0.95), rel=1e-9)


def test_the_metrics_api_marks_bounds_at_both_ends(server: str, known: int):
    def p95(name: str) -> dict[str, Any]:
        end = known / 1e9
        answer = httpx.get(
            f"{server}/api/metrics/{NS}_{name}",
            params={"function": "quantile", "q": 0.95, "start": end - 60, "end": end, "step": 15},
            timeout=60,
        )
        assert answer.status_code == 200, answer.text
        [only] = answer.json()["series"]
        return only

    below = p95("orchestration_duration_seconds")
    assert below["approximate"] is True and below["bounds"][-1][1:] == ["le", 5.0]
    above = p95("agent_queue_wait_time_seconds")
    # Waits of 100-195 s over a highest bound of 60 s: Prometheus says 60, the truth is more.
    assert above["points"][-1][1] == 60.0
    assert above["approximate"] is True and above["bounds"][-1][1:] == ["ge", 60.0]
    assert quantile(QUEUE_WAITS_S, 0.95) >= above["bounds"][-1][2]


@pytest.mark.parametrize("step_ms", [30_000, 45_000, 7_000])
def test_each_window_holds_what_ended_after_its_start_and_up_to_its_end(store: Store, step_ms: int):
    """Windows of 5 minutes at steps that divide them or not; runs ending on window edges."""
    start_ms, steps, range_ms = 1_700_000_000_000, 20, 300_000
    ends_ms = [start_ms - range_ms + 5_000 * i for i in range(140)]
    ends_ms += [start_ms + k * step_ms for k in range(steps)]  # on an edge: in window k only
    ends_ms += [start_ms + k * step_ms - range_ms for k in range(steps)]  # not in window k
    durations = {end: 10.0 + (end * 7919) % 1000 for end in ends_ms}
    rows = [
        span(i + 1, 1, end * MS - round(ms * MS), ms, operation=INVOKE_AGENT, agent="planner")
        for i, (end, ms) in enumerate(durations.items())
    ]
    write(store, rows, [])
    leaf = SpanLeaf(
        "agent_session_duration_seconds",
        (0.5, 0.95),
        (),
        ("agent_type",),
        range_ms,
        start_ms,
        step_ms,
        steps,
    )
    found = {row["k"]: row for row in span_quantiles(store, NS, NS, [leaf])}
    for k in range(steps):
        at = start_ms + k * step_ms
        inside = [ms / 1000 for end, ms in durations.items() if at - range_ms < end <= at]
        assert found[k]["n"] == len(inside), k
        assert found[k]["values"] == pytest.approx(
            [quantile(inside, 0.5), quantile(inside, 0.95)], rel=1e-12
        ), k
