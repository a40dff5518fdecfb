"""The catalog's metrics from other instrumentors' spans, in process.

An app traced by OpenInference (LangChain, LangGraph, OpenAI...) or the official OTel GenAI
instrumentations makes spans and no swarmscope calls, so its ``/metrics`` would say nothing
of its agents and the Prometheus rules would have nothing to read. ``count_other_spans()``
adds a span processor that reads each such span as it ends through the mapping the server
uses (``conventions.agent_model.derive``) and records the families the SDK's calls would:
agent runs (``agent_sessions_total``, duration), tool calls, LLM calls (requests, duration,
tokens, cost priced from genai-prices when the span carries none), handoffs, and waits for a
person. It makes no spans: the instrumentor's are exported as they are.

Never twice: spans of swarmscope's own scope are its calls' (counted by them), and spans of
a scope in ``swarmscope.integrations.covered_scopes`` belong to a framework an active
swarmscope integration already counts; a span started directly inside a swarmscope call of
the same operation (an instrumented client inside ``ss.llm_call``) is that call, seen twice.

Most conventions name the agent on its run only, and a run's span ends after its tool and
LLM calls (OpenInference even sets every attribute at the end). So a call that names no
agent takes the one its start saw (an enclosing ``ss.agent_run``, or an ancestor that named
its agent when it started), else it waits, under its nearest open ancestor, for an ancestor
that turns out to be an agent run; a root that is none records it without an agent. Each
span costs a mapping and a bounded walk up at most ``MAX_DEPTH`` ancestors; what waits and
what is open are bounded (``MAX_OPEN``).
"""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.sdk.trace import ReadableSpan, Span, SpanProcessor, TracerProvider
from opentelemetry.trace import SpanKind, StatusCode

from swarmscope import integrations
from swarmscope.conventions.agent_model import AGENT_KEYS, AgentFields, derive
from swarmscope.conventions.attributes import GEN_AI_OPERATION_NAME
from swarmscope.conventions.catalog import FAILURE, SUCCESS
from swarmscope.conventions.spans import (
    EXECUTE_TOOL,
    HANDOFF,
    INSTRUMENTATION_SCOPE,
    INVOKE_AGENT,
    LLM_OPERATIONS,
)
from swarmscope.instrument.operation import current_agent
from swarmscope.prices import price_for
from swarmscope.telemetry.runtime import Runtime, current, is_initialized
from swarmscope.telemetry.tracing import attributes_of, has_events

WHERE = "other_spans"
MAX_OPEN = 10_000
MAX_DEPTH = 32
# ss.agent_run's default operation: the label a run gets that names none.
RUN_OPERATION = "run"
_LLM = frozenset(LLM_OPERATIONS)
_COUNTED = frozenset({EXECUTE_TOOL, HANDOFF, *_LLM})
_KIND_NAMES = {kind: kind.name.lower() for kind in SpanKind}


@dataclass
class _Open:
    """A span that started and has not ended: its parent, the agent known at its start, and
    the operation of the swarmscope call it started directly inside, if any."""

    parent: int | None
    agent: str | None
    inside: str | None


@dataclass(frozen=True)
class _Call:
    """What a tool, LLM, handoff or waiting span counts, kept until its agent is known."""

    fields: AgentFields
    status: str
    seconds: float
    # The span's wait for a person (counted as an approval), rather than its operation.
    wait: bool = False


