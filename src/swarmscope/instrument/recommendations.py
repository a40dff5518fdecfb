"""Recommendations an agent produces, with their confidence, and what humans decided about them."""

from __future__ import annotations

from typing import Any

from opentelemetry import trace

from swarmscope.conventions.catalog import confidence_tier
from swarmscope.instrument.operation import current_agent, safely
from swarmscope.telemetry.runtime import current


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

        def record() -> None:
            rt = current()
            if approved:
                rt.metrics["recommendations_approved_total"].child(
                    self.recommendation_type, self.priority
                ).inc()
            else:
                rt.metrics["recommendations_rejected_total"].child(
                    self.recommendation_type, reason
                ).inc()
            rt.event(
                "recommendation_decided",
                {
                    "recommendation_type": self.recommendation_type,
                    "priority": self.priority,
                    "approved": approved,
                    "rejection_reason": reason,
                },
            )

        safely("recommendation", record)


def recommendation(
    recommendation_type: str,
    priority: str,
    confidence: float,
    agent: str | None = None,
    **fields: Any,
) -> Recommendation:
    """Record a generated recommendation (plan 1: type, priority, confidence tier)."""
    rec = Recommendation(recommendation_type, priority, float(confidence))

    def record() -> None:
        rt = current()
        rt.metrics["recommendations_generated_total"].child(
            recommendation_type, priority, rec.tier
        ).inc()
        rt.metrics["recommendation_confidence_score"].child(recommendation_type).observe(
            rec.confidence
        )
        span = trace.get_current_span()
        if span.is_recording():
            span.add_event(
                "recommendation",
                {"type": recommendation_type, "priority": priority, "confidence": rec.confidence},
            )
        rt.event(
            "recommendation_generated",
            {
                "agent_id": agent or current_agent.get(),
                "recommendation_type": recommendation_type,
                "priority": priority,
                "confidence": rec.confidence,
                "confidence_tier": rec.tier,
                **fields,
            },
        )

    safely("recommendation", record)
    return rec
