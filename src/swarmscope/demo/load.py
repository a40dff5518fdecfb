"""Simulated people: users who start analyses, approvers who answer (or don't)."""

from __future__ import annotations

import asyncio
import contextlib
import random

import httpx

from swarmscope.demo.world import DemoConfig, account_ids


async def users(
    client: httpx.AsyncClient, config: DemoConfig, rate: float, stop: asyncio.Event
) -> None:
    """Start analyses of random accounts, ``rate`` per second on average (Poisson arrivals)."""
    rng = config.rng("users")
    accounts = account_ids(config.accounts)
    pending: set[asyncio.Task[httpx.Response]] = set()
    while not stop.is_set():
        task = asyncio.create_task(client.post(f"/api/accounts/{rng.choice(accounts)}/analyze"))
        pending.add(task)
        task.add_done_callback(pending.discard)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), rng.expovariate(rate))
    if pending:
        await asyncio.wait(pending, timeout=5.0)


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
