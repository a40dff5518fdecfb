"""LangGraph's ``interrupt()`` as an approval: pending while the graph waits, decided on resume.

A node that calls ``interrupt()`` stops its run; the person's answer arrives later as a new
run of the same thread with ``Command(resume=...)``, in this process or another one. Here the
approval waits in memory, keyed by thread and interrupt id, with the span of the run that
paused (the resumed run links to it). Given the graph's checkpointer, the pause is also
written there (``save_pauses``), so that a process that resumes the thread without having seen
it pause reads when it was asked and which span paused, and measures the same wait. The
pending gauge then goes down in the resuming process and stays up in the pausing one: their
sum, what a dashboard reads over the app's processes, is right.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, cast

from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import BaseCheckpointSaver, CheckpointMetadata, empty_checkpoint
from opentelemetry import trace
from opentelemetry.trace import NonRecordingSpan, SpanContext
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from swarmscope.instrument.hitl import Approval

MAX_THREADS = 10_000
# Where a thread's pending interrupts are kept in the app's checkpointer, for a process that
# resumes the thread without having seen it pause: a namespace of the thread's own (deleted
# with it), holding one checkpoint that each pause or resume overwrites.
RECORD_NS = "swarmscope_approvals"
RECORD_ID = "00000000-0000-0000-0000-000000000000"
RECORD_KEY = "swarmscope_interrupts"
_PROPAGATOR = TraceContextTextMapPropagator()

APPROVED = "approved"
REJECTED = "rejected"
# Nobody answered in time: the app resumes the graph so that it goes on without the person.
TIMEOUT = "timeout"
# An answer that says neither: the person replied with data (an edit, a text).
RESPONDED = "responded"
_WORDS = {
    "approved": APPROVED,
    "approve": APPROVED,
    "accept": APPROVED,
    "accepted": APPROVED,
    "yes": APPROVED,
    "rejected": REJECTED,
    "reject": REJECTED,
    "deny": REJECTED,
    "denied": REJECTED,
    "no": REJECTED,
    "timeout": TIMEOUT,
    "timed_out": TIMEOUT,
    "expired": TIMEOUT,
}


def decision_of(answer: Any) -> str:
    """The decision a resume value carries: ``True``/``False``, a word ("approved",
    "rejected", "approve", "reject", "yes", "no"...; "timeout" or "expired" when nobody
    answered), or a mapping with a ``decision``,
    ``approved``, ``action`` or ``type`` key holding one; anything else is ``responded``."""
    if isinstance(answer, bool):
        return APPROVED if answer else REJECTED
    if isinstance(answer, str):
        return _WORDS.get(answer.strip().lower(), RESPONDED)
    if isinstance(answer, Mapping):
        for key in ("decision", "approved", "action", "type"):
            if key in answer:
                return decision_of(answer[key])
    return RESPONDED


def settle(approval: Approval, answer: Any) -> None:
    """Decide ``approval`` by a resume value: a timeout expires it, any other answer resolves it."""
    decision = decision_of(answer)
    if decision == TIMEOUT:
        approval.expire()
    else:
        approval.resolve(decision)


def answers(resume: Any, interrupt_ids: Iterable[str]) -> dict[str, Any]:
    """Each interrupt's answer: a mapping keyed by interrupt ids answers each one, any other
    value answers them all (LangGraph's two forms of ``Command(resume=...)``)."""
    ids = list(interrupt_ids)
    if isinstance(resume, Mapping) and ids and all(i in resume for i in ids):
        return {i: resume[i] for i in ids}
    return dict.fromkeys(ids, resume)


@dataclass(frozen=True)
class Paused:
    """An interrupt this process saw: its approval and the span of the node that paused."""

    approval: Approval
    span_context: SpanContext


@dataclass(frozen=True)
class SavedPause:
    """An interrupt as another process can read it: the approval to decide, when it was
    asked, and the span of the node that paused."""

    interrupt_id: str
    approval_type: str
    agent: str | None
    requested_at: float
    span_context: SpanContext | None


class PendingInterrupts:
    """Interrupts waiting for an answer, by thread (bounded: the oldest threads go first)."""

    def __init__(self) -> None:
        self._threads: OrderedDict[str, dict[str, Paused]] = OrderedDict()
        self._lock = threading.Lock()

    def add(self, thread_id: str, interrupt_id: str, paused: Paused) -> None:
        with self._lock:
            self._threads.setdefault(thread_id, {})[interrupt_id] = paused
            self._threads.move_to_end(thread_id)
            while len(self._threads) > MAX_THREADS:
                self._threads.popitem(last=False)

    def take(self, thread_id: str) -> dict[str, Paused]:
        """The thread's pending interrupts, which the caller now answers."""
        with self._lock:
            return self._threads.pop(thread_id, {})


def save_pauses(
    checkpointer: BaseCheckpointSaver[Any], thread_id: str, pauses: Iterable[SavedPause]
) -> None:
    """Write the thread's pending interrupts (none: clear them) as the one checkpoint of the
    thread's ``RECORD_NS`` namespace, which the graph's own history never reads."""
    checkpoint = empty_checkpoint()
    checkpoint["id"] = RECORD_ID
    record = [
        {
            "id": pause.interrupt_id,
            "approval_type": pause.approval_type,
            "agent": pause.agent,
            "requested_at": pause.requested_at,
            "span": _carrier(pause.span_context),
        }
        for pause in pauses
    ]
    metadata = cast(CheckpointMetadata, {"source": RECORD_NS, "step": -1, RECORD_KEY: record})
    checkpointer.put(_record_config(thread_id), checkpoint, metadata, {})


def load_pauses(checkpointer: BaseCheckpointSaver[Any], thread_id: str) -> list[SavedPause]:
    """The thread's pending interrupts as ``save_pauses`` wrote them, maybe in another process."""
    saved = checkpointer.get_tuple(_record_config(thread_id))
    if saved is None:
        return []
    record = cast(dict[str, Any], saved.metadata).get(RECORD_KEY) or []
    return [
        SavedPause(
            str(entry["id"]),
            str(entry["approval_type"]),
            entry.get("agent"),
            float(entry["requested_at"]),
            _span_context(entry.get("span") or {}),
        )
        for entry in record
    ]


def _record_config(thread_id: str) -> RunnableConfig:
    return {"configurable": {"thread_id": thread_id, "checkpoint_ns": RECORD_NS}}


def _carrier(span_context: SpanContext | None) -> dict[str, str]:
    """The span context as W3C trace context headers (storable, and read back by any process)."""
    carrier: dict[str, str] = {}
    if span_context is not None:
        _PROPAGATOR.inject(carrier, trace.set_span_in_context(NonRecordingSpan(span_context)))
    return carrier


def _span_context(carrier: dict[str, str]) -> SpanContext | None:
    context = trace.get_current_span(_PROPAGATOR.extract(carrier)).get_span_context()
    return context if context.is_valid else None
