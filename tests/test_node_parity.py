"""The Node package and the Python SDK emit the same telemetry for the same concept calls.

``js/node/test/parity_calls.ts`` makes an agent run with a tool call, a handoff, a second
agent's run with an approval and an LLM call, sending its spans over OTLP/HTTP to a receiver
here and printing its /metrics text; the same calls are made with the Python SDK. Both must
expose the same metric families with the same label names, bucket bounds and counts, and the
same spans: names, kinds, parents, links and attributes (values too where they do not
depend on timing).
"""

from __future__ import annotations

import json
import math
import subprocess
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest
from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

import swarmscope as ss
from loopback import serve
from node_package import built_script, executable
from swarmscope.conventions.attributes import (
    SWARMSCOPE_HANDOFF_LATENCY_MS,
    SWARMSCOPE_LLM_COST_USD,
)
from swarmscope.conventions.spans import SPAN_KINDS

# Attribute values that measure time: only their presence is compared.
TIMED = {SWARMSCOPE_HANDOFF_LATENCY_MS}
# Families whose values are the process's or the exporters', not the calls'.
UNCOMPARED_VALUES = ("process_", "telemetry_")

Span = dict[str, Any]

if TYPE_CHECKING:  # the suite's conftest; the examples' has the same module name
    from conftest import Captured


def python_calls() -> None:
    with ss.agent_run("planner", operation="plan", session_id="s-1"):
        with ss.tool_call("search", query="renewals"):
            pass
        ss.handoff("planner", "writer", data={"task": "draft"})
        with ss.agent_run("writer", operation="draft"):
            with ss.approval("publish", approval_id="ap-1") as approval:
                approval.resolve("approved")
            with ss.llm_call(model="gpt-4o", provider="openai") as llm:
                llm.record_usage(input_tokens=812, output_tokens=164)


@pytest.fixture
def receiver() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """An OTLP/HTTP traces endpoint on loopback, keeping each JSON request it receives."""
    received: list[dict[str, Any]] = []

    async def traces(request: Request) -> JSONResponse:
        received.append(json.loads(await request.body()))
        return JSONResponse({})

    with serve(Starlette(routes=[Route("/v1/traces", traces, methods=["POST"])])) as url:
        yield url, received


def _otlp_value(value: dict[str, Any]) -> Any:
    if "arrayValue" in value:
        return [_otlp_value(item) for item in value["arrayValue"].get("values", [])]
    for kind in ("stringValue", "boolValue", "doubleValue"):
        if kind in value:
            return value[kind]
    return int(value["intValue"])


def node_spans(requests: list[dict[str, Any]]) -> list[Span]:
    spans = [
        span
        for request in requests
        for group in request["resourceSpans"]
        for scope in group["scopeSpans"]
        for span in scope["spans"]
    ]
    names = {span["spanId"]: span["name"] for span in spans}
    return [
        {
            "name": span["name"],
            "kind": SPAN_KINDS[span["kind"]],
            "parent": names.get(span.get("parentSpanId", "")),
            "links": sorted(names.get(link["spanId"], "?") for link in span.get("links", [])),
            "attributes": {a["key"]: _otlp_value(a["value"]) for a in span["attributes"]},
        }
        for span in spans
    ]


def python_spans(telemetry: Captured) -> list[Span]:
    spans = telemetry.spans()
    names = {span.context.span_id: span.name for span in spans}
    return [
        {
            "name": span.name,
            "kind": span.kind.name.lower(),
            "parent": names.get(span.parent.span_id) if span.parent else None,
            "links": sorted(names.get(link.context.span_id, "?") for link in span.links),
            "attributes": {
                key: list(value) if isinstance(value, tuple) else value
                for key, value in (span.attributes or {}).items()
            },
        }
        for span in spans
    ]


