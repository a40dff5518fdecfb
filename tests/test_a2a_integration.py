"""``ss.instrument_a2a()``: a real a2a-sdk client and server (JSON-RPC over HTTP on loopback)
produce the catalog's delegation metrics, a trace that crosses HTTP, and a human wait for a
task that asks for input."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest
from a2a import types
from a2a.client import ClientConfig
from a2a.client.client_factory import create_client
from a2a.helpers import proto_helpers as messages
from a2a.server import agent_execution, events, tasks
from a2a.server.request_handlers import DefaultRequestHandler
from a2a.server.routes import create_agent_card_routes, create_jsonrpc_routes
from a2a.utils.errors import A2AError
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.trace import SpanKind
from starlette.applications import Starlette

import swarmscope as ss
from loopback import serve
from swarmscope import integrations
from swarmscope.integrations.a2a import uninstrument_a2a

# The global_spans fixture: a2a-sdk traces its own functions through the global provider.
pytest_plugins = ("global_spans",)

AGENT = "Weather agent"
INPUT_REQUIRED = types.TaskState.TASK_STATE_INPUT_REQUIRED

if TYPE_CHECKING:  # the suite's conftest; the examples' has the same module name
    from conftest import Captured


class WeatherAgent(agent_execution.AgentExecutor):
    """A task's first message gets a question back (the task waits for input); the answer
    to it completes the task with a forecast. "fail" makes it raise."""

    async def execute(
        self, context: agent_execution.RequestContext, event_queue: events.EventQueue
    ) -> None:
        if messages.get_message_text(context.message) == "fail":
            raise RuntimeError("the forecast service is down")
        task = context.current_task or messages.new_task_from_user_message(context.message)
        if context.current_task is None:
            await event_queue.enqueue_event(task)
        updater = tasks.TaskUpdater(event_queue, task.id, task.context_id)
        if task.status.state == INPUT_REQUIRED:
            forecast = f"sunny in {messages.get_message_text(context.message)}"
            await updater.add_artifact([messages.new_text_part(forecast)], name="forecast")
            await updater.complete()
        else:
            question = updater.new_agent_message([messages.new_text_part("Which city?")])
            await updater.requires_input(question)

    async def cancel(
        self, context: agent_execution.RequestContext, event_queue: events.EventQueue
    ) -> None:
        raise NotImplementedError


def agent_card(url: str, streaming: bool = False) -> types.AgentCard:
    interface = types.AgentInterface(url=url, protocol_binding="JSONRPC", protocol_version="1.0")
    skill = types.AgentSkill(id="weather", name="weather", description="Weather", tags=["city"])
    return types.AgentCard(
        name=AGENT,
        description="Answers weather questions",
        version="1.0.0",
        supported_interfaces=[interface],
        capabilities=types.AgentCapabilities(streaming=streaming),
        default_input_modes=["text/plain"],
        default_output_modes=["text/plain"],
        skills=[skill],
    )


@pytest.fixture
def instrumented(global_spans: Captured) -> Iterator[Captured]:
    ss.instrument_a2a()
    try:
        yield global_spans
    finally:
        uninstrument_a2a()


@pytest.fixture
def weather_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """The weather agent on loopback; ``indirect`` parametrization True serves it streaming."""
    placeholder = agent_card("http://127.0.0.1/", streaming=getattr(request, "param", False))
    handler = DefaultRequestHandler(WeatherAgent(), tasks.InMemoryTaskStore(), placeholder)
    app = Starlette(
        routes=[*create_agent_card_routes(placeholder), *create_jsonrpc_routes(handler, "/")]
    )
    with serve(app) as url:
        yield f"{url}/"


async def send(
    url: str, text: str, task: Any = None, streaming: bool = False
) -> list[types.StreamResponse]:
    card = agent_card(url, streaming)
    client = await create_client(card, ClientConfig(streaming=streaming))
    ids = {"task_id": task.id, "context_id": task.context_id} if task is not None else {}
    message = messages.new_text_message(text, role=types.Role.ROLE_USER, **ids)
    request = types.SendMessageRequest(message=message)
    answers = [answer async for answer in client.send_message(request)]
    await client.close()
    return answers


def delegations(captured: Captured) -> list[ReadableSpan]:
    return [
        s
        for s in captured.spans()
        if s.name == f"invoke_agent {AGENT}" and s.kind is SpanKind.CLIENT
    ]


def served(captured: Captured) -> list[ReadableSpan]:
    return [
        s
        for s in captured.spans()
        if s.name == f"invoke_agent {AGENT}" and s.kind is SpanKind.INTERNAL
    ]


def turn(
    url: str, text: str, task: Any = None, streaming: bool = False
) -> list[types.StreamResponse]:
    """One message from the concierge agent to the weather agent: what it answered."""

    async def run() -> list[types.StreamResponse]:
        async with ss.agent_run("concierge"):
            return await send(url, text, task, streaming)

    return asyncio.run(run())


def test_a_delegation_is_counted_and_its_trace_continues_on_the_server(
    instrumented: Captured, weather_url: str
) -> None:
    (answer,) = turn(weather_url, "What is the weather?")
    assert answer.task.status.state == INPUT_REQUIRED

    assert instrumented.metric("a2a_delegations_total", target_agent=AGENT, status="success") == 1
    assert instrumented.metric("a2a_delegation_duration_seconds_count", target_agent=AGENT) == 1
    (client,) = delegations(instrumented)
    (server,) = served(instrumented)
    assert client.attributes is not None
    assert client.attributes["a2a.task.id"] == answer.task.id
    assert client.attributes["gen_ai.conversation.id"] == answer.task.context_id
    # The server's run continued the client's trace from the HTTP headers.
    assert server.context.trace_id == client.context.trace_id
    assert server.parent is not None and server.parent.span_id == client.context.span_id
    assert server.attributes is not None
    assert server.attributes["gen_ai.conversation.id"] == answer.task.context_id
    (completed,) = instrumented.events("a2a_delegation_completed")
    assert completed["target_agent"] == AGENT
    assert completed["agent_id"] == "concierge"


def test_input_required_is_a_wait_pending_until_the_task_continues(
    instrumented: Captured, weather_url: str
) -> None:
    (first,) = turn(weather_url, "What is the weather?")
    wait = {"approval_type": "a2a_input_required"}
    assert instrumented.metric("hitl_approvals_pending", **wait) == 1
    assert instrumented.metric("hitl_approvals_requested_total", agent_type=AGENT, **wait) == 1
    (required,) = instrumented.events("hitl_approval_required")
    assert required["approval_id"] == first.task.id
    # The waiting state is on the wait's span only: the delegation does not say it.
    (delegation,) = delegations(instrumented)
    assert delegation.attributes is not None and "a2a.task.state" not in delegation.attributes

    (second,) = turn(weather_url, "Paris", first.task)
    assert second.task.status.state == types.TaskState.TASK_STATE_COMPLETED
    assert instrumented.metric("hitl_approvals_pending", **wait) == 0
    answered = {"decision": "responded", "agent_type": AGENT, **wait}
    assert instrumented.metric("hitl_approvals_received_total", **answered) == 1
    (approval,) = [s for s in instrumented.spans() if s.name == "hitl_approval a2a_input_required"]
    assert approval.attributes is not None
    assert approval.attributes["a2a.task.state"] == "INPUT_REQUIRED"
    assert approval.attributes["a2a.task.id"] == first.task.id
    assert approval.parent is not None and approval.parent.span_id == delegation.context.span_id
    (resumed,) = [
        s for s in delegations(instrumented) if s.context.span_id != delegation.context.span_id
    ]
    assert resumed.attributes is not None and resumed.attributes["a2a.task.state"] == "COMPLETED"


def test_with_the_sdks_own_tracing_on_nothing_is_counted_twice(
    instrumented: Captured, weather_url: str
) -> None:
    # Other instrumentors' spans are counted too: a2a-sdk's scope is ours now.
    ss.count_other_spans()
    (first,) = turn(weather_url, "What is the weather?")
    turn(weather_url, "Paris", first.task)

    assert instrumented.metric("a2a_delegations_total", target_agent=AGENT, status="success") == 2
    assert len(delegations(instrumented)) == 2
    assert len(served(instrumented)) == 2
    # a2a-sdk traced its own functions beside ours; its scope is covered, so the catalog's
    # span processor leaves those spans alone.
    scopes = {s.instrumentation_scope.name for s in instrumented.spans() if s.instrumentation_scope}
    assert "a2a-python-sdk" in scopes
    assert "a2a-python-sdk" in integrations.covered_scopes
    sessions = instrumented.metric(
        "agent_sessions_total", agent_type=AGENT, status="success", operation="a2a"
    )
    assert sessions == 2
    wait = {"approval_type": "a2a_input_required", "agent_type": AGENT}
    assert instrumented.metric("hitl_approvals_requested_total", **wait) == 1


def test_uninstrument_stops_counting(global_spans: Captured, weather_url: str) -> None:
    ss.instrument_a2a()
    ss.instrument_a2a()
    asyncio.run(send(weather_url, "What is the weather?"))
    uninstrument_a2a()
    asyncio.run(send(weather_url, "What is the weather?"))

    labels = {"target_agent": AGENT, "status": "success"}
    assert global_spans.metric("a2a_delegations_total", **labels) == 1
    # The first task's wait ended undecided when the integration was turned off.
    assert global_spans.metric("hitl_approvals_pending", approval_type="a2a_input_required") == 0
    assert "a2a-python-sdk" not in integrations.covered_scopes


@pytest.mark.parametrize("weather_url", [True], indirect=True)
def test_a_streamed_delegation_lasts_until_the_last_event(
    instrumented: Captured, weather_url: str
) -> None:
    first = turn(weather_url, "What is the weather?", streaming=True)
    task = first[0].task
    wait = {"approval_type": "a2a_input_required"}
    assert instrumented.metric("hitl_approvals_pending", **wait) == 1
    last = turn(weather_url, "Paris", task, streaming=True)[-1]
    assert last.status_update.status.state == types.TaskState.TASK_STATE_COMPLETED

    assert instrumented.metric("hitl_approvals_pending", **wait) == 0
    assert instrumented.metric("a2a_delegations_total", target_agent=AGENT, status="success") == 2
    clients, servers = delegations(instrumented), served(instrumented)
    assert len(clients) == len(servers) == 2
    for client in clients:
        (server,) = [s for s in servers if s.parent and s.parent.span_id == client.context.span_id]
        assert server.attributes is not None
        assert server.attributes["gen_ai.conversation.id"] == task.context_id
    states = {(s.attributes or {}).get("a2a.task.state") for s in clients}
    assert states == {None, "COMPLETED"}


def test_an_agent_that_fails_fails_the_delegation(instrumented: Captured, weather_url: str) -> None:
    with pytest.raises(A2AError) as raised:
        turn(weather_url, "fail")

    assert instrumented.metric("a2a_delegations_total", target_agent=AGENT, status="failure") == 1
    (failed,) = instrumented.events("a2a_delegation_failed")
    assert failed["error_type"] == type(raised.value).__name__
    (server,) = served(instrumented)
    labels = {"agent_type": AGENT, "status": "failure", "operation": "a2a"}
    assert instrumented.metric("agent_sessions_total", **labels) == 1
    assert server.parent is not None
