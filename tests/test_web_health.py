"""Health probes: liveness never depends on checks; readiness reports every check's verdict."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx
from fastapi import FastAPI
from starlette.applications import Starlette

from swarmscope.web import HealthChecks, default_health, health_check, instrument_app


def probe(health: HealthChecks, *paths: str) -> list[httpx.Response]:
    app = instrument_app(FastAPI(), health=health)

    async def send() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            return [await client.get(path) for path in paths]

    return asyncio.run(send())


async def passes() -> bool:
    return True


async def says_nothing() -> None:
    await asyncio.sleep(0)


def blocking_ping() -> bool:
    return True


async def refuses() -> bool:
    return False


async def raises() -> bool:
    raise ConnectionError("db down: password=hunter2")


async def hangs() -> bool:
    await asyncio.Event().wait()  # never set: only the timeout ends it
    return True


def test_live_is_200_even_when_a_check_fails(telemetry):
    health = HealthChecks()
    health.register("database", refuses)

    [live] = probe(health, "/health/live")

    assert live.status_code == 200
    assert live.json() == {"status": "alive"}
    assert live.headers["cache-control"] == "no-store"


def test_ready_is_200_when_every_check_passes(telemetry):
    health = HealthChecks()
    health.register("database", passes)
    health.register("memory", says_nothing)
    health.register("crm", blocking_ping)  # a plain function runs in a worker thread

    [ready] = probe(health, "/health/ready")

    assert ready.status_code == 200
    body = ready.json()
    assert body["status"] == "ready"
    assert set(body["checks"]) == {"database", "memory", "crm"}
    for result in body["checks"].values():
        assert result["status"] == "pass"
        assert result["error"] is None
        assert result["duration_ms"] >= 0
    for name in ("database", "memory", "crm"):
        assert telemetry.metric("integration_health_status", integration_name=name) == 1


def test_ready_is_503_and_says_which_check_failed_and_why(telemetry):
    health = HealthChecks()
    health.register("database", passes)
    health.register("crm", refuses)
    health.register("cognee", raises)
    health.register("redis", hangs, timeout=0.05)

    started = time.monotonic()
    [ready] = probe(health, "/health/ready")
    elapsed = time.monotonic() - started

    assert ready.status_code == 503
    body = ready.json()
    assert body["status"] == "not_ready"
    checks = body["checks"]
    assert checks["database"]["status"] == "pass"
    assert checks["crm"] == {
        "status": "fail",
        "duration_ms": checks["crm"]["duration_ms"],
        "error": "check returned False",
    }
    assert checks["cognee"]["status"] == "fail"
    assert checks["cognee"]["error"].startswith("ConnectionError: db down")
    assert "hunter2" not in checks["cognee"]["error"]  # probe bodies are scrubbed
    assert checks["redis"]["status"] == "fail"
    assert checks["redis"]["error"] == "timed out after 0.05s"
    assert checks["redis"]["duration_ms"] >= 50
    assert elapsed < 5  # the hung check cost its timeout, nothing more
    assert telemetry.metric("integration_health_status", integration_name="database") == 1
    for name in ("crm", "cognee", "redis"):
        assert telemetry.metric("integration_health_status", integration_name=name) == 0


def test_checks_run_concurrently(telemetry):
    health = HealthChecks()
    both_started = asyncio.Event()
    arrived: list[str] = []

    def meeting(name: str) -> Any:
        async def check() -> bool:
            arrived.append(name)
            if len(arrived) == 2:
                both_started.set()
            await both_started.wait()  # passes only if the other check is running too
            return True

        return check

    health.register("a", meeting("a"), timeout=5)
    health.register("b", meeting("b"), timeout=5)

    ok, results = asyncio.run(health.run())

    assert ok is True
    assert {name: r["status"] for name, r in results.items()} == {"a": "pass", "b": "pass"}


def test_a_change_of_health_is_logged_once(telemetry):
    health = HealthChecks()
    state = {"up": True}

    async def flapping() -> bool:
        return state["up"]

    health.register("zoho-crm", flapping)
    asyncio.run(health.run())
    state["up"] = False
    asyncio.run(health.run())
    asyncio.run(health.run())

    changes = [
        (e["integration"], e["healthy"])
        for e in telemetry.events("integration_health_changed")
        if e["integration"] == "zoho-crm"
    ]
    assert changes[-2:] == [("zoho-crm", True), ("zoho-crm", False)]


def test_health_check_decorator_registers_with_a_registry(telemetry):
    health = HealthChecks()

    @health_check("vector-store", timeout=0.5, registry=health)
    async def vector_store() -> bool:
        return True

    assert health.names == ["vector-store"]
    assert asyncio.run(vector_store()) is True  # the function itself is unchanged


def test_health_check_decorator_defaults_to_the_module_registry(telemetry):
    @health_check("default-registry-probe")
    async def probe_check() -> bool:
        return False

    try:
        [ready] = probe(default_health, "/health/ready")
        assert ready.status_code == 503
        assert ready.json()["checks"]["default-registry-probe"]["status"] == "fail"
    finally:
        default_health.unregister("default-registry-probe")
    assert "default-registry-probe" not in default_health.names


def test_probes_mount_on_a_plain_starlette_app(telemetry):
    health = HealthChecks()
    health.register("database", passes)
    app = Starlette(routes=health.routes())

    async def send() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            return [await client.get("/health/live"), await client.get("/health/ready")]

    live, ready = asyncio.run(send())

    assert live.json() == {"status": "alive"}
    assert ready.status_code == 200 and ready.json()["status"] == "ready"


def test_no_checks_means_ready(telemetry):
    [ready] = probe(HealthChecks(), "/health/ready")

    assert ready.status_code == 200
    assert ready.json() == {"status": "ready", "checks": {}}
