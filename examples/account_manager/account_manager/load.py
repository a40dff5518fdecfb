"""Simulated people: users who start analyses (some watch them live), approvers who answer
(or don't), and the readiness probe of an orchestrator.

Each person sends the bearer token ``account_manager.access`` issued them, and a few percent
of them misbehave as people do: a client still holding its expired token (401, then it
refreshes and retries), a revoked token (401), a user re-running a batch of accounts at once
(429 for those over the limit), an analyst pressing "approve" without the role (403, then an
approver answers). Every choice is drawn from a generator keyed by the seed.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random

import httpx

from account_manager.access import ANALYSTS, APPROVERS, User, token_for
from account_manager.world import DemoConfig, Occasionally, account_ids

BATCH = 7  # accounts a user re-runs at once: more than the rate limit's burst of 5


async def users(
    client: httpx.AsyncClient, config: DemoConfig, rate: float, stop: asyncio.Event
) -> None:
    """Start analyses of random accounts, ``rate`` per second on average (Poisson arrivals)."""
    rng = config.rng("users")
    # Now and then (each on its own dice): a user re-runs a batch of accounts at once, and
    # those over the rate limit get 429; a client still holds its expired token (401, then it
    # refreshes and retries); a revoked token (401, and the user gives up).
    batch = Occasionally(config.rng("batches"), every=50)
    stale = Occasionally(config.rng("stale-tokens"), every=30)
    revoked = Occasionally(config.rng("revoked-tokens"), every=80)
    accounts = account_ids(config.accounts)
    pending: set[asyncio.Task[None]] = set()
    while not stop.is_set():
        watch = rng.random() < 0.3
        user = rng.choice(ANALYSTS)
        headers = _auth(config, user)
        # A few accounts get most of the attention (Pareto), as in a real book of business.
        picked = [accounts[min(int(rng.paretovariate(1.0)) - 1, len(accounts) - 1)]]
        if batch():
            picked += rng.sample(accounts, BATCH - 1)
        if stale():
            headers = {**headers, "Authorization": f"Bearer {token_for(config, user, True)}"}
        if revoked():
            headers = {**headers, "Authorization": "Bearer sst_revoked"}
        fresh = _auth(config, user)
        for account in picked:
            task = asyncio.create_task(_analyse(client, account, watch, headers, fresh))
            pending.add(task)
            task.add_done_callback(pending.discard)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), rng.expovariate(rate))
    if pending:
        await asyncio.wait(pending, timeout=5.0)


def _auth(config: DemoConfig, user: User) -> dict[str, str]:
    return {"Authorization": f"Bearer {token_for(config, user)}", "X-User-Id": user.name}


async def _analyse(
    client: httpx.AsyncClient,
    account_id: str,
    watch: bool,
    headers: dict[str, str],
    fresh: dict[str, str],
) -> None:
    """Start one analysis; a watching user follows its AG-UI stream like the page does."""
    with contextlib.suppress(httpx.HTTPError):
        url = f"/api/accounts/{account_id}/analyze"
        response = await client.post(url, headers=headers)
        if response.status_code == 401 and "sst_revoked" not in headers["Authorization"]:
            response = await client.post(url, headers=fresh)  # the client refreshed its token
        if not watch or response.status_code != 202:
            return
        run_id = response.json()["run_id"]
        received = []
        async with client.stream("GET", f"/api/runs/{run_id}/events", headers=fresh) as stream:
            async for line in stream.aiter_lines():
                if line.startswith("data:"):
                    received.append({"type": json.loads(line[5:])["type"], "run_id": run_id})
        await client.post("/api/frontend/events", json={"events": received}, headers=fresh)


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
    # About one decision in twenty: an analyst presses "approve" first, without the role (403).
    overreach = Occasionally(config.rng("overreach"), every=20)
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
                body, attempts = _who_answers(config, rng, overreach())
                task = asyncio.create_task(_answer(client, approval_id, delay, body, attempts))
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


def _who_answers(
    config: DemoConfig, rng: random.Random, overreach: bool
) -> tuple[dict, list[dict[str, str]]]:
    """The decision, and the headers of each attempt to post it."""
    decision = "approved" if rng.random() < 0.75 else "rejected"
    body = {"decision": decision, "reason": None if decision == "approved" else "not_relevant"}
    attempts = [_auth(config, rng.choice(APPROVERS))]
    if overreach:
        attempts.insert(0, _auth(config, rng.choice(ANALYSTS)))
    return body, attempts


async def _answer(
    client: httpx.AsyncClient,
    approval_id: str,
    delay: float,
    body: dict,
    attempts: list[dict[str, str]],
) -> None:
    await asyncio.sleep(delay)
    with contextlib.suppress(httpx.HTTPError):
        for headers in attempts:
            await client.post(f"/api/approvals/{approval_id}", json=body, headers=headers)
