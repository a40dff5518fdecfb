"""One agent model from every instrumentor's spans: what a span is, in our words.

The server stores each span with the fields its views need (operation, agent, tool, model,
provider, tokens, cost, session, handoff ends, what it waits on). Apps send them in many
conventions: ours and the GenAI semantic conventions (both generations of names),
OpenInference (LangChain/LangGraph, the OpenAI Agents SDK, CrewAI...), OpenLLMetry, the
Vercel AI SDK, pydantic-ai/Logfire, MCP and A2A. ``derive`` reads a span's name, kind,
attributes and events once, in that order of preference, and answers in one shape. It is
a pure function of the span alone: a span's parent may arrive later, in another request,
so what needs the parent (the agent a handoff span leaves) is resolved when queried.

It runs for every span the server receives, so it asks the attribute dict a fixed number
of questions (dict lookups) and parses JSON only where a framework hid a field in it.
"""

from __future__ import annotations

import json
from typing import Any, NamedTuple

from swarmscope.conventions import attributes as gen
from swarmscope.conventions import logfire, openai_agents, openinference, spans, traceloop
from swarmscope.conventions import vercel_ai as vercel


class AgentFields(NamedTuple):
    """What a span is in the agent model; None where the span does not say."""

    operation: str | None
    agent: str | None
    tool: str | None
    model: str | None
    input_tokens: Any
    output_tokens: Any
    provider: str | None
    cost_usd: Any
    session: str | None
    cache_read_tokens: Any
    cache_creation_tokens: Any
    reasoning_tokens: Any
    handoff_from: str | None
    handoff_to: str | None
    wait: str | None


# Where each field is found, first key first (the newest convention before the older).
MODEL_KEYS = (
    gen.GEN_AI_REQUEST_MODEL,
    gen.GEN_AI_RESPONSE_MODEL,
    openinference.LLM_MODEL_NAME,
    vercel.AI_MODEL_ID,
)
PROVIDER_KEYS = (
    gen.GEN_AI_PROVIDER_NAME,
    gen.GEN_AI_SYSTEM,
    openinference.LLM_PROVIDER,
    openinference.LLM_SYSTEM,
    vercel.AI_MODEL_PROVIDER,
)
INPUT_TOKEN_KEYS = (
    gen.GEN_AI_USAGE_INPUT_TOKENS,
    gen.GEN_AI_USAGE_PROMPT_TOKENS,
    openinference.LLM_TOKEN_COUNT_PROMPT,
    vercel.AI_USAGE_INPUT_TOKENS,
    vercel.AI_USAGE_PROMPT_TOKENS,
)
OUTPUT_TOKEN_KEYS = (
    gen.GEN_AI_USAGE_OUTPUT_TOKENS,
    gen.GEN_AI_USAGE_COMPLETION_TOKENS,
    openinference.LLM_TOKEN_COUNT_COMPLETION,
    vercel.AI_USAGE_OUTPUT_TOKENS,
    vercel.AI_USAGE_COMPLETION_TOKENS,
)
CACHE_READ_KEYS = (
    gen.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS,
    gen.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS_OLD,
    openinference.LLM_TOKEN_COUNT_CACHE_READ,
    vercel.AI_USAGE_CACHED_INPUT_TOKENS,
)
CACHE_CREATION_KEYS = (
    gen.GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS,
    gen.GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS_OLD,
    openinference.LLM_TOKEN_COUNT_CACHE_WRITE,
)
REASONING_KEYS = (
    gen.GEN_AI_USAGE_REASONING_OUTPUT_TOKENS,
    openinference.LLM_TOKEN_COUNT_REASONING,
    vercel.AI_USAGE_REASONING_TOKENS,
)
COST_KEYS = (gen.SWARMSCOPE_LLM_COST_USD, openinference.LLM_COST_TOTAL, logfire.OPERATION_COST)
AGENT_KEYS = (gen.GEN_AI_AGENT_NAME, openinference.AGENT_NAME, logfire.AGENT_NAME)
TOOL_KEYS = (gen.GEN_AI_TOOL_NAME, openinference.TOOL_NAME, vercel.AI_TOOL_CALL_NAME)
SESSION_KEYS = (
    gen.GEN_AI_CONVERSATION_ID,
    gen.SESSION_ID,
    *(
        f"{traceloop.TRACELOOP_ASSOCIATION_PROPERTIES}.{key}"
        for key in traceloop.SESSION_PROPERTIES
    ),
    *(f"{vercel.AI_TELEMETRY_METADATA}.{key}" for key in vercel.SESSION_METADATA),
    gen.MCP_SESSION_ID,
)
# Span names that say the operation and its subject: "invoke_agent planner".
_AGENT_PREFIXES = (f"{spans.INVOKE_AGENT} ", f"{spans.CREATE_AGENT} ")
_TOOL_PREFIXES = (f"{spans.EXECUTE_TOOL} ", f"{spans.MCP_TOOLS_CALL} ")
_NAMED_BY_PREFIX = {
    _AGENT_PREFIXES[0]: spans.INVOKE_AGENT,
    _AGENT_PREFIXES[1]: spans.CREATE_AGENT,
    _TOOL_PREFIXES[0]: spans.EXECUTE_TOOL,
    _TOOL_PREFIXES[1]: spans.EXECUTE_TOOL,
}
_APPROVAL_PREFIX = f"{spans.HITL_APPROVAL} "
_AGENT_OPERATIONS = frozenset({spans.INVOKE_AGENT, spans.CREATE_AGENT})


