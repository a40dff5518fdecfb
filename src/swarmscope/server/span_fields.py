"""What a stored span row makes of a span's OTLP fields, in one place.

Both span readers use it: the compiled one (``otlp_wire``) and the one over protobuf's
messages (``otlp``). The agent, tool, model, operation and token columns come from the
GenAI semantic conventions or, for spans from OpenInference instrumentors, from theirs.
"""

from __future__ import annotations

import hashlib
from typing import Any

import orjson

KINDS = ("unspecified", "internal", "server", "client", "producer", "consumer")
STATUS = ("unset", "ok", "error")
# OpenInference's span kinds, as the GenAI operation they correspond to.
OPENINFERENCE_KINDS = {
    "LLM": "chat",
    "TOOL": "execute_tool",
    "AGENT": "invoke_agent",
    "CHAIN": "chain",
    "RETRIEVER": "retrieve",
    "EMBEDDING": "embeddings",
}


def service_name(resource: dict[str, Any]) -> str:
    return str(resource.get("service.name", "unknown_service"))


def derived(attrs: dict[str, Any]) -> tuple[Any, Any, Any, Any, int | None, int | None]:
    """The operation, agent, tool, model, input and output tokens a span's attributes name."""
    get = attrs.get
    return (
        get("gen_ai.operation.name")
        or OPENINFERENCE_KINDS.get(str(get("openinference.span.kind")).upper()),
        first(attrs, "gen_ai.agent.name", "agent.name"),
        first(attrs, "gen_ai.tool.name", "tool.name"),
        first(attrs, "gen_ai.request.model", "llm.model_name"),
        as_int(first(attrs, "gen_ai.usage.input_tokens", "llm.token_count.prompt")),
        as_int(first(attrs, "gen_ai.usage.output_tokens", "llm.token_count.completion")),
    )


def first(attrs: dict[str, Any], *keys: str) -> Any:
    """The first of ``keys`` with a value that is not empty."""
    for key in keys:
        found = attrs.get(key)
        if found is not None and found != "":
            return found
    return None


def as_int(raw: Any) -> int | None:
    try:
        return None if raw is None else int(raw)
    except (TypeError, ValueError):
        return None


def kind_name(kind: int) -> str:
    return KINDS[kind] if 0 <= kind < len(KINDS) else "unspecified"


def status_name(code: int) -> str:
    return STATUS[code] if 0 <= code < len(STATUS) else "unset"


def to_json(data: Any) -> str:
    return orjson.dumps(data, default=str).decode()


def resource_id(resource_json: str) -> str:
    """A short digest naming a resource: spans refer to it instead of repeating it."""
    return hashlib.blake2b(resource_json.encode(), digest_size=8).hexdigest()


def events_json(events: list[tuple[int, str, dict[str, Any]]]) -> str:
    if not events:
        return "[]"
    return to_json(
        [{"name": name, "time_ns": time_ns, "attributes": attrs} for time_ns, name, attrs in events]
    )


def links_json(links: list[tuple[bytes, bytes, dict[str, Any]]]) -> str:
    if not links:
        return "[]"
    return to_json(
        [
            {"trace_id": trace_id.hex(), "span_id": span_id.hex(), "attributes": attrs}
            for trace_id, span_id, attrs in links
        ]
    )
