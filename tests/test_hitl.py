"""HITL approvals: the pending gauge is right however the approval ends."""

from __future__ import annotations

import asyncio
import sys
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

import swarmscope as ss
from swarmscope.instrument.hitl import Approval


def pending(telemetry) -> float:
    return telemetry.metric("hitl_approvals_pending", approval_type="recommendation")


def decided(telemetry, decision: str, agent: str = "author") -> float:
    return telemetry.metric(
        "hitl_approvals_received_total",
        approval_type="recommendation",
        decision=decision,
        agent_type=agent,
    )


def test_resolved_approval_counts_decision_and_latency(telemetry):
    with ss.agent_run("recommendation_author"):
        with ss.approval("recommendation", approval_id="ap-1") as ap:
            assert pending(telemetry) == 1
            assert ap.resolve("approved", reason="looks right")
            assert not ap.resolve("rejected"), "a second decision is ignored"
    assert pending(telemetry) == 0
    assert (
        telemetry.metric(
            "hitl_approvals_requested_total",
            approval_type="recommendation",
            agent_type="recommendation_author",
        )
        == 1
    )
    assert (
        telemetry.metric(
            "hitl_approvals_received_total",
            approval_type="recommendation",
            decision="approved",
            agent_type="recommendation_author",
        )
        == 1
    )
    assert (
        telemetry.metric(
            "hitl_approval_latency_seconds_count",
            approval_type="recommendation",
            agent_type="recommendation_author",
        )
        == 1
    )
    span = telemetry.span("hitl_approval recommendation")
    assert span.attributes["swarmscope.approval.decision"] == "approved"
    [required] = telemetry.events("hitl_approval_required")
    [received] = telemetry.events("hitl_approval_received")
    assert required["approval_id"] == received["approval_id"] == "ap-1"
    assert received["approved"] is True and received["span_id"] == f"{span.context.span_id:016x}"


def test_timeout_through_wait_counts_timeout(telemetry):
    async def scenario() -> None:
        never = asyncio.get_running_loop().create_future()
        async with ss.approval("recommendation", agent="author", timeout=0.05) as ap:
            with pytest.raises(TimeoutError):
                await ap.wait(never)

    asyncio.run(scenario())
    assert pending(telemetry) == 0
    assert (
        telemetry.metric(
            "hitl_approval_timeouts_total", approval_type="recommendation", agent_type="author"
        )
        == 1
    )
    [timeout] = telemetry.events("hitl_approval_timeout")
    assert timeout["timeout_s"] == 0.05
    assert telemetry.span("hitl_approval recommendation").status.status_code.name == "ERROR"


def test_block_outliving_its_timeout_is_a_timeout(telemetry):
    import time

    with ss.approval("recommendation", agent="author", timeout=0.01):
        time.sleep(0.02)
    assert pending(telemetry) == 0
    assert (
        telemetry.metric(
            "hitl_approval_timeouts_total", approval_type="recommendation", agent_type="author"
        )
        == 1
    )


def test_exception_and_cancellation_release_the_pending_gauge(telemetry):
    with pytest.raises(RuntimeError):
        with ss.approval("recommendation", agent="author"):
            raise RuntimeError("ui went away")
    assert pending(telemetry) == 0

    async def scenario() -> None:
        started = asyncio.Event()

        async def waiter() -> None:
            async with ss.approval("recommendation", agent="author"):
                started.set()
                await asyncio.sleep(10)

        task = asyncio.create_task(waiter())
        await started.wait()
        assert pending(telemetry) == 1
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(scenario())
    assert pending(telemetry) == 0
    cancelled = telemetry.events("hitl_approval_cancelled")
    assert [event["status"] for event in cancelled] == ["failure", "cancelled"]
    assert (
        telemetry.metric(
            "hitl_approval_timeouts_total", approval_type="recommendation", agent_type="author"
        )
        == 0
    )


class ResolvedWhileExiting(Approval):
    """An approval whose block's exit lets a resolve on another thread run to its end midway:
    the exit reads ``timeout`` after it has looked at whether the approval is settled."""

    exiting = False

    @property
    def timeout(self) -> float | None:
        if self.exiting:
            self.exiting = False
            resolver = threading.Thread(target=self.resolve, args=("approved",))
            resolver.start()
            resolver.join()
        return self._timeout

    @timeout.setter
    def timeout(self, value: float | None) -> None:
        self._timeout = value


def test_a_resolve_during_the_blocks_exit_settles_once(telemetry):
    with ResolvedWhileExiting("recommendation", agent="author") as ap:
        ap.exiting = True
    assert ap.decision == "approved"
    assert pending(telemetry) == 0
    assert decided(telemetry, "approved") == 1
    assert telemetry.events("hitl_approval_cancelled") == []


def race(barrier: threading.Barrier, ap: Approval, decision: str) -> bool:
    barrier.wait()
    return ap.resolve(decision)


def test_concurrent_settling_lowers_the_gauge_once(telemetry):
    """Threads racing to resolve one approval, and its block's exit, settle it exactly once."""
    rounds, racers = 100, 6
    wins: list[bool] = []
    previous = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as possible, to open any window
    try:
        with ThreadPoolExecutor(racers) as pool:
            for _ in range(rounds):
                barrier = threading.Barrier(racers + 1)

                with ss.approval("recommendation", agent="author") as ap:
                    decisions = ("approved", "rejected") * (racers // 2)
                    futures = [pool.submit(race, barrier, ap, decision) for decision in decisions]
                    barrier.wait()  # the block ends while the resolves run
                wins.extend(future.result() for future in futures)
    finally:
        sys.setswitchinterval(previous)

    assert pending(telemetry) == 0
    decided_total = decided(telemetry, "approved") + decided(telemetry, "rejected")
    cancelled = len(telemetry.events("hitl_approval_cancelled"))
    # Each round ends once: by one resolve or by the block's exit, never by both.
    assert decided_total + cancelled == rounds
    assert sum(wins) == decided_total
    assert len(telemetry.events("hitl_approval_received")) == decided_total


def test_an_approval_started_without_a_block_ends_when_resolved(telemetry):
    ap = ss.approval("recommendation", agent="author", approval_id="ap-open").start()
    assert pending(telemetry) == 1
    assert not [s for s in telemetry.spans() if s.name == "hitl_approval recommendation"]
    assert ap.resolve("rejected")
    assert pending(telemetry) == 0
    assert decided(telemetry, "rejected") == 1
    span = telemetry.span("hitl_approval recommendation")
    assert span.attributes["swarmscope.approval.decision"] == "rejected"


def test_an_approval_requested_elsewhere_is_measured_from_its_request(telemetry):
    import time

    asked = time.time() - 30
    ap = ss.approval("recommendation", agent="author", requested_at=asked).start()
    assert ap.resolve("approved")
    labels = {"approval_type": "recommendation", "agent_type": "author"}
    assert telemetry.metric("hitl_approvals_requested_total", **labels) == 0
    assert telemetry.metric("hitl_approval_latency_seconds_sum", **labels) >= 30
    assert decided(telemetry, "approved") == 1
    span = telemetry.span("hitl_approval recommendation")
    assert span.start_time == int(asked * 1e9)
    assert telemetry.events("hitl_approval_required") == []
