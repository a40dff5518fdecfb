"""The OpenAI Python client: every chat completion and Responses API call as an ``llm_call``.

``instrument_openai()`` wraps ``chat.completions.create`` and ``responses.create`` of the
sync and async clients (class level: every client, made before or after). Usage is read off
the response, or off a stream as it goes by: a chat stream reports usage only when the app
asks for it (``stream_options={"include_usage": True}``); it is not added to the request,
because that appends a chunk without choices that code reading ``chunk.choices[0]`` would
trip on. Calls the Agents SDK makes inside a model span its integration records are left to
that integration, so one call is counted once.
"""

from __future__ import annotations

from typing import Any

import openai
from openai.resources.chat.completions import AsyncCompletions, Completions
from openai.resources.responses import AsyncResponses, Responses

from swarmscope.conventions import scopes
from swarmscope.integrations.llm_clients import Client, Tally, instrument, uninstrument

PROVIDER = "openai"
# The Responses API's stream events that carry the whole response, usage included.
_RESPONSE_EVENT = "response."


def read_usage(tally: Tally, item: Any) -> None:
    """A chat completion, a chat chunk, a response, or a Responses API stream event."""
    response = getattr(item, "response", None)
    if response is not None and str(getattr(item, "type", "")).startswith(_RESPONSE_EVENT):
        item = response
    model = getattr(item, "model", None)
    if isinstance(model, str) and model:
        tally.model = model
    for choice in getattr(item, "choices", None) or ():
        if choice.finish_reason:
            tally.finish_reason = choice.finish_reason
    usage = getattr(item, "usage", None)
    if usage is None:
        return
    chat = hasattr(usage, "prompt_tokens")
    tally.input_tokens = (usage.prompt_tokens if chat else usage.input_tokens) or 0
    tally.output_tokens = (usage.completion_tokens if chat else usage.output_tokens) or 0
    details = usage.prompt_tokens_details if chat else usage.input_tokens_details
    tally.cache_read_tokens = getattr(details, "cached_tokens", None) or 0


CLIENT = Client(
    PROVIDER,
    read_usage,
    timeout_errors=(openai.APITimeoutError,),
    connection_errors=(openai.APIConnectionError,),
)
_METHODS = (
    (Completions, False),
    (AsyncCompletions, True),
    (Responses, False),
    (AsyncResponses, True),
)


def instrument_openai() -> None:
    """Record every OpenAI client call in this process; calling it again changes nothing."""
    instrument(CLIENT, _METHODS, scopes.OPENAI)


def uninstrument_openai() -> None:
    """Put the client's methods back as they were."""
    uninstrument(_METHODS, scopes.OPENAI)
