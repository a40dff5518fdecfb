"""AG-UI on the server side: the event stream an agent endpoint sends to its front end.

``ag_ui_stream(events, agent=..., run_input=...)`` wraps the events the endpoint yields (AG-UI
event objects or their dicts) and hands each on unchanged, at once: it counts them by type
(``ag_ui_event``), and makes the run an agent run (``invoke_agent``, the catalog's session
families) that ends the way the stream says. ``RUN_ERROR`` is a failure; a ``RUN_FINISHED``
whose outcome is ``interrupt`` is no success (the run's status is ``interrupted``) and opens
one approval per interrupt, pending until a later run of the same thread carries a
``resume`` entry for it; that run settles it (decision, latency from the interrupt).
ag-ui-langgraph's default stream (CopilotKit's LangGraph agent) says it differently, a CUSTOM
``on_interrupt`` event answered by ``forwardedProps.command.resume``: read the same way. A
client that goes away mid-stream ends the run as cancelled.

Works with anything that yields AG-UI events, through any encoder::

    encoder = EventEncoder()
    events = ss.ag_ui_stream(agent_events(run_input), agent="planner", run_input=run_input,
                             headers=request.headers)
    return StreamingResponse((encoder.encode(e) async for e in events), ...)

AG-UI has no trace-context field: the front end sends ``traceparent`` on the request that
opens the stream, and ``headers`` continues that trace (or a middleware that already did).

Pending interrupts are kept in this process (bounded, expiring): a resume served by another
worker process finds none and settles nothing there; the first process's approval then
expires as a timeout.
"""

from __future__ import annotations

import asyncio
import enum
import threading
import time
from collections import OrderedDict
from collections.abc import AsyncIterable, AsyncIterator, Iterable, Mapping
from contextlib import nullcontext
from dataclasses import dataclass
from typing import Any, TypeVar

from opentelemetry import trace
from opentelemetry.propagate import extract

from swarmscope.conventions.attributes import (
    AG_UI_INTERRUPT_ID,
    AG_UI_INTERRUPT_IDS,
    AG_UI_INTERRUPT_REASON,
    AG_UI_RUN_ID,
    AG_UI_RUN_OUTCOME,
    AG_UI_THREAD_ID,
    AG_UI_TOOL_CALL_ID,
    SWARMSCOPE_LINK,
)
from swarmscope.conventions.catalog import FAILURE
from swarmscope.conventions.spans import (
    AG_UI_CANCELLED,
    AG_UI_ERROR,
    AG_UI_INTERRUPT,
    AG_UI_SUCCESS,
    LINK_RESUME_OF,
)
from swarmscope.instrument.agents import AgentRun
from swarmscope.instrument.hitl import Approval
from swarmscope.instrument.operation import CANCELLED, safely
from swarmscope.instrument.ui import ag_ui_event
from swarmscope.propagation import continue_trace

E = TypeVar("E")
WHERE = "ag_ui"
# Interrupts waiting for an answer, across all threads, at most; and how long one waits.
MAX_PENDING = 10_000
INTERRUPT_TIMEOUT_S = 24 * 3600.0
RUN_STARTED = "RUN_STARTED"
RUN_FINISHED = "RUN_FINISHED"
RUN_ERROR = "RUN_ERROR"
CUSTOM = "CUSTOM"
# The interrupt of ag-ui-langgraph's (and so CopilotKit's) default stream: a CUSTOM event of
# this name, then a plain RUN_FINISHED; it carries no id, and the next run answers it with
# forwardedProps.command.resume. One such approval waits per thread, under this key.
LEGACY_INTERRUPT = "on_interrupt"


def ag_ui_stream(
    events: AsyncIterable[E] | Iterable[E],
    *,
    agent: str,
    run_input: Any = None,
    headers: Mapping[str, str] | None = None,
    operation: str = "ag_ui_run",
    approval_type: str | None = None,
    interrupt_timeout: float = INTERRUPT_TIMEOUT_S,
) -> AsyncIterator[E]:
    """The same events, observed: see the module's docstring.

    ``run_input`` is the request's ``RunAgentInput`` (or its dict): its thread and run ids,
    and its ``resume`` entries, which settle the approvals of earlier interrupts.
    ``approval_type`` labels those approvals (default: each interrupt's ``reason``);
    ``interrupt_timeout`` is how long one waits before it counts as timed out.
    """
    return _observed(
        events, _StreamRun(agent, operation, run_input, approval_type, interrupt_timeout), headers
    )


async def _observed(
    events: AsyncIterable[E] | Iterable[E], run: _StreamRun, headers: Mapping[str, str] | None
) -> AsyncIterator[E]:
    source = _as_async(events)
    safely(WHERE, lambda: run.start(headers))
    try:
        while True:
            # Current only while the app's code makes the next event: never across the
            # yield, where the web framework may close this generator from another task.
            with run.op.within():
                try:
                    event = await source.__anext__()
                except StopAsyncIteration:
                    break
                safely(WHERE, lambda: run.observe(event))  # noqa: B023 (called at once)
            yield event
    except BaseException as error:
        ended = error
        safely(WHERE, lambda: run.finish(ended))
        closing = getattr(source, "aclose", None)
        if isinstance(error, GeneratorExit) and closing is not None:
            await closing()
        raise
    safely(WHERE, lambda: run.finish(None))


