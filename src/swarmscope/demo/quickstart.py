"""A small instrumented multi-agent service, driven by its own load, for ``swarmscope demo``.

Three agents analyse an account: a data scout calls a simulated CRM behind a circuit
breaker, a memory analyst consults a cache and an LLM, and a recommendation author asks a
simulated human for approval. Everything is instrumented with swarmscope's public API only,
so this file doubles as an example to copy.
"""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass, field

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

import swarmscope as ss
from swarmscope.web import instrument_app


@dataclass
class World:
    """The simulated outside: a flaky CRM, a cache, slow humans. Seeded, so runs repeat."""

    rng: random.Random
    crm: ss.CircuitBreaker = field(
        default_factory=lambda: ss.CircuitBreaker(
            "zoho", failure_threshold=3, reset_timeout=2.0, tier="standard"
        )
    )
    cache: set[str] = field(default_factory=set)

    async def latency(self, low: float, high: float) -> None:
        await asyncio.sleep(self.rng.uniform(low, high))


async def scout(world: World, account_id: str) -> dict[str, object]:
    async with ss.agent_run("zoho_data_scout", operation="account_analysis", account_id=account_id):
        async with ss.integration_call(
            "zoho", "get_account", tier="standard", breaker=world.crm
        ) as call:
            await world.latency(0.005, 0.03)
            if world.rng.random() < 0.05:
                call.rate_limited(retry_after=1.0)
            elif world.rng.random() < 0.05:
                raise ConnectionError("zoho returned 503")
        async with ss.tool_call("fetch_deals", account_id=account_id):
            await world.latency(0.002, 0.01)
        data = {"account_id": account_id, "deals": world.rng.randint(0, 9)}
        ss.handoff("zoho_data_scout", "memory_analyst", data=data)
        return data


async def analyst(world: World, data: dict[str, object]) -> dict[str, object]:
    async with ss.agent_run("memory_analyst", operation="account_analysis"):
        key = str(data["account_id"])
        ss.cache_lookup("account_history", hit=key in world.cache, duration=0.0004)
        world.cache.add(key)
        async with ss.llm_call("gpt-4o-mini", provider="openai") as llm:
            await world.latency(0.01, 0.05)
            llm.record_usage(
                input_tokens=world.rng.randint(300, 900), output_tokens=world.rng.randint(50, 200)
            )
        insight = {**data, "churn_risk": round(world.rng.random(), 2)}
        ss.handoff("memory_analyst", "recommendation_author", data=insight)
        return insight


async def author(world: World, insight: dict[str, object]) -> str:
    async with ss.agent_run("recommendation_author", operation="account_analysis"):
        async with ss.llm_call("gpt-4o", provider="openai") as llm:
            await world.latency(0.02, 0.08)
            llm.record_usage(
                input_tokens=world.rng.randint(500, 1500), output_tokens=world.rng.randint(100, 400)
            )
        rec = ss.recommendation(
            "upsell",
            priority=world.rng.choice(["low", "high"]),
            confidence=world.rng.uniform(0.55, 0.99),
        )
        async with ss.approval("recommendation", timeout=0.3) as approval:
            answer = asyncio.sleep(world.rng.uniform(0.01, 0.5), result=world.rng.random() < 0.8)
            try:
                approved = await approval.wait(answer)
            except TimeoutError:
                return "timeout"
            approval.resolve("approved" if approved else "rejected")
        rec.approved() if approved else rec.rejected("not_relevant")
        return "approved" if approved else "rejected"


def build_app(world: World) -> Starlette:
    async def analyze(request: Request) -> JSONResponse:
        account_id = request.path_params["account_id"]
        async with ss.orchestration("account_analysis", account_id=account_id):
            data = await scout(world, account_id)
            insight = await analyst(world, data)
            outcome = await author(world, insight)
        return JSONResponse({"account_id": account_id, "outcome": outcome})

    app = Starlette(routes=[Route("/api/accounts/{account_id}/analyze", analyze, methods=["POST"])])
    return instrument_app(app)
