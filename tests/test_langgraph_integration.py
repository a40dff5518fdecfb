"""``ss.instrument_langgraph()``: a real LangGraph graph reports agents, tools, handoffs, model
calls and interrupts as the hand-written calls do, with no change to the graph."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.types import Command

import swarmscope as ss
from langgraph_app import MODEL, build_graph, config, sqlite_saver
from swarmscope.conventions import attributes, spans
from swarmscope.conventions.openinference import LANGCHAIN_SCOPE
from swarmscope.integrations import covered_scopes
from swarmscope.integrations.langgraph import uninstrument_langgraph
from swarmscope.integrations.langgraph_interrupts import decision_of, load_pauses

APP = Path(__file__).parent / "langgraph_app.py"


@pytest.fixture
def instrumented(telemetry) -> Iterator:
    ss.instrument_langgraph()
    try:
        yield telemetry
    finally:
        uninstrument_langgraph()


def pending(telemetry) -> float:
    return telemetry.metric("hitl_approvals_pending", approval_type="reviewer")


def decided(telemetry, decision: str) -> float:
    return telemetry.metric(
        "hitl_approvals_received_total",
        approval_type="reviewer",
        decision=decision,
        agent_type="reviewer",
    )


def sessions(telemetry, agent: str, status: str = "success") -> float:
    return telemetry.metric(
        "agent_sessions_total", agent_type=agent, status=status, operation="run"
    )


def lookups(telemetry) -> float:
    return telemetry.metric(
        "agent_tool_calls_total", agent_type="researcher", tool_name="lookup", status="success"
    )


def handoffs(telemetry, source: str, target: str) -> float:
    return telemetry.metric(
        "agent_handoffs_total", from_agent=source, to_agent=target, status="success"
    )


def one_node_graph(node, **options):
    """A graph of one node, named after its function."""
    from langgraph.graph import END, START, MessagesState, StateGraph

    graph = StateGraph(MessagesState)
    graph.add_node(node.__name__, node, **options)
    graph.add_edge(START, node.__name__)
    graph.add_edge(node.__name__, END)
    return graph.compile()


def run_to_interrupt(graph, thread: str) -> None:
    out = graph.invoke({"messages": [("user", "acme?")]}, config(thread))
    assert len(out["__interrupt__"]) == 1


def test_agents_tools_handoffs_and_model_calls(instrumented):
    telemetry = instrumented
    build_graph(review=False).invoke({"messages": [("user", "acme?")]}, config("t-plain"))

    assert sessions(telemetry, "researcher") == 2  # before and after its tool call
    assert sessions(telemetry, "writer") == 1
    assert (
        telemetry.metric(
            "agent_session_duration_seconds_count", agent_type="writer", operation="run"
        )
        == 1
    )
    assert sessions(telemetry, "tools") == 0, "the tool node is no agent"
    assert lookups(telemetry) == 1
    assert handoffs(telemetry, "researcher", "writer") == 1
    assert handoffs(telemetry, "researcher", "researcher") == 0
    tokens = {"model": MODEL, "provider": "openai", "agent_type": "researcher"}
    assert telemetry.metric("llm_tokens_total", token_type="input", **tokens) == 250
    assert telemetry.metric("llm_tokens_total", token_type="output", **tokens) == 50
    assert telemetry.metric("llm_requests_total", status="success", **tokens) == 2
    assert telemetry.metric("llm_cost_usd_total", **tokens) > 0

    by_id = {s.context.span_id: s for s in telemetry.spans()}
    names = {s.name for s in by_id.values()}
    assert {"workflow LangGraph", "invoke_agent researcher", "execute_tool lookup"} <= names
    tool = telemetry.span("execute_tool lookup")
    assert by_id[tool.parent.span_id].name == "invoke_agent researcher"
    chats = [s for s in by_id.values() if s.name == f"chat {MODEL}"]
    assert len(chats) == 2
    for chat in chats:
        assert by_id[chat.parent.span_id].name == "invoke_agent researcher"
    assert chats[0].attributes[attributes.GEN_AI_USAGE_INPUT_TOKENS] in (100, 150)
    root = telemetry.span("workflow LangGraph")
    writer = telemetry.span("invoke_agent writer")
    assert writer.parent.span_id == root.context.span_id
    assert writer.attributes[attributes.GEN_AI_CONVERSATION_ID] == "t-plain"
    [link] = writer.links
    assert link.attributes[attributes.SWARMSCOPE_LINK] == spans.LINK_HANDOFF
    [handoff] = telemetry.events("agent_handoff")
    assert handoff["previous_agent"] == "researcher" and handoff["next_agent"] == "writer"
    started = telemetry.events("agent_execution_started")
    assert {e["agent_id"] for e in started} == {"researcher", "writer"}


def test_interrupt_is_a_pending_approval_decided_on_resume(instrumented):
    telemetry = instrumented
    graph = build_graph(InMemorySaver())
    run_to_interrupt(graph, "t-review")
    assert pending(telemetry) == 1
    assert (
        telemetry.metric(
            "hitl_approvals_requested_total", approval_type="reviewer", agent_type="reviewer"
        )
        == 1
    )
    interrupted = [s for s in telemetry.spans() if s.name == "invoke_agent reviewer"]
    assert len(interrupted) == 1
    assert interrupted[0].status.is_ok and attributes.ERROR_TYPE not in interrupted[0].attributes
    assert sessions(telemetry, "reviewer", "interrupted") == 1
    assert (
        telemetry.metric("errors_total", error_type="agent_execution_failed", severity="high") == 0
    )

    graph.invoke(Command(resume={"decision": "rejected"}), config("t-review"))
    assert pending(telemetry) == 0
    assert decided(telemetry, "rejected") == 1
    assert (
        telemetry.metric(
            "hitl_approval_latency_seconds_count", approval_type="reviewer", agent_type="reviewer"
        )
        == 1
    )
    approval = telemetry.span("hitl_approval reviewer")
    assert approval.attributes[attributes.SWARMSCOPE_APPROVAL_DECISION] == "rejected"
    assert approval.parent.span_id == interrupted[0].context.span_id
    roots = [s for s in telemetry.spans() if s.name == "workflow LangGraph"]
    resumed = [s for s in roots if s.links]
    assert len(roots) == 2 and len(resumed) == 1
    [link] = resumed[0].links
    assert link.context.span_id == interrupted[0].context.span_id
    assert link.attributes[attributes.SWARMSCOPE_LINK] == spans.LINK_RESUME_OF
    [received] = telemetry.events("hitl_approval_received")
    assert received["decision"] == "rejected" and received["approval_id"]


def test_a_resume_in_another_process_measures_the_wait(instrumented, tmp_path):
    """The first process runs up to the interrupt and exits; this one resumes the thread
    from the shared SQLite checkpointer, decides the approval, measures its wait from the
    first process's clock and links the resumed run to the node that paused there."""
    telemetry = instrumented
    db = str(tmp_path / "checkpoints.sqlite")
    first = subprocess.run(
        [sys.executable, str(APP), db, "t-elsewhere"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert first.returncode == 0, first.stderr
    trace_id, span_id = first.stdout.split()
    saver = sqlite_saver(db)
    ss.instrument_langgraph(checkpointer=saver)
    build_graph(saver).invoke(Command(resume="approved"), config("t-elsewhere"))
    labels = {"approval_type": "reviewer", "agent_type": "reviewer"}
    assert telemetry.metric("hitl_approval_latency_seconds_count", **labels) == 1
    assert telemetry.metric("hitl_approval_latency_seconds_sum", **labels) > 0
    assert decided(telemetry, "approved") == 1
    assert telemetry.metric("hitl_approvals_requested_total", **labels) == 0, (
        "the request was counted by the process that saw it"
    )
    approval = telemetry.span("hitl_approval reviewer")
    resumed = telemetry.span("workflow LangGraph")
    assert approval.start_time < resumed.start_time
    assert approval.parent.span_id == resumed.context.span_id
    for span in (resumed, approval):
        [link] = span.links
        assert (f"{link.context.trace_id:032x}", f"{link.context.span_id:016x}") == (
            trace_id,
            span_id,
        )
        assert link.attributes[attributes.SWARMSCOPE_LINK] == spans.LINK_RESUME_OF
    # Decided once: a second resume of the thread finds nothing pending.
    assert load_pauses(saver, "t-elsewhere") == []


def test_a_failing_node_rerun_by_its_retry_policy_counts_a_retry_and_an_error(instrumented):
    from langgraph.graph import MessagesState
    from langgraph.types import RetryPolicy

    telemetry = instrumented
    calls = []

    def flaky(state: MessagesState) -> dict:
        calls.append(1)
        if len(calls) == 1:
            raise ConnectionError("upstream reset")
        return {}

    retry = RetryPolicy(initial_interval=0.0, jitter=False)
    one_node_graph(flaky, retry_policy=retry).invoke({"messages": []})
    assert sessions(telemetry, "flaky", "failure") == 1
    assert sessions(telemetry, "flaky", "success") == 1
    assert (
        telemetry.metric(
            "agent_retries_total",
            agent_type="flaky",
            operation="flaky",
            retry_reason="connectionerror",
        )
        == 1
    )
    assert (
        telemetry.metric(
            "agent_errors_total",
            agent_type="flaky",
            error_type="agent_execution_failed",
            operation="run",
        )
        == 1
    )


def test_named_agents_make_the_other_nodes_workflow_nodes(telemetry):
    ss.instrument_langgraph(agents=["researcher"])
    try:
        build_graph(review=False).invoke({"messages": [("user", "acme?")]}, config("t-named"))
    finally:
        uninstrument_langgraph()
    assert (
        telemetry.metric(
            "workflow_nodes_executed_total",
            workflow_name="LangGraph",
            node_name="writer",
            status="success",
        )
        == 1
    )
    assert handoffs(telemetry, "researcher", "writer") == 0


def test_uninstrumented_graphs_report_nothing(telemetry):
    ss.instrument_langgraph()
    uninstrument_langgraph()
    build_graph(review=False).invoke({"messages": [("user", "acme?")]}, config("t-off"))
    assert not [s for s in telemetry.spans() if s.name.startswith("invoke_agent")]
    assert LANGCHAIN_SCOPE not in covered_scopes


def test_openinference_alongside_counts_once(instrumented):
    """With OpenInference's LangChain instrumentor on too, its spans are of a covered scope
    (the span processor leaves them alone) and our counts are not doubled."""
    from openinference.instrumentation.langchain import LangChainInstrumentor

    telemetry = instrumented
    instrumentor = LangChainInstrumentor()
    instrumentor.instrument(tracer_provider=telemetry.rt.tracer_provider)
    try:
        build_graph(review=False).invoke({"messages": [("user", "acme?")]}, config("t-oi"))
    finally:
        instrumentor.uninstrument()
    theirs = {
        s.instrumentation_scope.name
        for s in telemetry.spans()
        if s.instrumentation_scope is not None
        and not s.instrumentation_scope.name.startswith("swarmscope")
    }
    assert theirs == {LANGCHAIN_SCOPE}, "the covered scope is the one their spans carry"
    assert LANGCHAIN_SCOPE in covered_scopes
    assert sessions(telemetry, "writer", "success") == 1
    assert lookups(telemetry) == 1
    assert handoffs(telemetry, "researcher", "writer") == 1


@pytest.mark.parametrize(
    ("answer", "decision"),
    [
        ("approved", "approved"),
        ("Reject", "rejected"),
        (True, "approved"),
        ({"approved": False}, "rejected"),
        ({"decision": "approve", "note": "ok"}, "approved"),
        ({"type": "accept"}, "approved"),
        ({"text": "change the tone"}, "responded"),
        ("make it shorter", "responded"),
        ({"decision": "timeout"}, "timeout"),
        ("expired", "timeout"),
    ],
)
def test_decision_read_from_the_resume_value(answer, decision):
    assert decision_of(answer) == decision


def test_import_swarmscope_imports_no_framework():
    code = "import swarmscope, sys; print(any(m.startswith(('langgraph', 'langchain')) for m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_async_runs_report_the_same(instrumented):
    telemetry = instrumented
    graph = build_graph(InMemorySaver())

    async def scenario() -> None:
        out = await graph.ainvoke({"messages": [("user", "acme?")]}, config("t-async"))
        assert len(out["__interrupt__"]) == 1
        assert pending(telemetry) == 1
        await graph.ainvoke(Command(resume=True), config("t-async"))

    asyncio.run(scenario())
    assert sessions(telemetry, "researcher") == 2
    assert lookups(telemetry) == 1
    assert handoffs(telemetry, "writer", "reviewer") == 1
    assert pending(telemetry) == 0
    assert decided(telemetry, "approved") == 1
    tool = telemetry.span("execute_tool lookup")
    parent = next(s for s in telemetry.spans() if s.context.span_id == tool.parent.span_id)
    assert parent.name == "invoke_agent researcher"


def test_the_handler_passed_in_config_too_counts_once(instrumented):
    handler = ss.instrument_langgraph()
    build_graph(review=False).invoke(
        {"messages": [("user", "acme?")]}, {**config("t-twice"), "callbacks": [handler]}
    )
    assert sessions(instrumented, "writer") == 1
    assert lookups(instrumented) == 1


def test_plain_langchain_runs_outside_a_graph_are_left_alone(instrumented):
    from langchain_core.runnables import RunnableLambda

    from langgraph_app import scripted_model

    chain = RunnableLambda(lambda text: [("user", text)]) | scripted_model()
    chain.invoke("acme?")
    assert instrumented.spans() == []


def test_a_failing_tool_is_a_failed_tool_call_of_the_agent_that_asked(instrumented):
    from langchain_core.messages import AIMessage
    from langchain_core.tools import tool
    from langgraph.graph import START, MessagesState, StateGraph
    from langgraph.prebuilt import ToolNode

    @tool
    def lookup(query: str) -> str:
        """Look an account up."""
        raise ConnectionError("crm down")

    def researcher(state: MessagesState) -> dict:
        call = {"name": "lookup", "args": {"query": "acme"}, "id": "call-9"}
        return {"messages": [AIMessage(content="", tool_calls=[call])]}

    graph = StateGraph(MessagesState)
    graph.add_node("researcher", researcher)
    # The tool's error goes back to the model as a message: the graph goes on.
    graph.add_node("tools", ToolNode([lookup], handle_tool_errors=True))
    graph.add_edge(START, "researcher")
    graph.add_edge("researcher", "tools")
    graph.compile().invoke({"messages": [("user", "acme?")]})
    labels = {"agent_type": "researcher", "tool_name": "lookup"}
    assert instrumented.metric("agent_tool_calls_total", status="failure", **labels) == 1
    assert (
        instrumented.metric(
            "agent_errors_total",
            agent_type="researcher",
            error_type="agent_tool_call_failed",
            operation="tool_call",
        )
        == 1
    )
    span = instrumented.span("execute_tool lookup")
    assert span.attributes[attributes.ERROR_TYPE] == "ConnectionError"


def test_a_failing_model_call_counts_once_as_an_llm_error(instrumented):
    from langgraph.graph import MessagesState

    from langgraph_app import FakeOpenAIChat

    class Overloaded(FakeOpenAIChat):
        def _generate(self, *args, **kwargs):
            raise TimeoutError("model overloaded")

    model = Overloaded(responses=[])

    def researcher(state: MessagesState) -> dict:
        return {"messages": [model.invoke(state["messages"])]}

    with pytest.raises(TimeoutError):
        one_node_graph(researcher).invoke({"messages": [("user", "acme?")]})
    llm = {"model": MODEL, "provider": "openai", "agent_type": "researcher"}
    assert instrumented.metric("llm_requests_total", status="timeout", **llm) == 1
    assert instrumented.metric("errors_total", error_type="llm_error", severity="medium") == 1
    assert sessions(instrumented, "researcher", "timeout") == 1
    assert instrumented.metric("errors_total", error_type="agent_timeout", severity="high") == 0, (
        "one exception, counted once, under the layer that saw it first"
    )


def test_a_model_that_reports_its_retries_counts_them(instrumented):
    """LangChain models that retry through tenacity report each retry to the run manager."""
    import tenacity
    from langgraph.graph import MessagesState

    from langgraph_app import scripted_model

    class Retrying(type(scripted_model())):
        def _generate(self, messages, stop=None, run_manager=None, **kwargs):
            state = tenacity.RetryCallState(tenacity.Retrying(), None, (), {})
            state.attempt_number = 1
            state.outcome = tenacity.Future.construct(1, ConnectionError("reset"), True)
            run_manager.on_retry(state)
            return super()._generate(messages, stop, run_manager, **kwargs)

    model = Retrying(responses=scripted_model().responses[1:])

    def researcher(state: MessagesState) -> dict:
        return {"messages": [model.invoke(state["messages"])]}

    one_node_graph(researcher).invoke({"messages": [("user", "acme?")]})
    assert (
        instrumented.metric(
            "agent_retries_total",
            agent_type="researcher",
            operation="llm_call",
            retry_reason="connectionerror",
        )
        == 1
    )


def agent_then_review():
    """An agent node, then a workflow node that asks a person twice, one interrupt at a time
    (the node reruns on each resume)."""
    from langgraph.graph import START, MessagesState, StateGraph
    from langgraph.types import interrupt

    def writer(state: MessagesState) -> dict:
        return {"messages": [("ai", "draft")]}

    def review(state: MessagesState) -> dict:
        first, second = interrupt("send it?"), interrupt("to everyone?")
        return {"messages": [("ai", f"{first} {second}")]}

    graph = StateGraph(MessagesState).add_sequence([writer, review])
    return graph.add_edge(START, "writer").compile(checkpointer=InMemorySaver())


def test_a_resumed_run_is_the_paused_agents_and_a_timeout_answer_expires(telemetry):
    """The second interrupt comes in the resumed run, where no agent node ran: it is still the
    writer's. Resumed with "timeout", it counts as timed out, not as a decision."""
    ss.instrument_langgraph(agents=["writer"])
    try:
        graph = agent_then_review()
        run_to_interrupt(graph, "t-twice")
        out = graph.invoke(Command(resume={"decision": "approved"}), config("t-twice"))
        assert len(out["__interrupt__"]) == 1
        graph.invoke(Command(resume={"decision": "timeout"}), config("t-twice"))
    finally:
        uninstrument_langgraph()
    review = {"approval_type": "review", "agent_type": "writer"}
    assert telemetry.metric("hitl_approvals_requested_total", **review) == 2
    assert telemetry.metric("hitl_approvals_received_total", decision="approved", **review) == 1
    assert telemetry.metric("hitl_approval_timeouts_total", **review) == 1
    assert telemetry.metric("hitl_approvals_pending", approval_type="review") == 0
    assert [e["decision"] for e in telemetry.events("hitl_approval_received")] == ["approved"]
    assert sessions(telemetry, "writer") == 1, "resuming reruns the review node, not the writer"
