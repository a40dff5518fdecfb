"""The CRM's and the memory store's own families and events, beside swarmscope's generic ones.

``swarmscope.integration_call`` records every call on the ``integration_*`` families by
integration name. The teams that run this app also read Zoho's calls by API tier and
Cognee's queries on families of their own (``catalog``): these hooks record them when a call
ends (``on_outcome``) and when the CRM's breaker changes state (``on_change``).
"""

from __future__ import annotations

from typing import Any

import swarmscope as ss
from swarmscope.instrument.integrations import IntegrationCall

CRM, MEMORY = "zoho", "cognee"
# The recovery from the CRM's 429s, as the app categorises it.
CRM_RATE_LIMIT = "zoho_rate_limit"


def _outcome_fields(
    call: IntegrationCall, status: str, error: BaseException | None
) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "integration": call.integration,
        "operation": call.operation,
        "status": status,
        "duration_ms": call.duration_ms,
    }
    if call.tier:
        fields["tier"] = call.tier
    if error is not None:
        fields |= {"error_type": type(error).__name__, "error_message": str(error)}
    return fields


def crm_outcome(call: IntegrationCall, status: str, error: BaseException | None) -> None:
    """``zoho_api_calls_total`` and its duration by tier, and the ``zoho_api_call_*`` events."""
    ss.metric("zoho_api_calls_total").child(call.tier, call.operation, status).inc()
    ss.metric("zoho_api_call_duration_seconds").child(call.tier, call.operation).observe(
        call.duration
    )
    outcome = "completed" if status == "success" else "failed"
    ss.event(f"zoho_api_call_{outcome}", **_outcome_fields(call, status, error))


def crm_breaker_changed(breaker: ss.CircuitBreaker, state: ss.BreakerState) -> None:
    """``zoho_circuit_breaker_state`` by tier, and the opened/closed events."""
    ss.metric("zoho_circuit_breaker_state").child(breaker.tier).set(int(state))
    word = {ss.BreakerState.OPEN: "opened", ss.BreakerState.CLOSED: "closed"}.get(state)
    if word is not None:
        ss.event(
            f"zoho_circuit_breaker_{word}",
            integration=breaker.integration,
            tier=breaker.tier,
            state=state.name.lower(),
        )


def memory_outcome(call: IntegrationCall, status: str, error: BaseException | None) -> None:
    """``cognee_queries_total`` and its duration, and the ``cognee_query_*`` events."""
    ss.metric("cognee_queries_total").child(call.operation, status).inc()
    ss.metric("cognee_query_duration_seconds").child(call.operation).observe(call.duration)
    outcome = "completed" if status == "success" else "failed"
    ss.event(f"cognee_query_{outcome}", **_outcome_fields(call, status, error))


def memory_call(operation: str) -> IntegrationCall:
    """One instrumented call to the memory store."""
    return ss.integration_call(MEMORY, operation, on_outcome=memory_outcome)
