"""The OpenAI Agents SDK, read through its public tracing processor.

``instrument_openai_agents()`` registers a ``TracingProcessor`` with ``add_trace_processor``;
the SDK then reports every trace and span it makes, and each becomes the hand-written call it
stands for, so metrics, spans and log events are those of ``ss.agent_run`` and friends:

* a trace (``Runner.run``, ``with trace(...)``) is a ``workflow``;
* an agent span is an ``agent_run`` (``invoke_agent {agent}``);
* a handoff span is a ``handoff`` from the handing agent to the one it hands to (an edge of
  the agent graph; the next agent's run closes its latency);
* a function span is a ``tool_call`` of the agent that called it;
* a generation or response span is an ``llm_call`` with the model, tokens and cost;
* a guardrail span whose tripwire fired is a ``guardrail_violation`` (action ``blocked``:
  the SDK halts the run).

The SDK's callbacks arrive on its own span objects, so each of our spans is started under the
span made for the SDK span's parent (its ``parent_id``), not under whatever happens to be
current: the tree is the SDK's tree. Task, turn and other SDK spans have no concept of
their own; what runs under them is parented to their nearest mapped ancestor.

The SDK still uploads its traces to OpenAI by default; that stays the app's choice: call the
SDK's ``set_tracing_export_api_key``/``set_tracing_disabled`` or, to keep only swarmscope's
telemetry, ``set_trace_processors([])`` before this call (it adds its processor after).
OpenInference's instrumentor replaces every processor unless it is told
``exclusive_processor=False``; with both on, its spans' scope joins
``swarmscope.integrations.covered_scopes`` so each call is counted once.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from agents.tracing import (
    AgentSpanData,
    FunctionSpanData,
    GenerationSpanData,
    GuardrailSpanData,
    HandoffSpanData,
    ResponseSpanData,
    Span,
    TaskSpanData,
    Trace,
    TracingProcessor,
    TurnSpanData,
    add_trace_processor,
    get_current_span,
)
from opentelemetry import trace as otel_trace

from swarmscope import integrations
from swarmscope.conventions import scopes
from swarmscope.conventions.attributes import GEN_AI_REQUEST_MODEL
from swarmscope.exceptions import AgentsSdkError
from swarmscope.instrument.agents import AgentRun
from swarmscope.instrument.handoffs import handoff
from swarmscope.instrument.llm import LlmCall
from swarmscope.instrument.operation import Operation, safely
from swarmscope.instrument.security import guardrail_violation
from swarmscope.instrument.tools import ToolCall
from swarmscope.instrument.workflows import Workflow

PROVIDER = "openai"
# The model of a response span until its response says which model answered.
UNKNOWN_MODEL = "unknown"
# Bounds the spans and traces held open at once (an SDK span that never ends is dropped).
MAX_OPEN = 10_000


@dataclass
class _Node:
    """What one open SDK span became: the span its children hang under, and its agent.

    A span with no concept of its own (a task or turn) has no ``operation``; ``owner`` is its
    nearest ancestor that has one, which an error of the task or turn fails.
    """

    span: otel_trace.Span | None
    agent: str | None
    operation: Operation | None = None
    owner: _Node | None = None
    error: BaseException | None = None


class SwarmscopeProcessor(TracingProcessor):
    """Turns the SDK's traces and spans into swarmscope's concepts as they start and end."""

    def __init__(self) -> None:
        self.enabled = True
        self._nodes: dict[str, _Node] = {}
        self._lock = threading.Lock()

    # -- the SDK's callbacks --------------------------------------------------------------
    def on_trace_start(self, trace: Trace) -> None:
        if self.enabled:
            safely("openai_agents.trace", lambda: self._trace_started(trace))

    def on_trace_end(self, trace: Trace) -> None:
        safely("openai_agents.trace", lambda: self._end(trace.trace_id, None))

    def on_span_start(self, span: Span[Any]) -> None:
        if self.enabled:
            safely("openai_agents.span", lambda: self._span_started(span))

    def on_span_end(self, span: Span[Any]) -> None:
        safely("openai_agents.span", lambda: self._span_ended(span))

    def shutdown(self) -> None:
        """Nothing to flush: each concept is recorded when its span ends."""

    def force_flush(self) -> None:
        """Nothing buffered here; swarmscope's exporters flush with ``ss.shutdown``."""

    # -- what the SDK reports, as concepts ------------------------------------------------
    def counts(self, span: Span[Any] | None) -> bool:
        """Whether ``span`` is a model call this processor records (so a client wrapper doesn't)."""
        if span is None:
            return False
        node = self._nodes.get(span.span_id)
        return node is not None and isinstance(node.operation, LlmCall)

    def _trace_started(self, trace: Trace) -> None:
        # The trace ends in whichever task closes it (a streamed run's), so its span is
        # never made current: the agents under it name it as their parent explicitly.
        run = Workflow(trace.name).start()
        self._open(trace.trace_id, _Node(run.span, None, run))

    def _span_started(self, span: Span[Any]) -> None:
        parent = self._nodes.get(span.parent_id or span.trace_id)
        agent = parent.agent if parent else None
        data = span.span_data
        operation: Operation | None = None
        if isinstance(data, AgentSpanData):
            operation, agent = AgentRun(data.name), data.name
        elif isinstance(data, FunctionSpanData):
            operation = ToolCall(data.name, agent=agent)
        elif isinstance(data, GenerationSpanData):
            provider, model = _provider_and_model(data.model or UNKNOWN_MODEL)
            operation = LlmCall(model, provider, agent)
        elif isinstance(data, ResponseSpanData):
            operation = LlmCall(UNKNOWN_MODEL, PROVIDER, agent)
        if operation is None:
            owner = (parent.owner or parent) if parent else None
            self._open(span.span_id, _Node(parent.span if parent else None, agent, owner=owner))
            return
        # Agents and tools stay current until they end, for the app's own calls inside them;
        # a model call may end in another task (a stream), so it is never current.
        operation.start(
            parent.span if parent is not None else None,
            current=not isinstance(operation, LlmCall),
        )
        self._open(span.span_id, _Node(operation.span, agent, operation))

    def _span_ended(self, span: Span[Any]) -> None:
        node = self._nodes.get(span.span_id)
        if node is None:
            return
        data = span.span_data
        error: BaseException | None = _error_of(span)
        if isinstance(data, HandoffSpanData) and data.from_agent and data.to_agent:
            with otel_trace.use_span(_span_or_invalid(node), end_on_exit=False):
                handoff(data.from_agent, data.to_agent, error=error)
        elif isinstance(data, GuardrailSpanData) and data.triggered:
            with otel_trace.use_span(_span_or_invalid(node), end_on_exit=False):
                guardrail_violation(data.name, "blocked", agent_id=node.agent)
        elif isinstance(node.operation, LlmCall):
            _record_model_call(node.operation, data)
        elif isinstance(data, TaskSpanData | TurnSpanData) and error and node.owner:
            # The SDK marks the turn (or task) a guardrail or model error stopped, not the
            # agent's span; the agent's run failed all the same.
            node.owner.error = node.owner.error or error
        error = error or node.error
        workflow = self._nodes.get(span.trace_id)
        if isinstance(data, AgentSpanData) and error and workflow:
            # A failed agent ends the SDK's run: as with nested hand-written calls, the
            # workflow around it fails too.
            workflow.error = workflow.error or error
        self._end(span.span_id, error)

    # -- bookkeeping ----------------------------------------------------------------------
    def _open(self, key: str, node: _Node) -> None:
        with self._lock:
            self._nodes[key] = node
            while len(self._nodes) > MAX_OPEN:
                del self._nodes[next(iter(self._nodes))]

    def _end(self, key: str, error: BaseException | None) -> None:
        with self._lock:
            node = self._nodes.pop(key, None)
        if node is not None and node.operation is not None:
            error = error or node.error
            node.operation.finish(error)


