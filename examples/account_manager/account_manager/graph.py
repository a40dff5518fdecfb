"""The same three agents as a LangGraph graph: ``swarmscope demo --framework langgraph``.

The world, the CRM, the memory store, the support desk, the compliance service and the faults
are those of ``agents``, whose calls this module shares. What LangGraph knows is reported by
``ss.instrument_langgraph`` alone, with no swarmscope call here: each agent is a node (an
agent run), one agent passing to the next a handoff, the tools the ``ToolNode`` runs tool
calls of the agent that asked for them, the chat model's requests LLM calls with their tokens
and cost, and each ``interrupt()`` an approval that the approver's answer, sent to the thread
as ``Command(resume=...)``, decides. What stays written out has no LangGraph equivalent: the
orchestration around a run (what the demo counts runs by), the compliance call's A2A
delegation, the routes and guardrails of ``agents.triage``, the app's own families.

The chat model is langchain_core's scripted fake: each agent writes the tool calls it wants
(there is no real model to choose them), and the answer comes at the pace, with the token
counts and the failures of the demo's simulated provider.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from dataclasses import dataclass, field
from typing import Annotated, Any, TypedDict

from ag_ui.core import StepFinishedEvent, StepStartedEvent
from langchain_core.callbacks import AsyncCallbackManagerForLLMRun
from langchain_core.language_models import LanguageModelInput
from langchain_core.language_models.base import LangSmithParams
from langchain_core.language_models.fake_chat_models import FakeMessagesListChatModel
from langchain_core.messages import AIMessage, AnyMessage, BaseMessage, HumanMessage, ToolMessage
from langchain_core.messages.tool import ToolCall
from langchain_core.outputs import ChatGeneration, ChatResult
from langchain_core.tools import BaseTool, tool
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.graph import END, START, StateGraph
from langgraph.graph.message import add_messages
from langgraph.graph.state import CompiledStateGraph
from langgraph.prebuilt import ToolNode
from langgraph.types import Command, Interrupt, interrupt

import swarmscope as ss
from account_manager.agents import (
    ANALYST,
    AUTHOR,
    AUTO_APPROVED,
    BLOCKED,
    HUMAN_REVIEW,
    OPERATION,
    SCOUT,
    WORKFLOW,
    Services,
    Step,
    approval_done,
    check_compliance,
    decide,
    draft_recommendations,
    remember,
    request_approval,
    support_tickets,
    triage,
)
from account_manager.integrations import memory_call
from account_manager.llm import SimulatedLLM

AGENTS = (SCOUT, ANALYST, AUTHOR)
TOOLS = "tools"  # the prebuilt tool node, under the name the integration knows it by
# The node where recommendations wait for a person: its interrupts are approvals of this type.
REVIEW = "recommendation"


class Analysis(TypedDict, total=False):
    """A run's state, checkpointed between the graph's steps (plain JSON values only)."""

    messages: Annotated[list[AnyMessage], add_messages]
    account_id: str
    sequence: int
    asking: str  # the agent whose tool calls the tool node runs, and back to which it goes
    data: dict[str, Any]
    insight: dict[str, Any]
    drafts: list[dict[str, Any]]
    routed: list[dict[str, Any]]
    result: dict[str, Any]


class SimulatedChat(FakeMessagesListChatModel):
    """langchain_core's scripted chat model, answering as the demo's simulated provider does:
    its latency, failures and token counts; its own words where the script has none."""

    model: str
    provider: str = "openai"
    simulator: SimulatedLLM

    def _get_ls_params(self, stop: list[str] | None = None, **kwargs: Any) -> LangSmithParams:
        params = super()._get_ls_params(stop=stop, **kwargs)
        params["ls_provider"] = self.provider
        params["ls_model_name"] = self.model
        return params

    async def _agenerate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: AsyncCallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        prompt = "\n".join(str(message.content) for message in messages)
        completion = await self.simulator.chat.completions.create(
            model=self.model, messages=[{"role": "user", "content": prompt}], timeout=5.0
        )
        scripted = self._generate(messages, stop=stop).generations[0].message
        usage = completion.usage
        message = AIMessage(
            content=scripted.content or completion.choices[0].message.content,
            tool_calls=scripted.tool_calls if isinstance(scripted, AIMessage) else [],
            usage_metadata={
                "input_tokens": usage.prompt_tokens,
                "output_tokens": usage.completion_tokens,
                "total_tokens": usage.total_tokens,
            },
            response_metadata={
                "model_name": completion.model,
                "finish_reason": completion.choices[0].finish_reason,
            },
        )
        return ChatResult(generations=[ChatGeneration(message=message)])


async def ask(
    services: Services,
    model: str,
    prompt: LanguageModelInput,
    calls: list[ToolCall] | None = None,
    provider: str = "openai",
) -> AIMessage:
    """One model request whose script is ``calls`` (the tools the agent wants), if any."""
    chat = SimulatedChat(
        model=model,
        provider=provider,
        simulator=services.llm,
        responses=[AIMessage(content="", tool_calls=calls or [])],
    )
    answer = await chat.ainvoke(prompt)
    assert isinstance(answer, AIMessage)
    return answer


def call(name: str, **args: Any) -> ToolCall:
    return ToolCall(name=name, args=args, id=f"call_{uuid.uuid4().hex[:10]}", type="tool_call")


def answers(state: Analysis, agent: str) -> dict[str, str]:
    """The results of ``agent``'s tool calls, by tool, when the tool node just ran them."""
    if state.get("asking") != agent:
        return {}
    found: dict[str, str] = {}
    for message in reversed(state["messages"]):
        if not isinstance(message, ToolMessage):
            break
        found[str(message.name)] = str(message.content)
    return found


