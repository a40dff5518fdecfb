"""Handoffs between agents: counted and logged when they happen, timed when the target starts.

A handoff is a moment, not a block of code: ``handoff(a, b, data)`` records the span, the
counter and ``agent_handoff`` at once. Its latency is the time until
agent ``b`` actually starts, so the handoff is remembered (bounded, per trace) and the next
``agent_run(b)`` in that trace observes ``agent_handoff_duration_seconds`` and links its
span to the handoff's.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from time import perf_counter
from typing import Any

import orjson
from opentelemetry import trace
from opentelemetry.trace import Status, StatusCode

from swarmscope.conventions.attributes import (
    GEN_AI_AGENT_NAME,
    GEN_AI_OPERATION_NAME,
    SWARMSCOPE_HANDOFF_DATA_BYTES,
    SWARMSCOPE_HANDOFF_DATA_KEYS,
    SWARMSCOPE_HANDOFF_FROM_AGENT,
    SWARMSCOPE_HANDOFF_LATENCY_MS,
    SWARMSCOPE_HANDOFF_REASON,
    SWARMSCOPE_HANDOFF_TO_AGENT,
    SWARMSCOPE_LINK,
)
from swarmscope.conventions.catalog import FAILURE, SUCCESS
from swarmscope.conventions.spans import HANDOFF, LINK_HANDOFF
from swarmscope.instrument.errors import ErrorCategory, ErrorSeverity, record_failure
from swarmscope.instrument.operation import error_fields, safely
from swarmscope.telemetry.runtime import Runtime, current

MAX_PENDING = 10_000


@dataclass(frozen=True)
class _Pending:
    from_agent: str
    at: float
    span_context: trace.SpanContext


_pending: OrderedDict[tuple[int, str], _Pending] = OrderedDict()
_lock = threading.Lock()


def handoff(
    from_agent: str,
    to_agent: str,
    data: Any = None,
    *,
    error: BaseException | None = None,
    reason: str | None = None,
) -> None:
    """Record that ``from_agent`` hands work (``data``) to ``to_agent``; ``error`` marks it failed."""
    safely("handoff", lambda: _record(current(), from_agent, to_agent, data, error, reason))


def _record(
    rt: Runtime,
    from_agent: str,
    to_agent: str,
    data: Any,
    error: BaseException | None,
    reason: str | None,
) -> None:
    keys = sorted(str(k) for k in data) if isinstance(data, dict) else []
    size = _payload_size(data)
    status = SUCCESS if error is None else FAILURE
    attributes: dict[str, Any] = {
        GEN_AI_OPERATION_NAME: HANDOFF,
        GEN_AI_AGENT_NAME: from_agent,
        SWARMSCOPE_HANDOFF_FROM_AGENT: from_agent,
        SWARMSCOPE_HANDOFF_TO_AGENT: to_agent,
        SWARMSCOPE_HANDOFF_DATA_KEYS: keys,
        SWARMSCOPE_HANDOFF_DATA_BYTES: size,
    }
    if reason:
        attributes[SWARMSCOPE_HANDOFF_REASON] = reason
    span = rt.tracer.start_span(
        f"{HANDOFF} {from_agent} -> {to_agent}", attributes=rt.redactor.fields(attributes)
    )
    try:
        rt.metrics["agent_handoffs_total"].child(from_agent, to_agent, status).inc()
        fields: dict[str, Any] = {
            "agent_id": from_agent,
            "previous_agent": from_agent,
            "next_agent": to_agent,
            "handoff_data_keys": keys,
            "handoff_data_bytes": size,
        }
        context = span.get_span_context()
        if error is None:
            with _lock:
                _pending[(context.trace_id, to_agent)] = _Pending(
                    from_agent, perf_counter(), context
                )
                while len(_pending) > MAX_PENDING:
                    _pending.popitem(last=False)
            with trace.use_span(span, end_on_exit=False):
                rt.event("agent_handoff", fields)
        else:
            span.set_status(Status(StatusCode.ERROR, f"{type(error).__name__}: {error}"))
            span.record_exception(error)
            record_failure(
                rt,
                error,
                ErrorCategory.AGENT_HANDOFF_FAILED,
                ErrorSeverity.HIGH,
                from_agent,
                HANDOFF,
            )
            fields |= error_fields(error)
            with trace.use_span(span, end_on_exit=False):
                rt.event("agent_handoff_failed", fields)
    finally:
        span.end()


def arrive(rt: Runtime, agent: str, span: trace.Span) -> None:
    """Called when ``agent`` starts: closes a pending handoff to it in the same trace."""
    context = span.get_span_context()
    with _lock:
        pending = _pending.pop((context.trace_id, agent), None)
    if pending is None:
        return
    latency = perf_counter() - pending.at
    rt.metrics["agent_handoff_duration_seconds"].child(pending.from_agent, agent).observe(latency)
    span.add_link(pending.span_context, {SWARMSCOPE_LINK: LINK_HANDOFF})
    span.set_attribute(SWARMSCOPE_HANDOFF_FROM_AGENT, pending.from_agent)
    span.set_attribute(SWARMSCOPE_HANDOFF_LATENCY_MS, round(latency * 1000, 3))


def _payload_size(data: Any) -> int:
    if data is None:
        return 0
    if isinstance(data, bytes | str):
        return len(data)
    try:
        return len(orjson.dumps(data, default=str))
    except TypeError:
        return len(repr(data))
