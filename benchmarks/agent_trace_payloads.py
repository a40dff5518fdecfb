"""OTLP/HTTP protobuf requests of agent runs in OpenInference's words, for side-by-side intake.

Both swarmscope and Arize Phoenix read OpenInference attributes (``openinference.span.kind``,
``agent.name``, ``graph.node.*``, ``llm.*``, ``tool.name``, ``input.value``...), so the same
bytes mean the same thing to each. Every trace is one support request of ten spans: a
triage agent's run (root) with an LLM call, a tool call, a handoff to a specialist agent
(its own run, naming triage in ``graph.node.parent_id``) holding LLM and tool calls, and a
closing LLM call. About 2% of tool calls fail, and their run with them.

The requests are built once and sent unchanged to each server; their spans' start times
tile the hour before they were built, newest last.
"""

from __future__ import annotations

import json
import random
import time
from dataclasses import dataclass

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.trace.v1.trace_pb2 import ScopeSpans, Span, Status

SPANS_PER_TRACE = 10
PROJECT = "swarmscope-bench"
SPECIALISTS = ("billing_agent", "technical_agent", "sales_agent", "refunds_agent")
TOOLS = ("lookup_account", "search_invoices", "read_runbook", "open_ticket", "check_status")
MODELS = (("gpt-4o", "openai"), ("gpt-4o-mini", "openai"), ("claude-sonnet-4", "anthropic"))
QUESTIONS = (
    "My invoice for March shows a charge twice, can you check?",
    "The API returns 502 since this morning for our workspace.",
    "We want to move from the team plan to enterprise next month.",
    "Please refund the order I cancelled within the trial period.",
)
HOUR_NS = 3600 * 10**9


@dataclass(frozen=True)
class Payloads:
    """The request bodies, how many spans they hold, and one trace to open in each server."""

    bodies: list[bytes]
    spans: int
    sample_trace_id: str


def _value(value: str | int | float | bool) -> AnyValue:
    if isinstance(value, bool):
        return AnyValue(bool_value=value)
    if isinstance(value, int):
        return AnyValue(int_value=value)
    if isinstance(value, float):
        return AnyValue(double_value=value)
    return AnyValue(string_value=value)


def _set(span: Span, attributes: dict[str, str | int | float | bool]) -> None:
    span.attributes.extend(KeyValue(key=k, value=_value(v)) for k, v in attributes.items())


