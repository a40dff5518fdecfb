"""Recommendations the author agent produces, with their confidence, and what people decided.

Recorded on the app's own families (``catalog``) through swarmscope's public calls:
``swarmscope.metric`` for the counters and the confidence histogram, ``swarmscope.event``
for the log events, a span event on the author's span.
"""

from __future__ import annotations

from typing import Any

from opentelemetry import trace

import swarmscope as ss


def confidence_tier(score: float) -> str:
    """Below 0.7 low, below 0.85 medium, else high."""
    if score < 0.7:
        return "low"
    if score < 0.85:
        return "medium"
    return "high"


class Recommendation:
    """A generated recommendation; call ``approved()`` or ``rejected(reason)`` when decided."""

    def __init__(self, recommendation_type: str, priority: str, confidence: float) -> None:
        self.recommendation_type = recommendation_type
        self.priority = priority
        self.confidence = confidence
        self.tier = confidence_tier(confidence)
        self.decided = False

    def approved(self) -> None:
        self._decide(True, None)

    def rejected(self, reason: str = "unspecified") -> None:
        self._decide(False, reason)

    def _decide(self, approved: bool, reason: str | None) -> None:
        if self.decided:
            return
        self.decided = True
        if approved:
            ss.metric("recommendations_approved_total").child(
                self.recommendation_type, self.priority
            ).inc()
        else:
            ss.metric("recommendations_rejected_total").child(
                self.recommendation_type, reason
            ).inc()
        ss.event(
            "recommendation_decided",
            recommendation_type=self.recommendation_type,
            priority=self.priority,
            approved=approved,
            rejection_reason=reason,
        )


def recommendation(
    recommendation_type: str, priority: str, confidence: float, agent: str, **fields: Any
) -> Recommendation:
    """Record a generated recommendation by ``agent``: its type, priority and confidence tier."""
    rec = Recommendation(recommendation_type, priority, float(confidence))
    ss.metric("recommendations_generated_total").child(
        recommendation_type, priority, rec.tier
    ).inc()
    ss.metric("recommendation_confidence_score").child(recommendation_type).observe(rec.confidence)
    span = trace.get_current_span()
    if span.is_recording():
        span.add_event(
            "recommendation",
            {"type": recommendation_type, "priority": priority, "confidence": rec.confidence},
        )
    ss.event(
        "recommendation_generated",
        agent_id=agent,
        recommendation_type=recommendation_type,
        priority=priority,
        confidence=rec.confidence,
        confidence_tier=rec.tier,
        **fields,
    )
    return rec
