"""Security and audit events: audit trail, authentication failures, RBAC, guardrails, and
requests a local rate limiter refused."""

from __future__ import annotations

from typing import Any

from swarmscope.conventions.attributes import AUDIT_EVENT_TYPE, AUDIT_OUTCOME
from swarmscope.conventions.spans import (
    EVENT_AUDIT,
    EVENT_AUTH_FAILED,
    EVENT_GUARDRAIL_VIOLATION,
    EVENT_RATE_LIMIT_REJECTED,
    EVENT_RBAC_DENIED,
)
from swarmscope.instrument.operation import safely, span_event
from swarmscope.telemetry.runtime import current


def audit(event_type: str, outcome: str = "success", **fields: Any) -> None:
    """One audited action (``event_type`` like 'MCP_TOOL_INVOKE_ATTEMPT'; outcome a short word)."""

    def record() -> None:
        rt = current()
        rt.metrics["audit_events_total"].child(event_type, outcome).inc()
        span_event(EVENT_AUDIT, {AUDIT_EVENT_TYPE: event_type, AUDIT_OUTCOME: outcome})
        rt.event("audit_event", {"audit_event_type": event_type, "outcome": outcome, **fields})

    safely("audit", record)


def auth_failure(reason: str, **fields: Any) -> None:
    """A request failed authentication (``reason``: 'missing_token', 'expired', 'invalid'...)."""

    def record() -> None:
        rt = current()
        rt.metrics["auth_failures_total"].child(reason).inc()
        rt.metrics["audit_events_total"].child("AUTH_GATEWAY_VALIDATION", "failure").inc()
        span_event(EVENT_AUTH_FAILED, {"reason": reason})
        rt.event("auth_failed", {"reason": reason, **fields})

    safely("auth", record)


def rbac_denied(resource: str, role: str, **fields: Any) -> None:
    """Role ``role`` was refused access to ``resource``."""

    def record() -> None:
        rt = current()
        rt.metrics["rbac_denials_total"].child(resource, role).inc()
        rt.metrics["audit_events_total"].child("MCP_TOOL_INVOKE_ATTEMPT", "error_forbidden").inc()
        span_event(EVENT_RBAC_DENIED, {"resource": resource, "role": role})
        rt.event("rbac_denied", {"resource": resource, "role": role, **fields})

    safely("rbac", record)


def rate_limit_rejected(key: str, **fields: Any) -> None:
    """A local rate limiter refused a request; ``key`` names who or what was limited."""

    def record() -> None:
        rt = current()
        rt.metrics["rate_limit_rejections_total"].child(key).inc()
        span_event(EVENT_RATE_LIMIT_REJECTED, {"key": key})
        rt.event("rate_limit_rejected", {"key": key, **fields})

    safely("rate_limit", record)


def guardrail_violation(guardrail: str, action: str = "blocked", **fields: Any) -> None:
    """A guardrail flagged input or output; ``action`` is what was done about it."""

    def record() -> None:
        rt = current()
        rt.metrics["guardrail_violations_total"].child(guardrail, action).inc()
        rt.metrics["audit_events_total"].child("GUARDRAIL_VIOLATION_DETECTED", action).inc()
        span_event(EVENT_GUARDRAIL_VIOLATION, {"guardrail": guardrail, "action": action})
        rt.event(
            "guardrail_violation_detected", {"guardrail": guardrail, "action": action, **fields}
        )

    safely("guardrail", record)