class OtherSpanMetrics(SpanProcessor):
    """Records the catalog's families from the spans of other instrumentors as they end."""

    def __init__(self, max_open: int = MAX_OPEN) -> None:
        self.max_open = max_open
        self._open: OrderedDict[int, _Open] = OrderedDict()
        self._waiting: OrderedDict[int, list[_Call]] = OrderedDict()
        self._lock = threading.Lock()
        self._closed = False

    # -- the SpanProcessor interface ----------------------------------------------------------
    def on_start(self, span: Span, parent_context: Context | None = None) -> None:
        try:
            if self._closed or not _counted_scope(span):
                return
            parent = span.parent
            attrs = attributes_of(span)
            named = next((attrs[key] for key in AGENT_KEYS if attrs.get(key)), None)
            agent = named if isinstance(named, str) else current_agent.get()
            inside = _own_operation(trace.get_current_span(parent_context))
            with self._lock:
                self._open[span.context.span_id] = _Open(
                    parent.span_id if parent is not None else None, agent, inside
                )
                while len(self._open) > self.max_open:
                    self._open.popitem(last=False)
        except Exception:
            _count_error()

    def on_end(self, span: ReadableSpan) -> None:
        try:
            if not self._closed and _counted_scope(span):
                self._ended(span)
        except Exception:
            _count_error()

    def shutdown(self) -> None:
        """Whatever still waits for its agent is recorded without one (if swarmscope runs);
        nothing after that: a provider that was shut down may still hand out tracers (an SDK
        that traces itself through the global provider keeps using it), and its spans are no
        longer this processor's to count."""
        self._closed = True
        with self._lock:
            waiting = list(self._waiting.values())
            self._waiting.clear()
            self._open.clear()
        if not waiting or not is_initialized():
            return
        rt = current()
        for calls in waiting:
            for call in calls:
                _record_call(rt, call, None)

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return True

    # -- reading one span ---------------------------------------------------------------------
    def _ended(self, span: ReadableSpan) -> None:
        span_id = span.context.span_id if span.context is not None else 0
        events = None
        if has_events(span):
            events = [(e.timestamp, e.name, dict(e.attributes or {})) for e in span.events]
        attrs = attributes_of(span)
        fields = derive(
            span.name,
            _KIND_NAMES[span.kind],
            attrs if type(attrs) is dict else dict(attrs),
            events,
        )
        status = FAILURE if span.status.status_code is StatusCode.ERROR else SUCCESS
        seconds = max(((span.end_time or 0) - (span.start_time or 0)) / 1e9, 0.0)
        operation = fields.operation
        rt = current()
        with self._lock:
            opened = self._open.pop(span_id, None)
            waiting = self._waiting.pop(span_id, [])
        parent = opened.parent if opened is not None else _parent_id(span)
        started_agent = opened.agent if opened is not None else None
        if opened is not None and _same_call(opened.inside, operation):
            # The app wrapped this call in the swarmscope call that stands for it (an
            # ss.llm_call around an instrumented client): that call counted it already.
            operation = None
        is_run = operation == INVOKE_AGENT and isinstance(fields.agent, str) and fields.agent
        if is_run:
            _record_run(rt, fields, status, seconds)
        calls = [_Call(fields, status, seconds, wait=True)] if fields.wait is not None else []
        if operation in _COUNTED:
            calls.append(_Call(fields, status, seconds))
        if calls:
            agent = fields.agent or started_agent or self._agent_above(parent)
            if agent is not None or not self._wait_under(parent, calls):
                for call in calls:
                    _record_call(rt, call, agent)
        if waiting:
            # This span is their nearest ancestor that ended: its agent, or its parent's.
            agent = fields.agent if is_run else started_agent
            if agent is not None or not self._wait_under(parent, waiting):
                for call in waiting:
                    _record_call(rt, call, agent)

    def _agent_above(self, parent: int | None) -> str | None:
        """The agent the nearest open ancestor knew at its start."""
        with self._lock:
            for _ in range(MAX_DEPTH):
                found = self._open.get(parent) if parent is not None else None
                if found is None:
                    return None
                if found.agent is not None:
                    return found.agent
                parent = found.parent
        return None

    def _wait_under(self, parent: int | None, calls: list[_Call]) -> bool:
        """Leave ``calls`` for ``parent`` to settle when it ends; False if it is not open."""
        with self._lock:
            if parent is None or parent not in self._open:
                return False
            self._waiting.setdefault(parent, []).extend(calls)
            overflow = []
            while len(self._waiting) > self.max_open:
                overflow.extend(self._waiting.popitem(last=False)[1])
        if overflow:
            rt = current()
            for call in overflow:
                _record_call(rt, call, None)
        return True


def count_other_spans(provider: TracerProvider | None = None) -> OtherSpanMetrics:
    """Fill the catalog's metrics from other instrumentors' spans (see the module docstring).

    The processor goes on ``provider``, else on the global tracer provider when it is an SDK
    one (``init`` makes swarmscope's the global one unless the app set its own), else on
    swarmscope's. Call it once per provider: a second call returns the processor already
    there.
    """
    if provider is None:
        found = trace.get_tracer_provider()
        provider = found if isinstance(found, TracerProvider) else current().tracer_provider
    with _lock:
        existing = _processors.get(provider)
        if existing is not None:
            return existing
        processor = OtherSpanMetrics()
        provider.add_span_processor(processor)
        _processors[provider] = processor
        return processor


