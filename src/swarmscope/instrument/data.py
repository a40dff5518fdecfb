"""Database queries, connection pools and cache lookups."""

from __future__ import annotations

from typing import Any

from opentelemetry.trace import SpanKind

from swarmscope.conventions.attributes import DB_OPERATION_NAME, DB_SYSTEM_NAME
from swarmscope.instrument.errors import ErrorCategory, ErrorSeverity, record_failure
from swarmscope.instrument.operation import Operation, current_agent, error_fields, safely
from swarmscope.telemetry.runtime import Runtime, current


class DbQuery(Operation):
    """One database query (``db_*`` metrics, ``database_query_*`` events)."""

    where = "db_query"
    span_kind = SpanKind.CLIENT

    def __init__(self, operation: str, system: str | None = None, **attrs: Any) -> None:
        self.operation = operation
        self.system = system
        self.attrs = attrs

    def span_name(self) -> str:
        return f"{self.operation} {self.system}" if self.system else self.operation

    def span_attributes(self) -> dict[str, Any]:
        attributes: dict[str, Any] = {DB_OPERATION_NAME: self.operation, **self.attrs}
        if self.system:
            attributes[DB_SYSTEM_NAME] = self.system
        return attributes

    def on_start(self, rt: Runtime) -> None:
        if rt.logs_at("debug"):
            self.event(
                rt,
                "database_query_started",
                {"operation": self.operation, "db_system": self.system},
            )

    def deadlock(self) -> None:
        """The database reported a deadlock for this query."""
        self.mark_failed("deadlock")
        safely(
            self.where,
            lambda: current().event(
                "database_deadlock_detected",
                {"operation": self.operation, "db_system": self.system},
            ),
        )

    def on_end(self, rt: Runtime, status: str, error: BaseException | None) -> None:
        rt.metrics["db_queries_total"].child(self.operation, status).inc()
        rt.metrics["db_query_duration_seconds"].child(self.operation).observe(self.duration)
        fields: dict[str, Any] = {
            "operation": self.operation,
            "db_system": self.system,
            "status": status,
            "duration_ms": self.duration_ms,
        }
        if status == "success":
            if rt.logs_at("debug"):
                self.event(rt, "database_query_completed", fields)
            return
        record_failure(
            rt,
            error,
            ErrorCategory.DATABASE_ERROR,
            ErrorSeverity.HIGH,
            current_agent.get(),
            self.operation,
        )
        fields |= error_fields(error)
        self.event(rt, "database_query_failed", fields)


def db_query(operation: str, system: str | None = None, **attrs: Any) -> DbQuery:
    """Instrument one database query (``operation``: 'select', 'insert', a named query...)."""
    return DbQuery(operation, system, **attrs)


def db_pool(active: int, total: int) -> None:
    """Publish the connection pool's in-use and total connections."""

    def record() -> None:
        rt = current()
        rt.metrics["db_connections_active"].child().set(active)
        rt.metrics["db_connections_total"].child().set(total)

    safely("db_pool", record)


def cache_lookup(cache: str, hit: bool, duration: float | None = None, **fields: Any) -> None:
    """One cache lookup: hit or miss, and how long it took when known."""

    def record() -> None:
        rt = current()
        rt.metrics["cache_hits_total" if hit else "cache_misses_total"].child(cache).inc()
        if duration is not None:
            rt.metrics["cache_operation_duration_seconds"].child(
                cache, "hit" if hit else "miss"
            ).observe(duration)
        if rt.logs_at("debug"):
            rt.event("cache_lookup", {"cache": cache, "hit": hit, **fields})

    safely("cache", record)
