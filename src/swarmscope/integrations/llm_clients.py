"""LLM client methods recorded as ``llm_call``: the wrapping the OpenAI and Anthropic modules share.

The clients offer no callback hooks, so their public resource methods (``create``) are
wrapped on the class, once, with the original kept for ``unwrap``. A plain response records
its usage when the call returns. A stream is handed back as a transparent proxy of the same
stream object (``isinstance`` still holds) that passes every chunk through untouched, reads
usage off the chunks as they go by, and ends the call when the stream is exhausted, closed or
fails: nothing is buffered and nothing is raised into the app.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import wrapt

from swarmscope import integrations
from swarmscope.instrument.errors import ErrorCategory, categorize_http_status
from swarmscope.instrument.llm import LlmCall
from swarmscope.instrument.operation import safely

_ORIGINAL = "__swarmscope_original__"
_AGENTS = "swarmscope.integrations.openai_agents"


@dataclass
class Tally:
    """What a response or a stream said about itself so far; readers set, never add."""

    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    model: str | None = None
    finish_reason: str | None = None


@dataclass(frozen=True)
class Client:
    """One provider's client library: how to read its usage and what its errors mean."""

    provider: str
    # Reads a whole response or one stream event into the tally.
    read: Callable[[Tally, Any], None]
    timeout_errors: tuple[type[BaseException], ...] = ()
    connection_errors: tuple[type[BaseException], ...] = ()
    # The request's model, from the method's keyword arguments.
    model_of: Callable[[dict[str, Any]], str] = field(
        default=lambda kwargs: str(kwargs.get("model") or "unknown")
    )


def error_category(client: Client, error: BaseException) -> str:
    """The catalog category of a client error: by HTTP status, else timeout or connection."""
    status = getattr(error, "status_code", None)
    if isinstance(status, int):
        category = categorize_http_status(status)
        if category != ErrorCategory.UNKNOWN:
            return category
    if isinstance(error, client.timeout_errors):
        return ErrorCategory.SERVER_TIMEOUT
    if isinstance(error, client.connection_errors):
        return ErrorCategory.SERVER_UNAVAILABLE
    return ErrorCategory.LLM_ERROR


def _counted_by_agents_sdk() -> bool:
    """Inside an Agents SDK model call that its integration records already."""
    agents = sys.modules.get(_AGENTS)
    return agents is not None and bool(safely(_AGENTS, agents.counts_current_model_call))


class _Recording:
    """One call in flight: its ``llm_call`` and the tally its response or stream fills."""

    def __init__(self, client: Client, kwargs: dict[str, Any], stream: bool) -> None:
        self.client = client
        self.tally = Tally()
        self.call: LlmCall | None = LlmCall(client.model_of(kwargs), client.provider)
        # A stream ends wherever the app finishes reading it, so its span is never current.
        self.call.start(current=not stream)

    def read(self, item: Any) -> None:
        safely("llm_client.read", lambda: self.client.read(self.tally, item))

    def read_snapshot(self, stream: Any, attribute: str) -> None:
        """What a helper stream accumulated (its message so far), when it has any."""
        safely("llm_client.read", lambda: self.client.read(self.tally, getattr(stream, attribute)))

    def stopped(self, error: BaseException) -> None:
        """The stream raised: its normal end, or the error the app will see."""
        ended = isinstance(error, StopIteration | StopAsyncIteration)
        self.finish(None if ended else error)

    def finish(self, error: BaseException | None) -> None:
        call, self.call = self.call, None
        if call is not None:
            safely("llm_client.finish", lambda: self._finish(call, error))

    def _finish(self, call: LlmCall, error: BaseException | None) -> None:
        tally = self.tally
        call.record_usage(
            tally.input_tokens,
            tally.output_tokens,
            cache_read_tokens=tally.cache_read_tokens,
            response_model=tally.model,
            finish_reason=tally.finish_reason,
        )
        if error is not None:
            call.error_category = error_category(self.client, error)
        call.finish(error)


def _start(client: Client, kwargs: dict[str, Any], stream: bool) -> _Recording | None:
    if _counted_by_agents_sdk():
        return None
    recording: _Recording | None = safely(
        "llm_client.start", lambda: _Recording(client, kwargs, stream)
    )
    return recording


class _Observed(wrapt.ObjectProxy):
    """A client's own stream object, with the call its items are read into."""

    def __init__(self, stream: Any, recording: _Recording) -> None:
        super().__init__(stream)
        self._self_recording = recording

    def __del__(self) -> None:
        # A stream the app dropped half-read (a break, no close) still ends its call.
        self._self_recording.finish(None)


class _ObservedStream(_Observed):
    """The client's own stream, read in passing; ends its call when the stream ends."""

    def __iter__(self) -> _ObservedStream:
        return self

    def __next__(self) -> Any:
        try:
            item = next(self.__wrapped__)
        except BaseException as error:
            self._self_recording.stopped(error)
            raise
        self._self_recording.read(item)
        return item

    def __enter__(self) -> _ObservedStream:
        self.__wrapped__.__enter__()
        return self

    def __exit__(self, *exc: Any) -> Any:
        try:
            return self.__wrapped__.__exit__(*exc)
        finally:
            self._self_recording.finish(exc[1])

    def close(self) -> None:
        try:
            self.__wrapped__.close()
        finally:
            self._self_recording.finish(None)


