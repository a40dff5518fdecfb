"""The orchestrator and its three agents: ZohoDataScout -> MemoryAnalyst -> RecommendationAuthor.

Telemetry comes only from swarmscope's public API, so this reads as an example to copy:
``agent_run`` around each agent, ``tool_call``/``mcp_tool`` around its tools, ``llm_call``
around each model request, ``handoff`` between agents, ``approval`` around the wait for a
human, ``a2a_delegation`` around the call to the compliance service. The orchestrator runs the
three agents as the nodes of a ``workflow``, and ``route`` records whether each recommendation
goes to a person, is approved automatically or is blocked. ``graph`` runs the same agents as
a LangGraph graph and shares what is not about how they are written: the support desk, the
compliance check, the drafting, triage and decision of recommendations, the memory, the
requests for approval that the API lists (``Services.analysis`` says which of the two runs).
"""

from __future__ import annotations

import asyncio
import json
import random
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
from ag_ui.core import (
    CustomEvent,
    RunErrorEvent,
    RunFinishedEvent,
    RunStartedEvent,
    StateDeltaEvent,
    StepFinishedEvent,
    StepStartedEvent,
    TextMessageContentEvent,
    TextMessageEndEvent,
    TextMessageStartEvent,
    ToolCallArgsEvent,
    ToolCallEndEvent,
    ToolCallResultEvent,
    ToolCallStartEvent,
)

import swarmscope as ss
from account_manager.access import Access
from account_manager.crm import ZohoClient
from account_manager.integrations import memory_call
from account_manager.llm import SimulatedLLM
from account_manager.memory import MemoryStore
from account_manager.recommendations import recommendation
from account_manager.runs import PendingApproval, Run, RunStore
from account_manager.world import DemoConfig, Occasionally

SCOUT, ANALYST, AUTHOR = "zoho_data_scout", "memory_analyst", "recommendation_author"
OPERATION = "account_analysis"
WORKFLOW = "account_analysis"
# Where a recommendation goes (the routes recorded for it).
BLOCKED, HUMAN_REVIEW, AUTO_APPROVE = "compliance_blocked", "human_review", "auto_approve"
AUTO_APPROVED = ("approved", "auto-approved: confident and not high priority")


@dataclass
class Services:
    """Everything the agents use; one per service instance."""

    config: DemoConfig
    crm: ZohoClient
    llm: SimulatedLLM
    memory: MemoryStore
    runs: RunStore
    http: httpx.AsyncClient
    access: Access
    prompt_cache: dict[str, str] = field(default_factory=dict)
    running: set[asyncio.Task[None]] = field(default_factory=set)  # the runs under way
    background: set[asyncio.Task[None]] = field(default_factory=set)  # fire-and-forget jobs
    waiting: int = 0
    credential_expires: float | None = None  # when the support desk's MCP token lapses
    mail_resets: Occasionally | None = None  # the mail gateway drops one connection in 30
    # How one account is analysed, if not by ``hand_written``: a framework's (``graph``).
    analysis: Callable[[Services, Step], Awaitable[dict[str, Any]]] | None = None
    _slots: asyncio.Semaphore | None = None

    @property
    def slots(self) -> asyncio.Semaphore:
        """At most ``max_concurrent_runs`` analyses at once; the rest wait in a queue."""
        if self._slots is None:
            self._slots = asyncio.Semaphore(self.config.max_concurrent_runs)
        return self._slots


class Step:
    """AG-UI helpers bound to one run."""

    def __init__(self, services: Services, run: Run) -> None:
        self.runs = services.runs
        self.run = run

    async def emit(self, event: Any, agent: str | None = None) -> None:
        await self.runs.emit(self.run, event, agent)

    async def tool(self, agent: str, name: str, args: str, result: str) -> None:
        call_id = f"call_{uuid.uuid4().hex[:10]}"
        await self.emit(ToolCallStartEvent(tool_call_id=call_id, tool_call_name=name), agent)
        await self.emit(ToolCallArgsEvent(tool_call_id=call_id, delta=args), agent)
        await self.emit(ToolCallEndEvent(tool_call_id=call_id), agent)
        await self.emit(
            ToolCallResultEvent(message_id=f"msg_{call_id}", tool_call_id=call_id, content=result),
            agent,
        )

    async def say(self, agent: str, text: str) -> None:
        message_id = f"msg_{uuid.uuid4().hex[:10]}"
        await self.emit(TextMessageStartEvent(message_id=message_id, role="assistant"), agent)
        for start in range(0, len(text), 80):
            await self.emit(
                TextMessageContentEvent(message_id=message_id, delta=text[start : start + 80]),
                agent,
            )
        await self.emit(TextMessageEndEvent(message_id=message_id), agent)

    async def progress(self, agent: str, stage: str) -> None:
        # The patch is validated from its JSON form: ag-ui-protocol exports no operation class.
        delta = [{"op": "replace", "path": "/stage", "value": stage}]
        await self.emit(StateDeltaEvent.model_validate({"delta": delta}), agent)


