"""OpenLLMetry's (traceloop's) names, and how they map onto ours.

OpenLLMetry writes ``gen_ai.*`` on LLM spans (the older names: ``gen_ai.system``,
``gen_ai.usage.prompt_tokens``, per-index ``gen_ai.prompt.{n}.*``) and marks the app's own
decorated functions with a span kind of its own: ``@workflow``, ``@task``, ``@agent``,
``@tool``, each named by ``traceloop.entity.name``. Session ids ride along as association
properties (``traceloop.association.properties.session_id``).
"""

from __future__ import annotations

from swarmscope.conventions import attributes, spans

TRACELOOP_SPAN_KIND = "traceloop.span.kind"
TRACELOOP_ENTITY_NAME = "traceloop.entity.name"
TRACELOOP_WORKFLOW_NAME = "traceloop.workflow.name"
# Prefix: traceloop.association.properties.<key> for each property the app set.
TRACELOOP_ASSOCIATION_PROPERTIES = "traceloop.association.properties"
# The LLM span's request type ("chat", "completion", "embedding", "rerank").
LLM_REQUEST_TYPE = "llm.request.type"
LLM_USAGE_TOTAL_TOKENS = "llm.usage.total_tokens"
# OpenLLMetry's name for reasoning tokens (the GenAI one is gen_ai.usage.reasoning.output_tokens).
GEN_AI_USAGE_REASONING_TOKENS = "gen_ai.usage.reasoning_tokens"

# Values of traceloop.span.kind, as the GenAI operation they correspond to.
TRACELOOP_KINDS = {
    "workflow": spans.INVOKE_WORKFLOW,
    "task": spans.CHAIN,
    "agent": spans.INVOKE_AGENT,
    "tool": spans.EXECUTE_TOOL,
}
# Values of llm.request.type, as the operation.
REQUEST_TYPES = {
    "chat": spans.CHAT,
    "completion": spans.TEXT_COMPLETION,
    "embedding": spans.EMBEDDINGS,
}
# Association properties that name the conversation, in the order they are looked for.
SESSION_PROPERTIES = ("session_id", "conversation_id", "thread_id")

KEYS = {
    GEN_AI_USAGE_REASONING_TOKENS: attributes.GEN_AI_USAGE_REASONING_OUTPUT_TOKENS,
    TRACELOOP_ENTITY_NAME: attributes.GEN_AI_AGENT_NAME,
    TRACELOOP_WORKFLOW_NAME: attributes.SWARMSCOPE_WORKFLOW_NAME,
}
