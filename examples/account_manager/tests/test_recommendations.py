"""Recommendations: counted by type, priority and confidence tier, decided once."""

from __future__ import annotations

from account_manager.recommendations import confidence_tier, recommendation


def test_confidence_tiers():
    assert [confidence_tier(s) for s in (0.5, 0.69, 0.7, 0.84, 0.85, 1.0)] == [
        "low",
        "low",
        "medium",
        "medium",
        "high",
        "high",
    ]


def test_recommendation_decisions(telemetry):
    rec = recommendation("upsell", priority="high", confidence=0.9, agent="author")
    rec.approved()
    rec.rejected("too late")  # already decided: ignored
    low = recommendation("renewal", priority="low", confidence=0.6, agent="author")
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
    [generated, _] = telemetry.events("recommendation_generated")
    assert generated["agent_id"] == "author" and generated["confidence_tier"] == "high"
    [decided, _] = telemetry.events("recommendation_decided")
    assert decided["approved"] is True
