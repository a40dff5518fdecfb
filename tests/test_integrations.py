"""External calls, rate limits and circuit breakers."""

from __future__ import annotations

import pytest

import swarmscope as ss


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def breaker_gauge(telemetry) -> float:
    return telemetry.metric("circuit_breaker_state", integration_name="zoho")


def test_breaker_opens_rejects_probes_and_closes(telemetry):
    clock = Clock()
    breaker = ss.CircuitBreaker(
        "zoho", failure_threshold=2, reset_timeout=30, tier="tier1", clock=clock
    )
    assert breaker_gauge(telemetry) == 0
    for _ in range(2):
        with pytest.raises(ConnectionError):
            with ss.integration_call("zoho", "get_accounts", tier="tier1", breaker=breaker):
                raise ConnectionError("503")
    assert breaker.state is ss.BreakerState.OPEN
    assert breaker_gauge(telemetry) == 1
    assert telemetry.metric("zoho_circuit_breaker_state", tier="tier1") == 1
    with pytest.raises(ss.CircuitOpenError):
        with ss.integration_call("zoho", "get_accounts", tier="tier1", breaker=breaker):
            pytest.fail("an open breaker must not run the call")
    assert (
        telemetry.metric(
            "integration_calls_total",
            integration_name="zoho",
            operation="get_accounts",
            status="circuit_open",
        )
        == 1
    )

    clock.now = 31
    assert breaker.state is ss.BreakerState.HALF_OPEN
    assert breaker_gauge(telemetry) == 2
    with ss.integration_call("zoho", "get_accounts", tier="tier1", breaker=breaker):
        assert not breaker.allow(), "one probe at a time while half-open"
    assert breaker.state is ss.BreakerState.CLOSED
    assert breaker_gauge(telemetry) == 0
    names = [line["event"] for line in telemetry.lines() if "circuit_breaker" in line["event"]]
    assert names == [
        "circuit_breaker_opened",
        "zoho_circuit_breaker_opened",
        "circuit_breaker_half_opened",
        "circuit_breaker_closed",
        "zoho_circuit_breaker_closed",
    ]


def test_named_integration_feeds_plan_families_and_events(telemetry):
    with ss.integration_call("zoho", "search_deals", tier="tier2") as call:
        call.rate_limited(retry_after=2.0)
    with ss.integration_call("cognee", "query"):
        pass
    with ss.integration_call("vector_store", "upsert"):
        pass
    assert (
        telemetry.metric(
            "zoho_api_calls_total", tier="tier2", operation="search_deals", status="rate_limited"
        )
        == 1
    )
    assert (
        telemetry.metric(
            "zoho_api_call_duration_seconds_count", tier="tier2", operation="search_deals"
        )
        == 1
    )
    assert telemetry.metric("integration_rate_limit_hits_total", integration_name="zoho") == 1
    assert telemetry.metric("errors_total", error_type="zoho_rate_limit", severity="medium") == 1
    assert telemetry.metric("cognee_queries_total", operation="query", status="success") == 1
    assert (
        telemetry.metric(
            "integration_calls_total",
            integration_name="vector_store",
            operation="upsert",
            status="success",
        )
        == 1
    )
    events = {line["event"] for line in telemetry.lines()}
    assert {
        "zoho_rate_limit_hit",
        "zoho_api_call_failed",
        "cognee_query_completed",
        "integration_call_completed",
        "zoho_api_call_started",
    } <= events
    span = telemetry.span("zoho search_deals")
    assert span.kind.name == "CLIENT"
    assert span.attributes["swarmscope.integration.tier"] == "tier2"


def test_integration_health_gauge(telemetry):
    ss.integration_health("zoho", True)
    ss.integration_health("zoho", False)
    ss.integration_health("zoho", False)
    assert telemetry.metric("integration_health_status", integration_name="zoho") == 0
    assert len(telemetry.events("integration_health_changed")) == 2
