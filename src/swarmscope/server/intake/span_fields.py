"""What a stored span row makes of a span's OTLP fields, in one place.

Both span readers use it: the compiled one (``otlp_wire``) and the one over protobuf's
messages (``otlp``). The agent, tool, model, operation and token columns come from the
GenAI semantic conventions or, for spans from OpenInference instrumentors, from theirs.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

from swarmscope.conventions.attributes import (
    GEN_AI_AGENT_NAME,
    GEN_AI_OPERATION_NAME,
    GEN_AI_REQUEST_MODEL,
    GEN_AI_TOOL_NAME,
    GEN_AI_USAGE_INPUT_TOKENS,
    GEN_AI_USAGE_OUTPUT_TOKENS,
    SERVICE_NAME,
)
from swarmscope.conventions.openinference import (
    AGENT_NAME,
    LLM_MODEL_NAME,
    LLM_TOKEN_COUNT_COMPLETION,
    LLM_TOKEN_COUNT_PROMPT,
    OPENINFERENCE_KINDS,
    OPENINFERENCE_SPAN_KIND,
    TOOL_NAME,
)
from swarmscope.conventions.spans import SPAN_KINDS
from swarmscope.exceptions import TimeOutOfRange

STATUS = ("unset", "ok", "error")


# The store keeps times as signed 64-bit nanoseconds (BIGINT); OTLP's are unsigned (fixed64),
# and the upper half of their range has no place in the store. It begins after this instant.
MAX_TIME_NS = 2**63 - 1
LAST_TIME = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=MAX_TIME_NS // 1000)
LAST_TIME_TEXT = LAST_TIME.isoformat().replace("+00:00", "Z")
# Token counts are stored as BIGINT too.
MIN_INT, MAX_INT = -(2**63), 2**63 - 1


def time_out_of_range(what: str, field: str, ns: int) -> TimeOutOfRange:
    """The one wording both span readers, logs and metrics use for a time the store cannot
    hold, naming the item, the OTLP field and its value."""
    return TimeOutOfRange(
        f"{what}: {field} {ns} is past the last time the store can hold, {LAST_TIME_TEXT}"
        " (2^63-1 ns since 1970)"
    )


def span_label(name: str, span_id: bytes) -> str:
    """A span as a reason names it: its name and id, enough to find it in the sender."""
    return f"span {name[:100]!r} (span id {span_id.hex()})"


def check_span_times(name: str, span_id: bytes, start_ns: int, end_ns: int) -> None:
    """Raise ``TimeOutOfRange`` for a span whose start or end the store cannot hold."""
    if start_ns > MAX_TIME_NS:
        raise time_out_of_range(span_label(name, span_id), "start_time_unix_nano", start_ns)
    if end_ns > MAX_TIME_NS:
        raise time_out_of_range(span_label(name, span_id), "end_time_unix_nano", end_ns)


def service_name(resource: dict[str, Any]) -> str:
    return str(resource.get(SERVICE_NAME, "unknown_service"))


def derived(
    attrs: dict[str, Any],
) -> tuple[str | None, str | None, str | None, str | None, int | None, int | None]:
    """The operation, agent, tool, model, input and output tokens a span's attributes name."""
    get = attrs.get
    return (
        as_text(get(GEN_AI_OPERATION_NAME))
        or OPENINFERENCE_KINDS.get(str(get(OPENINFERENCE_SPAN_KIND)).upper()),
        as_text(first(attrs, GEN_AI_AGENT_NAME, AGENT_NAME)),
        as_text(first(attrs, GEN_AI_TOOL_NAME, TOOL_NAME)),
        as_text(first(attrs, GEN_AI_REQUEST_MODEL, LLM_MODEL_NAME)),
        as_int(first(attrs, GEN_AI_USAGE_INPUT_TOKENS, LLM_TOKEN_COUNT_PROMPT)),
        as_int(first(attrs, GEN_AI_USAGE_OUTPUT_TOKENS, LLM_TOKEN_COUNT_COMPLETION)),
    )


def first(attrs: dict[str, Any], *keys: str) -> Any:
    """The first of ``keys`` with a value that is not empty."""
    for key in keys:
        found = attrs.get(key)
        if found is not None and found != "":
            return found
    return None


def as_text(raw: Any) -> str | None:
    """An attribute value for a text column: the sender chose its type, and an agent name
    sent as a number or a list must not fail the batch (Arrow refuses non-strings there)."""
    if raw is None or isinstance(raw, str):
        return raw
    return to_json(raw)


def as_int(raw: Any) -> int | None:
    """A token count for a BIGINT column; None when it is not a number or does not fit (a
    double of 1e300 or inf would otherwise overflow the column and fail the batch)."""
    try:
        number = None if raw is None else int(raw)
    except (TypeError, ValueError, OverflowError):
        return None
    return number if number is not None and MIN_INT <= number <= MAX_INT else None


def kind_name(kind: int) -> str:
    return SPAN_KINDS[kind] if 0 <= kind < len(SPAN_KINDS) else "unspecified"


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