class _ObservedAsyncStream(_Observed):
    """The async client's own stream, read in passing, like ``_ObservedStream``."""

    def __aiter__(self) -> _ObservedAsyncStream:
        return self

    async def __anext__(self) -> Any:
        try:
            item = await self.__wrapped__.__anext__()
        except BaseException as error:
            self._self_recording.stopped(error)
            raise
        self._self_recording.read(item)
        return item

    async def __aenter__(self) -> _ObservedAsyncStream:
        await self.__wrapped__.__aenter__()
        return self

    async def __aexit__(self, *exc: Any) -> Any:
        try:
            return await self.__wrapped__.__aexit__(*exc)
        finally:
            self._self_recording.finish(exc[1])

    async def close(self) -> None:
        try:
            await self.__wrapped__.close()
        finally:
            self._self_recording.finish(None)


class _ObservedStreamManager(wrapt.ObjectProxy):
    """A helper's stream manager (``with client.messages.stream(...) as stream``).

    The request goes out when the block is entered and the helper reads its own events, so
    the call is timed from entry to exit and its usage is read off the helper's snapshot of
    the message when the block ends.
    """

    def __init__(self, manager: Any, client: Client, kwargs: dict[str, Any], snapshot: str):
        super().__init__(manager)
        self._self_client, self._self_kwargs, self._self_snapshot = client, kwargs, snapshot
        self._self_recording: _Recording | None = None
        self._self_stream: Any = None

    def __enter__(self) -> Any:
        self._self_recording = _start(self._self_client, self._self_kwargs, True)
        try:
            self._self_stream = self.__wrapped__.__enter__()
        except BaseException as error:
            self._self_ended(error)
            raise
        return self._self_stream

    def __exit__(self, *exc: Any) -> Any:
        try:
            return self.__wrapped__.__exit__(*exc)
        finally:
            self._self_ended(exc[1])

    async def __aenter__(self) -> Any:
        self._self_recording = _start(self._self_client, self._self_kwargs, True)
        try:
            self._self_stream = await self.__wrapped__.__aenter__()
        except BaseException as error:
            self._self_ended(error)
            raise
        return self._self_stream

    async def __aexit__(self, *exc: Any) -> Any:
        try:
            return await self.__wrapped__.__aexit__(*exc)
        finally:
            self._self_ended(exc[1])

    def _self_ended(self, error: BaseException | None) -> None:
        recording, self._self_recording = self._self_recording, None
        if recording is not None:
            if self._self_stream is not None:
                recording.read_snapshot(self._self_stream, self._self_snapshot)
            recording.finish(error)


def _outcome(recording: _Recording | None, result: Any, stream: bool, is_async: bool) -> Any:
    if recording is None:
        return result
    if stream:
        return (_ObservedAsyncStream if is_async else _ObservedStream)(result, recording)
    recording.read(result)
    recording.finish(None)
    return result


def _wrapper(client: Client, original: Callable[..., Any], is_async: bool) -> Callable[..., Any]:
    if is_async:

        @functools.wraps(original)
        async def create_async(self: Any, *args: Any, **kwargs: Any) -> Any:
            recording = _start(client, kwargs, bool(kwargs.get("stream")))
            try:
                result = await original(self, *args, **kwargs)
            except BaseException as error:
                if recording is not None:
                    recording.finish(error)
                raise
            return _outcome(recording, result, bool(kwargs.get("stream")), True)

        return create_async

    @functools.wraps(original)
    def create(self: Any, *args: Any, **kwargs: Any) -> Any:
        recording = _start(client, kwargs, bool(kwargs.get("stream")))
        try:
            result = original(self, *args, **kwargs)
        except BaseException as error:
            if recording is not None:
                recording.finish(error)
            raise
        return _outcome(recording, result, bool(kwargs.get("stream")), False)

    return create


def wrap(owner: type, name: str, client: Client, *, is_async: bool) -> None:
    """Record every call of ``owner.name``; a second wrap of the same method does nothing.

    ``is_async`` is the client's word, not inspection's: the clients decorate their async
    methods with plain functions that return the coroutine.
    """
    original = owner.__dict__[name]
    if hasattr(original, _ORIGINAL):
        return
    wrapper = _wrapper(client, original, is_async)
    setattr(wrapper, _ORIGINAL, original)
    setattr(owner, name, wrapper)


def wrap_stream_helper(owner: type, name: str, client: Client, snapshot: str) -> None:
    """Record the streams of a helper that returns a stream manager and skips ``create``.

    ``snapshot`` names the entered stream's property holding the message accumulated so far.
    """
    original = owner.__dict__[name]
    if hasattr(original, _ORIGINAL):
        return

    @functools.wraps(original)
    def stream(self: Any, *args: Any, **kwargs: Any) -> Any:
        manager = original(self, *args, **kwargs)
        observed = safely(
            "llm_client.start", lambda: _ObservedStreamManager(manager, client, kwargs, snapshot)
        )
        return manager if observed is None else observed

    setattr(stream, _ORIGINAL, original)
    setattr(owner, name, stream)


def unwrap(owner: type, name: str) -> None:
    """Put back the method ``wrap`` replaced (nothing when it is not wrapped)."""
    original = getattr(owner.__dict__.get(name), _ORIGINAL, None)
    if original is not None:
        setattr(owner, name, original)


# A client library's resource classes whose ``create`` is recorded, each with whether it is
# the async client's.
Methods = tuple[tuple[type, bool], ...]


def instrument(client: Client, methods: Methods, covered: tuple[str, ...]) -> None:
    """Wrap each ``create`` of ``methods``; other instrumentors' ``covered`` scopes count once."""
    for owner, is_async in methods:
        wrap(owner, "create", client, is_async=is_async)
    integrations.covered_scopes.update(covered)


def uninstrument(methods: Methods, covered: tuple[str, ...]) -> None:
    """Undo ``instrument``."""
    for owner, _ in methods:
        unwrap(owner, "create")
    integrations.covered_scopes.difference_update(covered)