def _span_or_invalid(node: _Node) -> otel_trace.Span:
    return node.span if node.span is not None else otel_trace.INVALID_SPAN


def _error_of(span: Span[Any]) -> AgentsSdkError | None:
    error = span.error
    return AgentsSdkError(error.get("message") or "error") if error else None


def _provider_and_model(model: str) -> tuple[str, str]:
    """A generation's model as ``provider/model`` (LiteLLM's and other routers' names) or bare."""
    provider, _, name = model.partition("/")
    return (provider, name) if name else (PROVIDER, model)


def _record_model_call(call: LlmCall, data: Any) -> None:
    """The model and usage a generation or response span carries once it ends."""
    model: str | None = None
    if isinstance(data, ResponseSpanData) and data.response is not None:
        model = data.response.model
    elif isinstance(data, GenerationSpanData) and data.model:
        model = _provider_and_model(data.model)[1]
    if model and model != call.model:
        call.model = model
        call.set_attribute(GEN_AI_REQUEST_MODEL, model)
        call.span.update_name(call.span_name())
    usage = data.usage or {}
    details = usage.get("input_tokens_details") or {}
    call.record_usage(
        usage.get("input_tokens") or 0,
        usage.get("output_tokens") or 0,
        cache_read_tokens=details.get("cached_tokens") or 0,
        response_model=model,
    )


_processor: SwarmscopeProcessor | None = None


def instrument_openai_agents() -> SwarmscopeProcessor:
    """Record every Agents SDK run in this process; calling it again changes nothing.

    Call it after any ``set_trace_processors`` of the app's: that call replaces the list.
    """
    global _processor
    if _processor is None:
        _processor = SwarmscopeProcessor()
        add_trace_processor(_processor)
    integrations.covered_scopes.update(scopes.OPENAI_AGENTS)
    return _processor


def uninstrument_openai_agents() -> None:
    """Stop recording runs (the SDK has no call to remove one processor, so it idles)."""
    global _processor
    if _processor is not None:
        _processor.enabled = False
        _processor = None
    integrations.covered_scopes.difference_update(scopes.OPENAI_AGENTS)


def counts_current_model_call() -> bool:
    """True inside a model call the Agents SDK traces and this integration records."""
    return _processor is not None and _processor.enabled and _processor.counts(get_current_span())
