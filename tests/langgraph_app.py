"""A small LangGraph app for the integration tests and the benchmark: three agents, a tool
node, a conditional edge, a ``Command(goto=...)`` and a human review through ``interrupt()``.

Run as a script (``python langgraph_app.py DB THREAD``) it runs one thread up to its
interrupt against a SQLite checkpointer, instrumented, and exits, as a first process would.
"""

from __future__ import annotations

import sqlite3
import sys
from typing import Any, Literal

from langchain_core.language_models.fake_chat_models import FakeMessagesListChatModel
from langchain_core.messages import AIMessage
from langchain_core.tools import tool
from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.graph import END, START, MessagesState, StateGraph
from langgraph.graph.state import CompiledStateGraph
from langgraph.prebuilt import ToolNode
from langgraph.types import Command, interrupt

MODEL = "gpt-4o-mini"
AGENTS = ("researcher", "writer", "reviewer")


class FakeOpenAIChat(FakeMessagesListChatModel):
    """A scripted chat model that LangChain reports as OpenAI's ``gpt-4o-mini``."""

    def _get_ls_params(self, stop: list[str] | None = None, **kwargs: Any) -> Any:
        params = super()._get_ls_params(stop=stop, **kwargs)
        params["ls_provider"] = "openai"
        params["ls_model_name"] = MODEL
        return params


def scripted_model() -> FakeOpenAIChat:
    """A tool call, then an answer; each with the usage an OpenAI response reports."""
    return FakeOpenAIChat(
        responses=[
            AIMessage(
                content="",
                tool_calls=[{"name": "lookup", "args": {"query": "acme"}, "id": "call-1"}],
                usage_metadata={"input_tokens": 100, "output_tokens": 20, "total_tokens": 120},
            ),
            AIMessage(
                content="acme is a customer",
                usage_metadata={"input_tokens": 150, "output_tokens": 30, "total_tokens": 180},
            ),
        ]
    )


@tool
def lookup(query: str) -> str:
    """Look an account up."""
    return f"{query}: active customer"


def build_graph(
    checkpointer: BaseCheckpointSaver[Any] | None = None, review: bool = True
) -> CompiledStateGraph[Any, Any, Any, Any]:
    model = scripted_model()

    def researcher(state: MessagesState) -> dict[str, Any]:
        return {"messages": [model.invoke(state["messages"])]}

    def route(state: MessagesState) -> Literal["tools", "writer"]:
        last = state["messages"][-1]
        return "tools" if isinstance(last, AIMessage) and last.tool_calls else "writer"

    def writer(state: MessagesState) -> Command[Literal["reviewer", "__end__"]]:
        draft = AIMessage(content="draft: acme is a customer")
        return Command(goto="reviewer" if review else END, update={"messages": [draft]})

    def reviewer(state: MessagesState) -> dict[str, Any]:
        answer = interrupt({"question": "send the draft?"})
        return {"messages": [AIMessage(content=f"review: {answer}")]}

    graph = StateGraph(MessagesState)
    graph.add_node("researcher", researcher)
    graph.add_node("tools", ToolNode([lookup]))
    graph.add_node("writer", writer)
    graph.add_node("reviewer", reviewer)
    graph.add_edge(START, "researcher")
    graph.add_conditional_edges("researcher", route)
    graph.add_edge("tools", "researcher")
    graph.add_edge("reviewer", END)
    return graph.compile(checkpointer=checkpointer)


def sqlite_saver(path: str) -> Any:
    from langgraph.checkpoint.sqlite import SqliteSaver

    return SqliteSaver(sqlite3.connect(path, check_same_thread=False))


def config(thread_id: str) -> dict[str, Any]:
    return {"configurable": {"thread_id": thread_id}}


def first_process(db: str, thread: str) -> str:
    """Run ``thread`` up to its interrupt, instrumented, with a SQLite checkpointer; the
    trace and span ids of the node that paused, as ``trace_id span_id`` in hex."""
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    import swarmscope as ss

    spans = InMemorySpanExporter()
    ss.init(service_name="first", span_exporter=spans, log_stream="none", logs_exporter="none")
    saver = sqlite_saver(db)
    ss.instrument_langgraph(checkpointer=saver)
    out = build_graph(saver).invoke({"messages": [("user", "acme?")]}, config(thread))
    assert len(out["__interrupt__"]) == 1
    ss.current().flush()
    [paused] = [s for s in spans.get_finished_spans() if s.name == "invoke_agent reviewer"]
    ss.shutdown()
    return f"{paused.context.trace_id:032x} {paused.context.span_id:016x}"


if __name__ == "__main__":
    print(first_process(sys.argv[1], sys.argv[2]))