def first(attrs: dict[str, Any], keys: tuple[str, ...]) -> Any:
    """The value of the first of ``keys`` that is set and not empty."""
    for key in keys:
        found = attrs.get(key)
        if found is not None and found != "":
            return found
    return None


def derive(
    name: str,
    kind: str,
    attrs: dict[str, Any],
    events: list[tuple[int, str, dict[str, Any]]] | None = None,
) -> AgentFields:
    """The agent model's fields of one span (``kind`` is the OTLP kind's name, "client"...).

    Values are as sent (a token count may be a string or a float): the caller types them
    for its columns.
    """
    get = attrs.get
    operation = get(gen.GEN_AI_OPERATION_NAME)
    agent = first(attrs, AGENT_KEYS)
    tool = first(attrs, TOOL_KEYS)
    handoff_from = get(gen.SWARMSCOPE_HANDOFF_FROM_AGENT)
    handoff_to = get(gen.SWARMSCOPE_HANDOFF_TO_AGENT)
    session = first(attrs, SESSION_KEYS)
    wait = None

    open_kind = get(openinference.OPENINFERENCE_SPAN_KIND)
    if open_kind is not None:
        found = openinference.OPENINFERENCE_KINDS.get(str(open_kind).upper())
        operation = operation or found
        node = get(openinference.GRAPH_NODE_ID)
        parent_node = get(openinference.GRAPH_NODE_PARENT_ID)
        metadata = get(openinference.METADATA)
        if metadata:
            graph_node, thread = _langgraph(metadata)
            session = session or thread
            if (
                found == spans.CHAIN
                and graph_node == name
                and graph_node not in openinference.LANGGRAPH_INTERNAL_NODES
            ):
                # A LangGraph node's own span (not a runnable inside it): an agent's turn.
                operation, agent = spans.INVOKE_AGENT, agent or graph_node
        if name.startswith(openai_agents.HANDOFF_TO):
            operation, handoff_to = spans.HANDOFF, name[len(openai_agents.HANDOFF_TO) :]
        elif operation == spans.INVOKE_AGENT:
            agent = agent or node or name
            if parent_node and parent_node != agent:
                handoff_from = handoff_from or parent_node
        elif operation == spans.EXECUTE_TOOL:
            tool = tool or name
        output = get(openinference.OUTPUT_VALUE)
        if isinstance(output, str) and openinference.LANGGRAPH_INTERRUPT in output:
            wait = spans.WAIT_INTERRUPT

    elif operation is None:
        operation, agent, tool = _foreign_operation(name, attrs, agent, tool)

    if not isinstance(operation, str | None):
        # A sender's operation that is no text (a list, say) names nothing we know.
        return _fields(attrs, operation, agent, tool, session, handoff_from, handoff_to, wait)
    if operation == spans.EXECUTE_TOOL and tool is None:
        tool = _subject(name, _TOOL_PREFIXES)
    elif operation in _AGENT_OPERATIONS and agent is None:
        agent = _subject(name, _AGENT_PREFIXES)
    if name.startswith(_APPROVAL_PREFIX):
        wait = spans.WAIT_APPROVAL

    state = get(gen.A2A_TASK_STATE)
    if state is not None and str(state).lower() in spans.A2A_WAIT_STATES:
        wait = spans.WAIT_INPUT_REQUIRED
    if events and wait is None and _interrupted(events):
        wait = spans.WAIT_INTERRUPT

    return _fields(attrs, operation, agent, tool, session, handoff_from, handoff_to, wait)


