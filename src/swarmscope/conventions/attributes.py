"""Every attribute key swarmscope writes or reads on spans, links, events and resources.

Each key is a module-level string constant (code writes ``attributes[GEN_AI_AGENT_NAME]``)
declared through ``_key``, which also files it in ``ATTRIBUTES`` with its value type, unit
and meaning: the one table a reader (the docs, the console's generated module, a mapping
from another instrumentor's names) can walk. The standard keys follow the OpenTelemetry
semantic conventions (GenAI, HTTP, URL, service, exception, database, MCP); ours are under
``swarmscope.``. Keys other instrumentors use for the same concepts live beside this module
(``openinference``), each mapped onto these.

Only standard-library imports, so importing this costs microseconds.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

AttributeType = Literal["string", "int", "double", "boolean", "string[]"]


@dataclass(frozen=True)
class Attribute:
    """One attribute key: what its value is and what it means."""

    key: str
    type: AttributeType
    meaning: str
    # UCUM-style unit where the value is a measure ("ms", "By", "USD", "{token}").
    unit: str | None = None


# Every declared key, in declaration order.
ATTRIBUTES: dict[str, Attribute] = {}


def _key(key: str, type: AttributeType, meaning: str, unit: str | None = None) -> str:
    """Declare ``key`` in ``ATTRIBUTES`` and return it, so the constant is the plain string."""
    if key in ATTRIBUTES:
        raise ValueError(f"attribute {key!r} is declared twice")
    ATTRIBUTES[key] = Attribute(key, type, meaning, unit)
    return key


# -- OpenTelemetry GenAI ---------------------------------------------------------------------
GEN_AI_OPERATION_NAME = _key(
    "gen_ai.operation.name", "string", "What the span does: one of spans.OPERATIONS."
)
GEN_AI_AGENT_NAME = _key("gen_ai.agent.name", "string", "The agent that runs or calls.")
GEN_AI_CONVERSATION_ID = _key(
    "gen_ai.conversation.id", "string", "The session or thread an agent run belongs to."
)
GEN_AI_PROVIDER_NAME = _key("gen_ai.provider.name", "string", "The LLM provider ('openai').")
# The older name of gen_ai.provider.name; written too, for readers of the older conventions.
GEN_AI_SYSTEM = _key("gen_ai.system", "string", "The LLM provider (before gen_ai.provider.name).")
GEN_AI_REQUEST_MODEL = _key("gen_ai.request.model", "string", "The model an LLM call asked for.")
GEN_AI_RESPONSE_MODEL = _key("gen_ai.response.model", "string", "The model that answered.")
GEN_AI_RESPONSE_FINISH_REASONS = _key(
    "gen_ai.response.finish_reasons", "string[]", "Why the model stopped, per choice."
)
GEN_AI_USAGE_INPUT_TOKENS = _key(
    "gen_ai.usage.input_tokens", "int", "Tokens in the LLM call's prompt.", "{token}"
)
GEN_AI_USAGE_OUTPUT_TOKENS = _key(
    "gen_ai.usage.output_tokens", "int", "Tokens in the LLM call's answer.", "{token}"
)
# Cached, cache-writing and reasoning tokens: parts of the input and output counts above.
GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS = _key(
    "gen_ai.usage.cache_read.input_tokens", "int", "Input tokens read from the cache.", "{token}"
)
GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS = _key(
    "gen_ai.usage.cache_creation.input_tokens",
    "int",
    "Input tokens written to the cache.",
    "{token}",
)
GEN_AI_USAGE_REASONING_OUTPUT_TOKENS = _key(
    "gen_ai.usage.reasoning.output_tokens", "int", "Output tokens spent reasoning.", "{token}"
)
# The older GenAI names (and OpenLLMetry's), still sent by instrumentations by default.
GEN_AI_USAGE_PROMPT_TOKENS = _key(
    "gen_ai.usage.prompt_tokens", "int", "Input tokens (before input_tokens).", "{token}"
)
GEN_AI_USAGE_COMPLETION_TOKENS = _key(
    "gen_ai.usage.completion_tokens", "int", "Output tokens (before output_tokens).", "{token}"
)
GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS_OLD = _key(
    "gen_ai.usage.cache_read_input_tokens", "int", "Cached input tokens (OpenLLMetry).", "{token}"
)
GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS_OLD = _key(
    "gen_ai.usage.cache_creation_input_tokens",
    "int",
    "Input tokens written to the cache (OpenLLMetry).",
    "{token}",
)
GEN_AI_AGENT_ID = _key("gen_ai.agent.id", "string", "The agent's unique id.")
GEN_AI_TOOL_NAME = _key("gen_ai.tool.name", "string", "The tool an execute_tool span runs.")
GEN_AI_TOOL_CALL_ID = _key("gen_ai.tool.call.id", "string", "The model's id of the tool call.")
GEN_AI_INPUT_MESSAGES = _key(
    "gen_ai.input.messages", "string", "The messages sent to the model, as JSON (opt-in)."
)
GEN_AI_OUTPUT_MESSAGES = _key(
    "gen_ai.output.messages", "string", "The messages the model answered, as JSON (opt-in)."
)
GEN_AI_SYSTEM_INSTRUCTIONS = _key(
    "gen_ai.system_instructions", "string", "The system prompt, as JSON (opt-in)."
)
# The older per-message keys: gen_ai.prompt.{n}.role / .content, gen_ai.completion.{n}....
GEN_AI_PROMPT = _key("gen_ai.prompt", "string", "Prefix of the older per-message prompt keys.")
GEN_AI_COMPLETION = _key(
    "gen_ai.completion", "string", "Prefix of the older per-message answer keys."
)
GEN_AI_TOOL_TYPE = _key(
    "gen_ai.tool.type", "string", "Where the tool runs: 'function', 'extension' (MCP)..."
)
GEN_AI_TOKEN_TYPE = _key(
    "gen_ai.token.type", "string", "Which tokens a usage measure counts ('input', 'output')."
)

# -- MCP and databases -----------------------------------------------------------------------
MCP_METHOD_NAME = _key("mcp.method.name", "string", "The MCP request's method ('tools/call').")
MCP_SESSION_ID = _key("mcp.session.id", "string", "The MCP session a request belongs to.")
# A2A (agent-to-agent protocol) spans.
A2A_TASK_ID = _key("a2a.task.id", "string", "The A2A task a span works on.")
A2A_TASK_STATE = _key(
    "a2a.task.state", "string", "The task's state (spans.A2A_WAIT_STATES wait for someone)."
)
DB_OPERATION_NAME = _key("db.operation.name", "string", "The database operation ('select').")
DB_SYSTEM_NAME = _key("db.system.name", "string", "The database product ('postgresql').")

# -- HTTP, URL, network, client and server ---------------------------------------------------
HTTP_REQUEST_METHOD = _key("http.request.method", "string", "The request's method, normalised.")
HTTP_REQUEST_METHOD_ORIGINAL = _key(
    "http.request.method_original", "string", "The method as sent, when it was not a known one."
)
HTTP_ROUTE = _key("http.route", "string", "The matched route template ('/items/{id}').")
HTTP_RESPONSE_STATUS_CODE = _key("http.response.status_code", "int", "The response's status.")
URL_PATH = _key("url.path", "string", "The request's path.")
URL_SCHEME = _key("url.scheme", "string", "'http' or 'https'.")
NETWORK_PROTOCOL_VERSION = _key("network.protocol.version", "string", "HTTP version ('1.1').")
SERVER_ADDRESS = _key("server.address", "string", "The host the request was sent to.")
SERVER_PORT = _key("server.port", "int", "The port the request was sent to.")
CLIENT_ADDRESS = _key("client.address", "string", "The address the request came from.")
USER_AGENT_ORIGINAL = _key("user_agent.original", "string", "The request's User-Agent header.")
SESSION_ID = _key("session.id", "string", "The app's session (the x-session-id header).")
# AG-UI runs (integrations.ag_ui): the protocol defines no span attributes, so these name its
# RunAgentInput / RUN_FINISHED fields (threadId, runId, outcome, interrupt ids).
AG_UI_THREAD_ID = _key("ag_ui.thread.id", "string", "The AG-UI thread (conversation) of a run.")
AG_UI_RUN_ID = _key("ag_ui.run.id", "string", "The AG-UI run's id.")
AG_UI_RUN_OUTCOME = _key(
    "ag_ui.run.outcome", "string", "How the run ended: success, interrupt, cancelled or error."
)
AG_UI_INTERRUPT_IDS = _key(
    "ag_ui.interrupt.ids", "string[]", "The interrupts a run ended on, or the resume answers."
)
AG_UI_INTERRUPT_ID = _key("ag_ui.interrupt.id", "string", "The interrupt an approval waits on.")
AG_UI_INTERRUPT_REASON = _key("ag_ui.interrupt.reason", "string", "Why the run stopped.")
AG_UI_TOOL_CALL_ID = _key(
    "ag_ui.interrupt.tool_call_id", "string", "The tool call an interrupt asks to approve."
)
USER_ID = _key("user.id", "string", "The app's user (the x-user-id header).")

# -- errors and exceptions -------------------------------------------------------------------
ERROR_TYPE = _key("error.type", "string", "The class of error an operation ended with.")
# Ours in the standard namespace: the catalog's error category (catalog.ErrorCategory).
ERROR_CATEGORY = _key("error.category", "string", "The error's category in swarmscope's list.")
EXCEPTION_TYPE = _key("exception.type", "string", "An exception event's class name.")
EXCEPTION_MESSAGE = _key("exception.message", "string", "An exception event's message.")
EXCEPTION_STACKTRACE = _key("exception.stacktrace", "string", "An exception's stack, as text.")

# -- resource --------------------------------------------------------------------------------
SERVICE_NAME = _key("service.name", "string", "The app's service name.")
SERVICE_NAMESPACE = _key("service.namespace", "string", "The namespace of its metric families.")
SERVICE_VERSION = _key("service.version", "string", "The app's version.")
SERVICE_INSTANCE_ID = _key("service.instance.id", "string", "One process: host and pid.")
DEPLOYMENT_ENVIRONMENT_NAME = _key(
    "deployment.environment.name", "string", "Where the app runs ('production')."
)
HOST_NAME = _key("host.name", "string", "The machine's host name.")
TELEMETRY_DISTRO_NAME = _key("telemetry.distro.name", "string", "'swarmscope'.")
TELEMETRY_DISTRO_VERSION = _key("telemetry.distro.version", "string", "swarmscope's version.")

# -- audit (span events of the security concept) ---------------------------------------------
AUDIT_EVENT_TYPE = _key("audit.event_type", "string", "What was audited ('LOGIN').")
AUDIT_OUTCOME = _key("audit.outcome", "string", "How it ended ('success', 'denied').")

# -- swarmscope's own ------------------------------------------------------------------------
SWARMSCOPE_OPERATION = _key(
    "swarmscope.operation", "string", "The app's name for what an agent run or orchestration does."
)
SWARMSCOPE_LINK = _key(
    "swarmscope.link", "string", "On a span link: why it links (spans.LINK_REASONS)."
)
SWARMSCOPE_LLM_COST_USD = _key(
    "swarmscope.llm.cost_usd", "double", "What an LLM call cost, from the price table.", "USD"
)
SWARMSCOPE_HANDOFF_FROM_AGENT = _key(
    "swarmscope.handoff.from_agent", "string", "The agent that handed work on."
)
SWARMSCOPE_HANDOFF_TO_AGENT = _key(
    "swarmscope.handoff.to_agent", "string", "The agent the work was handed to."
)
SWARMSCOPE_HANDOFF_DATA_KEYS = _key(
    "swarmscope.handoff.data_keys", "string[]", "The keys of the handed-over data, sorted."
)
SWARMSCOPE_HANDOFF_DATA_BYTES = _key(
    "swarmscope.handoff.data_bytes", "int", "The size of the handed-over data as JSON.", "By"
)
SWARMSCOPE_HANDOFF_REASON = _key("swarmscope.handoff.reason", "string", "Why work was handed on.")
SWARMSCOPE_HANDOFF_LATENCY_MS = _key(
    "swarmscope.handoff.latency_ms",
    "double",
    "On the target agent's run: time from the handoff to its start.",
    "ms",
)
SWARMSCOPE_APPROVAL_TYPE = _key(
    "swarmscope.approval.type", "string", "What a human is asked to approve."
)
SWARMSCOPE_APPROVAL_ID = _key("swarmscope.approval.id", "string", "The app's id of the request.")
SWARMSCOPE_APPROVAL_TIMEOUT_S = _key(
    "swarmscope.approval.timeout_s", "double", "How long the request may wait.", "s"
)
SWARMSCOPE_APPROVAL_DECISION = _key(
    "swarmscope.approval.decision", "string", "'approved', 'rejected', 'timeout'..."
)
SWARMSCOPE_APPROVAL_REASON = _key(
    "swarmscope.approval.reason", "string", "The reason the human gave."
)
SWARMSCOPE_WORKFLOW_NAME = _key("swarmscope.workflow.name", "string", "The workflow a span runs.")
SWARMSCOPE_WORKFLOW_NODE = _key("swarmscope.workflow.node", "string", "The workflow's node.")
SWARMSCOPE_ORCHESTRATION_STEPS = _key(
    "swarmscope.orchestration.steps", "int", "Steps an orchestration took."
)
SWARMSCOPE_RECOVERY_STRATEGY = _key(
    "swarmscope.recovery.strategy", "string", "How an error is recovered from ('retry')."
)
SWARMSCOPE_A2A_TARGET_AGENT = _key(
    "swarmscope.a2a.target_agent", "string", "The remote agent a task is delegated to."
)
SWARMSCOPE_COPILOTKIT_ACTION = _key(
    "swarmscope.copilotkit.action", "string", "The CopilotKit action a span runs."
)
SWARMSCOPE_SSE_STREAM = _key("swarmscope.sse.stream", "string", "The server-sent event stream.")
SWARMSCOPE_SSE_MESSAGES = _key(
    "swarmscope.sse.messages", "int", "Messages the stream sent.", "{message}"
)
# The page's side, written by the browser package (js/browser).
SWARMSCOPE_UI_ACTION = _key("swarmscope.ui.action", "string", "What the person did ('approve').")
SWARMSCOPE_UI_TARGET = _key(
    "swarmscope.ui.target", "string", "The element acted on, as a short selector ('button#go')."
)
SWARMSCOPE_AG_UI_EVENT_TYPE = _key(
    "swarmscope.ag_ui.event_type", "string", "An AG-UI event's type ('TEXT_MESSAGE_CONTENT')."
)
SWARMSCOPE_SSE_RECONNECTS = _key(
    "swarmscope.sse.reconnects", "int", "Times the stream reconnected.", "{reconnect}"
)
SWARMSCOPE_APPROVAL_WAIT_MS = _key(
    "swarmscope.approval.wait_ms", "double", "How long the person took to answer.", "ms"
)
SWARMSCOPE_INTEGRATION_NAME = _key(
    "swarmscope.integration.name", "string", "The external system called ('crm')."
)
SWARMSCOPE_INTEGRATION_OPERATION = _key(
    "swarmscope.integration.operation", "string", "The operation called on it."
)
SWARMSCOPE_INTEGRATION_TIER = _key(
    "swarmscope.integration.tier", "string", "The app's tier or scope of the integration."
)
SWARMSCOPE_CLIENT_DISCONNECTED = _key(
    "swarmscope.client_disconnected", "boolean", "The client left before the response ended."
)
# What a @replayable route recorded so `swarmscope replay` can send the request again.
SWARMSCOPE_REPLAY_METHOD = _key("swarmscope.replay.method", "string", "The recorded method.")
SWARMSCOPE_REPLAY_TARGET = _key(
    "swarmscope.replay.target", "string", "The recorded path and query, scrubbed."
)
SWARMSCOPE_REPLAY_HEADERS = _key(
    "swarmscope.replay.headers", "string", "The recorded headers as JSON, scrubbed."
)
SWARMSCOPE_REPLAY_BODY = _key("swarmscope.replay.body", "string", "The recorded body, scrubbed.")
SWARMSCOPE_REPLAY_BODY_TOO_LARGE = _key(
    "swarmscope.replay.body_too_large", "boolean", "The body was too large to record."
)
SWARMSCOPE_REPLAY_OF = _key(
    "swarmscope.replay.of", "string", "On a replayed request's span: the trace it replays."
)

# Not an attribute: the key under which the middleware leaves the request id in the ASGI
# scope, for the app's own code to read.
ASGI_SCOPE_REQUEST_ID = "swarmscope.request_id"
