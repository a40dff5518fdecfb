"""Logfire's and pydantic-ai's names beside the GenAI ones they also write.

pydantic-ai's instrumented agents write ``gen_ai.*`` (an ``invoke_agent {name}`` span in
its newer versions; ``agent run`` with ``agent_name`` in older ones) and price each model
request themselves (``operation.cost``, with genai-prices, as we do).
"""

from __future__ import annotations

from swarmscope.conventions import attributes

# The older pydantic-ai agent span: "agent run", named by this attribute.
AGENT_RUN = "agent run"
AGENT_NAME = "agent_name"
OPERATION_COST = "operation.cost"
# Logfire's span type ("span", "log", "pending_span"): a pending span is no finished run.
LOGFIRE_SPAN_TYPE = "logfire.span_type"
LOGFIRE_MSG = "logfire.msg"

KEYS = {
    AGENT_NAME: attributes.GEN_AI_AGENT_NAME,
    OPERATION_COST: attributes.SWARMSCOPE_LLM_COST_USD,
}