_lock = threading.Lock()
_processors: weakref.WeakKeyDictionary[TracerProvider, OtherSpanMetrics] = (
    weakref.WeakKeyDictionary()
)


def _counted_scope(span: ReadableSpan) -> bool:
    scope = span.instrumentation_scope
    name = scope.name if scope is not None else ""
    return name != INSTRUMENTATION_SCOPE and name not in integrations.covered_scopes


def _own_operation(parent: Any) -> str | None:
    """The operation of ``parent`` if it is one of swarmscope's own spans, else None."""
    scope = getattr(parent, "instrumentation_scope", None)
    if scope is None or scope.name != INSTRUMENTATION_SCOPE:
        return None
    found = attributes_of(parent).get(GEN_AI_OPERATION_NAME)
    return found if isinstance(found, str) else None


def _same_call(inside: str | None, operation: str | None) -> bool:
    if inside is None or operation is None:
        return False
    return inside == operation or (inside in _LLM and operation in _LLM)


def _parent_id(span: ReadableSpan) -> int | None:
    return span.parent.span_id if span.parent is not None else None


def _record_run(rt: Runtime, fields: AgentFields, status: str, seconds: float) -> None:
    agent = fields.agent
    rt.metrics["agent_sessions_total"].child(agent, status, RUN_OPERATION).inc()
    rt.metrics["agent_session_duration_seconds"].child(agent, RUN_OPERATION).observe(seconds)


def _record_call(rt: Runtime, call: _Call, agent: str | None) -> None:
    fields, status, seconds = call.fields, call.status, call.seconds
    if call.wait:
        rt.metrics["hitl_approvals_requested_total"].child(fields.wait, agent).inc()
        rt.metrics["hitl_approval_latency_seconds"].child(fields.wait, agent).observe(seconds)
    elif fields.operation == EXECUTE_TOOL:
        rt.metrics["agent_tool_calls_total"].child(agent, fields.tool, status).inc()
        rt.metrics["agent_tool_call_duration_seconds"].child(agent, fields.tool).observe(seconds)
    elif fields.operation == HANDOFF:
        origin = fields.handoff_from or agent
        rt.metrics["agent_handoffs_total"].child(origin, fields.handoff_to, status).inc()
        rt.metrics["agent_handoff_duration_seconds"].child(origin, fields.handoff_to).observe(
            seconds
        )
    else:
        _record_llm(rt, fields, agent, status, seconds)


def _record_llm(
    rt: Runtime, fields: AgentFields, agent: str | None, status: str, seconds: float
) -> None:
    model = fields.model if isinstance(fields.model, str) else None
    provider = fields.provider if isinstance(fields.provider, str) else None
    shown = provider or "unknown"
    rt.metrics["llm_requests_total"].child(model, shown, agent, status).inc()
    rt.metrics["llm_request_duration_seconds"].child(model, shown, agent).observe(seconds)
    input_tokens, output_tokens = _count(fields.input_tokens), _count(fields.output_tokens)
    tokens = rt.metrics["llm_tokens_total"]
    if input_tokens:
        tokens.child(model, shown, agent, "input").inc(input_tokens)
    if output_tokens:
        tokens.child(model, shown, agent, "output").inc(output_tokens)
    cost = _amount(fields.cost_usd)
    if cost is None and model and (input_tokens or output_tokens):
        price = price_for(model, provider)
        if price is None:
            rt.metrics["llm_price_missing_total"].child(model, shown).inc()
        else:
            cost = price.cost(input_tokens, output_tokens, _count(fields.cache_read_tokens))
    if cost:
        rt.metrics["llm_cost_usd_total"].child(model, shown, agent).inc(cost)


def _count(value: Any) -> int:
    """A token count as sent (an int, a float, a numeric string), or 0."""
    try:
        return max(int(float(value)), 0) if value is not None else 0
    except (TypeError, ValueError):
        return 0


def _amount(value: Any) -> float | None:
    try:
        found = float(value) if value is not None else None
    except (TypeError, ValueError):
        return None
    return found if found is not None and found >= 0 else None


def _count_error() -> None:
    try:
        current().instrumentation_error(WHERE)
    except Exception:
        return
