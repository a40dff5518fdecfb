"""What a stored span row makes of a span's OTLP fields, in one place.

Both span readers use it: the compiled one (``otlp_wire``) and the one over protobuf's
messages (``otlp``). The agent model's columns (operation, agent, tool, model, tokens,
provider, cost, session, handoff ends, waits) come from whichever convention the span
follows, through ``conventions.agent_model``.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from math import isfinite
from typing import Any

import orjson

from swarmscope.conventions.agent_model import derive_from_slots, read_slots
from swarmscope.conventions.attributes import SERVICE_NAME
from swarmscope.conventions.spans import LLM_OPERATIONS, SPAN_KINDS
from swarmscope.exceptions import TimeOutOfRange
from swarmscope.prices import price_for

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


# The columns ``derived`` fills: six in the row's middle (the store's first columns), the
# rest at its end (added later: an older store gets them by ALTER TABLE, at the end).
DERIVED_HEAD = ("operation", "agent", "tool", "model", "input_tokens", "output_tokens")
DERIVED_TAIL = (
    "provider",
    "cost_usd",
    "session",
    "cache_read_tokens",
    "cache_creation_tokens",
    "reasoning_tokens",
    "handoff_from",
    "handoff_to",
    "wait",
)
_LLM_OPERATIONS = frozenset(LLM_OPERATIONS)


def derived(
    name: str,
    kind: str,
    attrs: dict[str, Any],
    events: list[tuple[int, str, dict[str, Any]]],
    found: list[Any] | None = None,
) -> tuple[tuple[Any, ...], tuple[Any, ...]]:
    """The agent model's columns of a span (``conventions.agent_model``), typed for the
    store: ``DERIVED_HEAD``'s values and ``DERIVED_TAIL``'s. ``found`` is
    ``read_slots(attrs)`` when the reader collected it already.

    An LLM call that carries no cost is priced here, from its model, provider and tokens.
    """
    (
        operation,
        agent,
        tool,
        model,
        input_tokens,
        output_tokens,
        provider,
        cost,
        session,
        cache_read,
        cache_creation,
        reasoning,
        handoff_from,
        handoff_to,
        wait,
    ) = derive_from_slots(name, attrs, events, read_slots(attrs) if found is None else found)
    # Most values are already of their column's type: those skip the conversion's call.
    if operation is not None and type(operation) is not str:
        operation = as_text(operation)
    if model is not None and type(model) is not str:
        model = as_text(model)
    if provider is not None and type(provider) is not str:
        provider = as_text(provider)
    if input_tokens is not None and (
        type(input_tokens) is not int or not MIN_INT <= input_tokens <= MAX_INT
    ):
        input_tokens = as_int(input_tokens)
    if output_tokens is not None and (
        type(output_tokens) is not int or not MIN_INT <= output_tokens <= MAX_INT
    ):
        output_tokens = as_int(output_tokens)
    if cache_read is not None and (
        type(cache_read) is not int or not MIN_INT <= cache_read <= MAX_INT
    ):
        cache_read = as_int(cache_read)
    if cost is not None:
        cost = cost if type(cost) is float and isfinite(cost) else as_float(cost)
    if cost is None and model and operation in _LLM_OPERATIONS and (input_tokens or output_tokens):
        cost = priced(model, provider, input_tokens or 0, output_tokens or 0, cache_read or 0)
    return (
        operation,
        agent if agent is None or type(agent) is str else as_text(agent),
        tool if tool is None or type(tool) is str else as_text(tool),
        model,
        input_tokens,
        output_tokens,
    ), (
        provider,
        cost,
        session if session is None or type(session) is str else as_text(session),
        cache_read,
        cache_creation if cache_creation is None else as_int(cache_creation),
        reasoning if reasoning is None else as_int(reasoning),
        handoff_from
        if handoff_from is None or type(handoff_from) is str
        else as_text(handoff_from),
        handoff_to if handoff_to is None or type(handoff_to) is str else as_text(handoff_to),
        wait,
    )


def priced(
    model: str, provider: str | None, input_tokens: int, output_tokens: int, cache_read: int
) -> float | None:
    """What genai-prices says the call cost; None for a model it does not know (or counts
    it cannot price), never an error: a span is stored whether or not it can be priced."""
    try:
        price = price_for(model, provider)
        if price is None:
            return None
        return price.cost(input_tokens, output_tokens, min(cache_read, input_tokens))
    except (ArithmeticError, LookupError, TypeError, ValueError):
        return None


def as_float(raw: Any) -> float | None:
    """A cost for a DOUBLE column; None when it is not a finite number."""
    try:
        number = None if raw is None or isinstance(raw, bool) else float(raw)
    except (TypeError, ValueError):
        return None
    return number if number is not None and isfinite(number) else None


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