async def ask_llm(
    services: Services, model: str, prompt: str, provider: str = "openai", cached: bool = False
) -> str:
    """One instrumented model request; with ``cached``, a repeated prompt is served from cache."""
    async with ss.llm_call(model, provider=provider) as llm:
        if cached and prompt in services.prompt_cache:
            llm.cache_hit()
            return services.prompt_cache[prompt]
        response = await services.llm.chat.completions.create(
            model=model, messages=[{"role": "user", "content": prompt}], timeout=5.0
        )
        llm.record_usage(
            input_tokens=response.usage.prompt_tokens,
            output_tokens=response.usage.completion_tokens,
            response_model=response.model,
            finish_reason=response.choices[0].finish_reason,
        )
    answer = response.choices[0].message.content
    if cached:
        if len(services.prompt_cache) > 1000:
            services.prompt_cache.clear()
        services.prompt_cache[prompt] = answer
    return answer


async def scout(services: Services, step: Step) -> dict[str, Any]:
    account_id = step.run.account_id
    async with ss.agent_run(SCOUT, operation=OPERATION, account_id=account_id):
        await step.emit(StepStartedEvent(step_name=SCOUT), SCOUT)
        ss.state_transition("idle", "fetching")
        async with ss.tool_call("fetch_account", account_id=account_id):
            account = await services.crm.get_account(account_id)
        async with ss.tool_call("search_deals", account_id=account_id):
            deals = await services.crm.search_deals(account_id)
        await step.tool(
            SCOUT, "search_deals", f'{{"account_id": "{account_id}"}}', f"{len(deals)} deals"
        )
        ss.state_transition("fetching", "done")
        data = {
            "account_id": account_id,
            "tier": account.tier,
            "revenue": account.annual_revenue,
            "deals": deals,
        }
        await step.emit(StepFinishedEvent(step_name=SCOUT), SCOUT)
        ss.handoff(SCOUT, ANALYST, data=data)
        return data


async def analyst(services: Services, step: Step, data: dict[str, Any]) -> dict[str, Any]:
    account_id = step.run.account_id
    async with ss.agent_run(ANALYST, operation=OPERATION, account_id=account_id):
        await step.emit(StepStartedEvent(step_name=ANALYST), ANALYST)
        async with (
            ss.tool_call("recall_history", account_id=account_id),
            memory_call("search"),
        ):
            history = services.memory.history(account_id)
        tickets = await support_tickets(services, account_id)
        await step.tool(
            ANALYST, "support_tickets", f'{{"account_id": "{account_id}"}}', f"{tickets} tickets"
        )
        # A self-hosted model has no public price: its calls count as price-missing.
        await ask_llm(
            services, "acme-sentiment-7b", f"Sentiment of {tickets} tickets", provider="self-hosted"
        )
        sentiment = round(services.config.rng(f"sentiment:{account_id}").uniform(-1, 1), 2)
        # The prompt depends only on the account, so a repeated account is served from cache.
        summary = await ask_llm(
            services,
            "gpt-4o-mini",
            f"Summarise account {account_id}: {len(data['deals'])} deals, sentiment {sentiment}",
            cached=True,
        )
        insight = await remember(services, data, sentiment, summary, len(history))
        await step.progress(ANALYST, "analysed")
        await step.emit(StepFinishedEvent(step_name=ANALYST), ANALYST)
        ss.handoff(ANALYST, AUTHOR, data=insight)
        return insight


async def remember(
    services: Services, data: dict[str, Any], sentiment: float, summary: str, previous: int
) -> dict[str, Any]:
    """The analyst's insight into the scout's data, kept in memory for the account's next runs."""
    insight = {
        **data,
        "sentiment": sentiment,
        "summary": summary[:200],
        "previous_insights": previous,
    }
    async with memory_call("add"):
        services.memory.store(
            data["account_id"], {"sentiment": sentiment, "summary": summary[:200]}
        )
    ss.agent_memory(ANALYST, len(json.dumps(insight)))
    return insight


async def support_tickets(services: Services, account_id: str) -> int:
    """The account's open tickets, from the support desk's MCP server."""
    await support_desk_credential(services)
    async with ss.mcp_tool("support_tickets", server="mcp://support-desk"):
        await asyncio.sleep(0.005 * services.config.speed)
        return services.config.rng(f"tickets:{account_id}").randint(0, 12)


