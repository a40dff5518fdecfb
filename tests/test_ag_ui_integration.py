"""ss.ag_ui_stream on a real AG-UI endpoint: a Starlette app that streams ag-ui-protocol's
events through its EventEncoder, called over httpx's ASGI transport; the events are
scripted, or those of CopilotKit's LangGraph agent around a graph that interrupts.

What a user relies on: events counted by type, the run as an agent run whose status says how
it ended (an interrupt is no success), one pending approval per interrupt that the resuming
run settles, and the trace the front end's ``traceparent`` started.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest
from ag_ui.core import (
    EventType,
    Interrupt,
    ResumeEntry,
    RunAgentInput,
    RunErrorEvent,
    RunFinishedEvent,
    RunFinishedInterruptOutcome,
    RunStartedEvent,
    TextMessageContentEvent,
    TextMessageEndEvent,
    TextMessageStartEvent,
)
from ag_ui.encoder import EventEncoder
from copilotkit import LangGraphAGUIAgent
from langgraph.checkpoint.memory import MemorySaver
from langgraph.graph import END, START, MessagesState, StateGraph
from langgraph.types import interrupt
from opentelemetry.trace import SpanKind, StatusCode
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import StreamingResponse
from starlette.routing import Route

import loopback
import swarmscope as ss
from swarmscope.integrations import ag_ui

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT_ID = "00f067aa0ba902b7"


def reply(run: RunAgentInput) -> list[Any]:
    return [
        RunStartedEvent(thread_id=run.thread_id, run_id=run.run_id),
        TextMessageStartEvent(message_id="m1", role="assistant"),
        TextMessageContentEvent(message_id="m1", delta="Hello"),
        TextMessageEndEvent(message_id="m1"),
    ]


def answering(run: RunAgentInput) -> list[Any]:
    return [*reply(run), RunFinishedEvent(thread_id=run.thread_id, run_id=run.run_id)]


def interrupting(run: RunAgentInput) -> list[Any]:
    outcome = RunFinishedInterruptOutcome(
        interrupts=[
            Interrupt(
                id="int-1",
                reason="tool_approval",
                message="Send the e-mail?",
                tool_call_id="call-1",
                response_schema={"type": "object"},
            )
        ]
    )
    finished = RunFinishedEvent(thread_id=run.thread_id, run_id=run.run_id, outcome=outcome)
    return [*reply(run), finished]


def failing(run: RunAgentInput) -> list[Any]:
    return [*reply(run), RunErrorEvent(message="the model refused", code="refused")]


def app_for(script: Callable[[RunAgentInput], list[Any]]) -> Starlette:
    """An AG-UI endpoint as an app writes one: input in, encoded events out."""

    async def run_agent(request: Request) -> StreamingResponse:
        run_input = RunAgentInput.model_validate(await request.json())
        encoder = EventEncoder(accept=request.headers.get("accept"))

        async def events() -> AsyncIterator[Any]:
            for event in script(run_input):
                await asyncio.sleep(0)
                yield event

        observed = ss.ag_ui_stream(
            events(), agent="planner", run_input=run_input, headers=request.headers
        )
        return StreamingResponse(
            (encoder.encode(event) async for event in observed),
            media_type=encoder.get_content_type(),
        )

    return Starlette(routes=[Route("/agent", run_agent, methods=["POST"])])


def run_input(run_id: str, resume: list[ResumeEntry] | None = None) -> dict[str, Any]:
    body = RunAgentInput(
        thread_id="thread-1",
        run_id=run_id,
        messages=[],
        state={},
        tools=[],
        context=[],
        forwarded_props={},
        resume=resume,
    )
    return body.model_dump(by_alias=True, exclude_none=True)


async def post(app: Starlette, body: dict[str, Any], headers: dict | None = None) -> list[dict]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://agent") as client:
        response = await client.post("/agent", json=body, headers=headers or {})
    assert response.status_code == 200
    return [
        json.loads(line[len("data: ") :])
        for line in response.text.splitlines()
        if line.startswith("data: ")
    ]


@pytest.fixture(autouse=True)
def no_pending_interrupts() -> None:
    ag_ui.PENDING = ag_ui.PendingInterrupts()


def test_events_pass_unchanged_and_are_counted_by_type(telemetry):
    headers = {"traceparent": f"00-{TRACE_ID}-{PARENT_ID}-01"}
    sent = asyncio.run(post(app_for(answering), run_input("run-1"), headers))

    assert [event["type"] for event in sent] == [
        "RUN_STARTED",
        "TEXT_MESSAGE_START",
        "TEXT_MESSAGE_CONTENT",
        "TEXT_MESSAGE_END",
        "RUN_FINISHED",
    ]
    assert sent[2]["delta"] == "Hello"
    for kind in ("RUN_STARTED", "TEXT_MESSAGE_CONTENT", "RUN_FINISHED"):
        assert telemetry.metric("ag_ui_events_emitted_total", event_type=kind, agent_type="planner")
    assert telemetry.metric(
        "agent_sessions_total", agent_type="planner", status="success", operation="ag_ui_run"
    )
    run = telemetry.span("invoke_agent planner")
    assert run.kind is SpanKind.INTERNAL
    assert run.attributes["ag_ui.thread.id"] == "thread-1"
    assert run.attributes["ag_ui.run.id"] == "run-1"
    assert run.attributes["ag_ui.run.outcome"] == "success"
    assert run.attributes["gen_ai.conversation.id"] == "thread-1"
    # The front end's traceparent: the run continues its trace, under its span.
    assert f"{run.context.trace_id:032x}" == TRACE_ID
    assert f"{run.parent.span_id:016x}" == PARENT_ID
    emitted = telemetry.events("ag_ui_event_emitted")
    assert {line["span_id"] for line in emitted} == {f"{run.context.span_id:016x}"}


def test_an_interrupt_is_no_success_and_the_resume_settles_its_approval(telemetry):
    asyncio.run(post(app_for(interrupting), run_input("run-1")))

    assert telemetry.metric(
        "agent_sessions_total", agent_type="planner", status="interrupted", operation="ag_ui_run"
    )
    assert not telemetry.metric(
        "agent_sessions_total", agent_type="planner", status="success", operation="ag_ui_run"
    )
    assert telemetry.metric("hitl_approvals_pending", approval_type="tool_approval") == 1
    assert telemetry.metric(
        "hitl_approvals_requested_total", approval_type="tool_approval", agent_type="planner"
    )
    first = telemetry.span("invoke_agent planner")
    assert first.attributes["ag_ui.run.outcome"] == "interrupt"
    assert first.attributes["ag_ui.interrupt.ids"] == ("int-1",)
    assert first.status.status_code is StatusCode.UNSET
    assert telemetry.events("agent_execution_interrupted")
    assert not telemetry.events("agent_execution_failed")
    required = telemetry.events("hitl_approval_required")
    assert [line["approval_id"] for line in required] == ["int-1"]

    resume = [ResumeEntry(interrupt_id="int-1", status="resolved", payload={"approved": False})]
    asyncio.run(post(app_for(answering), run_input("run-2", resume)))

    assert telemetry.metric("hitl_approvals_pending", approval_type="tool_approval") == 0
    assert telemetry.metric(
        "hitl_approvals_received_total",
        approval_type="tool_approval",
        decision="rejected",
        agent_type="planner",
    )
    assert telemetry.metric(
        "hitl_approval_latency_seconds_count", approval_type="tool_approval", agent_type="planner"
    )
    approval = telemetry.span("hitl_approval tool_approval")
    assert approval.attributes["swarmscope.approval.decision"] == "rejected"
    assert approval.attributes["ag_ui.interrupt.tool_call_id"] == "call-1"
    assert approval.parent.span_id == first.context.span_id
    runs = [s for s in telemetry.spans() if s.name == "invoke_agent planner"]
    second = next(s for s in runs if s.attributes["ag_ui.run.id"] == "run-2")
    assert second.attributes["ag_ui.run.outcome"] == "success"
    assert [link.context.span_id for link in second.links] == [approval.context.span_id]
    assert len(ag_ui.PENDING) == 0


def test_a_resume_of_another_thread_or_a_cancelled_one_decides_nothing(telemetry):
    asyncio.run(post(app_for(interrupting), run_input("run-1")))
    other = run_input("run-2", [ResumeEntry(interrupt_id="int-1", status="resolved")])
    other["threadId"] = "thread-2"
    asyncio.run(post(app_for(answering), other))
    assert telemetry.metric("hitl_approvals_pending", approval_type="tool_approval") == 1

    cancelled = [ResumeEntry(interrupt_id="int-1", status="cancelled")]
    asyncio.run(post(app_for(answering), run_input("run-3", cancelled)))
    assert telemetry.metric("hitl_approvals_pending", approval_type="tool_approval") == 0
    assert telemetry.events("hitl_approval_cancelled")
    assert not telemetry.events("hitl_approval_received")


def test_run_error_is_a_failure(telemetry):
    sent = asyncio.run(post(app_for(failing), run_input("run-1")))
    assert sent[-1]["type"] == "RUN_ERROR"
    assert telemetry.metric(
        "agent_sessions_total", agent_type="planner", status="failure", operation="ag_ui_run"
    )
    run = telemetry.span("invoke_agent planner")
    assert run.attributes["ag_ui.run.outcome"] == "error"
    assert run.status.status_code is StatusCode.ERROR
    assert telemetry.events("agent_execution_failed")


def test_a_client_that_goes_away_ends_the_run_as_cancelled(telemetry):
    closed = []

    async def endless() -> AsyncIterator[dict[str, Any]]:
        try:
            yield {"type": EventType.RUN_STARTED, "threadId": "t", "runId": "r"}
            while True:
                yield {"type": "TEXT_MESSAGE_CONTENT", "messageId": "m", "delta": "."}
                await asyncio.sleep(0)
        finally:
            closed.append(True)

    async def read_three_then_leave() -> None:
        stream = ss.ag_ui_stream(endless(), agent="planner")
        for _ in range(3):
            await anext(stream)
        await stream.aclose()  # what a server does with the body of a closed connection

    asyncio.run(read_three_then_leave())
    assert closed == [True]
    run = telemetry.span("invoke_agent planner")
    assert run.attributes["ag_ui.run.outcome"] == "cancelled"
    assert telemetry.metric(
        "agent_sessions_total", agent_type="planner", status="cancelled", operation="ag_ui_run"
    )
    assert telemetry.metric("agent_sessions_active", agent_type="planner") == 0


def test_a_task_cancelled_while_the_agent_works_ends_the_run(telemetry):
    started = asyncio.Event()

    async def slow() -> AsyncIterator[dict[str, Any]]:
        yield {"type": "RUN_STARTED", "threadId": "t", "runId": "r"}
        started.set()
        await asyncio.Event().wait()  # the model never answers
        yield {"type": "RUN_FINISHED", "threadId": "t", "runId": "r"}

    async def consume() -> None:
        async for _ in ss.ag_ui_stream(slow(), agent="planner"):
            pass

    async def main() -> None:
        task = asyncio.create_task(consume())
        await asyncio.wait_for(started.wait(), 10)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(main())
    run = telemetry.span("invoke_agent planner")
    assert run.attributes["ag_ui.run.outcome"] == "cancelled"
    assert telemetry.metric(
        "agent_sessions_total", agent_type="planner", status="cancelled", operation="ag_ui_run"
    )


def test_the_app_s_error_reaches_the_app_and_its_events_stay_inside_the_run(telemetry):
    async def broken() -> AsyncIterator[Any]:
        with ss.tool_call("lookup"):
            pass
        yield {"type": "RUN_STARTED", "threadId": "t", "runId": "r"}
        raise RuntimeError("boom")

    async def consume() -> list[Any]:
        return [event async for event in ss.ag_ui_stream(broken(), agent="planner")]

    with pytest.raises(RuntimeError, match="boom"):
        asyncio.run(consume())
    run = telemetry.span("invoke_agent planner")
    assert run.attributes["ag_ui.run.outcome"] == "error"
    tool = telemetry.span("execute_tool lookup")
    assert tool.parent.span_id == run.context.span_id
    assert telemetry.metric(
        "agent_tool_calls_total", agent_type="planner", tool_name="lookup", status="success"
    )


def test_decisions_read_from_resume_payloads():
    assert ag_ui.decision_of(True) == "approved"
    assert ag_ui.decision_of({"approved": False}) == "rejected"
    assert ag_ui.decision_of({"decision": "Edited"}) == "edited"
    assert ag_ui.decision_of({"city": "Paris"}) == "resolved"
    assert ag_ui.decision_of(None) == "resolved"


def test_pending_interrupts_are_bounded_and_expire(telemetry):
    pending = ag_ui.PendingInterrupts(limit=2)
    approvals = [ss.approval("tool_approval", approval_id=str(i)).start() for i in range(3)]
    for index, approval in enumerate(approvals):
        pending.put(("t", str(index)), approval, 3600)
    assert len(pending) == 2  # the oldest was dropped, as cancelled
    assert telemetry.metric("hitl_approvals_pending", approval_type="tool_approval") == 2
    assert pending.take(("t", "2")) is approvals[2]
    assert pending.take(("t", "0")) is None

    expiring = ag_ui.PendingInterrupts()
    late = ss.approval("tool_approval", approval_id="late", timeout=0.0).start()
    expiring.put(("t", "late"), late, 0.0)
    assert expiring.take(("t", "other")) is None  # any use settles what expired
    assert len(expiring) == 0
    assert telemetry.metric(
        "hitl_approval_timeouts_total", approval_type="tool_approval", agent_type="unknown"
    )


class Mail(MessagesState):
    decision: str


def mail_graph() -> Any:
    """A LangGraph agent that stops for a person before it sends anything."""

    def confirm(state: Mail) -> dict[str, str]:
        answer = interrupt({"question": "Send the e-mail?"})
        return {"decision": json.dumps(answer)}

    graph = StateGraph(Mail)
    graph.add_node("confirm", confirm)
    graph.add_edge(START, "confirm")
    graph.add_edge("confirm", END)
    return graph.compile(checkpointer=MemorySaver())


@pytest.mark.parametrize("structured", [True, False], ids=["outcome", "legacy-custom-event"])
def test_copilotkit_langgraph_agent_stream_through_the_wrapper(telemetry, structured):
    """Both ways CopilotKit's agent reports an interrupt: RUN_FINISHED's outcome answered by
    resume[] (opt-in), or its default CUSTOM on_interrupt answered by command.resume."""
    graph = mail_graph()

    async def run_agent(request: Request) -> StreamingResponse:
        run_input = RunAgentInput.model_validate(await request.json())
        agent = LangGraphAGUIAgent(name="mailer", graph=graph)
        agent.emit_interrupt_outcome = structured
        encoder = EventEncoder()
        observed = ss.ag_ui_stream(agent.run(run_input), agent="mailer", run_input=run_input)
        return StreamingResponse(
            (encoder.encode(event) async for event in observed),
            media_type=encoder.get_content_type(),
        )

    app = Starlette(routes=[Route("/agent", run_agent, methods=["POST"])])
    first = run_input("run-1")
    first["messages"] = [{"id": "u1", "role": "user", "content": "Mail Bob the report"}]
    sent = asyncio.run(post(app, first))

    finished = sent[-1]
    assert finished["type"] == "RUN_FINISHED"
    kinds = {event["type"] for event in sent}
    for kind in kinds:
        assert telemetry.metric("ag_ui_events_emitted_total", event_type=kind, agent_type="mailer")
    assert telemetry.metric(
        "agent_sessions_total", agent_type="mailer", status="interrupted", operation="ag_ui_run"
    )
    second = run_input("run-2")
    second["messages"] = first["messages"]
    answer = {"approved": True}
    if structured:
        [asked] = finished["outcome"]["interrupts"]
        approval_type = asked["reason"]
        second["resume"] = [{"interruptId": asked["id"], "status": "resolved", "payload": answer}]
    else:
        assert "outcome" not in finished
        assert any(e["type"] == "CUSTOM" and e["name"] == "on_interrupt" for e in sent)
        approval_type = "on_interrupt"
        second["forwardedProps"] = {"command": {"resume": answer}}
    assert telemetry.metric("hitl_approvals_pending", approval_type=approval_type) == 1

    sent = asyncio.run(post(app, second))

    assert sent[-1]["type"] == "RUN_FINISHED" and "outcome" not in sent[-1]
    state = graph.get_state({"configurable": {"thread_id": "thread-1"}})
    assert json.loads(state.values["decision"]) == answer  # the graph went on with the answer
    assert telemetry.metric("hitl_approvals_pending", approval_type=approval_type) == 0
    assert telemetry.metric(
        "hitl_approvals_received_total",
        approval_type=approval_type,
        decision="approved",
        agent_type="mailer",
    )
    assert telemetry.metric(
        "agent_sessions_total", agent_type="mailer", status="success", operation="ag_ui_run"
    )


def test_a_browser_that_closes_the_stream_ends_the_run_on_a_real_server(telemetry):
    """Over uvicorn on loopback: the client reads a few events and hangs up; the server
    stops the stream, and the run ends as cancelled (no matter which task closes it)."""

    async def endless(run: RunAgentInput) -> AsyncIterator[Any]:
        yield RunStartedEvent(thread_id=run.thread_id, run_id=run.run_id)
        yield TextMessageStartEvent(message_id="m1", role="assistant")
        while True:
            yield TextMessageContentEvent(message_id="m1", delta="more ")
            await asyncio.sleep(0.001)

    async def run_agent(request: Request) -> StreamingResponse:
        run_input = RunAgentInput.model_validate(await request.json())
        encoder = EventEncoder()
        observed = ss.ag_ui_stream(endless(run_input), agent="planner", run_input=run_input)
        return StreamingResponse(
            (encoder.encode(event) async for event in observed),
            media_type=encoder.get_content_type(),
        )

    app = Starlette(routes=[Route("/agent", run_agent, methods=["POST"])])
    with loopback.serve(app) as url:
        with httpx.stream("POST", f"{url}/agent", json=run_input("run-1"), timeout=10) as response:
            seen = 0
            for line in response.iter_lines():
                seen += line.startswith("data: ")
                if seen == 5:
                    break
        deadline = time.monotonic() + 10
        ended: list[Any] = []
        while not ended and time.monotonic() < deadline:
            ended = [s for s in telemetry.spans() if s.name == "invoke_agent planner"]
            time.sleep(0.02)

    [run] = ended
    assert run.attributes["ag_ui.run.outcome"] == "cancelled"
    assert telemetry.metric(
        "agent_sessions_total", agent_type="planner", status="cancelled", operation="ag_ui_run"
    )
    assert telemetry.metric("agent_sessions_active", agent_type="planner") == 0
