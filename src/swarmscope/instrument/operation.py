"""The shape every timed concept shares: one span, one status, metrics and events at both ends.

An ``Operation`` is a sync and async context manager and a decorator. Entering starts a span
that becomes current (so children nest) and a clock; leaving ends both and records the
concept's metrics and log events while the span is still current, so the events carry its
ids. Any error inside swarmscope is counted and swallowed; the app's own exceptions pass
through untouched.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import functools
import inspect
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from contextvars import ContextVar
from time import perf_counter
from typing import Any, Self, TypeVar

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.trace import SpanKind, Status, StatusCode

from swarmscope.conventions.attributes import ERROR_TYPE
from swarmscope.conventions.catalog import FAILURE, INTERRUPTED, SUCCESS, TIMEOUT
from swarmscope.telemetry.runtime import Runtime, current

CANCELLED = "cancelled"
# Outcomes that are no error, though not a success: the span keeps an unset status and no
# failure is counted.
NOT_ERRORS = frozenset({SUCCESS, INTERRUPTED})
F = TypeVar("F", bound=Callable[..., Any])

# The agent whose run encloses the current code, so tool and LLM calls inherit it.
current_agent: ContextVar[str | None] = ContextVar("swarmscope_agent", default=None)


def status_of(error: BaseException | None) -> str:
    if error is None:
        return SUCCESS
    if isinstance(error, asyncio.CancelledError | GeneratorExit):
        return CANCELLED
    if isinstance(error, TimeoutError):
        return TIMEOUT
    return FAILURE


def safely(where: str, action: Callable[[], Any]) -> Any:
    """Run a piece of instrumentation; on error count it and carry on."""
    try:
        return action()
    except Exception:
        with contextlib.suppress(Exception):
            current().instrumentation_error(where)
        return None


def error_fields(error: BaseException | None) -> dict[str, str]:
    """The log fields that describe an error (none when there is no error)."""
    if error is None:
        return {}
    return {"error_type": type(error).__name__, "error_message": str(error)}


def span_event(name: str, attributes: dict[str, Any]) -> None:
    """Add an event to the current span, if one is recording."""
    span = trace.get_current_span()
    if span.is_recording():
        span.add_event(name, attributes)


class Operation(ABC):
    """Base class of the timed concepts; subclasses name the span and record the outcome."""

    span_kind = SpanKind.INTERNAL
    where = "operation"

    # Attributes the user passed: the only span data that is not ours, so the only data
    # scrubbed when the span starts (exception events are scrubbed on export).
    attrs: dict[str, Any] = {}
    _rt: Runtime | None = None
    _span: trace.Span | None = None
    _token: object | None = None
    # Begun by ``start`` rather than entered: whoever ends it calls ``finish`` (a concept may
    # end itself, as an approval does when it is resolved).
    _detached: bool = False
    _ended: bool = False
    _started: float = 0.0
    _failure: str | None = None
    status: str | None = None
    duration: float = 0.0

    # -- what subclasses provide ---------------------------------------------------------
    @abstractmethod
    def span_name(self) -> str:
        """The span's name, per the GenAI semantic conventions where they have one."""

    def span_attributes(self) -> dict[str, Any]:
        return {}

    def span_start_ns(self) -> int | None:
        """When the span started, if before this object existed (None: now)."""
        return None

    def on_start(self, rt: Runtime) -> None:
        """Called after the span started, inside it."""

    def on_end(self, rt: Runtime, status: str, error: BaseException | None) -> None:
        """Called with the outcome, still inside the span."""

    def bind(self) -> None:
        """Set what code inside the operation inherits besides its span (an agent's name)."""

    def unbind(self) -> None:
        """Undo ``bind``, in the same context."""

    # -- what users call -----------------------------------------------------------------
    @property
    def duration_ms(self) -> float:
        # Whole microseconds, in milliseconds: ``round(x, 3)`` on a float costs several
        # times more, and this runs on every instrumented call.
        return round(self.duration * 1_000_000) / 1000

    @property
    def span(self) -> trace.Span:
        return self._span or trace.INVALID_SPAN

    def set_attribute(self, key: str, value: Any) -> None:
        """Add an attribute to this operation's span."""
        span, rt = self._span, self._rt
        if span is not None and rt is not None:
            safely(self.where, lambda: span.set_attribute(key, rt.redactor.field(key, value)))

    def event(self, rt: Runtime, name: str, fields: dict[str, Any]) -> None:
        """Log a catalog event from inside this operation's span."""
        span = self._span
        rt.event(name, fields, span_context=span.get_span_context() if span is not None else None)

    def mark_failed(self, reason: str = FAILURE) -> None:
        """Record this operation as failed without raising (an error result, a refusal)."""
        self._failure = reason

    def mark_interrupted(self) -> None:
        """Record that the operation paused for a person (no error): it ends ``interrupted``."""
        self._failure = INTERRUPTED

    # -- an operation whose code runs in pieces ------------------------------------------
    def start(
        self,
        parent: trace.Span | None = None,
        links: Sequence[trace.Link] = (),
        current: bool = False,
    ) -> Self:
        """Begin without a block: for an operation that outlives the code that starts it (a
        stream the app hands to its web framework, a wait across requests, a framework's
        hooks reporting a start and an end as two calls). The span's parent is ``parent``,
        else the current span. It is not current afterwards (``within()`` makes it current
        around each piece of its code) unless ``current``, for hooks that end it in the same
        task, as ``with`` would; ``finish`` ends it.

        A context manager's span stays attached to the context until it exits; a generator
        suspended in between, or closed from another task, would detach it elsewhere.
        """
        self._detached = True
        self._begin(None if parent is None else trace.set_span_in_context(parent), links)
        if not current:
            self._release()
        return self

    @contextlib.contextmanager
    def within(self) -> Iterator[None]:
        """Make a started operation current for one piece of its code (no ``yield`` inside)."""
        self._hold()
        try:
            yield
        finally:
            self._release()

    def finish(self, error: BaseException | None = None) -> None:
        """End a started operation, from whichever task or thread sees it end; once (an
        approval that ended when it was resolved is not ended again)."""
        if self._ended:
            return
        self._hold()
        self._end(error)

    # -- protocol ------------------------------------------------------------------------
    def __enter__(self) -> Self:
        self._begin()
        return self

    def __exit__(self, exc_type: Any, error: BaseException | None, tb: Any) -> None:
        self._end(error)

    async def __aenter__(self) -> Self:
        self._begin()
        return self

    async def __aexit__(self, exc_type: Any, error: BaseException | None, tb: Any) -> None:
        self._end(error)

    def __call__(self, func: F) -> F:
        """Use the operation as a decorator: each call runs in a fresh copy of it."""
        if inspect.iscoroutinefunction(func):

            @functools.wraps(func)
            async def run_async(*args: Any, **kwargs: Any) -> Any:
                async with copy.copy(self):
                    return await func(*args, **kwargs)

            return run_async  # type: ignore[return-value]

        @functools.wraps(func)
        def run(*args: Any, **kwargs: Any) -> Any:
            with copy.copy(self):
                return func(*args, **kwargs)

        return run  # type: ignore[return-value]

    def _begin(
        self, parent: otel_context.Context | None = None, links: Sequence[trace.Link] = ()
    ) -> None:
        try:
            rt = current()
            self._rt = rt
            attributes = self.span_attributes()
            if self.attrs:
                attributes = rt.redactor.fields(attributes)
            span = rt.tracer.start_span(
                self.span_name(),
                context=parent,
                kind=self.span_kind,
                attributes=attributes,
                links=links or None,
                start_time=self.span_start_ns(),
            )
            self._span = span
            self._started = perf_counter()
            self._hold()
            self.on_start(rt)
        except Exception:
            self._count_error("start")

    def _hold(self) -> None:
        """Make the span current, and what the operation binds, until ``_release``."""
        span = self._span
        if span is None or self._token is not None:
            return
        self._token = otel_context.attach(trace.set_span_in_context(span))
        self.bind()

    def _release(self) -> None:
        if self._token is None:
            return
        try:
            self.unbind()
        finally:
            otel_context.detach(self._token)  # type: ignore[arg-type]
            self._token = None

    def _end(self, error: BaseException | None) -> None:
        rt, span = self._rt, self._span
        if rt is None or span is None or self._ended:
            return
        self._ended = True
        self.duration = perf_counter() - self._started
        try:
            status = status_of(error)
            if status == SUCCESS and self._failure is not None:
                status = self._failure
            self.status = status
            if error is not None:
                message = rt.redactor.text(f"{type(error).__name__}: {error}")
                span.set_status(Status(StatusCode.ERROR, message))
                span.record_exception(error)
                span.set_attribute(ERROR_TYPE, type(error).__qualname__)
            elif status not in NOT_ERRORS:
                span.set_status(Status(StatusCode.ERROR, status))
                span.set_attribute(ERROR_TYPE, status)
            self.on_end(rt, status, error)
        except Exception:
            self._count_error("end")
        finally:
            span.end()
            self._release()

    def _count_error(self, phase: str) -> None:
        with contextlib.suppress(Exception):
            current().instrumentation_error(f"{self.where}.{phase}")
