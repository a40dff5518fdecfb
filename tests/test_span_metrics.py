"""The catalog's agent, tool, handoff, LLM and HITL families, counted by the server from the
spans of an app that pushes no metrics (a plain OTel SDK app, and what the Agents SDK and
LangGraph recorded); and counted once for an app that pushes them and sends its spans."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import Status, StatusCode

import swarmscope as ss
from loopback import serve
from otlp_fixtures import load
from swarmscope.conventions.attributes import (
    GEN_AI_AGENT_NAME,
    GEN_AI_OPERATION_NAME,
    GEN_AI_REQUEST_MODEL,
    GEN_AI_TOOL_NAME,
    GEN_AI_USAGE_INPUT_TOKENS,
    GEN_AI_USAGE_OUTPUT_TOKENS,
    SERVICE_NAME,
    SERVICE_NAMESPACE,
)
from swarmscope.conventions.spans import CHAT, EXECUTE_TOOL, INVOKE_AGENT
from swarmscope.definitions.query import Current, Series
from swarmscope.server.app import create_app
from swarmscope.server.intake import span_metrics
from swarmscope.server.intake.decoding import decode
from swarmscope.server.intake.queue import Intake
from swarmscope.server.intake.span_metrics import SpanMetrics, prometheus_namespace
from swarmscope.server.namespaces import DEFAULT_NAMESPACE
from swarmscope.server.query.evaluate import evaluate_at
from swarmscope.server.settings import ServerSettings
from swarmscope.server.store.database import Store
from swarmscope.server.store.rows import DERIVED_FROM_SPANS


def foreign_app(url: str, runs: int, failures: int) -> None:
    """An app traced with the OpenTelemetry SDK alone, the GenAI conventions' way: agent runs
    of ``planner``, each calling a tool and a model; ``failures`` of the runs fail."""
    provider = TracerProvider(
        resource=Resource.create({SERVICE_NAME: "planner-svc", SERVICE_NAMESPACE: "shop"})
    )
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(f"{url}/v1/traces")))
    tracer = provider.get_tracer("an-instrumentor")
    try:
        for run in range(runs):
            agent = {GEN_AI_OPERATION_NAME: INVOKE_AGENT, GEN_AI_AGENT_NAME: "planner"}
            with tracer.start_as_current_span(f"{INVOKE_AGENT} planner", attributes=agent) as span:
                tool = {GEN_AI_OPERATION_NAME: EXECUTE_TOOL, GEN_AI_TOOL_NAME: "search"}
                with tracer.start_as_current_span(f"{EXECUTE_TOOL} search", attributes=tool):
                    pass
                call = {
                    GEN_AI_OPERATION_NAME: CHAT,
                    GEN_AI_REQUEST_MODEL: "gpt-4o-mini",
                    GEN_AI_USAGE_INPUT_TOKENS: 100,
                    GEN_AI_USAGE_OUTPUT_TOKENS: 20,
                }
                with tracer.start_as_current_span(f"{CHAT} gpt-4o-mini", attributes=call):
                    pass
                if run < failures:
                    span.set_status(Status(StatusCode.ERROR, "no plan"))
        assert provider.force_flush(30_000)
    finally:
        provider.shutdown()


def totals(store: Store, family: str, namespace: str, *by: str) -> dict[tuple[str, ...], float]:
    """The family's current totals summed by ``by``, as the dashboards' engine reads them."""
    query = Current(Series(family), "sum", by)
    samples = evaluate_at(store, query, namespace, time.time_ns())
    return {tuple(s.labels.get(label, "") for label in by): s.value for s in samples}


def wait_for(store: Store, family: str, namespace: str, *by: str, expected: dict) -> dict:
    """The totals once they are ``expected`` (the writer commits what was acknowledged
    before the answer, so this only waits out the exporter's batches)."""
    deadline = time.monotonic() + 30
    while (found := totals(store, family, namespace, *by)) != expected:
        assert time.monotonic() < deadline, found
        time.sleep(0.1)
    return found


def test_an_app_that_pushes_no_metrics_fills_the_agent_tool_and_llm_families(store: Store):
    with serve(create_app(store, ServerSettings())) as url:
        foreign_app(url, runs=4, failures=1)
        wait_for(
            store,
            "agent_sessions_total",
            "shop",
            "agent_type",
            "status",
            expected={("planner", "success"): 3.0, ("planner", "failure"): 1.0},
        )
        # The tool and the model are labelled with the agent of the run they ran in.
        assert totals(store, "agent_tool_calls_total", "shop", "agent_type", "tool_name") == {
            ("planner", "search"): 4.0
        }
        assert totals(store, "llm_tokens_total", "shop", "model", "agent_type", "token_type") == {
            ("gpt-4o-mini", "planner", "input"): 400.0,
            ("gpt-4o-mini", "planner", "output"): 80.0,
        }
        [durations] = store.rows(
            "SELECT arg_max(count, time_ns) AS runs, arg_max(buckets, time_ns) AS buckets"
            " FROM metric_points WHERE name = 'shop_agent_session_duration_seconds'"
        )
        assert durations["runs"] == 4 and durations["buckets"][0] == 4  # all under a second
        # The agent dashboard computes from them: 3 of 4 runs succeeded.
        end = time.time()
        board = httpx.get(
            f"{url}/api/dashboards/agent-performance",
            params={"start": end - 120, "end": end, "step": "60s", "namespace": "shop"},
        ).json()
        [success] = [p for p in board["panels"] if p["title"] == "Session Success Rate"]
        assert success["series"][0]["labels"] == {"agent_type": "planner"}
        assert success["series"][0]["points"][-1][1] == pytest.approx(0.75)
        assert success["sources"] == ["spans"]


def test_the_totals_go_on_after_the_server_restarts(tmp_path: Path):
    path = tmp_path / "store.duckdb"
    for runs, expected in ((2, 2.0), (3, 5.0)):
        store = Store(path)
        try:
            with serve(create_app(store, ServerSettings())) as url:
                foreign_app(url, runs=runs, failures=0)
                wait_for(
                    store,
                    "agent_sessions_total",
                    "shop",
                    "agent_type",
                    expected={("planner",): expected},
                )
        finally:
            store.close()


def test_a_run_the_sdk_pushed_and_traced_is_counted_once(store: Store):
    with serve(create_app(store, ServerSettings())) as url:
        ss.shutdown()
        ss.init(service_name="agents", namespace="sergas", otlp_endpoint=url, log_stream="none")
        try:
            for _ in range(3):
                with ss.agent_run("memory_analyst"):
                    pass
        finally:
            ss.shutdown()  # exports the spans and pushes the final totals
        # The server counted the SDK's spans too, and reads the pushed series instead.
        deadline = time.monotonic() + 30
        while not store.rows(
            "SELECT 1 FROM metric_points WHERE source = ? AND name = ?",
            [DERIVED_FROM_SPANS, "sergas_agent_sessions_total"],
        ):
            assert time.monotonic() < deadline, "no series was derived from the SDK's spans"
            time.sleep(0.1)
        assert totals(store, "agent_sessions_total", "sergas", "agent_type") == {
            ("memory_analyst",): 3.0
        }
        end = time.time()
        board = httpx.get(
            f"{url}/api/dashboards/agent-performance",
            params={"start": end - 120, "end": end, "namespace": "sergas"},
        ).json()
        [success] = [p for p in board["panels"] if p["title"] == "Session Success Rate"]
        assert success["sources"] == ["pushed"]


def test_a_namespace_is_written_as_a_metric_name_prefix():
    assert prometheus_namespace("shop") == "shop"
    assert prometheus_namespace("my-app.prod") == "my_app_prod"
    assert prometheus_namespace("9lives") == "_9lives"
    assert prometheus_namespace(None) == prometheus_namespace("") == "swarmscope"


# --- what real instrumentors recorded (tests/fixtures/otlp) ---


PROTOBUF = {"Content-Type": "application/x-protobuf"}


def post_fixture(url: str, convention: str) -> None:
    for signal, body in load(convention):
        answer = httpx.post(f"{url}/v1/{signal}", content=body, headers=PROTOBUF)
        assert answer.status_code == 200, answer.text


def test_the_agents_sdks_recording_fills_the_handoff_tool_and_cost_families(store: Store):
    with serve(create_app(store, ServerSettings())) as url:
        post_fixture(url, "openinference_openai_agents")
        handoffs = ("agent_handoffs_total", DEFAULT_NAMESPACE, "from_agent", "to_agent")
        wait_for(store, *handoffs, expected={("Triage agent", "Weather agent"): 1.0})
        tools = totals(
            store, "agent_tool_calls_total", DEFAULT_NAMESPACE, "agent_type", "tool_name"
        )
        assert tools == {("Weather agent", "get_weather"): 1.0}
        # The LLM calls' cost, priced by the server span by span, is the family's total.
        [(priced,)] = [tuple(row.values()) for row in store.rows("SELECT sum(cost_usd) FROM spans")]
        assert priced > 0
        [cost] = totals(store, "llm_cost_usd_total", DEFAULT_NAMESPACE).values()
        assert cost == pytest.approx(priced)


def test_langgraphs_interrupt_is_a_wait_of_its_node(store: Store):
    with serve(create_app(store, ServerSettings())) as url:
        post_fixture(url, "openinference_langgraph")
        waits = ("hitl_approvals_requested_total", DEFAULT_NAMESPACE, "approval_type", "agent_type")
        wait_for(store, *waits, expected={("interrupt", "human_review"): 1.0})
        runs = totals(store, "agent_sessions_total", DEFAULT_NAMESPACE, "agent_type")
        assert set(runs) == {("supervisor",), ("worker",), ("human_review",)}, runs


def test_langgraphs_tool_node_calls_are_the_agents_that_asked_for_them(store: Store):
    # The recorded graph: supervisor -> worker -> tools -> worker -> human_review. The tool
    # node is a sibling of the worker's node, not inside it: its call is the worker's.
    with serve(create_app(store, ServerSettings())) as url:
        post_fixture(url, "openinference_langgraph")
        tools = ("agent_tool_calls_total", DEFAULT_NAMESPACE, "agent_type", "tool_name")
        wait_for(store, *tools, expected={("worker", "get_weather"): 1.0})


# --- counting at the flush, in the writer ---


def traced_apart(runs: int, agent_name: str = "planner") -> list[bytes]:
    """The ``foreign_app``'s runs as an exporter without batching sends them: a request per
    span, each tool and model call before the run it ran in (it ends first)."""
    exporter = InMemorySpanExporter()
    provider = TracerProvider(
        resource=Resource.create({SERVICE_NAME: "planner-svc", SERVICE_NAMESPACE: "shop"})
    )
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = provider.get_tracer("an-instrumentor")
    for _ in range(runs):
        agent = {GEN_AI_OPERATION_NAME: INVOKE_AGENT, GEN_AI_AGENT_NAME: agent_name}
        with tracer.start_as_current_span(f"{INVOKE_AGENT} {agent_name}", attributes=agent):
            tool = {GEN_AI_OPERATION_NAME: EXECUTE_TOOL, GEN_AI_TOOL_NAME: "search"}
            with tracer.start_as_current_span(f"{EXECUTE_TOOL} search", attributes=tool):
                pass
    provider.shutdown()
    return [encode_spans([span]).SerializeToString() for span in exporter.get_finished_spans()]


def submit_each(intake: Intake, bodies: list[bytes]) -> None:
    for body in bodies:
        decoded = decode("traces", body, PROTOBUF["Content-Type"], None, 1 << 30)
        intake.submit(decoded.batches).result(timeout=30)


def test_a_tool_call_is_its_agents_when_the_run_arrives_in_a_later_request(store: Store):
    intake = Intake(store)
    intake.span_metrics = SpanMetrics(flush_seconds=3600)
    submit_each(intake, traced_apart(runs=3))
    intake.close()  # writes what was counted
    assert totals(store, "agent_tool_calls_total", "shop", "agent_type", "tool_name") == {
        ("planner", "search"): 3.0
    }


def test_a_flush_is_due_once_enough_spans_wait_whatever_the_interval(store: Store):
    intake = Intake(store)
    intake.span_metrics = SpanMetrics(flush_seconds=3600, max_rows=2)
    try:
        submit_each(intake, traced_apart(runs=2))
        wait_for(store, "agent_sessions_total", "shop", "agent_type", expected={("planner",): 2.0})
    finally:
        intake.close()


def test_requests_are_committed_while_a_count_is_under_way(
    store: Store, monkeypatch: pytest.MonkeyPatch
):
    # The first flush's count is held until the app's next spans are committed.
    counting, committed = threading.Event(), threading.Event()
    real = span_metrics._tally

    def held(counts: Any, spans: Any, namespaces: Any) -> None:
        counting.set()
        # Longer than submit_each waits for a commit: a writer held by the count fails it.
        assert committed.wait(60), "the next commit waited for the count"
        real(counts, spans, namespaces)

    monkeypatch.setattr(span_metrics, "_tally", held)
    intake = Intake(store)
    intake.span_metrics = SpanMetrics(flush_seconds=3600, max_rows=2)
    try:
        submit_each(intake, traced_apart(runs=1))  # a run and its tool call: a flush is due
        assert counting.wait(30)
        submit_each(intake, traced_apart(runs=1, agent_name="writer"))
        committed.set()
        # What arrived during the count is counted by the next one.
        expected = {("planner",): 1.0, ("writer",): 1.0}
        wait_for(store, "agent_sessions_total", "shop", "agent_type", expected=expected)
    finally:
        committed.set()
        intake.close()


def test_spans_that_cannot_be_counted_are_stored_and_logged(
    store: Store, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
):
    # Counting fails for the spans of one agent, whose name the counting cannot take.
    monkeypatch.setattr(span_metrics, "_tally", failing_for("unreadable"))
    intake = Intake(store)
    intake.span_metrics = SpanMetrics(flush_seconds=3600, max_rows=1)  # a flush per commit
    try:
        submit_each(intake, traced_apart(runs=2, agent_name="unreadable"))
        deadline = time.monotonic() + 30
        # Until the writer has taken all of them for counting, and failed at least once.
        while intake.span_metrics.pending or "could not be counted" not in caplog.text:
            assert time.monotonic() < deadline, "the failure was not logged"
            time.sleep(0.05)
        # Counting goes on for what comes next; the spans it failed on are all stored.
        submit_each(intake, traced_apart(runs=1))
        wait_for(store, "agent_sessions_total", "shop", "agent_type", expected={("planner",): 1.0})
    finally:
        intake.close()
    [(spans,)] = [tuple(row.values()) for row in store.rows("SELECT count(*) FROM spans")]
    assert spans == 6


def failing_for(agent: str) -> Callable[[Any, Any, Any], None]:
    real = span_metrics._tally

    def tally(counts: Any, spans: Any, namespaces: Any) -> None:
        if agent in spans["agent"].to_pylist():
            raise ValueError(f"an agent name the counting did not expect: {agent}")
        real(counts, spans, namespaces)

    return tally