async def _as_async(events: AsyncIterable[E] | Iterable[E]) -> AsyncIterator[E]:
    if isinstance(events, AsyncIterable):
        async for event in events:
            yield event
    else:
        for event in events:
            yield event


class _StreamRun:
    """One AG-UI run: its agent run, and what its events say of how it ends."""

    def __init__(
        self,
        agent: str,
        operation: str,
        run_input: Any,
        approval_type: str | None,
        interrupt_timeout: float,
    ) -> None:
        self.agent = agent
        self.run_input = run_input
        self.thread_id = _text(_field(run_input, "thread_id", "threadId"))
        run_id = _text(_field(run_input, "run_id", "runId"))
        attrs = {AG_UI_THREAD_ID: self.thread_id, AG_UI_RUN_ID: run_id}
        self.op = AgentRun(
            agent, operation, session_id=self.thread_id, **{k: v for k, v in attrs.items() if v}
        )
        self.approval_type = approval_type
        self.interrupt_timeout = interrupt_timeout
        self.outcome: str | None = None
        self.legacy_interrupt = False

    def start(self, headers: Mapping[str, str] | None) -> None:
        with _remote_parent(headers):
            self.op.start()
        with self.op.within():
            self._resume()

    def observe(self, event: Any) -> None:
        kind = _event_type(event)
        if kind is None:
            return
        ag_ui_event(kind, agent=self.agent)
        if kind == RUN_STARTED:
            self._started(event)
        elif kind == RUN_FINISHED:
            self._finished(_field(event, "outcome"))
        elif kind == RUN_ERROR:
            self.outcome = AG_UI_ERROR
            self.op.mark_failed(FAILURE)
        elif kind == CUSTOM and _field(event, "name") == LEGACY_INTERRUPT:
            self.legacy_interrupt = True

    def finish(self, error: BaseException | None) -> None:
        if error is not None and self.outcome is None:
            self.outcome = AG_UI_CANCELLED if _cancels(error) else AG_UI_ERROR
        if self.outcome is not None:
            self.op.set_attribute(AG_UI_RUN_OUTCOME, self.outcome)
        self.op.finish(error)

    def _started(self, event: Any) -> None:
        if self.thread_id is None:
            self.thread_id = _text(_field(event, "thread_id", "threadId"))
            if self.thread_id:
                self.op.set_attribute(AG_UI_THREAD_ID, self.thread_id)
        run_id = _text(_field(event, "run_id", "runId"))
        if run_id:
            self.op.set_attribute(AG_UI_RUN_ID, run_id)

    def _finished(self, outcome: Any) -> None:
        kind = _text(_field(outcome, "type")) or AG_UI_SUCCESS
        if kind == AG_UI_SUCCESS and self.legacy_interrupt:
            self.outcome = AG_UI_INTERRUPT
            self.op.mark_interrupted()
            self._ask({"id": LEGACY_INTERRUPT, "reason": LEGACY_INTERRUPT})
        elif kind == AG_UI_INTERRUPT:
            self.outcome = AG_UI_INTERRUPT
            self.op.mark_interrupted()
            interrupts = _items(_field(outcome, "interrupts"))
            ids = [_text(_field(i, "id")) or "" for i in interrupts]
            self.op.set_attribute(AG_UI_INTERRUPT_IDS, ids)
            for interrupt in interrupts:
                self._ask(interrupt)
        elif kind == AG_UI_CANCELLED:
            self.outcome = AG_UI_CANCELLED
            self.op.mark_failed(CANCELLED)
        else:
            self.outcome = AG_UI_SUCCESS

    def _ask(self, interrupt: Any) -> None:
        """An approval per interrupt, open until a resume (or its timeout) settles it."""
        interrupt_id = _text(_field(interrupt, "id"))
        if not interrupt_id:
            return
        reason = _text(_field(interrupt, "reason")) or AG_UI_INTERRUPT
        attrs: dict[str, Any] = {AG_UI_INTERRUPT_ID: interrupt_id, AG_UI_INTERRUPT_REASON: reason}
        tool_call = _text(_field(interrupt, "tool_call_id", "toolCallId"))
        if tool_call:
            attrs[AG_UI_TOOL_CALL_ID] = tool_call
        approval = Approval(
            self.approval_type or reason,
            agent=self.agent,
            timeout=self.interrupt_timeout,
            approval_id=interrupt_id,
            **attrs,
        ).start()
        PENDING.put((self.thread_id or "", interrupt_id), approval, self.interrupt_timeout)

    def _resume(self) -> None:
        """Settle the approvals the input answers: its resume entries, or the legacy
        ``forwardedProps.command.resume`` of a stream that sent no interrupt ids."""
        entries = _items(_field(self.run_input, "resume"))
        answered = []
        for entry in entries:
            interrupt_id = _text(_field(entry, "interrupt_id", "interruptId"))
            if interrupt_id:
                answered.append(interrupt_id)
                cancelled = _text(_field(entry, "status")) == AG_UI_CANCELLED
                decision = None if cancelled else decision_of(_field(entry, "payload"))
                self._settle(interrupt_id, decision)
        command = _field(_field(self.run_input, "forwarded_props", "forwardedProps"), "command")
        legacy = _field(command, "resume")
        if (
            legacy is not None
            and not entries
            and self._settle(LEGACY_INTERRUPT, decision_of(legacy))
        ):
            answered.append(LEGACY_INTERRUPT)
        if answered:
            self.op.set_attribute(AG_UI_INTERRUPT_IDS, answered)

    def _settle(self, interrupt_id: str, decision: str | None) -> bool:
        """Settle one waiting approval of this thread (``None``: abandoned, no decision)."""
        approval = PENDING.take((self.thread_id or "", interrupt_id))
        if approval is None:
            return False
        self.op.span.add_link(approval.span.get_span_context(), {SWARMSCOPE_LINK: LINK_RESUME_OF})
        if decision is not None:
            approval.resolve(decision)
        approval.finish()
        return True


