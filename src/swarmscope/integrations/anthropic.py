"""The Anthropic Python client: every ``messages.create`` call as an ``llm_call``.

``instrument_anthropic()`` wraps ``messages.create`` and the ``messages.stream`` helper of
the sync and async clients (class level). A stream's usage comes in two parts: the prompt's in ``message_start``, the output's
(a running total) in each ``message_delta``; both are read as the events go by.
"""

from __future__ import annotations

from typing import Any

import anthropic
from anthropic.resources.messages import AsyncMessages, Messages

from swarmscope.conventions import scopes
from swarmscope.integrations.llm_clients import (
    Client,
    Tally,
    instrument,
    uninstrument,
    unwrap,
    wrap_stream_helper,
)

PROVIDER = "anthropic"
_MESSAGE_START = "message_start"
# The message a ``messages.stream(...)`` helper has accumulated, usage included.
_SNAPSHOT = "current_message_snapshot"


def read_usage(tally: Tally, item: Any) -> None:
    """A message, or one stream event (``message_start``, ``message_delta``; others say nothing)."""
    if getattr(item, "type", None) == _MESSAGE_START:
        item = item.message
    model = getattr(item, "model", None)
    if isinstance(model, str) and model:
        tally.model = model
    stop = getattr(item, "stop_reason", None) or getattr(
        getattr(item, "delta", None), "stop_reason", None
    )
    if stop:
        tally.finish_reason = stop
    usage = getattr(item, "usage", None)
    if usage is None:
        return
    # Anthropic counts cached prompt tokens apart from input_tokens; the GenAI input count
    # (and the price table) includes them.
    cache_read = getattr(usage, "cache_read_input_tokens", None)
    cache_write = getattr(usage, "cache_creation_input_tokens", None)
    if usage.input_tokens is not None:
        tally.input_tokens = usage.input_tokens + (cache_read or 0) + (cache_write or 0)
        tally.cache_read_tokens = cache_read or 0
    if usage.output_tokens is not None:
        tally.output_tokens = usage.output_tokens


CLIENT = Client(
    PROVIDER,
    read_usage,
    timeout_errors=(anthropic.APITimeoutError,),
    connection_errors=(anthropic.APIConnectionError,),
)
_METHODS = ((Messages, False), (AsyncMessages, True))


def instrument_anthropic() -> None:
    """Record every Anthropic client call in this process; calling it again changes nothing."""
    instrument(CLIENT, _METHODS, scopes.ANTHROPIC)
    for owner, _ in _METHODS:
        wrap_stream_helper(owner, "stream", CLIENT, _SNAPSHOT)


def uninstrument_anthropic() -> None:
    """Put the client's methods back as they were."""
    uninstrument(_METHODS, scopes.ANTHROPIC)
    for owner, _ in _METHODS:
        unwrap(owner, "stream")
