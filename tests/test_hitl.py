"""HITL approvals: the pending gauge is right however the approval ends."""

from __future__ import annotations

import asyncio

import pytest

import swarmscope as ss


def pending(telemetry) -> float:
    return telemetry.metric("hitl_approvals_pending", approval_type="recommendation")


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


def test_recommendation_decisions(telemetry):
    rec = ss.recommendation("upsell", priority="high", confidence=0.9)
    rec.approved()
    rec.rejected("too late")  # already decided: ignored
    low = ss.recommendation("renewal", priority="low", confidence=0.6)
    low.rejected("not_relevant")
    assert (
        telemetry.metric(
            "recommendations_generated_total",
            recommendation_type="upsell",
            priority="high",
            confidence_tier="high",
        )
        == 1
    )
    assert (
        telemetry.metric(
            "recommendations_generated_total",
            recommendation_type="renewal",
            priority="low",
            confidence_tier="low",
        )
        == 1
    )
    assert (
        telemetry.metric(
            "recommendations_approved_total", recommendation_type="upsell", priority="high"
        )
        == 1
    )
    assert (
        telemetry.metric(
            "recommendations_rejected_total",
            recommendation_type="renewal",
            rejection_reason="not_relevant",
        )
        == 1
    )
    assert (
        telemetry.metric(
            "recommendations_rejected_total",
            recommendation_type="upsell",
            rejection_reason="too late",
        )
        == 0
    )
    assert (
        telemetry.metric(
            "recommendation_confidence_score_bucket", recommendation_type="renewal", le="0.6"
        )
        == 1
    )
