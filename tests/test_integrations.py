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
    return telemetry.metric("circuit_breaker_state", integration_name="crm")


def test_breaker_opens_rejects_probes_and_closes(telemetry):
    clock = Clock()
    changes = []
    breaker = ss.CircuitBreaker(
        "crm",
        failure_threshold=2,
        reset_timeout=30,
        tier="tier1",
        clock=clock,
        on_change=lambda b, state: changes.append((b.tier, state)),
    )
    assert breaker_gauge(telemetry) == 0
    for _ in range(2):
        with pytest.raises(ConnectionError):
            with ss.integration_call("crm", "get_accounts", tier="tier1", breaker=breaker):
                raise ConnectionError("503")
    assert breaker.state is ss.BreakerState.OPEN
    assert breaker_gauge(telemetry) == 1
    with pytest.raises(ss.CircuitOpenError):
        with ss.integration_call("crm", "get_accounts", tier="tier1", breaker=breaker):
            pytest.fail("an open breaker must not run the call")
    assert (
        telemetry.metric(
            "integration_calls_total",
            integration_name="crm",
            operation="get_accounts",
            status="circuit_open",
        )
        == 1
    )

    clock.now = 31
    assert breaker.state is ss.BreakerState.HALF_OPEN
    assert breaker_gauge(telemetry) == 2
    with ss.integration_call("crm", "get_accounts", tier="tier1", breaker=breaker):
        assert not breaker.allow(), "one probe at a time while half-open"
    assert breaker.state is ss.BreakerState.CLOSED
    assert breaker_gauge(telemetry) == 0
    names = [line["event"] for line in telemetry.lines() if "circuit_breaker" in line["event"]]
    assert names == [
        "circuit_breaker_opened",
        "circuit_breaker_half_opened",
        "circuit_breaker_closed",
    ]
    # The app's hook saw each change (not the initial closed state).
    assert changes == [
        ("tier1", ss.BreakerState.OPEN),
        ("tier1", ss.BreakerState.HALF_OPEN),
        ("tier1", ss.BreakerState.CLOSED),
    ]


def test_every_integration_is_recorded_by_name_and_the_app_hook_sees_each_outcome(telemetry):
    outcomes = []

    def seen(call, status, error):
        outcomes.append((call.integration, call.operation, status, type(error).__name__))

    with ss.integration_call("crm", "search_deals", tier="tier2", on_outcome=seen) as call:
        call.rate_limited(retry_after=2.0)
    with ss.integration_call("memory_store", "query", on_outcome=seen):
        pass
    with pytest.raises(TimeoutError):
        with ss.integration_call("memory_store", "add", on_outcome=seen):
            raise TimeoutError("slow")
    assert (
        telemetry.metric(
            "integration_calls_total",
            integration_name="crm",
            operation="search_deals",
            status="rate_limited",
        )
        == 1
    )
    assert (
        telemetry.metric(
            "integration_call_duration_seconds_count",
            integration_name="crm",
            operation="search_deals",
        )
        == 1
    )
    assert telemetry.metric("integration_rate_limit_hits_total", integration_name="crm") == 1
    assert (
        telemetry.metric("errors_total", error_type="integration_rate_limit", severity="medium")
        == 1
    )
    assert telemetry.metric("errors_total", error_type="integration_error", severity="medium") == 1
    assert (
        telemetry.metric(
            "integration_calls_total",
            integration_name="memory_store",
            operation="query",
            status="success",
        )
        == 1
    )
    assert outcomes == [
        ("crm", "search_deals", "rate_limited", "NoneType"),
        ("memory_store", "query", "success", "NoneType"),
        ("memory_store", "add", "timeout", "TimeoutError"),
    ]
    events = [line["event"] for line in telemetry.lines()]
    assert {
        "rate_limit_hit",
        "integration_call_started",
        "integration_call_failed",
        "integration_call_completed",
    } <= set(events)
    span = telemetry.span("crm search_deals")
    assert span.kind.name == "CLIENT"
    assert span.attributes["swarmscope.integration.tier"] == "tier2"


def test_integration_health_gauge(telemetry):
    ss.integration_health("zoho", True)
    ss.integration_health("zoho", False)
    ss.integration_health("zoho", False)
    assert telemetry.metric("integration_health_status", integration_name="zoho") == 0
    assert len(telemetry.events("integration_health_changed")) == 2
