"""Calls to external systems (CRM, vector store, any HTTP API), rate limits and circuit breakers.

Every call feeds the ``integration_*`` families, labelled with the integration's name, and
logs the ``integration_call_*`` events. A ``CircuitBreaker`` publishes its state as a gauge
on every change, and calls ``on_change`` (an app's own families of an integration hang there,
as ``record`` hooks do on a call).
"""

from __future__ import annotations

import enum
import threading
import time
from collections.abc import Callable
from typing import Any, Self

from opentelemetry.trace import SpanKind

from swarmscope.exceptions import CircuitOpenError
from swarmscope.instrument.errors import ErrorCategory, ErrorSeverity, record_failure
from swarmscope.instrument.operation import Operation, current_agent, error_fields, safely
from swarmscope.telemetry.runtime import Runtime, current

RATE_LIMITED = "rate_limited"
CIRCUIT_OPEN = "circuit_open"


class BreakerState(enum.IntEnum):
    """The gauge's values: 0 closed, 1 open, 2 half-open."""

    CLOSED = 0
    OPEN = 1
    HALF_OPEN = 2


class CircuitBreaker:
    """Opens after ``failure_threshold`` consecutive failures, lets one probe through after
    ``reset_timeout`` seconds (half-open), and closes again when a probe succeeds.
    ``on_change(breaker, state)`` runs on every change, inside swarmscope's error guard."""

    def __init__(
        self,
        integration: str,
        failure_threshold: int = 5,
        reset_timeout: float = 30.0,
        tier: str | None = None,
        clock: Callable[[], float] = time.monotonic,
        on_change: Callable[[CircuitBreaker, BreakerState], None] | None = None,
    ) -> None:
        if failure_threshold < 1 or reset_timeout <= 0:
            raise ValueError("failure_threshold must be >= 1 and reset_timeout > 0")
        self.integration = integration
        self.tier = tier
        self.failure_threshold = failure_threshold
        self.reset_timeout = reset_timeout
        self._clock = clock
        self._on_change = on_change
        self._lock = threading.Lock()
        self._state = BreakerState.CLOSED
        self._failures = 0
        self._opened_at = 0.0
        self._probing = False
        self._publish(BreakerState.CLOSED, announce=False)

    @property
    def state(self) -> BreakerState:
        with self._lock:
            self._maybe_half_open()
            return self._state

    def allow(self) -> bool:
        """Whether a call may go ahead now (in half-open state, one probe at a time)."""
        with self._lock:
            self._maybe_half_open()
            if self._state is BreakerState.CLOSED:
                return True
            if self._state is BreakerState.HALF_OPEN and not self._probing:
                self._probing = True
                return True
            return False

    def record_success(self) -> None:
        with self._lock:
            self._failures = 0
            self._probing = False
            if self._state is not BreakerState.CLOSED:
                self._move(BreakerState.CLOSED)

    def record_failure(self) -> None:
        with self._lock:
            self._failures += 1
            self._probing = False
            if self._state is BreakerState.HALF_OPEN or (
                self._state is BreakerState.CLOSED and self._failures >= self.failure_threshold
            ):
                self._opened_at = self._clock()
                self._move(BreakerState.OPEN)

    def _maybe_half_open(self) -> None:
        if (
            self._state is BreakerState.OPEN
            and self._clock() - self._opened_at >= self.reset_timeout
        ):
            self._move(BreakerState.HALF_OPEN)

    def _move(self, state: BreakerState) -> None:
        self._state = state
        self._publish(state, announce=True)

    def _publish(self, state: BreakerState, announce: bool) -> None:
        def record() -> None:
            rt = current()
            rt.metrics["circuit_breaker_state"].child(self.integration).set(int(state))
            if not announce:
                return
            if self._on_change is not None:
                self._on_change(self, state)
            word = {BreakerState.OPEN: "opened", BreakerState.CLOSED: "closed"}.get(state)
            fields = {
                "integration": self.integration,
                "tier": self.tier,
                "state": state.name.lower(),
                "consecutive_failures": self._failures,
            }
            rt.event(f"circuit_breaker_{word or 'half_opened'}", fields)

        safely("circuit_breaker", record)


# What an app adds to a finished call: the call (``duration`` in seconds, 0 when an open
# circuit refused it), its status and the error it raised, if any.
OutcomeHook = Callable[["IntegrationCall", str, BaseException | None], None]