def families(text: str, namespace: str) -> dict[str, dict[str, Any]]:
    """Each namespaced family: type, label names, bucket bounds and deterministic values."""
    found: dict[str, dict[str, Any]] = {}
    prefix = f"{namespace}_"
    for family in text_string_to_metric_families(text):
        if not family.name.startswith(prefix):
            continue
        name = family.name.removeprefix(prefix)
        labels: set[str] = set()
        bounds: set[float] = set()
        values: dict[tuple[str, tuple[tuple[str, str], ...]], float] = {}
        for sample in family.samples:
            labels |= set(sample.labels) - {"le", "quantile"}
            if "le" in sample.labels:
                bounds.add(float(sample.labels["le"]))
            timed = sample.name.endswith(("_sum", "_bucket"))
            if not timed and not name.startswith(UNCOMPARED_VALUES):
                key = (sample.name.removeprefix(prefix), tuple(sorted(sample.labels.items())))
                values[key] = sample.value
        found[name] = {"type": family.type, "labels": labels, "buckets": bounds, "values": values}
    return found


def run_node(endpoint: str) -> tuple[str, str]:
    """The Node script's /metrics text and its log lines."""
    script = built_script("parity_calls")
    done = subprocess.run(
        [executable("node"), str(script), endpoint],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, f"the Node script failed:\n{done.stderr}"
    return done.stdout, done.stderr


def test_node_and_python_emit_the_same_metric_families(
    telemetry: Captured, receiver: tuple[str, list[dict[str, Any]]]
) -> None:
    node = families(run_node(receiver[0])[0], "parity")
    python_calls()
    telemetry.flush()  # exported, so the export counters are on the page as they are on Node's
    python = families(generate_latest(telemetry.rt.metrics.registry).decode(), "sergas")
    assert sorted(node) == sorted(python)
    for name, expected in python.items():
        got = node[name]
        assert got["type"] == expected["type"], name
        assert got["labels"] == expected["labels"], name
        assert got["buckets"] == expected["buckets"], name
        assert got["values"].keys() == expected["values"].keys(), name
        for key, value in expected["values"].items():
            assert math.isclose(got["values"][key], value, rel_tol=1e-9), (name, key)
    # The calls were counted, not just declared.
    assert (
        python["agent_sessions"]["values"][
            (
                "agent_sessions_total",
                (("agent_type", "writer"), ("operation", "draft"), ("status", "success")),
            )
        ]
        == 1
    )


def test_node_and_python_emit_the_same_spans(
    telemetry: Captured, receiver: tuple[str, list[dict[str, Any]]]
) -> None:
    endpoint, received = receiver
    run_node(endpoint)
    node = {span["name"]: span for span in node_spans(received)}
    python_calls()
    python = {span["name"]: span for span in python_spans(telemetry)}
    assert sorted(node) == sorted(python)
    assert len(python) == 6
    for name, expected in python.items():
        got = node[name]
        assert (got["kind"], got["parent"], got["links"]) == (
            expected["kind"],
            expected["parent"],
            expected["links"],
        ), name
        assert sorted(got["attributes"]) == sorted(expected["attributes"]), name
        for key, value in expected["attributes"].items():
            if key in TIMED:
                continue
            if key == SWARMSCOPE_LLM_COST_USD:
                assert math.isclose(got["attributes"][key], value, rel_tol=1e-9), name
                continue
            assert got["attributes"][key] == value, (name, key)


def event_fields(lines: list[dict[str, Any]]) -> dict[str, set[str]]:
    """Each event's field names (an event logged twice has the same fields each time)."""
    found: dict[str, set[str]] = {}
    for line in lines:
        found.setdefault(line["event"], set()).update(line)
    return found


def test_node_and_python_write_the_same_log_events(
    telemetry: Captured, receiver: tuple[str, list[dict[str, Any]]]
) -> None:
    _, logged = run_node(receiver[0])
    node_lines = [json.loads(line) for line in logged.splitlines() if line.startswith("{")]
    python_calls()
    python_lines = telemetry.lines()
    node, python = event_fields(node_lines), event_fields(python_lines)
    assert sorted(node) == sorted(python)
    for event, fields in python.items():
        assert node[event] == fields, event
    for line in node_lines:
        assert len(line["trace_id"]) == 32 and len(line["span_id"]) == 16, line
        assert line["level"] in {"debug", "info"}, line
