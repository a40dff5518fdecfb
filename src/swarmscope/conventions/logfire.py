"""Logfire's and pydantic-ai's names beside the GenAI ones they also write.

pydantic-ai's instrumented agents write ``gen_ai.*``: an ``invoke_agent {name}`` span in its
newer conventions, ``agent run`` named by ``agent_name`` (and ``running tool``) in the
older ones it still sends by default, and price each model request themselves
(``operation.cost``, with genai-prices, as we do).

Logfire's OpenAI Agents SDK integration names a span by its message template (``Agent run:
{name!r}``) and puts the SDK's own span data in plain keys (``name``, ``from_agent``...).
"""

from __future__ import annotations

from swarmscope.conventions import attributes, spans

# pydantic-ai's older span names.
AGENT_RUN = "agent run"
RUNNING_TOOL = "running tool"
AGENT_NAME = "agent_name"
OPERATION_COST = "operation.cost"
LOGFIRE_SPAN_TYPE = "logfire.span_type"
LOGFIRE_MSG = "logfire.msg"
LOGFIRE_MSG_TEMPLATE = "logfire.msg_template"

# The Agents SDK's span data as Logfire writes it: keys, and the span names (templates).
SPAN_DATA_NAME = "name"
SPAN_DATA_FROM_AGENT = "from_agent"
SPAN_DATA_TO_AGENT = "to_agent"
AGENTS_SDK_AGENT = "Agent run: {name!r}"
AGENTS_SDK_FUNCTION = "Function: {name}"
AGENTS_SDK_HANDOFF = "Handoff: {from_agent} → {to_agent}"
AGENTS_SDK_TEMPLATES = {
    AGENTS_SDK_AGENT: spans.INVOKE_AGENT,
    AGENTS_SDK_FUNCTION: spans.EXECUTE_TOOL,
    AGENTS_SDK_HANDOFF: spans.HANDOFF,
    "Guardrail {name!r} {triggered=}": spans.GUARDRAIL,
    "Chat completion with {gen_ai.request.model!r}": spans.CHAT,
    "Responses API": spans.CHAT,
    "Responses API with {gen_ai.request.model!r}": spans.CHAT,
}

KEYS = {
    AGENT_NAME: attributes.GEN_AI_AGENT_NAME,
    OPERATION_COST: attributes.SWARMSCOPE_LLM_COST_USD,
}
