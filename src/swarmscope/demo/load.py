"""Simulated people: users who start analyses (some watch them live), approvers who answer
(or don't), and the readiness probe of an orchestrator."""

from __future__ import annotations

import asyncio
import contextlib
import json
import random

import httpx

from swarmscope.demo.world import DemoConfig, account_ids


async def users(
    client: httpx.AsyncClient, config: DemoConfig, rate: float, stop: asyncio.Event
) -> None:
    """Start analyses of random accounts, ``rate`` per second on average (Poisson arrivals)."""
    rng = config.rng("users")
    accounts = account_ids(config.accounts)
    pending: set[asyncio.Task[None]] = set()
    while not stop.is_set():
        watch = rng.random() < 0.3
        # A few accounts get most of the attention (Pareto), as in a real book of business.
        account = accounts[min(int(rng.paretovariate(1.0)) - 1, len(accounts) - 1)]
        task = asyncio.create_task(_analyse(client, account, watch))
        pending.add(task)
        task.add_done_callback(pending.discard)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), rng.expovariate(rate))
    if pending:
        await asyncio.wait(pending, timeout=5.0)


async def _analyse(client: httpx.AsyncClient, account_id: str, watch: bool) -> None:
    """Start one analysis; a watching user follows its AG-UI stream like the page does."""
    with contextlib.suppress(httpx.HTTPError):
        response = await client.post(f"/api/accounts/{account_id}/analyze")
        if not watch or response.status_code != 202:
            return
        run_id = response.json()["run_id"]
        received = []
        async with client.stream("GET", f"/api/runs/{run_id}/events") as stream:
            async for line in stream.aiter_lines():
                if line.startswith("data:"):
                    received.append({"type": json.loads(line[5:])["type"], "run_id": run_id})
        await client.post("/api/frontend/events", json={"events": received})


async def probes(client: httpx.AsyncClient, stop: asyncio.Event, every: float = 2.0) -> None:
    """A readiness probe, as an orchestrator would run it."""
    while not stop.is_set():
        with contextlib.suppress(httpx.HTTPError):
            await client.get("/health/ready")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), every)


async def approvers(client: httpx.AsyncClient, config: DemoConfig, stop: asyncio.Event) -> None:
    """Answer pending approvals after a human-like delay; some are never answered."""
    rng = config.rng("approvers")
    seen: set[str] = set()
    answering: set[asyncio.Task[None]] = set()
    while not stop.is_set():
        with contextlib.suppress(httpx.HTTPError):
            response = await client.get("/api/approvals", params={"status": "pending"})
            for approval in response.json()["approvals"]:
                approval_id = approval["approval_id"]
                if approval_id in seen:
                    continue
                seen.add(approval_id)
                delay = _delay(config, rng)
                if delay is None:
                    continue
                task = asyncio.create_task(_answer(client, approval_id, delay, rng))
                answering.add(task)
                task.add_done_callback(answering.discard)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 0.1)
    for task in answering:
        task.cancel()


def _delay(config: DemoConfig, rng: random.Random) -> float | None:
    """Seconds until a person answers, or None for one who never does."""
    if rng.random() < 0.12:
        return None
    timeout = config.approval_timeout
    if config.has("slow-approvals"):
        return rng.uniform(0.5, 1.6) * timeout
    return rng.uniform(0.05, 0.6) * timeout


async def _answer(
    client: httpx.AsyncClient, approval_id: str, delay: float, rng: random.Random
) -> None:
    await asyncio.sleep(delay)
    decision = "approved" if rng.random() < 0.75 else "rejected"
    body = {"decision": decision, "reason": None if decision == "approved" else "not_relevant"}
    with contextlib.suppress(httpx.HTTPError):
        await client.post(f"/api/approvals/{approval_id}", json=body)
