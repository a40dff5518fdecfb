"""Runs, their AG-UI event streams, and the approvals people answer.

A run keeps every AG-UI event it emitted, so a client that connects late still gets the
whole stream from the start; subscribers wait on a condition for new events.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from ag_ui.core import BaseEvent, EventType

import swarmscope as ss

TERMINAL = frozenset({EventType.RUN_FINISHED, EventType.RUN_ERROR})


@dataclass
class Run:
    run_id: str
    thread_id: str
    account_id: str
    trace_id: str
    # How many runs of this account this service started before: with the seed, it makes
    # a run's choices repeatable (run ids are random, so they cannot).
    sequence: int = 0
    status: str = "running"
    created: float = field(default_factory=time.time)
    finished: float | None = None
    result: dict[str, Any] | None = None
    error: str | None = None
    events: list[BaseEvent] = field(default_factory=list)
    changed: asyncio.Condition = field(default_factory=asyncio.Condition)

    def summary(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "account_id": self.account_id,
            "trace_id": self.trace_id,
            "status": self.status,
            "created": self.created,
            "finished": self.finished,
            "result": self.result,
            "error": self.error,
            "events": len(self.events),
        }


@dataclass
class PendingApproval:
    approval_id: str
    run_id: str
    account_id: str
    recommendation: dict[str, Any]
    created: float = field(default_factory=time.time)
    status: str = "pending"
    decision: str | None = None
    reason: str | None = None
    decided: float | None = None
    answer: asyncio.Future[tuple[str, str | None]] | None = None

    def summary(self) -> dict[str, Any]:
        return {
            "approval_id": self.approval_id,
            "run_id": self.run_id,
            "account_id": self.account_id,
            "recommendation": self.recommendation,
            "status": self.status,
            "decision": self.decision,
            "reason": self.reason,
            "created": self.created,
            "decided": self.decided,
            "latency_s": None if self.decided is None else round(self.decided - self.created, 3),
        }


class AlreadyDecided(Exception):
    """The approval was decided (or expired) before; deciding again is a conflict."""


class RunStore:
    """In-memory runs and approvals of one service instance (bounded: oldest runs go first)."""

    def __init__(self, max_runs: int = 2000) -> None:
        self.runs: dict[str, Run] = {}
        self.approvals: dict[str, PendingApproval] = {}
        self._max_runs = max_runs
        self._per_account: dict[str, int] = {}

    def create(self, account_id: str, trace_id: str) -> Run:
        run = Run(
            run_id=f"run_{uuid.uuid4().hex[:12]}",
            thread_id=f"thread_{account_id}",
            account_id=account_id,
            trace_id=trace_id,
            sequence=self._per_account.get(account_id, 0),
        )
        self._per_account[account_id] = run.sequence + 1
        self.runs[run.run_id] = run
        while len(self.runs) > self._max_runs:
            oldest = next(iter(self.runs))
            self.runs.pop(oldest)
            for approval_id in [a for a, p in self.approvals.items() if p.run_id == oldest]:
                del self.approvals[approval_id]
        return run

    async def emit(self, run: Run, event: BaseEvent, agent: str | None = None) -> None:
        ss.ag_ui_event(event.type.value, agent=agent)
        async with run.changed:
            run.events.append(event)
            run.changed.notify_all()

    async def follow(self, run: Run) -> AsyncIterator[BaseEvent]:
        """Every event of the run from the first, then new ones until the run ends."""
        index = 0
        while True:
            async with run.changed:
                while index >= len(run.events):
                    await run.changed.wait()
                batch = run.events[index:]
            index += len(batch)
            for event in batch:
                yield event
                if event.type in TERMINAL:
                    return

    def request_approval(
        self, run: Run, recommendation: dict[str, Any], approval_id: str | None = None
    ) -> PendingApproval:
        approval = PendingApproval(
            approval_id=approval_id or f"apr_{uuid.uuid4().hex[:12]}",
            run_id=run.run_id,
            account_id=run.account_id,
            recommendation=recommendation,
            answer=asyncio.get_running_loop().create_future(),
        )
        self.approvals[approval.approval_id] = approval
        return approval

    def decide(self, approval_id: str, decision: str, reason: str | None) -> PendingApproval:
        """Record a person's decision; ``KeyError`` if unknown, ``AlreadyDecided`` if settled."""
        approval = self.approvals[approval_id]
        if approval.status != "pending" or approval.answer is None or approval.answer.done():
            raise AlreadyDecided(approval_id)
        approval.status, approval.decision, approval.reason = decision, decision, reason
        approval.decided = time.time()
        approval.answer.set_result((decision, reason))
        return approval

    def expire(self, approval: PendingApproval) -> None:
        if approval.status == "pending":
            approval.status = "timeout"
            approval.decided = time.time()
