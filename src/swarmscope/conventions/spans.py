"""Every span swarmscope emits or reads: its name, kind, GenAI operation, events and links.

A span's name is ``"<prefix> <subject>"`` (``invoke_agent planner``) where the GenAI semantic
conventions give one; the prefix is a module-level constant, so the SDK writes
``f"{INVOKE_AGENT} {agent}"`` and a reader matches ``name.startswith(INVOKE_AGENT + " ")``.
``SPAN_NAMES`` files each with the kind it is started with and what its subject is.
``OPERATIONS`` lists the values of ``gen_ai.operation.name`` swarmscope writes or reads,
standard and its own (``handoff``).

Only standard-library imports, so importing this costs microseconds.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

# The OTLP span kinds, indexed by their number on the wire (SPAN_KIND_UNSPECIFIED is 0).
SPAN_KINDS = ("unspecified", "internal", "server", "client", "producer", "consumer")
SpanKindName = Literal["unspecified", "internal", "server", "client", "producer", "consumer"]

# The instrumentation scope (tracer name) of swarmscope's own spans.
INSTRUMENTATION_SCOPE = "swarmscope"


@dataclass(frozen=True)
class Operation:
    """One value of ``gen_ai.operation.name``."""

    name: str
    meaning: str
    # An LLM call: what the console counts and colours as one.
    llm: bool = False


OPERATIONS: dict[str, Operation] = {}


def _operation(name: str, meaning: str, *, llm: bool = False) -> str:
    OPERATIONS[name] = Operation(name, meaning, llm)
    return name


CHAT = _operation("chat", "An LLM chat completion.", llm=True)
TEXT_COMPLETION = _operation("text_completion", "An LLM text completion.", llm=True)
GENERATE_CONTENT = _operation("generate_content", "An LLM multimodal generation.", llm=True)
EMBEDDINGS = _operation("embeddings", "An embeddings request.", llm=True)
INVOKE_AGENT = _operation("invoke_agent", "An agent's run, in process or remote (A2A).")
EXECUTE_TOOL = _operation("execute_tool", "A tool call, a function or an MCP tool.")
# Ours: the GenAI conventions have no handoff operation.
HANDOFF = _operation("handoff", "One agent handing work to another.")
# Read from other instrumentors' spans (agent_model.py maps them), never written.
CREATE_AGENT = _operation("create_agent", "An agent being created.")
INVOKE_WORKFLOW = _operation("invoke_workflow", "A workflow's run (several agents and steps).")
PLAN = _operation("plan", "An agent planning its next steps.")
RETRIEVAL = _operation("retrieval", "Documents fetched for a prompt (RAG).")
CREATE_MEMORY = _operation("create_memory", "A memory written.")
SEARCH_MEMORY = _operation("search_memory", "Memories searched.")
UPDATE_MEMORY = _operation("update_memory", "A memory changed.")
UPSERT_MEMORY = _operation("upsert_memory", "A memory written or changed.")
DELETE_MEMORY = _operation("delete_memory", "A memory deleted.")
CREATE_MEMORY_STORE = _operation("create_memory_store", "A memory store created.")
DELETE_MEMORY_STORE = _operation("delete_memory_store", "A memory store deleted.")
MCP_REQUEST = _operation("mcp", "An MCP request other than a tool call.")
CHAIN = _operation("chain", "An OpenInference CHAIN span.")
GUARDRAIL = _operation("guardrail", "A guardrail's check (OpenInference, the Agents SDK).")

LLM_OPERATIONS = tuple(name for name, op in OPERATIONS.items() if op.llm)


@dataclass(frozen=True)
class SpanName:
    """One family of span names: ``"{prefix} {subject}"``."""

    # The first word; empty where the name starts with a value (an LLM call's operation).
    prefix: str
    subject: str
    kind: SpanKindName
    meaning: str


SPAN_NAMES: dict[str, SpanName] = {}


def _span(prefix: str, subject: str, kind: SpanKindName, meaning: str) -> str:
    SPAN_NAMES[f"{prefix} {subject}".strip()] = SpanName(prefix, subject, kind, meaning)
    return prefix


# The prefixes that are GenAI operations are the constants above.
_span(INVOKE_AGENT, "{agent}", "internal", "An agent's run (agents.agent_run).")
_span(INVOKE_AGENT, "{target_agent}", "client", "A task delegated to a remote agent (A2A).")
_span(EXECUTE_TOOL, "{tool}", "internal", "A tool call (tools.tool_call).")
_span("", "{operation} {model}", "client", "An LLM call; operation is one of LLM_OPERATIONS.")
_span(HANDOFF, "{from_agent} -> {to_agent}", "internal", "An instant: work handed on.")
# Also the value of mcp.method.name on the span.
MCP_TOOLS_CALL = _span("tools/call", "{tool}", "client", "An MCP tools/call request.")
HITL_APPROVAL = _span("hitl_approval", "{approval_type}", "internal", "A wait for a human.")
WORKFLOW = _span("workflow", "{name}", "internal", "A workflow's run.")
WORKFLOW_NODE = _span("workflow_node", "{node}", "internal", "One node of a workflow.")
ORCHESTRATE = _span("orchestrate", "{operation}", "internal", "An orchestrator's run.")
RECOVER = _span("recover", "{strategy}", "internal", "Recovering from an error.")
COPILOTKIT_ACTION = _span("copilotkit_action", "{action}", "internal", "A CopilotKit action.")
SSE = _span("sse", "{stream}", "internal", "A server-sent event stream.")
# The page's side (the browser package, js/browser).
USER_ACTION = _span("user_action", "{action}", "internal", "A person's click that starts work.")
HITL_PROMPT = _span(
    "hitl_prompt", "{approval_type}", "internal", "An approval prompt shown until answered."
)
FETCH = _span("fetch", "{method} {path}", "client", "A request the page sent to a backend.")
_span("", "{operation} {system}", "client", "A database query (data.db_query).")
_span("", "{integration} {operation}", "client", "A call to an external system.")
_span("", "{method} {route}", "server", "An HTTP request the web middleware served.")

# What a span waits for a person (or another agent) on: the store's ``wait`` column.
WAIT_APPROVAL = "approval"  # our hitl_approval spans
WAIT_INTERRUPT = "interrupt"  # a LangGraph interrupt (the graph stops for input)
WAIT_INPUT_REQUIRED = "input_required"  # an A2A task in a state that needs input
WAIT_KINDS = (WAIT_APPROVAL, WAIT_INTERRUPT, WAIT_INPUT_REQUIRED)
# ag_ui.run.outcome's values (an AG-UI run's RUN_FINISHED outcome, or RUN_ERROR).
AG_UI_SUCCESS = "success"
AG_UI_INTERRUPT = "interrupt"
AG_UI_CANCELLED = "cancelled"
AG_UI_ERROR = "error"
# A2A task states (a2a.task.state) that wait for someone; the protocol writes them
# upper-case in its gRPC binding (TASK_STATE_INPUT_REQUIRED) and kebab-case in JSON.
A2A_WAIT_STATES = frozenset(
    {
        "input_required",
        "input-required",
        "task_state_input_required",
        "auth_required",
        "auth-required",
        "task_state_auth_required",
    }
)

# The event that carries an LLM call's messages when they are not attributes.
EVENT_INFERENCE_DETAILS = "gen_ai.client.inference.operation.details"
# The older GenAI conventions' events (log records naming the call's span): one per
# message, by role, with the message in the body; and the answer, one per choice.
MESSAGE_EVENTS = {
    "gen_ai.system.message": "system",
    "gen_ai.user.message": "user",
    "gen_ai.assistant.message": "assistant",
    "gen_ai.tool.message": "tool",
}
EVENT_CHOICE = "gen_ai.choice"

# gen_ai.tool.type of an MCP tool.
TOOL_TYPE_EXTENSION = "extension"

# Values of swarmscope.link on a span link: why the span links to another.
LINK_HANDOFF = "handoff"  # an agent run to the handoff that started it
LINK_REPLAY_OF = "replay_of"  # a replayed request to the request it replays
LINK_RESUME_OF = "resume_of"  # a resumed run to what it resumes: the paused run, or the approval
# of the interrupt it answers
LINK_REASONS = (LINK_HANDOFF, LINK_REPLAY_OF, LINK_RESUME_OF)

# Span events swarmscope adds (the standard "exception" event is the SDK's).
EVENT_EXCEPTION = "exception"
EVENT_STATE_TRANSITION = "state_transition"
EVENT_RETRY = "retry"
EVENT_AUDIT = "audit"
EVENT_AUTH_FAILED = "auth_failed"
EVENT_RBAC_DENIED = "rbac_denied"
EVENT_RATE_LIMIT_REJECTED = "rate_limit_rejected"
EVENT_GUARDRAIL_VIOLATION = "guardrail_violation"
SPAN_EVENTS = (
    EVENT_EXCEPTION,
    EVENT_STATE_TRANSITION,
    EVENT_RETRY,
    EVENT_AUDIT,
    EVENT_AUTH_FAILED,
    EVENT_RBAC_DENIED,
    EVENT_RATE_LIMIT_REJECTED,
    EVENT_GUARDRAIL_VIOLATION,
)


def prefixes() -> tuple[str, ...]:
    """The fixed first words of span names, each as it starts a name (with its space)."""
    return tuple(sorted({f"{name.prefix} " for name in SPAN_NAMES.values() if name.prefix}))