async def use_tools(
    services: Services, agent: str, model: str, prompt: str, calls: list[ToolCall]
) -> Command[str]:
    message = await ask(services, model, prompt, calls)
    update = {"messages": [HumanMessage(prompt), message], "asking": agent}
    return Command(goto=TOOLS, update=update)


async def look_up(
    services: Services, agent: str, prompt: str, account_id: str, *tools: str
) -> Command[str]:
    """The agent asks a small model for ``tools``, each about the account."""
    calls = [call(name, account_id=account_id) for name in tools]
    return await use_tools(services, agent, "gpt-4o-mini", prompt, calls)


def build_tools(services: Services) -> list[BaseTool]:
    """The agents' tools: the CRM, the memory store, the support desk, the compliance service."""

    @tool
    async def fetch_account(account_id: str) -> str:
        """The account's tier and annual revenue, from the CRM."""
        account = await services.crm.get_account(account_id)
        return json.dumps({"tier": account.tier, "revenue": account.annual_revenue})

    @tool
    async def search_deals(account_id: str) -> str:
        """The account's deals, from the CRM."""
        return json.dumps(await services.crm.search_deals(account_id))

    @tool
    async def recall_history(account_id: str) -> str:
        """What earlier analyses of the account found, from the memory store."""
        async with memory_call("search"):
            return json.dumps(services.memory.history(account_id))

    @tool("support_tickets")
    async def tickets(account_id: str) -> str:
        """How many support tickets the account has open, from the support desk."""
        return str(await support_tickets(services, account_id))

    @tool("check_compliance")
    async def compliance(account_id: str, recommendations: list[dict[str, Any]]) -> str:
        """The compliance service's verdict on each recommendation (A2A)."""
        return json.dumps(await check_compliance(services, account_id, recommendations))

    return [fetch_account, search_deals, recall_history, tickets, compliance]


def build_graph(services: Services, checkpointer: InMemorySaver) -> CompiledStateGraph[Any]:
    """Scout -> analyst -> author -> a person's review, each agent using the tool node."""
    config = services.config

    async def scout(state: Analysis) -> Command[str]:
        account_id = state["account_id"]
        found = answers(state, SCOUT)
        if not found:
            prompt = f"Fetch account {account_id} and its deals"
            return await look_up(
                services, SCOUT, prompt, account_id, "fetch_account", "search_deals"
            )
        account = json.loads(found["fetch_account"])
        data = {"account_id": account_id, **account, "deals": json.loads(found["search_deals"])}
        return Command(goto=ANALYST, update={"data": data})

    async def analyst(state: Analysis) -> Command[str]:
        account_id = state["account_id"]
        found = answers(state, ANALYST)
        if not found:
            prompt = f"Recall what is known of account {account_id}"
            tools = ("recall_history", "support_tickets")
            return await look_up(services, ANALYST, prompt, account_id, *tools)
        tickets = int(found["support_tickets"])
        # A self-hosted model has no public price: its calls count as price-missing.
        await ask(
            services, "acme-sentiment-7b", f"Sentiment of {tickets} tickets", None, "self-hosted"
        )
        sentiment = round(config.rng(f"sentiment:{account_id}").uniform(-1, 1), 2)
        data = state["data"]
        prompt = (
            f"Summarise account {account_id}: {len(data['deals'])} deals, sentiment {sentiment}"
        )
        summary = str((await ask(services, "gpt-4o-mini", prompt)).content)
        previous = len(json.loads(found["recall_history"]))
        insight = await remember(services, data, sentiment, summary, previous)
        return Command(goto=AUTHOR, update={"insight": insight})

    async def author(state: Analysis) -> Command[str]:
        account_id, sequence = state["account_id"], state["sequence"]
        found = answers(state, AUTHOR)
        if not found:
            drafts = draft_recommendations(config.rng(f"author:{account_id}:{sequence}"))
            prompt = f"Recommend next actions for {account_id}: {state['insight']['summary'][:100]}"
            wanted = [call("check_compliance", account_id=account_id, recommendations=drafts)]
            command = await use_tools(services, AUTHOR, "gpt-4o", prompt, wanted)
            assert isinstance(command.update, dict)
            return Command(goto=TOOLS, update={**command.update, "drafts": drafts})
        verdicts = json.loads(found["check_compliance"]).get("verdicts", {})
        guard = config.rng(f"guardrail:{account_id}:{sequence}")
        routed = [
            {**rec, "route": triage(rec, verdicts.get(rec["id"], "allowed"), guard)}
            for rec in state["drafts"]
        ]
        return Command(goto=REVIEW, update={"routed": routed})

    def review(state: Analysis) -> dict[str, Any]:
        """A person decides each recommendation sent for review, one interrupt at a time (the
        node reruns on each resume, its answered interrupts returning their answers)."""
        outcomes: list[tuple[dict[str, Any], tuple[str, str | None]]] = []
        for routed in state["routed"]:
            rec = {key: value for key, value in routed.items() if key != "route"}
            if routed["route"] == BLOCKED:
                outcomes.append((rec, ("blocked", None)))
            elif routed["route"] == HUMAN_REVIEW:
                answer = interrupt({"recommendation": rec})
                outcomes.append((rec, (answer["decision"], answer.get("reason"))))
            else:
                outcomes.append((rec, AUTO_APPROVED))
        return {"result": {"recommendations": [decide(rec, *outcome) for rec, outcome in outcomes]}}

    graph = StateGraph(Analysis)
    graph.add_node(SCOUT, scout)
    graph.add_node(ANALYST, analyst)
    graph.add_node(AUTHOR, author)
    graph.add_node(REVIEW, review)
    graph.add_node(TOOLS, ToolNode(build_tools(services), handle_tool_errors=False))
    graph.add_edge(START, SCOUT)
    graph.add_conditional_edges(TOOLS, lambda state: state["asking"], list(AGENTS))
    graph.add_edge(REVIEW, END)
    return graph.compile(checkpointer=checkpointer, name=WORKFLOW)


