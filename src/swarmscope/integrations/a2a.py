"""A2A (``a2a-sdk`` 1.x): tasks delegated to remote agents, the agents serving them, and the
waits a task in ``INPUT_REQUIRED`` or ``AUTH_REQUIRED`` stands for.

Client: each ``send_message`` of an a2a-sdk client (``BaseClient``, what ``create_client`` and
``ClientFactory`` build) is an ``a2a_delegation`` to the agent card's agent, its W3C trace
context sent as HTTP headers through the call's ``ClientCallContext.service_parameters`` (the
SDK's per-call headers, which every HTTP transport sends). The delegation lasts until the
agent's last event, and its span carries the task id, the context id (as the conversation)
and the state the task reached.

Server: ``DefaultRequestHandler.on_message_send`` and ``on_message_send_stream`` continue the
caller's trace from the request's headers (which the SDK keeps in the ``ServerCallContext``)
and run as an ``agent_run`` of the card's agent, the message's context id its session.

Waits: a task that answers in a waiting state opens an ``approval`` (pending, child of that
delegation) which the next message to the same task resolves. The waiting state is written on
the approval's span only, so one wait is one span wherever spans are read.

a2a-sdk's own spans (function names, no attributes) stay as they are; their scope joins
``covered_scopes`` so nothing counts them.
"""

from __future__ import annotations

import functools
import threading
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

from a2a.client.base_client import BaseClient
from a2a.client.client import ClientCallContext
from a2a.server.request_handlers import DefaultRequestHandler
from a2a.types import TaskState

from swarmscope import integrations
from swarmscope.conventions.a2a_sdk import A2A_SCOPES, TASK_STATE_PREFIX, WAIT_APPROVAL_TYPE
from swarmscope.conventions.attributes import A2A_TASK_ID, A2A_TASK_STATE, GEN_AI_CONVERSATION_ID
from swarmscope.conventions.spans import A2A_WAIT_STATES
from swarmscope.instrument.agents import agent_run
from swarmscope.instrument.hitl import Approval, approval
from swarmscope.instrument.operation import CANCELLED, Operation, safely
from swarmscope.instrument.tools import a2a_delegation
from swarmscope.propagation import continue_trace, inject_headers

WHERE = "a2a"
# The decision a waiting task's approval is resolved with when the next message reaches it.
RESPONDED = "responded"
# Task states that end a delegation as failed, and the status each counts as.
FAILED_STATES = {"FAILED": "failure", "REJECTED": "failure", "CANCELED": CANCELLED}
# Waits open at once, at most: past this the oldest is closed undecided (cancelled).
MAX_WAITS = 1024
# Set on our wrappers: the method each replaced, which uninstrument_a2a() puts back.
_ORIGINAL = "__swarmscope_original__"


@dataclass
class _Task:
    """What a delegation's events said about its task."""

    task_id: str = ""
    context_id: str = ""
    state: str = ""

    def observe(self, event: Any) -> None:
        """Take ids and state from a client event (StreamResponse), a task, a task's status or
        artifact update, or a message."""
        kind = event.DESCRIPTOR.name
        if kind == "StreamResponse":
            for field in ("task", "status_update", "artifact_update", "message"):
                if event.HasField(field):
                    self.observe(getattr(event, field))
                    return
            return
        self.task_id = (event.id if kind == "Task" else event.task_id) or self.task_id
        self.context_id = event.context_id or self.context_id
        if kind in ("Task", "TaskStatusUpdateEvent") and event.status.state:
            self.state = TaskState.Name(event.status.state).removeprefix(TASK_STATE_PREFIX)

    @property
    def waiting(self) -> bool:
        return self.state.lower() in A2A_WAIT_STATES

    def describe(self, operation: Operation) -> None:
        """Write the task on ``operation``'s span and end it as failed if the task failed."""
        if self.task_id:
            operation.set_attribute(A2A_TASK_ID, self.task_id)
        if self.context_id:
            operation.set_attribute(GEN_AI_CONVERSATION_ID, self.context_id)
        if self.state and not self.waiting:
            operation.set_attribute(A2A_TASK_STATE, self.state)
        if self.state in FAILED_STATES:
            operation.mark_failed(FAILED_STATES[self.state])


# -- waits ----------------------------------------------------------------------------------
# Open waits by task id (started approvals, current nowhere), oldest first.
_waits: OrderedDict[str, Approval] = OrderedDict()
_waits_lock = threading.Lock()


def _open_wait(task: _Task, agent: str) -> None:
    """The task waits for someone: a pending approval, a child of the current delegation."""
    pending = approval(
        WAIT_APPROVAL_TYPE.format(state=task.state.lower()), agent, None, task.task_id
    )
    pending.start()
    pending.set_attribute(A2A_TASK_ID, task.task_id)
    pending.set_attribute(A2A_TASK_STATE, task.state)
    with _waits_lock:
        evicted = _waits.pop(task.task_id, None)
        _waits[task.task_id] = pending
        if len(_waits) > MAX_WAITS:
            evicted = _waits.popitem(last=False)[1]
    if evicted is not None:
        evicted.finish()


def _end_wait(request: Any) -> None:
    """A message reached a waiting task: whoever it waited for has answered."""
    with _waits_lock:
        wait = _waits.pop(request.message.task_id, None)
    if wait is not None:
        wait.resolve(RESPONDED)
        wait.finish()


