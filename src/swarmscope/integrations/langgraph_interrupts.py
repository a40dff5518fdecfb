"""LangGraph's ``interrupt()`` as an approval: pending while the graph waits, decided on resume.

A node that calls ``interrupt()`` stops its run; the person's answer arrives later as a new
run of the same thread with ``Command(resume=...)``, in this process or another one. Here the
approval waits in memory, keyed by thread and interrupt id, with the span of the run that
paused (the resumed run links to it). A process that did not see the pause finds it in the
checkpointer instead: the checkpoint that holds the pending interrupt tells which task paused
and when its step began, which is when the wait is measured from.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from langgraph.checkpoint.base import BaseCheckpointSaver
from opentelemetry.trace import SpanContext

from swarmscope.conventions.openinference import LANGGRAPH_INTERRUPT_CHANNEL
from swarmscope.instrument.hitl import Approval

MAX_THREADS = 10_000

APPROVED = "approved"
REJECTED = "rejected"
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
}


def decision_of(answer: Any) -> str:
    """The decision a resume value carries: ``True``/``False``, a word ("approved",
    "rejected", "approve", "reject", "yes", "no"...), or a mapping with a ``decision``,
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
    """An interrupt found in the checkpointer: its ids, and when the paused step began."""

    interrupt_ids: tuple[str, ...]
    requested_at: float


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


def saved_pauses(checkpointer: BaseCheckpointSaver[Any], thread_id: str) -> dict[str, SavedPause]:
    """The thread's pending interrupts in its latest checkpoint, by the task that paused."""
    saved = checkpointer.get_tuple({"configurable": {"thread_id": thread_id, "checkpoint_ns": ""}})
    if saved is None:
        return {}
    requested_at = datetime.fromisoformat(saved.checkpoint["ts"]).timestamp()
    pauses: dict[str, SavedPause] = {}
    for task_id, channel, value in saved.pending_writes or ():
        if channel != LANGGRAPH_INTERRUPT_CHANNEL:
            continue
        ids = tuple(str(getattr(item, "id", "")) for item in value or ())
        pauses[task_id] = SavedPause(ids, requested_at)
    return pauses
