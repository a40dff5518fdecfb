"""W3C trace context between processes: what to send, and how to continue a remote trace."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.propagate import extract, inject


def inject_headers(headers: Mapping[str, str] | None = None) -> dict[str, str]:
    """A copy of ``headers`` with ``traceparent`` (and ``tracestate``) for the current span."""
    carrier = dict(headers or {})
    inject(carrier)
    return carrier


@contextmanager
def continue_trace(headers: Mapping[str, str]) -> Iterator[None]:
    """Make spans started inside this block children of the span named by ``headers``."""
    token = otel_context.attach(extract(dict(headers)))
    try:
        yield
    finally:
        otel_context.detach(token)


def current_trace_id() -> str | None:
    """The current trace id as 32 hex digits (what logs and backends show), or None."""
    context = trace.get_current_span().get_span_context()
    return f"{context.trace_id:032x}" if context.is_valid else None