def decision_of(payload: Any) -> str:
    """The decision a resume entry's answer states: ``approved``/``rejected`` from a boolean
    or an ``approved`` flag, an explicit ``decision`` word, else ``resolved`` (an answer that
    is no yes or no: a value the agent asked for)."""
    if isinstance(payload, bool):
        return "approved" if payload else "rejected"
    if isinstance(payload, Mapping):
        approved = payload.get("approved")
        if isinstance(approved, bool):
            return "approved" if approved else "rejected"
        decision = payload.get("decision")
        if isinstance(decision, str) and decision:
            return decision[:64].lower()
    return "resolved"


@dataclass
class _Waiting:
    approval: Approval
    deadline: float


class PendingInterrupts:
    """Approvals waiting on interrupts, by (thread id, interrupt id): at most ``limit``, each
    for its timeout. Expired ones are settled as timeouts when the map is next used, the
    oldest dropped (as cancelled) when it is full; each use sweeps from the oldest end only
    while it finds expired ones, so it costs time in what it settles."""

    def __init__(self, limit: int = MAX_PENDING) -> None:
        self.limit = limit
        self._waiting: OrderedDict[tuple[str, str], _Waiting] = OrderedDict()
        self._lock = threading.Lock()

    def put(self, key: tuple[str, str], approval: Approval, timeout: float) -> None:
        with self._lock:
            done = self._sweep()
            replaced = self._waiting.pop(key, None)
            self._waiting[key] = _Waiting(approval, time.monotonic() + timeout)
            while len(self._waiting) > self.limit:
                done.append(self._waiting.popitem(last=False)[1])
        for waiting in done:
            _settle_unanswered(waiting)
        if replaced is not None:
            replaced.approval.finish()

    def take(self, key: tuple[str, str]) -> Approval | None:
        with self._lock:
            done = self._sweep()
            waiting = self._waiting.pop(key, None)
        for old in done:
            _settle_unanswered(old)
        return None if waiting is None else waiting.approval

    def __len__(self) -> int:
        return len(self._waiting)

    def _sweep(self) -> list[_Waiting]:
        now, expired = time.monotonic(), []
        while self._waiting:
            oldest = next(iter(self._waiting.values()))
            if oldest.deadline > now:
                break
            expired.append(self._waiting.popitem(last=False)[1])
        return expired


def _settle_unanswered(waiting: _Waiting) -> None:
    if waiting.deadline <= time.monotonic():
        waiting.approval.expire()
    waiting.approval.finish()


PENDING = PendingInterrupts()


def _remote_parent(headers: Mapping[str, str] | None) -> Any:
    """Continue the trace ``headers`` name, if they name one (else keep the current one)."""
    if not headers:
        return nullcontext()
    carrier = {key.lower(): value for key, value in headers.items()}
    if not trace.get_current_span(extract(carrier)).get_span_context().is_valid:
        return nullcontext()
    return continue_trace(carrier)


def _cancels(error: BaseException) -> bool:
    return isinstance(error, asyncio.CancelledError | GeneratorExit)


def _event_type(event: Any) -> str | None:
    kind = _field(event, "type")
    if isinstance(kind, enum.Enum):
        kind = kind.value
    return kind if isinstance(kind, str) else None


def _field(thing: Any, *names: str) -> Any:
    """A field of an AG-UI model or of its dict (snake_case or the wire's camelCase)."""
    if thing is None:
        return None
    for name in names:
        value = thing.get(name) if isinstance(thing, Mapping) else getattr(thing, name, None)
        if value is not None:
            return value
    return None


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _items(items: Any) -> list[Any]:
    return list(items) if isinstance(items, list | tuple) else []
