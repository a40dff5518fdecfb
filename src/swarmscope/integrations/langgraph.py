"""LangGraph runs as agent runs, handoffs, tool calls, LLM calls and approvals.

``instrument_langgraph()`` registers one callback handler through LangChain's public configure
hook, so every graph run in the process reports to it with no change to the app. From the
callbacks' run tree and LangGraph's metadata (the node, its task, the thread):

- a graph run is a ``workflow`` span; each node an ``agent_run`` (nodes named in ``agents``;
  by default every node but LangGraph's own and the prebuilt ``tools`` node) or a
  ``workflow_node``;
- an agent node that starts after another agent node ran (``Command(goto=...)``, a
  conditional edge) is a handoff between them;
- a tool node's tools are tool calls of the agent that asked for them (the last agent that
  ran), under that agent's span; model calls are ``llm_call``s with the response's tokens;
- a node that reruns in the same task after failing is a retry;
- a node that calls ``interrupt()`` ends ``interrupted`` (no error) and opens an approval per
  interrupt, decided when ``Command(resume=...)`` arrives on the thread (see
  ``langgraph_interrupts``); the resumed run's span links to the node that paused.

The spans hang on LangChain's run ids, never on the current context, since a run's start and
end callbacks may come in different threads or tasks.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.outputs import LLMResult
from langchain_core.tracers.context import register_configure_hook
from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.constants import END, START
from langgraph.errors import GraphBubbleUp, GraphInterrupt
from langgraph.types import Command
from opentelemetry import trace
from opentelemetry.trace import SpanContext

from swarmscope.conventions.attributes import SWARMSCOPE_LINK
from swarmscope.conventions.openinference import (
    LANGCHAIN_INTEGRATION,
    LANGCHAIN_MODEL_NAME,
    LANGCHAIN_PROVIDER,
    LANGCHAIN_SCOPE,
    LANGGRAPH_CHECKPOINT_NS,
    LANGGRAPH_INTERNAL_NODES,
    LANGGRAPH_NODE,
    LANGGRAPH_THREAD_ID,
)
from swarmscope.conventions.spans import LINK_RESUME_OF
from swarmscope.instrument.agents import AgentRun, retry
from swarmscope.instrument.handoffs import handoff
from swarmscope.instrument.hitl import Approval
from swarmscope.instrument.llm import LlmCall
from swarmscope.instrument.operation import Operation, safely
from swarmscope.instrument.tools import ToolCall
from swarmscope.instrument.workflows import Workflow, WorkflowNode
from swarmscope.integrations import covered_scopes
from swarmscope.integrations.langgraph_interrupts import (
    Paused,
    PendingInterrupts,
    SavedPause,
    answers,
    load_pauses,
    save_pauses,
    settle,
)

WHERE = "langgraph"
UNKNOWN_MODEL = "unknown"
_START_END = frozenset({START, END})


@dataclass
class _Graph:
    """One top-level graph run and what its next node needs to know."""

    name: str
    thread_id: str | None
    workflow: Workflow
    last_agent: AgentRun | None = None
    # A resumed run goes on where its thread paused: until one of its own agents runs, the
    # agent that paused is the last one (its tool calls and approvals are that agent's).
    paused_agent: str | None = None
    interrupted: bool = False
    # Task (checkpoint namespace) -> the error its last attempt raised: a rerun is a retry.
    failed: dict[str, BaseException] = field(default_factory=dict)
    attempts: dict[str, int] = field(default_factory=dict)
    # The interrupts of this run, written to the checkpointer when the run ends.
    paused: list[SavedPause] = field(default_factory=list)


@dataclass
class _Run:
    """What a LangChain run reports under: the span its children hang on and their agent.
    A run that adds no operation shares its parent's ``_Run``; ``owner`` is the run that
    started ``op``."""

    graph: _Graph
    owner: UUID
    span: trace.Span
    agent: str | None
    op: Operation | None = None
    ns: str | None = None


class LangGraphHandler(BaseCallbackHandler):
    """The callback handler ``instrument_langgraph`` registers (one per process)."""

    # Called in the event loop's thread for async runs, not through an executor: every
    # method is short and never waits.
    run_inline = True

    def __init__(self) -> None:
        super().__init__()
        self.enabled = False
        self.agents: frozenset[str] | None = None
        self.checkpointer: BaseCheckpointSaver[Any] | None = None
        self.pending = PendingInterrupts()
        self._runs: dict[UUID, _Run] = {}

    # -- chains: graphs and nodes --------------------------------------------------------
    def on_chain_start(
        self,
        serialized: dict[str, Any] | None,
        inputs: Any,
        *,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        metadata: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        if not self.enabled:
            return
        name = kwargs.get("name") or ""
        metadata = metadata or {}
        parent = self._runs.get(parent_run_id) if parent_run_id else None
        if parent is None:
            # A graph run outside any graph we follow (at the top, or inside a plain chain):
            # LangGraph marks its runs' metadata; other LangChain chains are none of ours.
            if LANGCHAIN_INTEGRATION in metadata:
                safely(WHERE, lambda: self._start_graph(run_id, name, inputs, metadata))
            return
        graph = parent.graph
        node = metadata.get(LANGGRAPH_NODE)
        if node == name and parent.op is graph.workflow and name not in _START_END:
            safely(WHERE, lambda: self._start_node(run_id, graph, name, metadata))
        else:
            self._runs[run_id] = parent

    def on_chain_end(self, outputs: Any, *, run_id: UUID, **kwargs: Any) -> None:
        run = self._runs.pop(run_id, None)
        if run is not None and run.owner == run_id:
            safely(WHERE, lambda: self._end(run, None))

    def on_chain_error(self, error: BaseException, *, run_id: UUID, **kwargs: Any) -> None:
        run = self._runs.pop(run_id, None)
        if run is not None and run.owner == run_id:
            safely(WHERE, lambda: self._end(run, error))

    # -- model calls ----------------------------------------------------------------------
    def on_chat_model_start(
        self,
        serialized: dict[str, Any] | None,
        messages: Any,
        *,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        metadata: dict[str, Any] | None = None,
        invocation_params: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        self.on_llm_start(
            serialized,
            [],
            run_id=run_id,
            parent_run_id=parent_run_id,
            metadata=metadata,
            invocation_params=invocation_params,
        )

    def on_llm_start(
        self,
        serialized: dict[str, Any] | None,
        prompts: list[str],
        *,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        metadata: dict[str, Any] | None = None,
        invocation_params: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        parent = self._runs.get(parent_run_id) if parent_run_id else None
        if parent is not None:
            safely(WHERE, lambda: self._start_llm(run_id, parent, metadata, invocation_params))

    def on_llm_end(self, response: LLMResult, *, run_id: UUID, **kwargs: Any) -> None:
        run = self._runs.pop(run_id, None)
        if run is not None and isinstance(run.op, LlmCall):
            call = run.op
            safely(WHERE, lambda: _record_usage(call, response))
            safely(WHERE, lambda: call.finish())

    def on_llm_error(self, error: BaseException, *, run_id: UUID, **kwargs: Any) -> None:
        run = self._runs.pop(run_id, None)
        if run is not None and run.op is not None:
            op = run.op
            safely(WHERE, lambda: op.finish(error))

    # -- tools ----------------------------------------------------------------------------
    def on_tool_start(
        self,
        serialized: dict[str, Any] | None,
        input_str: str,
        *,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        **kwargs: Any,
    ) -> None:
        parent = self._runs.get(parent_run_id) if parent_run_id else None
        if parent is None:
            return
        tool = (serialized or {}).get("name") or kwargs.get("name") or "tool"

        def start() -> None:
            call = ToolCall(str(tool), agent=parent.agent).start(parent.span)
            self._runs[run_id] = _Run(parent.graph, run_id, call.span, parent.agent, call)

        safely(WHERE, start)

    def on_tool_end(self, output: Any, *, run_id: UUID, **kwargs: Any) -> None:
        self.on_chain_end(output, run_id=run_id)

    def on_tool_error(self, error: BaseException, *, run_id: UUID, **kwargs: Any) -> None:
        self.on_chain_error(error, run_id=run_id)

    def on_retry(self, retry_state: Any, *, run_id: UUID, **kwargs: Any) -> None:
        run = self._runs.get(run_id)
        if run is None:
            return
        outcome = getattr(retry_state, "outcome", None)
        error = outcome.exception() if outcome is not None and outcome.failed else None
        attempt = getattr(retry_state, "attempt_number", None)
        # What retried: a node by its name, a model or tool call by its concept.
        operation = (run.ns or "").partition(":")[0] or (run.op.where if run.op else WHERE)
        safely(WHERE, lambda: self._retry(run, operation, error, attempt))

    # -- what the hooks do ----------------------------------------------------------------
    def _start_graph(self, run_id: UUID, name: str, inputs: Any, metadata: dict[str, Any]) -> None:
        thread = metadata.get(LANGGRAPH_THREAD_ID)
        thread_id = None if thread is None else str(thread)
        resume = inputs.resume if isinstance(inputs, Command) else None
        paused_agent = None
        if resume is None or thread_id is None:
            workflow = Workflow(name or WHERE).start()
        else:
            workflow, paused_agent = self._resume(name or WHERE, thread_id, resume)
        graph = _Graph(name or WHERE, thread_id, workflow, paused_agent=paused_agent)
        self._runs[run_id] = _Run(graph, run_id, workflow.span, None, workflow)

    def _resume(self, name: str, thread_id: str, resume: Any) -> tuple[Workflow, str | None]:
        """Start the resumed run's workflow, linked to the runs that paused, and decide their
        approvals: the ones this process holds, else the ones the checkpointer keeps. Returns
        the workflow and the agent that paused."""
        paused = self.pending.take(thread_id)
        saved = (
            [] if paused or self.checkpointer is None else load_pauses(self.checkpointer, thread_id)
        )
        contexts = [p.span_context for p in paused.values()]
        contexts += [s.span_context for s in saved if s.span_context is not None]
        workflow = Workflow(name).start(links=[_resumed_from(c) for c in contexts])
        for interrupt_id, answer in answers(resume, paused).items():
            settle(paused[interrupt_id].approval, answer)
        by_id = {s.interrupt_id: s for s in saved}
        for interrupt_id, answer in answers(resume, by_id).items():
            pause = by_id[interrupt_id]
            links = [_resumed_from(pause.span_context)] if pause.span_context else []
            approval = Approval(
                pause.approval_type,
                agent=pause.agent,
                approval_id=interrupt_id,
                requested_at=pause.requested_at,
            )
            settle(approval.start(workflow.span, links), answer)
        if self.checkpointer is not None and (paused or saved):
            save_pauses(self.checkpointer, thread_id, ())
        agents = [p.approval.agent for p in paused.values()] + [s.agent for s in saved]
        return workflow, next((agent for agent in agents if agent), None)

    def _start_node(self, run_id: UUID, graph: _Graph, node: str, metadata: dict[str, Any]) -> None:
        ns = str(metadata.get(LANGGRAPH_CHECKPOINT_NS) or node)
        last = graph.last_agent
        last_name = last.agent if last is not None else graph.paused_agent
        op: Operation | None
        if self._is_agent(node):
            if last_name is not None and last_name != node:
                with trace.use_span(graph.workflow.span, end_on_exit=False):
                    handoff(last_name, node)
            op = AgentRun(node, session_id=graph.thread_id).start(graph.workflow.span)
            run = _Run(graph, run_id, op.span, node, op, ns)
        elif node in LANGGRAPH_INTERNAL_NODES:
            # The prebuilt tool node: its calls are the last agent's, under that agent's span.
            span = last.span if last is not None else graph.workflow.span
            run = _Run(graph, run_id, span, last_name, None, ns)
        else:
            op = WorkflowNode(graph.name, node).start(graph.workflow.span)
            run = _Run(graph, run_id, op.span, last_name, op, ns)
        self._runs[run_id] = run
        failed = graph.failed.pop(ns, None)
        if failed is not None:
            graph.attempts[ns] = graph.attempts.get(ns, 1) + 1
            self._retry(run, node, failed, graph.attempts[ns])

    def _start_llm(
        self,
        run_id: UUID,
        parent: _Run,
        metadata: dict[str, Any] | None,
        params: dict[str, Any] | None,
    ) -> None:
        metadata, params = metadata or {}, params or {}
        model = (
            metadata.get(LANGCHAIN_MODEL_NAME)
            or params.get("model")
            or params.get("model_name")
            or UNKNOWN_MODEL
        )
        provider = metadata.get(LANGCHAIN_PROVIDER)
        call = LlmCall(str(model), str(provider) if provider else None, agent=parent.agent)
        call.start(parent.span)
        self._runs[run_id] = _Run(parent.graph, run_id, call.span, parent.agent, call)

    def _end(self, run: _Run, error: BaseException | None) -> None:
        op, graph = run.op, run.graph
        if op is None:
            return
        if isinstance(error, GraphInterrupt):
            graph.interrupted = True
            if op is not graph.workflow:
                self._pause(run, error)
            op.mark_interrupted()
            error = None
        elif isinstance(error, GraphBubbleUp):
            error = None  # a Command for the parent graph: control flow, not a failure
        elif error is not None and run.ns is not None:
            graph.failed[run.ns] = error
        if op is graph.workflow and graph.interrupted and error is None:
            op.mark_interrupted()
        op.finish(error)
        if isinstance(op, AgentRun):
            graph.last_agent = op
        if op is graph.workflow and graph.paused and self.checkpointer is not None:
            save_pauses(self.checkpointer, graph.thread_id or "", graph.paused)

    def _pause(self, run: _Run, interrupt: GraphInterrupt) -> None:
        graph, agent = run.graph, run.agent
        node = (run.ns or "").partition(":")[0]
        context = run.span.get_span_context()
        if graph.thread_id is None:
            return  # without a thread, no run can resume it
        for item in interrupt.args[0] if interrupt.args else ():
            interrupt_id = str(getattr(item, "id", ""))
            approval = Approval(node, agent=agent, approval_id=interrupt_id).start(run.span)
            self.pending.add(graph.thread_id, interrupt_id, Paused(approval, context))
            graph.paused.append(SavedPause(interrupt_id, node, agent, time.time(), context))

    def _retry(self, run: _Run, operation: str, error: BaseException | None, attempt: Any) -> None:
        if error is None or isinstance(error, TimeoutError):
            reason = "timeout" if error is not None else "unknown"
        else:
            reason = type(error).__name__.lower()
        with trace.use_span(run.span, end_on_exit=False):
            retry(operation, reason, attempt if isinstance(attempt, int) else None, run.agent)

    def _is_agent(self, node: str) -> bool:
        if self.agents is not None:
            return node in self.agents
        return node not in LANGGRAPH_INTERNAL_NODES


def _resumed_from(span_context: SpanContext) -> trace.Link:
    return trace.Link(span_context, {SWARMSCOPE_LINK: LINK_RESUME_OF})


def _record_usage(call: LlmCall, response: LLMResult) -> None:
    """The response's token counts and model (LangChain's usage metadata, else the
    provider's ``token_usage``)."""
    input_tokens = output_tokens = cache_read = 0
    model: str | None = None
    for generations in response.generations:
        for generation in generations:
            message = getattr(generation, "message", None)
            usage = getattr(message, "usage_metadata", None) or {}
            input_tokens += usage.get("input_tokens", 0)
            output_tokens += usage.get("output_tokens", 0)
            cache_read += (usage.get("input_token_details") or {}).get("cache_read", 0)
            model = model or (getattr(message, "response_metadata", None) or {}).get("model_name")
    if not (input_tokens or output_tokens):
        token_usage = (response.llm_output or {}).get("token_usage") or {}
        input_tokens = token_usage.get("prompt_tokens", 0)
        output_tokens = token_usage.get("completion_tokens", 0)
    if model and call.model == UNKNOWN_MODEL:
        # The request named no model (LangChain knew none): the response's names the series.
        call.model = model
        call.span.update_name(call.span_name())
    call.record_usage(
        input_tokens, output_tokens, cache_read_tokens=cache_read, response_model=model
    )