async def support_desk_credential(services: Services) -> None:
    """The support desk's MCP token lasts ``credential_lifetime_seconds``: the first call after
    it lapsed is refused for an expired credential, and the token is refreshed."""
    now = time.monotonic()
    lifetime = services.config.credential_lifetime_seconds
    if services.credential_expires is None:
        services.credential_expires = now + lifetime
    elif now >= services.credential_expires:
        services.credential_expires = now + lifetime  # the calls that follow wait for no one
        ss.mcp_credential_error("support_tickets", reason="expired")
        async with ss.recovery_attempt(ss.ErrorCategory.INTEGRATION_ERROR, "refresh_credentials"):
            await asyncio.sleep(0.02 * services.config.speed)


async def check_compliance(
    services: Services, account_id: str, recommendations: list[dict[str, Any]]
) -> dict[str, Any]:
    """A2A: ask the compliance service; its spans join this trace through ``traceparent``."""
    if services.config.compliance_url is None:
        return {"verdicts": {}}
    async with ss.a2a_delegation("compliance_checker") as delegation:
        response = await services.http.post(
            f"{services.config.compliance_url}/a2a/tasks",
            json={"account_id": account_id, "recommendations": recommendations},
            headers=delegation.headers(),
            timeout=5.0,
        )
        if response.status_code >= 400:
            delegation.mark_failed("error_http")
            return {"verdicts": {}}
        return response.json()


async def author(services: Services, step: Step, insight: dict[str, Any]) -> dict[str, Any]:
    account_id = step.run.account_id
    rng = services.config.rng(f"author:{account_id}:{step.run.sequence}")
    guard = services.config.rng(f"guardrail:{account_id}:{step.run.sequence}")
    async with ss.agent_run(AUTHOR, operation=OPERATION, account_id=account_id):
        await step.emit(StepStartedEvent(step_name=AUTHOR), AUTHOR)
        text = await ask_llm(
            services,
            "gpt-4o",
            f"Recommend next actions for {account_id}: {insight['summary'][:100]}",
        )
        await step.say(AUTHOR, text[:240])
        recommendations = draft_recommendations(rng)
        compliance = await check_compliance(services, account_id, recommendations)
        decided = []
        for rec in recommendations:
            verdict = compliance.get("verdicts", {}).get(rec["id"], "allowed")
            route = triage(rec, verdict, guard)
            if route == BLOCKED:
                decision: tuple[str, str | None] = ("blocked", None)
            elif route == HUMAN_REVIEW:
                decision = await ask_human(services, step, rec)
            else:
                decision = AUTO_APPROVED
            decided.append(decide(rec, *decision))
        await step.emit(StepFinishedEvent(step_name=AUTHOR), AUTHOR)
        return {"recommendations": decided}


def draft_recommendations(rng: random.Random) -> list[dict[str, Any]]:
    """What the author recommends for one run: one to three actions, drawn from ``rng``."""
    recommendations: list[dict[str, Any]] = []
    for index in range(rng.randint(1, 3)):
        kind = rng.choice(["upsell", "renewal", "retention", "support_escalation"])
        priority = rng.choice(["low", "medium", "high"])
        confidence = round(rng.uniform(0.5, 0.99), 3)
        recommendations.append(
            {"id": f"rec_{index}", "type": kind, "priority": priority, "confidence": confidence}
        )
    return recommendations


def triage(rec: dict[str, Any], verdict: str, guard: random.Random) -> str:
    """Where a recommendation goes (``BLOCKED``, ``HUMAN_REVIEW`` or ``AUTO_APPROVE``), given
    the compliance verdict and the author's own output guardrail; recorded as a route."""
    if verdict == "blocked":
        ss.route(WORKFLOW, BLOCKED, rec["confidence"], recommendation_type=rec["type"])
        ss.guardrail_violation(
            "compliance_policy", action="blocked", recommendation_type=rec["type"]
        )
        return BLOCKED
    # The author's own output guardrail: a claim the account data does not support
    # (a few percent of recommendations) sends the recommendation to a person.
    flagged = guard.random() < 0.03
    if flagged:
        ss.guardrail_violation(
            "unsupported_claim", action="flagged_for_review", recommendation_type=rec["type"]
        )
    route = (
        HUMAN_REVIEW
        if flagged or rec["priority"] == "high" or rec["confidence"] < 0.8
        else AUTO_APPROVE
    )
    ss.route(WORKFLOW, route, rec["confidence"], recommendation_type=rec["type"])
    return route


def decide(rec: dict[str, Any], decision: str, reason: str | None) -> dict[str, Any]:
    """Record the recommendation and what became of it; the result's entry for it."""
    tracked = recommendation(rec["type"], rec["priority"], rec["confidence"], AUTHOR)
    if decision == "approved":
        tracked.approved()
    elif decision == "rejected":
        tracked.rejected(reason or "unspecified")
    elif decision == "blocked":
        tracked.rejected("compliance_blocked")
        return {**rec, "decision": decision}
    return {**rec, "decision": decision, "reason": reason}


