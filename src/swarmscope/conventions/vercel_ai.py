"""The Vercel AI SDK's telemetry (``experimental_telemetry``): ``ai.*`` keys and span names.

Its spans are named by operation id (``ai.generateText``, ``ai.generateText.doGenerate``,
``ai.toolCall``...); the inner ``do*`` spans are the provider calls and carry ``gen_ai.*``
too. Token names changed in v5 (``inputTokens``); v4's are ``promptTokens``.
"""

from __future__ import annotations

from swarmscope.conventions import attributes, spans

AI_OPERATION_ID = "ai.operationId"
AI_MODEL_ID = "ai.model.id"
# "openai.chat", "anthropic.messages": the provider is the part before the first dot.
AI_MODEL_PROVIDER = "ai.model.provider"
AI_USAGE_PROMPT_TOKENS = "ai.usage.promptTokens"
AI_USAGE_COMPLETION_TOKENS = "ai.usage.completionTokens"
AI_USAGE_INPUT_TOKENS = "ai.usage.inputTokens"
AI_USAGE_OUTPUT_TOKENS = "ai.usage.outputTokens"
AI_USAGE_CACHED_INPUT_TOKENS = "ai.usage.cachedInputTokens"
AI_USAGE_REASONING_TOKENS = "ai.usage.reasoningTokens"
AI_TOOL_CALL_NAME = "ai.toolCall.name"
AI_TOOL_CALL_ID = "ai.toolCall.id"
# The app's name for the call site; the closest thing the SDK has to an agent's name.
AI_TELEMETRY_FUNCTION_ID = "ai.telemetry.functionId"
# Prefix: ai.telemetry.metadata.<key> for each metadata entry the app set.
AI_TELEMETRY_METADATA = "ai.telemetry.metadata"
AI_PROMPT_MESSAGES = "ai.prompt.messages"
AI_RESPONSE_TEXT = "ai.response.text"
AI_RESPONSE_TOOL_CALLS = "ai.response.toolCalls"

# Operation ids (span names) as the GenAI operation; the outer generateText/streamText span
# is the call the app made (an agent's turn, with its tool loop), the do* span the request.
OPERATION_IDS = {
    "ai.generateText": spans.INVOKE_AGENT,
    "ai.streamText": spans.INVOKE_AGENT,
    "ai.generateObject": spans.INVOKE_AGENT,
    "ai.streamObject": spans.INVOKE_AGENT,
    "ai.generateText.doGenerate": spans.CHAT,
    "ai.streamText.doStream": spans.CHAT,
    "ai.generateObject.doGenerate": spans.CHAT,
    "ai.streamObject.doStream": spans.CHAT,
    "ai.embed": spans.EMBEDDINGS,
    "ai.embedMany": spans.EMBEDDINGS,
    "ai.embed.doEmbed": spans.EMBEDDINGS,
    "ai.embedMany.doEmbed": spans.EMBEDDINGS,
    "ai.toolCall": spans.EXECUTE_TOOL,
}
# The agent-level operations name an agent only when the app gave a functionId.
AGENT_OPERATION_IDS = frozenset(
    key for key, operation in OPERATION_IDS.items() if operation == spans.INVOKE_AGENT
)
# Session ids the app may put in its telemetry metadata.
SESSION_METADATA = ("sessionId", "session_id", "threadId", "conversationId")

KEYS = {
    AI_MODEL_ID: attributes.GEN_AI_REQUEST_MODEL,
    AI_MODEL_PROVIDER: attributes.GEN_AI_PROVIDER_NAME,
    AI_USAGE_INPUT_TOKENS: attributes.GEN_AI_USAGE_INPUT_TOKENS,
    AI_USAGE_PROMPT_TOKENS: attributes.GEN_AI_USAGE_INPUT_TOKENS,
    AI_USAGE_OUTPUT_TOKENS: attributes.GEN_AI_USAGE_OUTPUT_TOKENS,
    AI_USAGE_COMPLETION_TOKENS: attributes.GEN_AI_USAGE_OUTPUT_TOKENS,
    AI_USAGE_CACHED_INPUT_TOKENS: attributes.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS,
    AI_USAGE_REASONING_TOKENS: attributes.GEN_AI_USAGE_REASONING_OUTPUT_TOKENS,
    AI_TOOL_CALL_NAME: attributes.GEN_AI_TOOL_NAME,
    AI_TELEMETRY_FUNCTION_ID: attributes.GEN_AI_AGENT_NAME,
    AI_PROMPT_MESSAGES: attributes.GEN_AI_INPUT_MESSAGES,
}