async def _streamed(
    start: Callable[[], Operation],
    events_of: Callable[[], AsyncIterator[Any]],
    task: _Task,
    ended: Callable[[Operation], None],
) -> AsyncIterator[Any]:
    """The events of a streamed call as one operation, started at the first read and finished
    after the last: current while the SDK works, not while the app holds an event (a suspended
    generator may be closed from another task)."""
    operation = start()
    failure: BaseException | None = None
    try:
        with operation.within():
            events = events_of()
        while True:
            with operation.within():
                try:
                    event = await anext(events)
                except StopAsyncIteration:
                    break
            safely(WHERE, functools.partial(task.observe, event))
            yield event
    except GeneratorExit:
        # The app stopped reading: the call ends here, not as a failure.
        raise
    except BaseException as error:
        failure = error
        raise
    finally:
        with operation.within():
            safely(WHERE, functools.partial(ended, operation))
        operation.finish(failure)


# -- the client -----------------------------------------------------------------------------
def _with_trace_headers(context: ClientCallContext | None) -> ClientCallContext:
    """A copy of the call's context whose headers carry the current span's trace context."""
    call = ClientCallContext() if context is None else context.model_copy()
    call.service_parameters = inject_headers(call.service_parameters)
    return call


def _card_name(card: Any) -> str:
    name = getattr(card, "name", None)
    return name if isinstance(name, str) and name else "unknown"


SendMessage = Callable[..., AsyncIterator[Any]]


def _delegating(send_message: SendMessage) -> SendMessage:
    @functools.wraps(send_message)
    def send_delegated(
        self: BaseClient, request: Any, *, context: ClientCallContext | None = None, **kw: Any
    ) -> AsyncIterator[Any]:
        target = _card_name(getattr(self, "_card", None))
        task = _Task()

        def start() -> Operation:
            safely(WHERE, functools.partial(_end_wait, request))
            return a2a_delegation(target).start()

        def events() -> AsyncIterator[Any]:
            call = safely(WHERE, functools.partial(_with_trace_headers, context)) or context
            return send_message(self, request, context=call, **kw)

        return _streamed(start, events, task, functools.partial(_end_delegation, task, target))

    setattr(send_delegated, _ORIGINAL, send_message)
    return send_delegated


def _end_delegation(task: _Task, target: str, delegation: Operation) -> None:
    task.describe(delegation)
    if task.waiting and task.task_id:
        _open_wait(task, target)


# -- the server -----------------------------------------------------------------------------
def _caller(context: Any) -> dict[str, str]:
    """The request's HTTP headers, which carry the caller's trace context."""
    headers = context.state.get("headers")
    return headers if isinstance(headers, dict) else {}


def _session(params: Any) -> str | None:
    """The message's context id: the conversation the agent's run belongs to."""
    return params.message.context_id or None


OnMessageSend = Callable[..., Any]


def _serving(on_message_send: OnMessageSend) -> OnMessageSend:
    @functools.wraps(on_message_send)
    async def serve(self: Any, params: Any, context: Any, *args: Any, **kwargs: Any) -> Any:
        agent = _card_name(getattr(self, "_agent_card", None))
        session = safely(WHERE, functools.partial(_session, params))
        with continue_trace(safely(WHERE, functools.partial(_caller, context)) or {}):
            async with agent_run(agent, operation=WHERE, session_id=session) as run:
                result = await on_message_send(self, params, context, *args, **kwargs)
                task = _Task()
                safely(WHERE, functools.partial(task.observe, result))
                safely(WHERE, functools.partial(task.describe, run))
                return result

    setattr(serve, _ORIGINAL, on_message_send)
    return serve


def _serving_stream(on_message_send_stream: OnMessageSend) -> OnMessageSend:
    @functools.wraps(on_message_send_stream)
    def serve_stream(
        self: Any, params: Any, context: Any, *args: Any, **kwargs: Any
    ) -> AsyncIterator[Any]:
        task = _Task()

        def start() -> Operation:
            agent = _card_name(getattr(self, "_agent_card", None))
            session = safely(WHERE, functools.partial(_session, params))
            with continue_trace(safely(WHERE, functools.partial(_caller, context)) or {}):
                return agent_run(agent, operation=WHERE, session_id=session).start()

        def events() -> AsyncIterator[Any]:
            return on_message_send_stream(self, params, context, *args, **kwargs)

        return _streamed(start, events, task, task.describe)

    setattr(serve_stream, _ORIGINAL, on_message_send_stream)
    return serve_stream


# -- turning it on and off ------------------------------------------------------------------
_WRAPPED: tuple[tuple[type, str, Callable[[Any], Any]], ...] = (
    (BaseClient, "send_message", _delegating),
    (DefaultRequestHandler, "on_message_send", _serving),
    (DefaultRequestHandler, "on_message_send_stream", _serving_stream),
)


def instrument_a2a() -> None:
    """Count A2A delegations, continue their traces on the serving side and record the waits
    of tasks that need input, from now on; idempotent."""
    for owner, name, wrap in _WRAPPED:
        method = getattr(owner, name)
        if not hasattr(method, _ORIGINAL):
            setattr(owner, name, wrap(method))
    integrations.covered_scopes.update(A2A_SCOPES)


def uninstrument_a2a() -> None:
    """Undo ``instrument_a2a``; waits still open end undecided (cancelled)."""
    for owner, name, _ in _WRAPPED:
        original = getattr(getattr(owner, name), _ORIGINAL, None)
        if original is not None:
            setattr(owner, name, original)
    with _waits_lock:
        waits = list(_waits.values())
        _waits.clear()
    for wait in waits:
        wait.finish()
    integrations.covered_scopes.difference_update(A2A_SCOPES)
