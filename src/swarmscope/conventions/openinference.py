"""OpenInference's names for what ``attributes`` and ``spans`` declare, and how they map.

Spans from OpenInference instrumentors (Arize's, for LangChain, LlamaIndex, the OpenAI
Agents SDK...) carry no ``gen_ai.*`` keys; the server reads these instead, each mapped onto
the GenAI key or operation it stands for. The next instrumentors' mappings (OpenLLMetry,
the OpenAI Agents SDK's own) go in modules beside this one, in the same form.
"""

from __future__ import annotations

from swarmscope.conventions import attributes, spans

OPENINFERENCE_SPAN_KIND = "openinference.span.kind"
LLM_MODEL_NAME = "llm.model_name"
LLM_TOKEN_COUNT_PROMPT = "llm.token_count.prompt"
LLM_TOKEN_COUNT_COMPLETION = "llm.token_count.completion"
AGENT_NAME = "agent.name"
TOOL_NAME = "tool.name"

# Each OpenInference key, as the GenAI key the server reads it for (after that key).
KEYS = {
    LLM_MODEL_NAME: attributes.GEN_AI_REQUEST_MODEL,
    LLM_TOKEN_COUNT_PROMPT: attributes.GEN_AI_USAGE_INPUT_TOKENS,
    LLM_TOKEN_COUNT_COMPLETION: attributes.GEN_AI_USAGE_OUTPUT_TOKENS,
    AGENT_NAME: attributes.GEN_AI_AGENT_NAME,
    TOOL_NAME: attributes.GEN_AI_TOOL_NAME,
}

# OpenInference's span kinds (values of openinference.span.kind), as the GenAI operation
# they correspond to.
OPENINFERENCE_KINDS = {
    "LLM": spans.CHAT,
    "TOOL": spans.EXECUTE_TOOL,
    "AGENT": spans.INVOKE_AGENT,
    "CHAIN": spans.CHAIN,
    "RETRIEVER": spans.RETRIEVE,
    "EMBEDDING": spans.EMBEDDINGS,
}
