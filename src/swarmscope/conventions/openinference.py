"""OpenInference's names for what ``attributes`` and ``spans`` declare, and how they map.

Spans from OpenInference instrumentors (Arize's, for LangChain/LangGraph, LlamaIndex, the
OpenAI Agents SDK, CrewAI...) carry no ``gen_ai.*`` keys; the server reads these instead,
each mapped onto the GenAI key or operation it stands for (``agent_model`` applies them).
"""

from __future__ import annotations

from swarmscope.conventions import attributes, spans

OPENINFERENCE_SPAN_KIND = "openinference.span.kind"
LLM_MODEL_NAME = "llm.model_name"
LLM_PROVIDER = "llm.provider"
LLM_SYSTEM = "llm.system"
LLM_TOKEN_COUNT_PROMPT = "llm.token_count.prompt"
LLM_TOKEN_COUNT_COMPLETION = "llm.token_count.completion"
LLM_TOKEN_COUNT_CACHE_READ = "llm.token_count.prompt_details.cache_read"
LLM_TOKEN_COUNT_CACHE_WRITE = "llm.token_count.prompt_details.cache_write"
LLM_TOKEN_COUNT_REASONING = "llm.token_count.completion_details.reasoning"
LLM_COST_TOTAL = "llm.cost.total"
AGENT_NAME = "agent.name"
TOOL_NAME = "tool.name"
# graph.node.id names the agent (or graph node) a span runs; graph.node.parent_id the node
# that ran before it and handed over (the Agents SDK instrumentor writes the handing agent).
GRAPH_NODE_ID = "graph.node.id"
GRAPH_NODE_PARENT_ID = "graph.node.parent_id"
# A JSON object of the framework's run metadata; LangGraph puts its node and thread there.
METADATA = "metadata"
INPUT_VALUE = "input.value"
OUTPUT_VALUE = "output.value"
# Flattened messages: llm.input_messages.{n}.message.role / .content / .tool_calls.{m}....
LLM_INPUT_MESSAGES = "llm.input_messages"
LLM_OUTPUT_MESSAGES = "llm.output_messages"
MESSAGE_ROLE = "message.role"
MESSAGE_CONTENT = "message.content"
MESSAGE_TOOL_CALLS = "message.tool_calls"
TOOL_CALL_FUNCTION_NAME = "tool_call.function.name"
TOOL_CALL_FUNCTION_ARGUMENTS = "tool_call.function.arguments"

# Each OpenInference key, as the GenAI key the server reads it for (after that key).
KEYS = {
    LLM_MODEL_NAME: attributes.GEN_AI_REQUEST_MODEL,
    LLM_PROVIDER: attributes.GEN_AI_PROVIDER_NAME,
    LLM_SYSTEM: attributes.GEN_AI_SYSTEM,
    LLM_TOKEN_COUNT_PROMPT: attributes.GEN_AI_USAGE_INPUT_TOKENS,
    LLM_TOKEN_COUNT_COMPLETION: attributes.GEN_AI_USAGE_OUTPUT_TOKENS,
    LLM_TOKEN_COUNT_CACHE_READ: attributes.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS,
    LLM_TOKEN_COUNT_CACHE_WRITE: attributes.GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS,
    LLM_TOKEN_COUNT_REASONING: attributes.GEN_AI_USAGE_REASONING_OUTPUT_TOKENS,
    LLM_COST_TOTAL: attributes.SWARMSCOPE_LLM_COST_USD,
    AGENT_NAME: attributes.GEN_AI_AGENT_NAME,
    TOOL_NAME: attributes.GEN_AI_TOOL_NAME,
    GRAPH_NODE_PARENT_ID: attributes.SWARMSCOPE_HANDOFF_FROM_AGENT,
    LLM_INPUT_MESSAGES: attributes.GEN_AI_INPUT_MESSAGES,
    LLM_OUTPUT_MESSAGES: attributes.GEN_AI_OUTPUT_MESSAGES,
}

# OpenInference's span kinds (values of openinference.span.kind), as the GenAI operation
# they correspond to.
OPENINFERENCE_KINDS = {
    "LLM": spans.CHAT,
    "TOOL": spans.EXECUTE_TOOL,
    "AGENT": spans.INVOKE_AGENT,
    "CHAIN": spans.CHAIN,
    "RETRIEVER": spans.RETRIEVAL,
    "EMBEDDING": spans.EMBEDDINGS,
    "GUARDRAIL": spans.GUARDRAIL,
}

# The instrumentation scope of OpenInference's LangChain instrumentor (LangGraph's too): its
# spans describe the calls swarmscope's own LangGraph integration counts when it is on.
LANGCHAIN_SCOPE = "openinference.instrumentation.langchain"

# LangGraph's keys in ``metadata``: the node a span runs in and the conversation's thread.
LANGGRAPH_NODE = "langgraph_node"
LANGGRAPH_THREAD_ID = "thread_id"
# The node's task ("node:task id", nested with "|"): the same when a node reruns (a retry, or
# the node that called interrupt() on resume).
LANGGRAPH_CHECKPOINT_NS = "langgraph_checkpoint_ns"
# LangChain's tracing metadata: the framework that started a run (LangGraph marks every graph
# run's), and on a model call the model and its provider.
LANGCHAIN_INTEGRATION = "ls_integration"
LANGCHAIN_MODEL_NAME = "ls_model_name"
LANGCHAIN_PROVIDER = "ls_provider"
# LangGraph's own nodes, and the name its prebuilt ToolNode runs under: steps, not agents.
LANGGRAPH_INTERNAL_NODES = frozenset({"__start__", "__end__", "tools"})
# The exception LangGraph raises inside the node that called interrupt(): OpenInference
# records it as the node span's exception event (and leaves the status OK).
LANGGRAPH_INTERRUPT_EXCEPTION = "GraphInterrupt"