@dataclass
class GraphAnalysis:
    """Analyses through the graph: what ``Services.analysis`` runs for each account."""

    graph: CompiledStateGraph[Any]
    checkpointer: InMemorySaver

    async def __call__(self, services: Services, step: Step) -> dict[str, Any]:
        run = step.run
        config: Any = {"configurable": {"thread_id": run.run_id}}
        request: Any = {"account_id": run.account_id, "sequence": run.sequence}
        try:
            stream = Stream(step)
            async with ss.orchestration(OPERATION, account_id=run.account_id):
                while (paused := await self._until_pause(stream, request, config)) is not None:
                    request = Command(resume=await self._person(services, step, paused))
            state = await self.graph.aget_state(config)
            return dict(state.values["result"])
        finally:
            # A finished run's checkpoints are of no more use: the saver keeps only live runs.
            await self.checkpointer.adelete_thread(run.run_id)

    async def _until_pause(self, stream: Stream, request: Any, config: Any) -> Interrupt | None:
        """Run the graph until it ends or waits for a person (then the interrupt), telling the
        run's AG-UI stream what its nodes did."""
        paused: Interrupt | None = None
        async for update in self.graph.astream(request, config, stream_mode="updates"):
            for node, change in update.items():
                if node == "__interrupt__":
                    [paused] = change
                else:
                    await stream.tell(node, change)
        return paused

    async def _person(self, services: Services, step: Step, paused: Interrupt) -> dict[str, Any]:
        """Wait for the approver's answer to one interrupt, or for the approval to time out."""
        rec = paused.value["recommendation"]
        approval = await request_approval(services, step, rec, paused.id)
        assert approval.answer is not None
        try:
            decision, reason = await asyncio.wait_for(
                asyncio.shield(approval.answer), services.config.approval_timeout
            )
        except TimeoutError:
            services.runs.expire(approval)
            decision, reason = "timeout", None
        await approval_done(step, approval)
        return {"decision": decision, "reason": reason}


@dataclass
class Stream:
    """A run's AG-UI stream, told from the graph's updates: an agent's step from its first
    update to the one that passes the work on, its tool calls with their results, the
    author's text."""

    step: Step
    agent: str | None = None  # the agent whose step is open
    args: dict[str, str] = field(default_factory=dict)  # tool call id -> its arguments

    async def tell(self, node: str, change: Any) -> None:
        messages = change.get("messages", []) if isinstance(change, dict) else []
        if node in AGENTS:
            if self.agent != node:
                self.agent = node
                await self.step.emit(StepStartedEvent(step_name=node), node)
            for message in messages:
                if isinstance(message, AIMessage):
                    self.args |= {c["id"] or "": json.dumps(c["args"]) for c in message.tool_calls}
                    if node == AUTHOR and message.content:
                        await self.step.say(node, str(message.content)[:240])
            if "asking" not in change:  # done: the work goes on to the next node
                await self.step.emit(StepFinishedEvent(step_name=node), node)
        elif node == TOOLS and self.agent is not None:
            for message in messages:
                if isinstance(message, ToolMessage):
                    args = self.args.pop(message.tool_call_id, "{}")
                    result = str(message.content)[:500]
                    await self.step.tool(self.agent, str(message.name), args, result)


def langgraph_analysis(services: Services) -> GraphAnalysis:
    """The graph for ``services``, reported by ``ss.instrument_langgraph`` (call after ss.init)."""
    checkpointer = InMemorySaver()
    ss.instrument_langgraph(agents=AGENTS, checkpointer=checkpointer)
    return GraphAnalysis(build_graph(services, checkpointer), checkpointer)