class IntegrationCall(Operation):
    """One call to an external system. ``rate_limited()`` marks a 429 answer."""

    where = "integration"
    span_kind = SpanKind.CLIENT

    def __init__(
        self,
        integration: str,
        operation: str,
        tier: str | None = None,
        breaker: CircuitBreaker | None = None,
        on_outcome: OutcomeHook | None = None,
        **attrs: Any,
    ) -> None:
        self.integration = integration
        self.operation = operation
        self.tier = tier
        self.breaker = breaker
        self.on_outcome = on_outcome
        self.attrs = attrs

    def __enter__(self) -> Self:
        self._check_breaker()
        return super().__enter__()

    async def __aenter__(self) -> Self:
        self._check_breaker()
        return await super().__aenter__()

    def _check_breaker(self) -> None:
        if self.breaker is None or self.breaker.allow():
            return
        safely(self.where, lambda: self._record(current(), CIRCUIT_OPEN, 0.0, None))
        raise CircuitOpenError(f"circuit breaker for {self.integration} is open")

    def span_name(self) -> str:
        return f"{self.integration} {self.operation}"

    def span_attributes(self) -> dict[str, Any]:
        attributes: dict[str, Any] = {
            "swarmscope.integration.name": self.integration,
            "swarmscope.integration.operation": self.operation,
            **self.attrs,
        }
        if self.tier:
            attributes["swarmscope.integration.tier"] = self.tier
        return attributes

    def on_start(self, rt: Runtime) -> None:
        if rt.logs_at("debug"):
            self.event(rt, "integration_call_started", self._fields())

    def rate_limited(self, retry_after: float | None = None) -> None:
        """The integration answered 429: counted, logged, and the call marked rate-limited."""
        self.mark_failed(RATE_LIMITED)

        def record() -> None:
            rt = current()
            rt.metrics["integration_rate_limit_hits_total"].child(self.integration).inc()
            fields = self._fields(retry_after_s=retry_after)
            rt.event("rate_limit_hit", fields)

        safely(self.where, record)

    def on_end(self, rt: Runtime, status: str, error: BaseException | None) -> None:
        if self.breaker is not None:
            if status == "success":
                self.breaker.record_success()
            else:
                self.breaker.record_failure()
        self._record(rt, status, self.duration, error)

    def _record(
        self, rt: Runtime, status: str, duration: float, error: BaseException | None
    ) -> None:
        rt.metrics["integration_calls_total"].child(self.integration, self.operation, status).inc()
        rt.metrics["integration_call_duration_seconds"].child(
            self.integration, self.operation
        ).observe(duration)
        if self.on_outcome is not None:
            self.on_outcome(self, status, error)
        fields = self._fields(status=status, duration_ms=round(duration * 1000, 3))
        if status == "success":
            rt.event("integration_call_completed", fields)
            return
        category = (
            ErrorCategory.INTEGRATION_RATE_LIMIT
            if status == RATE_LIMITED
            else ErrorCategory.INTEGRATION_ERROR
        )
        if status != CIRCUIT_OPEN:
            record_failure(
                rt, error, category, ErrorSeverity.MEDIUM, current_agent.get(), self.operation
            )
        fields |= error_fields(error)
        rt.event("integration_call_failed", fields)

    def _fields(self, **extra: Any) -> dict[str, Any]:
        fields: dict[str, Any] = {"integration": self.integration, "operation": self.operation}
        if self.tier:
            fields["tier"] = self.tier
        agent = current_agent.get()
        if agent:
            fields["agent_id"] = agent
        fields.update(extra)
        return fields


def integration_call(
    integration: str,
    operation: str,
    *,
    tier: str | None = None,
    breaker: CircuitBreaker | None = None,
    on_outcome: OutcomeHook | None = None,
    **attrs: Any,
) -> IntegrationCall:
    """Instrument one external call; with ``breaker``, an open circuit raises ``CircuitOpenError``.

    ``on_outcome(call, status, error)`` runs when the call ends (inside its span), or is
    refused by an open circuit: where an app records its own families of this integration.
    """
    return IntegrationCall(integration, operation, tier, breaker, on_outcome, **attrs)


_health: dict[str, bool] = {}


def integration_health(integration: str, healthy: bool) -> None:
    """Publish an integration's health (1 healthy, 0 not); a change is logged."""

    def record() -> None:
        rt = current()
        rt.metrics["integration_health_status"].child(integration).set(1 if healthy else 0)
        if _health.get(integration) is not healthy:
            _health[integration] = healthy
            rt.event("integration_health_changed", {"integration": integration, "healthy": healthy})

    safely("integration_health", record)