class _TraceWriter:
    """Appends one trace's spans to a scope, children laid out one after another in time."""

    def __init__(self, scope: ScopeSpans, rng: random.Random, start_ns: int) -> None:
        self.scope, self.rng = scope, rng
        self.trace_id = rng.randbytes(16)
        self.clock_ns = start_ns

    def span(
        self, name: str, parent: Span | None, attributes: dict[str, str | int | float | bool]
    ) -> Span:
        span = self.scope.spans.add()
        span.trace_id = self.trace_id
        span.span_id = self.rng.randbytes(8)
        if parent is not None:
            span.parent_span_id = parent.span_id
        span.name = name
        span.kind = Span.SPAN_KIND_INTERNAL
        span.start_time_unix_nano = self.clock_ns
        self.clock_ns += self.rng.randrange(5 * 10**6, 40 * 10**6)
        span.end_time_unix_nano = self.clock_ns + self.rng.randrange(50 * 10**6, 900 * 10**6)
        span.status.code = Status.STATUS_CODE_OK
        _set(span, attributes)
        return span

    def llm(self, parent: Span, agent: str, prompt: str) -> Span:
        model, provider = self.rng.choice(MODELS)
        prompt_tokens = self.rng.randrange(300, 4000)
        completion_tokens = self.rng.randrange(20, 600)
        return self.span(
            "ChatCompletion",
            parent,
            {
                "openinference.span.kind": "LLM",
                "llm.model_name": model,
                "llm.provider": provider,
                "llm.system": provider,
                "llm.invocation_parameters": '{"temperature": 0.2}',
                "llm.token_count.prompt": prompt_tokens,
                "llm.token_count.completion": completion_tokens,
                "llm.token_count.total": prompt_tokens + completion_tokens,
                "llm.input_messages.0.message.role": "system",
                "llm.input_messages.0.message.content": f"You are {agent}, a support agent.",
                "llm.input_messages.1.message.role": "user",
                "llm.input_messages.1.message.content": prompt,
                "llm.output_messages.0.message.role": "assistant",
                "llm.output_messages.0.message.content": "I looked into it; here is what I found.",
                "input.value": prompt,
                "output.value": "I looked into it; here is what I found.",
            },
        )

    def tool(self, parent: Span, agent: str) -> Span:
        tool = self.rng.choice(TOOLS)
        account = f"acct-{self.rng.randrange(5000):05d}"
        span = self.span(
            tool,
            parent,
            {
                "openinference.span.kind": "TOOL",
                "tool.name": tool,
                "tool.parameters": json.dumps({"account_id": account}),
                "input.value": json.dumps({"account_id": account}),
                "output.value": json.dumps({"found": True, "agent": agent}),
            },
        )
        if self.rng.random() < 0.02:
            span.status.code = Status.STATUS_CODE_ERROR
            span.status.message = f"{tool}: upstream timed out"
            parent.status.code = Status.STATUS_CODE_ERROR
        return span

    def agent(self, parent: Span | None, agent: str, handed_by: str | None, question: str) -> Span:
        attributes: dict[str, str | int | float | bool] = {
            "openinference.span.kind": "AGENT",
            "agent.name": agent,
            "graph.node.id": agent,
            "input.value": question,
            "output.value": "Resolved: the customer was answered.",
        }
        if handed_by is not None:
            attributes["graph.node.parent_id"] = handed_by
        else:
            attributes["session.id"] = f"session-{self.rng.randrange(20_000)}"
            attributes["user.id"] = f"user-{self.rng.randrange(5_000)}"
        return self.span(agent, parent, attributes)


def _write_trace(writer: _TraceWriter, rng: random.Random) -> None:
    """Ten spans: triage (LLM, tool, specialist (LLM, tool, LLM, tool, LLM), LLM)."""
    question = rng.choice(QUESTIONS)
    specialist = rng.choice(SPECIALISTS)
    root = writer.agent(None, "triage_agent", None, question)
    writer.llm(root, "triage_agent", question)
    writer.tool(root, "triage_agent")
    handed = writer.agent(root, specialist, "triage_agent", question)
    for step in range(5):
        if step % 2 == 0:
            writer.llm(handed, specialist, question)
        else:
            writer.tool(handed, specialist)
    handed.end_time_unix_nano = writer.clock_ns + 10**6
    writer.llm(root, "triage_agent", "Summarise the specialist's answer for the customer.")
    root.end_time_unix_nano = writer.clock_ns + 2 * 10**6


def build(spans: int, spans_per_request: int = 500, seed: int = 7) -> Payloads:
    """Requests holding ``spans`` spans (rounded down to whole traces) in whole traces each."""
    rng = random.Random(seed)
    traces = max(1, spans // SPANS_PER_TRACE)
    per_request = max(1, spans_per_request // SPANS_PER_TRACE)
    now = time.time_ns()
    spacing = HOUR_NS // traces
    bodies: list[bytes] = []
    trace_id = ""
    for first in range(0, traces, per_request):
        request = ExportTraceServiceRequest()
        group = request.resource_spans.add()
        for key, value in (
            ("service.name", "support-desk"),
            ("service.version", "2.3.0"),
            ("openinference.project.name", PROJECT),
        ):
            group.resource.attributes.append(KeyValue(key=key, value=_value(value)))
        scope = group.scope_spans.add()
        scope.scope.name = "support_desk.agents"
        for index in range(first, min(first + per_request, traces)):
            writer = _TraceWriter(scope, rng, now - HOUR_NS + index * spacing)
            _write_trace(writer, rng)
            trace_id = writer.trace_id.hex()
        bodies.append(request.SerializeToString())
    return Payloads(bodies, traces * SPANS_PER_TRACE, trace_id)