async def ask_human(services: Services, step: Step, rec: dict[str, Any]) -> tuple[str, str | None]:
    """Wait for a person's decision, or time out."""
    approval = await request_approval(services, step, rec)
    async with ss.approval(
        "recommendation",
        agent=AUTHOR,
        approval_id=approval.approval_id,
        timeout=services.config.approval_timeout,
    ) as waiting:
        try:
            assert approval.answer is not None
            decision, reason = await waiting.wait(approval.answer)
        except TimeoutError:
            services.runs.expire(approval)
            decision, reason = "timeout", None
        else:
            waiting.resolve(decision, reason=reason)
    await approval_done(step, approval)
    return decision, reason


async def request_approval(
    services: Services, step: Step, rec: dict[str, Any], approval_id: str | None = None
) -> PendingApproval:
    """A recommendation waits for a person: listed by the API, announced on the run's stream."""
    approval = services.runs.request_approval(step.run, rec, approval_id)
    step.run.status = "awaiting_approval"
    await step.emit(CustomEvent(name="approval_request", value=approval.summary()), AUTHOR)
    return approval


async def approval_done(step: Step, approval: PendingApproval) -> None:
    step.run.status = "running"
    await step.emit(CustomEvent(name="approval_result", value=approval.summary()), AUTHOR)


async def orchestrate(services: Services, run: Run) -> None:
    """The whole analysis of one account, as one AG-UI run, once a slot is free."""
    queued = time.perf_counter()
    services.waiting += 1
    ss.queue_depth("orchestrator", services.waiting)
    async with services.slots:
        services.waiting -= 1
        ss.queue_depth("orchestrator", services.waiting)
        ss.queue_wait("orchestrator", time.perf_counter() - queued)
        await _analyse(services, run)


async def hand_written(services: Services, step: Step) -> dict[str, Any]:
    """The three agents one after the other, each call to swarmscope written out."""
    account_id = step.run.account_id
    async with (
        ss.orchestration(OPERATION, account_id=account_id),
        ss.workflow(WORKFLOW, account_id=account_id),
    ):
        async with ss.workflow_node(WORKFLOW, SCOUT):
            data = await scout(services, step)
        async with ss.workflow_node(WORKFLOW, ANALYST):
            insight = await analyst(services, step, data)
        async with ss.workflow_node(WORKFLOW, AUTHOR):
            return await author(services, step, insight)


async def _analyse(services: Services, run: Run) -> None:
    step = Step(services, run)
    await step.emit(RunStartedEvent(thread_id=run.thread_id, run_id=run.run_id))
    try:
        result = await (services.analysis or hand_written)(services, step)
    except asyncio.CancelledError:  # the service is stopping: end the stream all the same
        run.status, run.error = "cancelled", "cancelled: the service is stopping"
        await step.emit(RunErrorEvent(message=run.error, code="cancelled"))
        raise
    except Exception as error:
        run.status, run.error = "failed", f"{type(error).__name__}: {error}"
        await step.emit(RunErrorEvent(message=run.error, code=type(error).__name__))
    else:
        run.status, run.result = "completed", result
        await step.emit(RunFinishedEvent(thread_id=run.thread_id, run_id=run.run_id, result=result))
        in_background(services, notify_owner(services, run), "notify_owner")
    finally:
        run.finished = time.time()


async def notify_owner(services: Services, run: Run) -> None:
    """Mail the account owner the result. Nobody awaits it: a failure (the mail gateway resets
    one connection in thirty or so) escapes the task, and ``in_background`` reports it."""
    if services.mail_resets is None:
        services.mail_resets = Occasionally(services.config.rng("mail"), every=30)
    reset = services.mail_resets()
    await asyncio.sleep(0.01 * services.config.speed)
    if reset:
        raise ConnectionResetError("mail gateway reset the connection")


def in_background(services: Services, job: Any, name: str) -> None:
    """Run ``job`` as a fire-and-forget task whose exception, if any, is counted as unhandled
    (asyncio would otherwise only print it when the task is garbage-collected)."""
    task = asyncio.create_task(job, name=name)
    services.background.add(task)

    def done(finished: asyncio.Task[None]) -> None:
        services.background.discard(finished)
        if finished.cancelled():
            return
        error = finished.exception()
        if error is None:
            return
        ss.record_unhandled(error, module=__name__)
        ss.get_logger(__name__).error(
            "background_task_failed", task=name, error_type=type(error).__name__, error=str(error)
        )

    task.add_done_callback(done)