_handler: LangGraphHandler | None = None
# LangChain's configure hook attaches the handler this variable holds to every run. Its
# default is the handler, so that every thread and task sees it (a thread starts with an
# empty context); turning off clears it in the caller's context and idles the handler.
_hook: ContextVar[LangGraphHandler | None] | None = None
_lock = threading.Lock()


def instrument_langgraph(
    agents: Iterable[str] | None = None,
    checkpointer: BaseCheckpointSaver[Any] | None = None,
) -> LangGraphHandler:
    """Report every LangGraph run in this process. ``agents`` names the nodes that are agents
    (default: every node but LangGraph's own and the prebuilt ``tools`` node); the others are
    workflow nodes. ``checkpointer``, the graph's (a synchronous saver), keeps each pause
    there too, so that a resume in another process decides it, measures its wait and links to
    the run that paused. Calling it again changes the settings. The handler is returned too,
    for ``config={"callbacks": [...]}`` where LangChain's hook is not consulted."""
    global _handler, _hook
    with _lock:
        if _handler is None or _hook is None:
            _handler = LangGraphHandler()
            _hook = ContextVar(WHERE, default=_handler)
            register_configure_hook(_hook, inheritable=True)
        _hook.set(_handler)
        _handler.agents = None if agents is None else frozenset(agents)
        _handler.checkpointer = checkpointer
        _handler.enabled = True
    covered_scopes.add(LANGCHAIN_SCOPE)
    return _handler


def uninstrument_langgraph() -> None:
    """Stop reporting LangGraph runs. LangChain keeps its hook: in the caller's context it
    attaches nothing any more, elsewhere it attaches a handler that does nothing."""
    if _handler is not None and _hook is not None:
        _handler.enabled = False
        _hook.set(None)
    covered_scopes.discard(LANGCHAIN_SCOPE)


__all__ = ["LangGraphHandler", "instrument_langgraph", "uninstrument_langgraph"]
