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
import re
from typing import Any, NamedTuple

from swarmscope.conventions import attributes as gen
from swarmscope.conventions import logfire, openai_agents, openinference, traceloop
from swarmscope.conventions import vercel_ai as vercel
from swarmscope.conventions.spans import (
    A2A_WAIT_STATES,
    AG_UI_INTERRUPT,
    CHAIN,
    CREATE_AGENT,
    EVENT_EXCEPTION,
    EXECUTE_TOOL,
    HANDOFF,
    HITL_APPROVAL,
    INVOKE_AGENT,
    INVOKE_WORKFLOW,
    MCP_REQUEST,
    MCP_TOOLS_CALL,
    WAIT_APPROVAL,
    WAIT_INPUT_REQUIRED,
    WAIT_INTERRUPT,
)


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
    traceloop.GEN_AI_USAGE_REASONING_TOKENS,
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
    gen.AG_UI_THREAD_ID,
)
# Span names that say the operation and its subject: "invoke_agent planner".
_AGENT_PREFIXES = (f"{INVOKE_AGENT} ", f"{CREATE_AGENT} ")
_TOOL_PREFIXES = (f"{EXECUTE_TOOL} ", f"{MCP_TOOLS_CALL} ")
_APPROVAL_PREFIX = f"{HITL_APPROVAL} "
_AGENT_OPERATIONS = frozenset({INVOKE_AGENT, CREATE_AGENT})


# Every key the model reads, filed under what it says (a slot) with its rank there (0 is the
# most preferred): ``derive`` walks a span's attributes once and asks each key one dict
# lookup, rather than asking the span for each of the ~50 keys in turn.
(
    OPERATION,
    AGENT,
    TOOL,
    MODEL,
    INPUT,
    OUTPUT,
    PROVIDER,
    COST,
    SESSION,
    CACHE_READ,
    CACHE_CREATION,
    REASONING,
    HANDOFF_FROM,
    HANDOFF_TO,
    OPEN_KIND,
    GRAPH_NODE,
    GRAPH_PARENT,
    METADATA,
    A2A_STATE,
    AG_UI_OUTCOME,
) = range(20)
_SLOT_KEYS: dict[int, tuple[str, ...]] = {
    OPERATION: (gen.GEN_AI_OPERATION_NAME,),
    AGENT: AGENT_KEYS,
    TOOL: TOOL_KEYS,
    MODEL: MODEL_KEYS,
    INPUT: INPUT_TOKEN_KEYS,
    OUTPUT: OUTPUT_TOKEN_KEYS,
    PROVIDER: PROVIDER_KEYS,
    COST: COST_KEYS,
    SESSION: SESSION_KEYS,
    CACHE_READ: CACHE_READ_KEYS,
    CACHE_CREATION: CACHE_CREATION_KEYS,
    REASONING: REASONING_KEYS,
    HANDOFF_FROM: (gen.SWARMSCOPE_HANDOFF_FROM_AGENT,),
    HANDOFF_TO: (gen.SWARMSCOPE_HANDOFF_TO_AGENT,),
    OPEN_KIND: (openinference.OPENINFERENCE_SPAN_KIND,),
    GRAPH_NODE: (openinference.GRAPH_NODE_ID,),
    GRAPH_PARENT: (openinference.GRAPH_NODE_PARENT_ID,),
    METADATA: (openinference.METADATA,),
    A2A_STATE: (gen.A2A_TASK_STATE,),
    AG_UI_OUTCOME: (gen.AG_UI_RUN_OUTCOME,),
}
_SLOTS = {key: (slot, rank) for slot, keys in _SLOT_KEYS.items() for rank, key in enumerate(keys)}
# The same, in a fixed order: the key, its slot and rank (what a reader keeps per key).
SLOT_KEYS = tuple((key, slot, rank) for key, (slot, rank) in _SLOTS.items())
SLOT_COUNT = len(_SLOT_KEYS)
_NO_RANK = (99,) * len(_SLOT_KEYS)
_new_fields = tuple.__new__
_NOTHING = (None,) * len(_SLOT_KEYS)