def _fields(
    attrs: dict[str, Any],
    operation: Any,
    agent: Any,
    tool: Any,
    session: Any,
    handoff_from: Any,
    handoff_to: Any,
    wait: str | None,
) -> AgentFields:
    """The fields, with those read the same way in every convention looked up here."""
    provider = first(attrs, PROVIDER_KEYS)
    if isinstance(provider, str) and attrs.get(vercel.AI_MODEL_PROVIDER) == provider:
        provider = provider.split(".", 1)[0]  # "openai.chat" -> "openai"
    return AgentFields(
        operation,
        agent,
        tool,
        first(attrs, MODEL_KEYS),
        first(attrs, INPUT_TOKEN_KEYS),
        first(attrs, OUTPUT_TOKEN_KEYS),
        provider,
        first(attrs, COST_KEYS),
        session,
        first(attrs, CACHE_READ_KEYS),
        first(attrs, CACHE_CREATION_KEYS),
        first(attrs, REASONING_KEYS),
        handoff_from,
        handoff_to,
        wait,
    )


def _foreign_operation(
    name: str, attrs: dict[str, Any], agent: Any, tool: Any
) -> tuple[str | None, Any, Any]:
    """Operation, agent and tool of a span without gen_ai.operation.name or OpenInference's
    kind: OpenLLMetry's span kinds, the Vercel AI SDK's operation ids, MCP, pydantic-ai."""
    get = attrs.get
    loop_kind = get(traceloop.TRACELOOP_SPAN_KIND)
    if loop_kind is not None:
        operation = traceloop.TRACELOOP_KINDS.get(str(loop_kind).lower())
        entity = get(traceloop.TRACELOOP_ENTITY_NAME)
        if operation == spans.INVOKE_AGENT:
            agent = agent or entity
        elif operation == spans.EXECUTE_TOOL:
            tool = tool or entity
        return operation, agent, tool
    request_type = get(traceloop.LLM_REQUEST_TYPE)
    if request_type is not None:
        return traceloop.REQUEST_TYPES.get(str(request_type).lower()), agent, tool
    operation_id = str(get(vercel.AI_OPERATION_ID) or name)
    if operation_id in vercel.OPERATION_IDS:
        if operation_id in vercel.AGENT_OPERATION_IDS:
            agent = agent or get(vercel.AI_TELEMETRY_FUNCTION_ID)
        return vercel.OPERATION_IDS[operation_id], agent, tool
    method = get(gen.MCP_METHOD_NAME)
    if method is not None:
        if method == spans.MCP_TOOLS_CALL:
            return spans.EXECUTE_TOOL, agent, tool
        return spans.MCP_REQUEST, agent, tool
    if name == logfire.AGENT_RUN:
        return spans.INVOKE_AGENT, agent, tool
    for prefix, operation in _NAMED_BY_PREFIX.items():
        if name.startswith(prefix):
            return operation, agent, tool
    return None, agent, tool


def _langgraph(metadata: Any) -> tuple[str | None, str | None]:
    """LangGraph's node and thread in OpenInference's ``metadata`` (a JSON object)."""
    if isinstance(metadata, str):
        if openinference.LANGGRAPH_NODE not in metadata and (
            openinference.LANGGRAPH_THREAD_ID not in metadata
        ):
            return None, None
        try:
            metadata = json.loads(metadata)
        except ValueError:
            return None, None
    if not isinstance(metadata, dict):
        return None, None
    node = metadata.get(openinference.LANGGRAPH_NODE)
    thread = metadata.get(openinference.LANGGRAPH_THREAD_ID)
    return (
        node if isinstance(node, str) else None,
        None if thread is None else str(thread),
    )


def _interrupted(events: list[tuple[int, str, dict[str, Any]]]) -> bool:
    """Whether the span recorded LangGraph's GraphInterrupt (a stop for a person's input)."""
    for _, event_name, event_attrs in events:
        if event_name == spans.EVENT_EXCEPTION:
            raised = str(event_attrs.get(gen.EXCEPTION_TYPE, ""))
            if raised.rsplit(".", 1)[-1] == openinference.LANGGRAPH_INTERRUPT_EXCEPTION:
                return True
    return False


def _subject(name: str, prefixes: tuple[str, ...]) -> str | None:
    """The subject of a span named "{prefix} {subject}" for one of ``prefixes``."""
    for prefix in prefixes:
        if name.startswith(prefix):
            return name[len(prefix) :] or None
    return None
