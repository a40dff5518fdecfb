"""``ss.instrument_openai()`` and ``ss.instrument_anthropic()`` against fake APIs on loopback.

The real clients (sync, async, streaming) talk to local fakes; the app must get what it got
before (the client's own response and stream types, the same chunks), and swarmscope the
tokens, the cost, the duration, the span and the log of a hand-written ``ss.llm_call``.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator
from typing import Any

import anthropic
import openai
import pytest
from openai.types.chat import ChatCompletion
from tests.fixtures.recorders import fake_llm

import swarmscope as ss
from swarmscope import integrations
from swarmscope.conventions import scopes
from tests import fake_anthropic
from tests.conftest import Captured

GPT = "gpt-4o-mini"
CLAUDE = "claude-haiku-4-5"
MESSAGES = [{"role": "user", "content": "Hello"}]


@pytest.fixture
def openai_server() -> Iterator[fake_llm.FakeLLM]:
    with fake_llm.running() as server:
        yield server


@pytest.fixture
def anthropic_server() -> Iterator[fake_anthropic.FakeAnthropic]:
    with fake_anthropic.running() as server:
        yield server


@pytest.fixture
def instrumented(telemetry: Captured) -> Iterator[Captured]:
    ss.instrument_openai()
    ss.instrument_anthropic()
    try:
        yield telemetry
    finally:
        ss.uninstrument_openai()
        ss.uninstrument_anthropic()


def _openai(server: fake_llm.FakeLLM) -> openai.OpenAI:
    return openai.OpenAI(base_url=fake_llm.base_url(server), api_key="test", max_retries=0)


def _async_openai(server: fake_llm.FakeLLM) -> openai.AsyncOpenAI:
    return openai.AsyncOpenAI(base_url=fake_llm.base_url(server), api_key="test", max_retries=0)


def _anthropic(server: fake_anthropic.FakeAnthropic) -> anthropic.Anthropic:
    return anthropic.Anthropic(base_url=server.base_url, api_key="test", max_retries=0)


def _async_anthropic(server: fake_anthropic.FakeAnthropic) -> anthropic.AsyncAnthropic:
    return anthropic.AsyncAnthropic(base_url=server.base_url, api_key="test", max_retries=0)


def _tokens(t: Captured, model: str, provider: str, kind: str) -> float:
    return t.metric(
        "llm_tokens_total", model=model, provider=provider, agent_type="unknown", token_type=kind
    )


def _requests(t: Captured, model: str, provider: str, status: str = "success") -> float:
    return t.metric(
        "llm_requests_total", model=model, provider=provider, agent_type="unknown", status=status
    )


def _without_ids(dump: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in dump.items() if key != "id"}


def test_a_chat_completion_is_an_llm_call_and_the_app_gets_the_clients_own_response(
    instrumented: Captured, openai_server: fake_llm.FakeLLM
) -> None:
    ss.uninstrument_openai()
    before = _openai(openai_server).chat.completions.create(model=GPT, messages=MESSAGES)
    ss.instrument_openai()
    ss.instrument_openai()  # a second call wraps nothing twice
    with ss.agent_run("writer"):
        after = _openai(openai_server).chat.completions.create(model=GPT, messages=MESSAGES)

    assert type(after) is ChatCompletion
    assert _without_ids(after.model_dump()) == _without_ids(before.model_dump())
    t = instrumented
    tokens = {"model": GPT, "provider": "openai", "agent_type": "writer"}
    assert t.metric("llm_tokens_total", **tokens, token_type="input") == fake_llm.PROMPT_TOKENS
    assert t.metric("llm_tokens_total", **tokens, token_type="output") == fake_llm.COMPLETION_TOKENS  # fmt: skip
    assert t.metric("llm_requests_total", **tokens, status="success") == 1
    assert t.metric("llm_cost_usd_total", **tokens) > 0
    span = t.span(f"chat {GPT}")
    assert span.parent is not None and span.parent.span_id == t.span("invoke_agent writer").context.span_id  # fmt: skip
    assert span.attributes["gen_ai.usage.input_tokens"] == fake_llm.PROMPT_TOKENS
    [log] = t.events("llm_call_completed")
    assert log["input_tokens"] == fake_llm.PROMPT_TOKENS and log["cost_usd"] > 0


def test_async_calls_and_the_responses_api_are_counted(
    instrumented: Captured, openai_server: fake_llm.FakeLLM
) -> None:
    async def run() -> None:
        client = _async_openai(openai_server)
        await client.chat.completions.create(model=GPT, messages=MESSAGES)
        await client.responses.create(model=GPT, input="Hello")

    asyncio.run(run())
    _openai(openai_server).responses.create(model=GPT, input="Hello")
    t = instrumented
    assert _requests(t, GPT, "openai") == 3
    assert _tokens(t, GPT, "openai", "input") == 3 * fake_llm.PROMPT_TOKENS


def test_a_chat_stream_passes_every_chunk_through_and_counts_when_it_ends(
    instrumented: Captured, openai_server: fake_llm.FakeLLM
) -> None:
    ss.uninstrument_openai()
    request: dict[str, Any] = {
        "model": GPT,
        "messages": MESSAGES,
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    expected = [_without_ids(c.model_dump()) for c in _openai(openai_server).chat.completions.create(**request)]  # fmt: skip
    ss.instrument_openai()
    t = instrumented
    stream = _openai(openai_server).chat.completions.create(**request)
    assert isinstance(stream, openai.Stream)
    assert _requests(t, GPT, "openai") == 0, "counted before the stream ended"
    with stream:
        chunks = [_without_ids(chunk.model_dump()) for chunk in stream]
    assert chunks == expected
    assert _requests(t, GPT, "openai") == 1
    assert _tokens(t, GPT, "openai", "output") == fake_llm.COMPLETION_TOKENS
    assert t.span(f"chat {GPT}").attributes["gen_ai.response.finish_reasons"] == ("stop",)


def test_an_async_responses_stream_is_counted_from_its_completed_event(
    instrumented: Captured, openai_server: fake_llm.FakeLLM
) -> None:
    async def run() -> list[str]:
        stream = await _async_openai(openai_server).responses.create(
            model=GPT, input="Hello", stream=True
        )
        assert isinstance(stream, openai.AsyncStream)
        return [event.type async for event in stream]

    types = asyncio.run(run())
    assert types[-1] == "response.completed"
    assert _tokens(instrumented, GPT, "openai", "input") == fake_llm.PROMPT_TOKENS


@pytest.mark.parametrize(
    ("status", "raised", "category"),
    [
        (429, openai.RateLimitError, "client_rate_limit"),
        (401, openai.AuthenticationError, "client_unauthorized"),
    ],
)
def test_an_error_status_is_a_failed_llm_call_counted_by_its_category(
    instrumented: Captured,
    openai_server: fake_llm.FakeLLM,
    status: int,
    raised: type[Exception],
    category: str,
) -> None:
    openai_server.fail_with = status
    with pytest.raises(raised):
        _openai(openai_server).chat.completions.create(model=GPT, messages=MESSAGES)
    t = instrumented
    assert _requests(t, GPT, "openai", status="failure") == 1
    assert t.metric("errors_total", error_type=category, severity="medium") == 1
    [log] = t.events("llm_call_failed")
    assert log["error_type"] == raised.__name__


def test_anthropic_messages_sync_async_and_streamed(
    instrumented: Captured, anthropic_server: fake_anthropic.FakeAnthropic
) -> None:
    client = _anthropic(anthropic_server)
    message = client.messages.create(model=CLAUDE, max_tokens=64, messages=MESSAGES)
    assert isinstance(message, anthropic.types.Message)
    with client.messages.create(
        model=CLAUDE, max_tokens=64, messages=MESSAGES, stream=True
    ) as stream:
        assert isinstance(stream, anthropic.Stream)
        text = "".join(event.delta.text for event in stream if event.type == "content_block_delta")
    assert text.strip() == fake_anthropic.ANSWER

    async def run() -> None:
        aclient = _async_anthropic(anthropic_server)
        await aclient.messages.create(model=CLAUDE, max_tokens=64, messages=MESSAGES)
        stream = await aclient.messages.create(
            model=CLAUDE, max_tokens=64, messages=MESSAGES, stream=True
        )
        async for _ in stream:
            pass

    asyncio.run(run())
    t = instrumented
    prompt = fake_anthropic.INPUT_TOKENS + fake_anthropic.CACHE_READ_TOKENS
    assert _requests(t, CLAUDE, "anthropic") == 4
    assert _tokens(t, CLAUDE, "anthropic", "input") == 4 * prompt
    assert _tokens(t, CLAUDE, "anthropic", "output") == 4 * fake_anthropic.OUTPUT_TOKENS
    assert (
        t.metric("llm_cost_usd_total", model=CLAUDE, provider="anthropic", agent_type="unknown") > 0
    )
    assert t.total("telemetry_instrumentation_errors_total") == 0


def test_anthropic_rate_limit_is_counted_as_one(
    instrumented: Captured, anthropic_server: fake_anthropic.FakeAnthropic
) -> None:
    anthropic_server.fail_with = 429
    with pytest.raises(anthropic.RateLimitError):
        _anthropic(anthropic_server).messages.create(model=CLAUDE, max_tokens=64, messages=MESSAGES)
    t = instrumented
    assert _requests(t, CLAUDE, "anthropic", status="failure") == 1
    assert t.metric("errors_total", error_type="client_rate_limit", severity="medium") == 1


def test_with_openinference_on_too_each_call_is_counted_once(
    instrumented: Captured, openai_server: fake_llm.FakeLLM
) -> None:
    from openinference.instrumentation.openai import OpenAIInstrumentor

    instrumentor = OpenAIInstrumentor()
    instrumentor.instrument(tracer_provider=instrumented.rt.tracer_provider)
    try:
        _openai(openai_server).chat.completions.create(model=GPT, messages=MESSAGES)
    finally:
        instrumentor.uninstrument()
    t = instrumented
    assert _requests(t, GPT, "openai") == 1
    assert set(scopes.OPENAI) | set(scopes.ANTHROPIC) <= integrations.covered_scopes
    ours = [s for s in t.spans() if s.instrumentation_scope.name == "swarmscope"]
    assert [s.name for s in ours] == [f"chat {GPT}"]


def test_uninstrumented_clients_record_nothing(
    instrumented: Captured, openai_server: fake_llm.FakeLLM
) -> None:
    ss.uninstrument_openai()
    _openai(openai_server).chat.completions.create(model=GPT, messages=MESSAGES)
    assert _requests(instrumented, GPT, "openai") == 0
    assert not set(scopes.OPENAI) & integrations.covered_scopes


def test_the_stream_helpers_are_counted_too(
    instrumented: Captured,
    openai_server: fake_llm.FakeLLM,
    anthropic_server: fake_anthropic.FakeAnthropic,
) -> None:
    client = _openai(openai_server)
    with client.chat.completions.stream(
        model=GPT, messages=MESSAGES, stream_options={"include_usage": True}
    ) as chat:
        assert chat.get_final_completion().usage is not None
    with client.responses.stream(model=GPT, input="Hello") as response:
        response.until_done()
    with _anthropic(anthropic_server).messages.stream(
        model=CLAUDE, max_tokens=64, messages=MESSAGES
    ) as message:
        assert message.get_final_text().strip() == fake_anthropic.ANSWER

    async def run() -> None:
        async with _async_anthropic(anthropic_server).messages.stream(
            model=CLAUDE, max_tokens=64, messages=MESSAGES
        ) as stream:
            assert [text async for text in stream.text_stream]

    asyncio.run(run())
    t = instrumented
    assert _requests(t, GPT, "openai") == 2
    assert _tokens(t, GPT, "openai", "input") == 2 * fake_llm.PROMPT_TOKENS
    assert _requests(t, CLAUDE, "anthropic") == 2
    assert _tokens(t, CLAUDE, "anthropic", "output") == 2 * fake_anthropic.OUTPUT_TOKENS
    assert t.total("telemetry_instrumentation_errors_total") == 0


def test_a_stream_dropped_half_read_still_ends_its_call(
    instrumented: Captured, openai_server: fake_llm.FakeLLM
) -> None:
    stream = _openai(openai_server).chat.completions.create(
        model=GPT, messages=MESSAGES, stream=True
    )
    next(iter(stream))
    assert _requests(instrumented, GPT, "openai") == 0
    stream.response.close()  # the app's break, seen from the server; the proxy is only dropped
    del stream
    assert _requests(instrumented, GPT, "openai") == 1
    assert len(instrumented.spans()) == 1


def test_a_client_timeout_is_counted_as_a_server_timeout(instrumented: Captured) -> None:
    # A server that takes the connection and never answers: the client's own timeout.
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        base_url = f"http://127.0.0.1:{silent.getsockname()[1]}/v1"
        client = openai.OpenAI(base_url=base_url, api_key="test", max_retries=0, timeout=0.2)
        with pytest.raises(openai.APITimeoutError):
            client.chat.completions.create(model=GPT, messages=MESSAGES)
    t = instrumented
    assert t.metric("errors_total", error_type="server_timeout", severity="medium") == 1
    assert _requests(t, GPT, "openai", status="failure") == 1


def test_the_anthropic_sdks_own_spans_are_not_counted_again_by_count_other_spans(
    instrumented: Captured, anthropic_server: fake_anthropic.FakeAnthropic
) -> None:
    # The anthropic SDK traces itself; with count_other_spans on the provider it traces to,
    # each call would be counted by the processor and by the integration.
    provider = instrumented.rt.tracer_provider
    ss.count_other_spans(provider)
    client = anthropic.Anthropic(
        base_url=anthropic_server.base_url,
        api_key="test",
        max_retries=0,
        open_telemetry={"tracer_provider": provider},
    )
    client.messages.create(model=CLAUDE, max_tokens=64, messages=MESSAGES)
    with client.messages.create(
        model=CLAUDE, max_tokens=64, messages=MESSAGES, stream=True
    ) as stream:
        for _ in stream:
            pass
    scopes = [span.instrumentation_scope.name for span in instrumented.spans()]
    assert scopes.count("com.anthropic.sdk.python") == 2  # the SDK's own, one per call
    assert _requests(instrumented, CLAUDE, "anthropic") == 2
