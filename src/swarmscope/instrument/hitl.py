"""Human-in-the-loop approvals: requested, pending, decided or timed out, and how long it took.

An approval is a block of code that waits for a person. Entering it counts the request and
raises the pending gauge; ``resolve`` records the decision and its latency; leaving the block
undecided records a timeout (the block raised ``TimeoutError`` or outlived ``timeout``) or a
cancellation. A wait that outlives the code that asked (a graph paused until a person answers,
maybe in another process) is the same approval without the block: ``start()`` requests it,
``resolve`` decides it and ends its span; a process that resolves a request made elsewhere
passes the request's wall-clock time as ``requested_at``, so the wait is measured from it and
the request is not counted twice. Whichever way it ends, the pending gauge goes back down exactly once: settling
is a check-and-set under the approval's lock, so a resolve on one thread racing a timeout or
the block's exit on another is counted once.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Awaitable
from time import perf_counter
from typing import Any, TypeVar

from opentelemetry.trace import Status, StatusCode

from swarmscope.conventions.attributes import (
    GEN_AI_AGENT_NAME,
    SWARMSCOPE_APPROVAL_DECISION,
    SWARMSCOPE_APPROVAL_ID,
    SWARMSCOPE_APPROVAL_REASON,
    SWARMSCOPE_APPROVAL_TIMEOUT_S,
    SWARMSCOPE_APPROVAL_TYPE,
)
from swarmscope.conventions.spans import HITL_APPROVAL
from swarmscope.instrument.operation import Operation, current_agent, error_fields, safely
from swarmscope.telemetry.runtime import Runtime, current

T = TypeVar("T")


class Approval(Operation):
    """One approval request; ``resolve("approved" | "rejected", reason=None)`` decides it."""

    where = "approval"

    def __init__(
        self,
        approval_type: str,
        agent: str | None = None,
        timeout: float | None = None,
        approval_id: str | None = None,
        *,
        requested_at: float | None = None,
        **attrs: Any,
    ) -> None:
        self.approval_type = approval_type
        self.agent = agent
        self.timeout = timeout
        self.approval_id = approval_id
        self.requested_at = requested_at
        self.attrs = attrs
        self.decision: str | None = None
        self.settled = False
        self._settling = threading.Lock()
        self._agent_name: str | None = None

    def span_name(self) -> str:
        return f"{HITL_APPROVAL} {self.approval_type}"

    def span_attributes(self) -> dict[str, Any]:
        self._agent_name = self.agent or current_agent.get()
        attributes: dict[str, Any] = {SWARMSCOPE_APPROVAL_TYPE: self.approval_type, **self.attrs}
        if self._agent_name:
            attributes[GEN_AI_AGENT_NAME] = self._agent_name
        if self.approval_id:
            attributes[SWARMSCOPE_APPROVAL_ID] = self.approval_id
        if self.timeout is not None:
            attributes[SWARMSCOPE_APPROVAL_TIMEOUT_S] = self.timeout
        return attributes

    def span_start_ns(self) -> int | None:
        return None if self.requested_at is None else int(self.requested_at * 1e9)

    def on_start(self, rt: Runtime) -> None:
        if self.requested_at is not None:
            # Requested (and counted) elsewhere: only the wait since then is ours to measure.
            self._started -= max(0.0, time.time() - self.requested_at)
            return
        rt.metrics["hitl_approvals_requested_total"].child(
            self.approval_type, self._agent_name
        ).inc()
        rt.metrics["hitl_approvals_pending"].child(self.approval_type).inc()
        self.event(rt, "hitl_approval_required", self._fields(timeout_s=self.timeout, **self.attrs))

    def resolve(self, decision: str, reason: str | None = None) -> bool:
        """Record the human's decision; False if the approval was already settled."""
        rt = self._rt
        if rt is None or not self._settle():
            return False
        self.decision = decision

        def record() -> None:
            latency = perf_counter() - self._started
            rt.metrics["hitl_approvals_pending"].child(self.approval_type).dec()
            rt.metrics["hitl_approvals_received_total"].child(
                self.approval_type, decision, self._agent_name
            ).inc()
            rt.metrics["hitl_approval_latency_seconds"].child(
                self.approval_type, self._agent_name
            ).observe(latency)
            self.set_attribute(SWARMSCOPE_APPROVAL_DECISION, decision)
            if reason:
                self.set_attribute(SWARMSCOPE_APPROVAL_REASON, reason)
            self.event(
                rt,
                "hitl_approval_received",
                self._fields(
                    decision=decision,
                    approved=decision == "approved",
                    reason=reason,
                    latency_ms=round(latency * 1000, 3),
                ),
            )

        safely(self.where, record)
        if self._detached:
            self.finish()
        return True

    def expire(self) -> bool:
        """Record that nobody answered in time; False if the approval was already settled."""
        rt = self._rt
        if rt is None or not self._settle():
            return False

        def record() -> None:
            waited = perf_counter() - self._started
            rt.metrics["hitl_approvals_pending"].child(self.approval_type).dec()
            rt.metrics["hitl_approval_timeouts_total"].child(
                self.approval_type, self._agent_name
            ).inc()
            self.set_attribute(SWARMSCOPE_APPROVAL_DECISION, "timeout")
            self.mark_failed("timeout")
            self.span.set_status(Status(StatusCode.ERROR, "approval timed out"))
            self.event(
                rt,
                "hitl_approval_timeout",
                self._fields(timeout_s=self.timeout, waited_ms=round(waited * 1000, 3)),
            )

        safely(self.where, record)
        if self._detached:
            self.finish()
        return True

    async def wait(self, decision: Awaitable[T]) -> T:
        """Await the human's answer, expiring the approval after ``timeout`` seconds."""
        try:
            return await asyncio.wait_for(decision, self.timeout)
        except TimeoutError:
            self.expire()
            raise

    def on_end(self, rt: Runtime, status: str, error: BaseException | None) -> None:
        if self.settled:
            return
        outlived = self.timeout is not None and self.duration >= self.timeout
        if isinstance(error, TimeoutError) or outlived:
            self.expire()
            return
        if not self._settle():
            return
        rt.metrics["hitl_approvals_pending"].child(self.approval_type).dec()
        fields = self._fields(status=status)
        fields |= error_fields(error)
        self.event(rt, "hitl_approval_cancelled", fields)

    def _settle(self) -> bool:
        """Mark the approval settled; True for the one caller that did it."""
        with self._settling:
            if self.settled:
                return False
            self.settled = True
            return True

    def _fields(self, **extra: Any) -> dict[str, Any]:
        fields: dict[str, Any] = {"approval_type": self.approval_type, "agent_id": self._agent_name}
        if self.approval_id:
            fields["approval_id"] = self.approval_id
        fields.update(extra)
        return fields


def approval(
    approval_type: str,
    agent: str | None = None,
    timeout: float | None = None,
    approval_id: str | None = None,
    *,
    requested_at: float | None = None,
    **attrs: Any,
) -> Approval:
    """Instrument one human approval: ``with ss.approval("recommendation") as ap: ap.resolve(...)``,
    or, when the answer comes after the asking code returned, ``ap = ss.approval(...).start()``
    and later ``ap.resolve(...)``."""
    return Approval(approval_type, agent, timeout, approval_id, requested_at=requested_at, **attrs)


def frontend_approval(kind: str, approval_type: str, **fields: Any) -> None:
    """The UI-side approval events: ``kind`` is 'requested' (prompt shown) or 'submitted'."""
    name = "hitl_approval_requested" if kind == "requested" else "hitl_approval_submitted"
    safely("approval", lambda: current().event(name, {"approval_type": approval_type, **fields}))
