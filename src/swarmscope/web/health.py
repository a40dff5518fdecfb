"""Liveness and readiness probes, and the checks readiness is made of.

Liveness answers "is the process serving at all" and checks nothing: a database outage
must not make an orchestrator restart every replica. Readiness runs the registered checks
(database ping, CRM token, memory store...) concurrently, each under its own timeout, so one
hung dependency costs its timeout and not the sum of them, and answers 503 while any fails,
with every check's verdict in the body for whoever is looking at the probe.

Each verdict is also published as ``integration_health_status{integration_name}`` (1 or 0)
through ``swarmscope.instrument.integrations.integration_health``, which logs the changes,
so dashboards and alerts see the same health the load balancer does.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from time import perf_counter
from typing import Any, TypeVar

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from swarmscope.instrument.integrations import integration_health
from swarmscope.telemetry.runtime import current

CheckResultValue = bool | None
Check = Callable[[], Awaitable[CheckResultValue] | CheckResultValue]
C = TypeVar("C", bound=Check)

LIVE_PATH = "/health/live"
READY_PATH = "/health/ready"
_NO_STORE = {"Cache-Control": "no-store"}


@dataclass(frozen=True)
class CheckResult:
    """One check's verdict: ``error`` says why it failed (scrubbed of secrets)."""

    name: str
    ok: bool
    duration_ms: float
    error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "status": "pass" if self.ok else "fail",
            "duration_ms": self.duration_ms,
            "error": self.error,
        }


@dataclass(frozen=True)
class _Registered:
    check: Callable[[], Awaitable[CheckResultValue]]
    timeout: float


class HealthChecks:
    """A named set of readiness checks and the two probe endpoints that serve them.

    A check is an async callable that fails by returning ``False``, raising, or running past
    its timeout; anything else passes. A plain function is run in a worker thread so a
    blocking client cannot stall the event loop; on timeout that thread is abandoned, not
    stopped, so give blocking clients their own timeouts too.
    """

    def __init__(self) -> None:
        self._checks: dict[str, _Registered] = {}

    @property
    def names(self) -> list[str]:
        return list(self._checks)

    def register(self, name: str, check: Check, timeout: float = 2.0) -> None:
        """Add (or replace) the check called ``name``; ``timeout`` is in seconds."""
        if timeout <= 0:
            raise ValueError(f"health check {name!r}: timeout must be positive, got {timeout}")
        self._checks[name] = _Registered(_as_async(check), timeout)

    def unregister(self, name: str) -> None:
        self._checks.pop(name, None)

    def check(self, name: str, timeout: float = 2.0) -> Callable[[C], C]:
        """Register the decorated function as the check ``name``; it is returned unchanged."""

        def decorate(check: C) -> C:
            self.register(name, check, timeout)
            return check

        return decorate

    async def run(self) -> tuple[bool, dict[str, dict[str, Any]]]:
        """Run every check at once; ``ok`` is true when all passed (or there are none)."""
        checks = list(self._checks.items())
        results = await asyncio.gather(*(_run_one(name, entry) for name, entry in checks))
        for result in results:
            integration_health(result.name, result.ok)
        return all(r.ok for r in results), {r.name: r.as_dict() for r in results}

    async def live(self, request: Request) -> Response:
        """``GET /health/live``: 200 while the process can answer."""
        return JSONResponse({"status": "alive"}, headers=_NO_STORE)

    async def ready(self, request: Request) -> Response:
        """``GET /health/ready``: 200 when every check passes, else 503; both list the checks."""
        ok, checks = await self.run()
        return JSONResponse(
            {"status": "ready" if ok else "not_ready", "checks": checks},
            status_code=200 if ok else 503,
            headers=_NO_STORE,
        )

    def routes(self, live_path: str = LIVE_PATH, ready_path: str = READY_PATH) -> list[Route]:
        """The two probes as Starlette routes, for ``Router(routes=...)`` or an app's routes."""
        return [
            Route(live_path, self.live, methods=["GET"], name="swarmscope_health_live"),
            Route(ready_path, self.ready, methods=["GET"], name="swarmscope_health_ready"),
        ]


async def _run_one(name: str, entry: _Registered) -> CheckResult:
    started = perf_counter()
    error: str | None = None
    try:
        result = await asyncio.wait_for(entry.check(), entry.timeout)
        if result is False:
            error = "check returned False"
    except TimeoutError:
        error = f"timed out after {entry.timeout:g}s"
    except Exception as exc:
        error = _describe(exc)
    duration_ms = round((perf_counter() - started) * 1000, 3)
    return CheckResult(name, error is None, duration_ms, error)


def _describe(exc: Exception) -> str:
    """The exception as text, scrubbed: the probe body is often readable from outside."""
    text = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    try:
        return current().redactor.text(text)
    except Exception:
        return type(exc).__name__


def _as_async(check: Check) -> Callable[[], Awaitable[CheckResultValue]]:
    if inspect.iscoroutinefunction(check) or inspect.iscoroutinefunction(
        getattr(check, "__call__", None)  # noqa: B004 - an async callable object
    ):
        return check  # type: ignore[return-value]

    async def in_thread() -> CheckResultValue:
        result = await asyncio.to_thread(check)
        if inspect.isawaitable(result):
            result = await result
        return result

    return in_thread


default_health = HealthChecks()


def health_check(
    name: str, timeout: float = 2.0, *, registry: HealthChecks | None = None
) -> Callable[[C], C]:
    """Register a readiness check with the default registry (or ``registry``)::

    @health_check("database", timeout=1.0)
    async def database() -> bool:
        return await db.ping()
    """
    return (registry or default_health).check(name, timeout)
