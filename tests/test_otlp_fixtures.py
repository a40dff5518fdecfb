"""Every recorded instrumentor payload (tests/fixtures/otlp/) goes into a real server intact.

What the server reads from these payloads today, whatever the instrumentor: each span under
its exact parent, each log record with its trace and span, and the model and token columns
from the GenAI and OpenInference keys the intake already knows. The agent model other
conventions describe (handoffs, sessions, interrupts) is for the mapping still to come and
is not asserted here.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from google.protobuf.json_format import MessageToDict

from otlp_fixtures import REQUESTS, conventions, load, log_records, parsed, spans, time_fields
from swarmscope.conventions import agent_model

PROTOBUF = {"Content-Type": "application/x-protobuf"}
# Spans that name a model in each recording (LLM calls), so the column checks cannot pass on
# a fixture that lost them.
MODEL_SPANS = {
    "genai_openai": 2,
    "genai_openai_latest": 2,
    "openinference_openai_agents": 3,
    "logfire_openai_agents": 3,
    "logfire_pydantic_ai": 2,
    "openinference_langgraph": 3,
    "mcp": 0,
    "a2a": 0,
    "vercel_ai": 3,
    "vercel_ai_legacy": 3,  # the generateText span names it too (ai.model.id)
    "traceloop": 3,
    "otel_logging": 0,
}
# The keys the agent model reads a model and tokens from, newest convention first.
MODEL_KEYS = agent_model.MODEL_KEYS
INPUT_KEYS = agent_model.INPUT_TOKEN_KEYS
OUTPUT_KEYS = agent_model.OUTPUT_TOKEN_KEYS


def attributes(items: Any) -> dict[str, Any]:
    """An OTLP attribute list as plain values (ints as ints)."""
    plain = {}
    for item in items:
        kind = item.value.WhichOneof("value")
        plain[item.key] = getattr(item.value, kind) if kind else None
        if kind in ("array_value", "kvlist_value"):
            plain[item.key] = MessageToDict(item.value)
    return plain


def first(attrs: dict[str, Any], keys: tuple[str, ...]) -> Any:
    return next((attrs[key] for key in keys if attrs.get(key) not in (None, "")), None)


def stored_spans(server: str, trace_ids: set[str]) -> dict[str, dict[str, Any]]:
    """Every stored span of those traces, flattened from the API's trees, by span id."""
    found: dict[str, dict[str, Any]] = {}

    def walk(nodes: list[dict[str, Any]]) -> None:
        for node in nodes:
            found[node["span_id"]] = node
            walk(node["children"])

    for trace_id in trace_ids:
        answer = httpx.get(f"{server}/api/traces/{trace_id}", timeout=30)
        assert answer.status_code == 200, answer.text
        walk(answer.json()["tree"])
    return found


def post_all(server: str, convention: str) -> None:
    for signal, body in load(convention):
        answer = httpx.post(f"{server}/v1/{signal}", content=body, headers=PROTOBUF, timeout=30)
        assert answer.status_code == 200, f"{convention} {signal}: {answer.text}"


@pytest.mark.parametrize("convention", ["genai_openai", "openinference_langgraph"])
def test_load_moves_every_time_by_one_offset_to_now(convention: str):
    """The latest instant lands on ``now_ns`` and every span keeps its duration and order."""
    now_ns = 1_900_000_000_000_000_000
    recorded = [stamp for _, request in parsed(convention) for stamp, _ in time_fields(request)]
    moved = [
        stamp
        for signal, body in load(convention, now_ns=now_ns)
        for stamp, _ in time_fields(REQUESTS[signal].FromString(body))
    ]
    assert max(moved) == now_ns and len(moved) == len(recorded)
    offset = now_ns - max(recorded)
    assert moved == [stamp + offset for stamp in recorded]


def test_every_convention_is_recorded():
    assert set(MODEL_SPANS) <= set(conventions())


@pytest.mark.parametrize("convention", conventions())
def test_spans_arrive_with_their_exact_parents(server: str, convention: str):
    post_all(server, convention)
    sent = spans(convention)
    stored = stored_spans(server, {span.trace_id.hex() for span in sent})
    assert {span_id: node["parent_span_id"] or None for span_id, node in stored.items()} == {
        span.span_id.hex(): span.parent_span_id.hex() or None for span in sent
    }
    assert {span_id: node["name"] for span_id, node in stored.items()} == {
        span.span_id.hex(): span.name for span in sent
    }


@pytest.mark.parametrize("convention", conventions())
def test_model_and_token_columns_from_known_keys(server: str, convention: str):
    post_all(server, convention)
    sent = spans(convention)
    stored = stored_spans(server, {span.trace_id.hex() for span in sent})
    with_model = 0
    for span in sent:
        attrs = attributes(span.attributes)
        node = stored[span.span_id.hex()]
        model = first(attrs, MODEL_KEYS)
        with_model += model is not None
        assert node["model"] == model, span.name
        assert node["input_tokens"] == first(attrs, INPUT_KEYS), span.name
        assert node["output_tokens"] == first(attrs, OUTPUT_KEYS), span.name
    assert with_model == MODEL_SPANS.get(convention, with_model)


@pytest.mark.parametrize("convention", [name for name in conventions() if log_records(name)])
def test_log_records_keep_their_trace_and_span(server: str, convention: str):
    post_all(server, convention)
    sent = log_records(convention)
    for trace_id in {record.trace_id.hex() for record in sent if record.trace_id}:
        answer = httpx.get(
            f"{server}/api/logs", params={"trace_id": trace_id, "limit": 1000}, timeout=30
        )
        assert answer.status_code == 200, answer.text
        stored = sorted(log["span_id"] for log in answer.json()["logs"])
        assert stored == sorted(
            record.span_id.hex() for record in sent if record.trace_id.hex() == trace_id
        )
    untraced = [record for record in sent if not record.trace_id]
    answer = httpx.get(f"{server}/api/logs", params={"limit": 1000}, timeout=30)
    assert sum(1 for log in answer.json()["logs"] if not log["trace_id"]) == len(untraced)