def read_slots(attrs: dict[str, Any]) -> list[Any]:
    """Per slot, the value of its most preferred key the span carries (not empty)."""
    values = list(_NOTHING)
    ranks = list(_NO_RANK)
    slots = _SLOTS
    for key, value in attrs.items():
        slot = slots.get(key)
        if slot is not None and value is not None and value != "":
            at, rank = slot
            if rank < ranks[at]:
                values[at] = value
                ranks[at] = rank
    return values


def derive(
    name: str,
    kind: str,
    attrs: dict[str, Any],
    events: list[tuple[int, str, dict[str, Any]]] | None = None,
) -> AgentFields:
    """The agent model's fields of one span. ``kind`` is the OTLP kind's name ("client"...):
    part of what a span is, though no rule needs it yet (an MCP span says its side itself).

    Values are as sent (a token count may be a string or a float): the caller types them
    for its columns.
    """
    return _new_fields(AgentFields, derive_from_slots(name, attrs, events, read_slots(attrs)))


def derive_from_slots(
    name: str,
    attrs: dict[str, Any],
    events: list[tuple[int, str, dict[str, Any]]] | None,
    found: list[Any],
) -> tuple[Any, ...]:
    """``derive``'s fields, in ``AgentFields``' order, given ``read_slots(attrs)``: the
    compiled span reader collects the slots as it reads the attributes (``SLOT_KEYS``),
    which spares a second walk of them. A plain tuple: the reader unpacks it at once, and
    making the named tuple cost as much as the mapping itself."""
    # One unpacking of the slots, in their order: compiled, it reads each slot directly,
    # where indexing by the slot's number looked the number up and indexed each time.
    (
        operation,
        agent,
        tool,
        model,
        input_tokens,
        output_tokens,
        provider,
        cost,
        session,
        cache_read,
        cache_creation,
        reasoning,
        handoff_from,
        handoff_to,
        open_kind,
        graph_node,
        graph_parent,
        metadata,
        a2a_state,
        ag_ui_outcome,
    ) = found
    wait = None

    if open_kind is not None:
        mapped = openinference.OPENINFERENCE_KINDS.get(str(open_kind).upper())
        operation = operation or mapped
        # LangGraph's metadata is on every span of a run, hundreds of bytes: read only what
        # the span does not say otherwise (the node, on a chain; the thread, without one).
        if metadata and session is None:
            session = metadata_field(metadata, openinference.LANGGRAPH_THREAD_ID)
        if metadata and mapped == CHAIN:
            node = metadata_field(metadata, openinference.LANGGRAPH_NODE)
            if node == name and node not in openinference.LANGGRAPH_INTERNAL_NODES:
                # A LangGraph node's own span (not a runnable inside it): an agent's turn.
                operation, agent = INVOKE_AGENT, agent or node
        if name.startswith(openai_agents.HANDOFF_TO):
            operation, handoff_to = HANDOFF, name[len(openai_agents.HANDOFF_TO) :]
        elif operation == INVOKE_AGENT and not (agent or graph_node or metadata or provider):
            # An AGENT span that says nothing else: the Agents SDK's trace root, the run of
            # the whole workflow (its agents' spans name their agent and LLM system).
            operation = INVOKE_WORKFLOW
        elif operation == INVOKE_AGENT:
            agent = agent or graph_node or name
            if graph_parent and graph_parent != agent:
                handoff_from = handoff_from or graph_parent
        elif operation == EXECUTE_TOOL:
            tool = tool or name

    elif operation is None:
        operation, agent, tool = _foreign_operation(name, attrs, agent, tool)
        if operation == HANDOFF and handoff_to is None:
            handoff_from = attrs.get(logfire.SPAN_DATA_FROM_AGENT)
            handoff_to = attrs.get(logfire.SPAN_DATA_TO_AGENT)

    if isinstance(operation, str):
        if operation == EXECUTE_TOOL and tool is None:
            tool = _subject(name, _TOOL_PREFIXES)
        elif operation in _AGENT_OPERATIONS and agent is None:
            agent = _subject(name, _AGENT_PREFIXES)
    if name.startswith(_APPROVAL_PREFIX):
        wait = WAIT_APPROVAL
    if a2a_state is not None and str(a2a_state).lower() in A2A_WAIT_STATES:
        wait = WAIT_INPUT_REQUIRED
    if ag_ui_outcome is not None and ag_ui_outcome == AG_UI_INTERRUPT:
        wait = WAIT_INTERRUPT
    if events and wait is None and _interrupted(events):
        wait = WAIT_INTERRUPT

    if (
        isinstance(provider, str)
        and "." in provider
        and attrs.get(vercel.AI_MODEL_PROVIDER) == provider
    ):
        provider = provider.split(".", 1)[0]  # "openai.chat" -> "openai"
    return (
        operation,
        agent,
        tool,
        model,
        input_tokens,
        output_tokens,
        provider,
        cost,
        session,
        cache_read,
        cache_creation,
        reasoning,
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
        if operation == INVOKE_AGENT:
            agent = agent or entity
        elif operation == EXECUTE_TOOL:
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
        # A request that does not say it executes a tool (the MCP SDK's client side, whose
        # server span does) is a request: the call is counted once, where the tool ran.
        if method == MCP_TOOLS_CALL and tool is None:
            tool = name.partition(f"{MCP_TOOLS_CALL} ")[2] or None
        return MCP_REQUEST, agent, tool
    if name == logfire.AGENT_RUN:
        return INVOKE_AGENT, agent, tool
    if name == logfire.RUNNING_TOOL:
        return EXECUTE_TOOL, agent, tool
    template = get(logfire.LOGFIRE_MSG_TEMPLATE) or name
    if template in logfire.AGENTS_SDK_TEMPLATES:
        operation = logfire.AGENTS_SDK_TEMPLATES[template]
        subject = get(logfire.SPAN_DATA_NAME)
        if template == logfire.AGENTS_SDK_AGENT:
            agent = agent or subject
        elif template == logfire.AGENTS_SDK_FUNCTION:
            tool = tool or subject
        return operation, agent, tool
    # A span named like a GenAI operation ("execute_tool lookup") that says nothing else
    # is left as it is: its name is the sender's choice, and not a claim to be counted.
    return None, agent, tool


# LangGraph's fields in the metadata JSON, found without parsing all of it (it is on every
# span of a LangGraph run, a few hundred bytes each): a string value, or a number.
_METADATA_VALUE = {
    key: re.compile(rf'"{key}"\s*:\s*(?:"((?:[^"\\]|\\.)*)"|(-?\d+))')
    for key in (openinference.LANGGRAPH_NODE, openinference.LANGGRAPH_THREAD_ID)
}

_METADATA_OPENING = {key: f'"{key}": "' for key in _METADATA_VALUE}


def metadata_field(metadata: Any, key: str) -> str | None:
    """One of LangGraph's fields in OpenInference's ``metadata`` (a JSON object), as text."""
    if isinstance(metadata, str):
        return _metadata_value(metadata, key)
    if isinstance(metadata, dict):
        found = metadata.get(key)
        return None if found is None else str(found)
    return None


def _metadata_value(metadata: str, key: str) -> str | None:
    # Most senders write JSON as Python's json.dumps does: "key": "value". That case is two
    # finds; any other spacing, a number or an escape goes through the expression.
    opening = _METADATA_OPENING[key]
    at = metadata.find(opening)
    if at >= 0:
        start = at + len(opening)
        end = metadata.find('"', start)
        if end >= 0 and "\\" not in metadata[start:end]:
            return metadata[start:end]
    at = metadata.find(f'"{key}"')
    if at < 0:
        return None
    match = _METADATA_VALUE[key].match(metadata, at)
    if match is None:
        return None
    text, number = match.groups()
    if text is None:
        return number
    if "\\" in text:
        try:
            return str(json.loads(f'"{text}"'))
        except ValueError:
            return None
    return text


def _interrupted(events: list[tuple[int, str, dict[str, Any]]]) -> bool:
    """Whether the span recorded LangGraph's GraphInterrupt (a stop for a person's input)."""
    for _, event_name, event_attrs in events:
        if event_name == EVENT_EXCEPTION:
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
