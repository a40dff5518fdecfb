"""Orchestrations: one end-to-end request that spawns several agent runs.

Agent runs inside an orchestration count as its steps and as agents spawned for its
operation, without the app reporting either.
"""

from __future__ import annotations

from contextvars import ContextVar, Token
from typing import Any

from swarmscope.conventions.attributes import SWARMSCOPE_OPERATION, SWARMSCOPE_ORCHESTRATION_STEPS
from swarmscope.conventions.spans import ORCHESTRATE
from swarmscope.instrument.operation import Operation, error_fields
from swarmscope.telemetry.runtime import Runtime


class Orchestration(Operation):
    """One orchestration request (``orchestration_*`` metrics, ``orchestration_*`` events)."""

    where = "orchestration"

    def __init__(self, operation: str, **attrs: Any) -> None:
        self.operation = operation
        self.attrs = attrs
        self.steps = 0
        self._context_token: Token[Orchestration | None] | None = None

    def span_name(self) -> str:
        return f"{ORCHESTRATE} {self.operation}"

    def span_attributes(self) -> dict[str, Any]:
        return {SWARMSCOPE_OPERATION: self.operation, **self.attrs}

    def agent_started(self, rt: Runtime, agent: str) -> None:
        self.steps += 1
        rt.metrics["orchestration_agents_spawned_total"].child(self.operation, agent).inc()
        rt.event(
            "agent_spawned",
            {"operation": self.operation, "agent_id": agent, "execution_step": self.steps},
        )

    def on_start(self, rt: Runtime) -> None:
        self._context_token = current_orchestration.set(self)
        rt.metrics["orchestration_parallel_executions"].child(self.operation).inc()
        rt.event("orchestration_started", {"operation": self.operation, **self.attrs})

    def on_end(self, rt: Runtime, status: str, error: BaseException | None) -> None:
        try:
            rt.metrics["orchestration_parallel_executions"].child(self.operation).dec()
            rt.metrics["orchestration_requests_total"].child(self.operation, status).inc()
            rt.metrics["orchestration_duration_seconds"].child(self.operation).observe(
                self.duration
            )
            rt.metrics["orchestration_steps_total"].child(self.operation).observe(self.steps)
            self.set_attribute(SWARMSCOPE_ORCHESTRATION_STEPS, self.steps)
            fields: dict[str, Any] = {
                "operation": self.operation,
                "status": status,
                "total_steps": self.steps,
                "duration_ms": self.duration_ms,
            }
            fields |= error_fields(error)
            name = "orchestration_completed" if status == "success" else "orchestration_failed"
            rt.event(name, fields)
        finally:
            if self._context_token is not None:
                current_orchestration.reset(self._context_token)


current_orchestration: ContextVar[Orchestration | None] = ContextVar(
    "swarmscope_orchestration", default=None
)


def orchestration(operation: str, **attrs: Any) -> Orchestration:
    """Instrument one orchestration (context manager, async context manager or decorator)."""
    return Orchestration(operation, **attrs)
