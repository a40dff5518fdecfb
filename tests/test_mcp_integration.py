"""``ss.instrument_mcp()``: a real MCP client and server (the ``mcp`` package) produce the
catalog's MCP metrics, log events and semantic-convention spans, one span per side per call,
with the server's span continuing the client's trace through ``params._meta``."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

import pytest
from mcp import Client
from mcp.client._memory import InMemoryTransport
from mcp.client.auth.exceptions import OAuthTokenError
from mcp.server.mcpserver import MCPServer
from mcp.shared.message import SessionMessage
from openinference.instrumentation.mcp import MCPInstrumentor
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.trace import SpanKind, StatusCode

import swarmscope as ss
from loopback import serve
from swarmscope import integrations
from swarmscope.integrations.mcp import uninstrument_mcp

# The global_spans fixture: the MCP SDK traces through the global tracer provider.
pytest_plugins = ("global_spans",)

if TYPE_CHECKING:  # the suite's conftest; the examples' has the same module name
    from conftest import Captured


def weather_server() -> MCPServer:
    server = MCPServer("weather-tools")

    @server.tool()
    def get_weather(city: str) -> str:
        """Current weather for a city."""
        return f"sunny and 21 degrees in {city}"

    @server.tool()
    def broken(city: str) -> str:
        """A tool whose backend is down."""
        raise RuntimeError(f"no forecast for {city}")

    return server


@pytest.fixture
def instrumented(global_spans: Captured) -> Iterator[Captured]:
    ss.instrument_mcp()
    try:
        yield global_spans
    finally:
        uninstrument_mcp()


def named(captured: Captured, name: str, kind: SpanKind) -> list[ReadableSpan]:
    return [s for s in captured.spans() if s.name == name and s.kind is kind]


def one(captured: Captured, name: str, kind: SpanKind) -> ReadableSpan:
    found = named(captured, name, kind)
    assert len(found) == 1, [(s.name, s.kind) for s in captured.spans()]
    return found[0]


async def call_in_memory(server: MCPServer, tool: str) -> Any:
    async with Client(InMemoryTransport(server)) as client, ss.agent_run("researcher"):
        return await client.call_tool(tool, {"city": "Paris"})


def test_a_tool_call_is_one_client_span_continued_by_the_server(instrumented: Captured) -> None:
    result = asyncio.run(call_in_memory(weather_server(), "get_weather"))
    assert not result.is_error

    client = one(instrumented, "tools/call get_weather", SpanKind.CLIENT)
    server = one(instrumented, "tools/call get_weather", SpanKind.SERVER)
    agent = one(instrumented, "invoke_agent researcher", SpanKind.INTERNAL)
    assert client.attributes is not None
    assert client.attributes["mcp.method.name"] == "tools/call"
    assert client.attributes["gen_ai.tool.name"] == "get_weather"
    assert client.attributes["gen_ai.operation.name"] == "execute_tool"
    # The server continued the client's trace from the request's _meta.
    assert client.parent is not None and client.parent.span_id == agent.context.span_id
    assert server.context.trace_id == client.context.trace_id
    assert server.parent is not None and server.parent.span_id == client.context.span_id
    # No span keeps the MCP SDK's own name: the request is one span, not two.
    assert not [s.name for s in instrumented.spans() if s.name.startswith("MCP send")]

    labels = {"tool_name": "get_weather"}
    assert instrumented.metric("mcp_tool_invocations_total", status="success", **labels) == 1
    assert instrumented.metric("mcp_tool_invocation_duration_seconds_count", **labels) == 1
    # The server counted the tool it ran. The SDK's in-memory streams carry the sender's
    # context to the handler, so in process the calling agent is the tool's agent.
    server_labels = {"agent_type": "researcher", "tool_name": "get_weather", "status": "success"}
    assert instrumented.metric("agent_tool_calls_total", **server_labels) == 1
    (invoked,) = instrumented.events("mcp_tool_invoked")
    assert invoked["tool_name"] == "get_weather"
    assert invoked["agent_id"] == "researcher"
    assert invoked["span_id"] == f"{client.context.span_id:016x}"


def test_a_tool_that_raises_is_a_failed_invocation_on_both_sides(instrumented: Captured) -> None:
    result = asyncio.run(call_in_memory(weather_server(), "broken"))
    assert result.is_error

    assert (
        instrumented.metric("mcp_tool_invocations_total", tool_name="broken", status="success") == 0
    )
    assert (
        instrumented.metric(
            "mcp_tool_invocations_total", tool_name="broken", status="error_execution"
        )
        == 1
    )
    (failed,) = instrumented.events("mcp_tool_failed")
    assert failed["status"] == "error_execution"
    server = one(instrumented, "tools/call broken", SpanKind.SERVER)
    assert server.status.status_code is StatusCode.ERROR
    labels = {"agent_type": "researcher", "tool_name": "broken", "status": "failure"}
    assert instrumented.metric("agent_tool_calls_total", **labels) == 1
    (tool_failed,) = instrumented.events("tool_call_failed")
    assert tool_failed["error_type"] == "tool_error"


def test_a_protocol_error_is_counted(instrumented: Captured) -> None:
    async def ask_for_a_missing_prompt() -> None:
        async with Client(InMemoryTransport(weather_server())) as client:
            await client.get_prompt("no-such-prompt")

    with pytest.raises(BaseException, match="unhandled errors"):
        asyncio.run(ask_for_a_missing_prompt())

    assert (
        instrumented.metric("errors_total", error_type="mcp_protocol_error", severity="medium") == 1
    )
    span = one(instrumented, "prompts/get no-such-prompt", SpanKind.CLIENT)
    assert span.attributes is not None and span.attributes["rpc.response.status_code"] == "-32603"


class ExpiredCredentials:
    """A transport whose credentials fail when a request is sent (as a token provider does
    when its token has expired): the in-memory streams, with a write side that refuses."""

    def __init__(self, server: MCPServer) -> None:
        self.inner = InMemoryTransport(server)
        self.sent = 0

    @asynccontextmanager
    async def streams(self) -> AsyncIterator[tuple[Any, Any]]:
        async with self.inner as (read, write):
            outer = self

            class Refusing:
                async def send(self, message: SessionMessage) -> None:
                    outer.sent += 1
                    # The handshake goes through; the tool call finds the token expired.
                    if outer.sent > 1:
                        raise OAuthTokenError("token expired")
                    await write.send(message)

                async def aclose(self) -> None:
                    await write.aclose()

                def close(self) -> None:
                    write.close()

                async def __aenter__(self) -> Refusing:
                    return self

                async def __aexit__(self, *exc: object) -> None:
                    await write.aclose()

            yield read, Refusing()

    async def __aenter__(self) -> tuple[Any, Any]:
        self._cm = self.streams()
        return await self._cm.__aenter__()

    async def __aexit__(self, *exc: object) -> None:
        await self._cm.__aexit__(*exc)


def test_a_credential_error_is_counted_once(instrumented: Captured) -> None:
    async def call_with_expired_token() -> None:
        async with Client(ExpiredCredentials(weather_server())) as client:  # type: ignore[arg-type]
            await client.call_tool("get_weather", {"city": "Paris"})

    with pytest.raises(BaseExceptionGroup) as raised:
        asyncio.run(call_with_expired_token())
    assert raised.group_contains(OAuthTokenError, depth=None)

    assert instrumented.metric("mcp_credential_errors_total", tool_name="get_weather") == 1
    labels = {"tool_name": "get_weather", "status": "error_credentials"}
    assert instrumented.metric("mcp_tool_invocations_total", **labels) == 1
    (failed,) = instrumented.events("mcp_tool_failed")
    assert failed["reason"] == "OAuthTokenError"


def test_streamable_http_carries_the_trace_to_the_server(instrumented: Captured) -> None:
    server = weather_server()

    async def call(url: str) -> Any:
        async with ss.agent_run("researcher"), Client(f"{url}/mcp") as client:
            return await client.call_tool("get_weather", {"city": "Paris"})

    with serve(server.streamable_http_app()) as url:
        result = asyncio.run(call(url))
    assert not result.is_error

    client = one(instrumented, "tools/call get_weather", SpanKind.CLIENT)
    server_span = one(instrumented, "tools/call get_weather", SpanKind.SERVER)
    assert server_span.context.trace_id == client.context.trace_id
    assert server_span.parent is not None
    assert server_span.parent.span_id == client.context.span_id
    assert (
        instrumented.metric("mcp_tool_invocations_total", tool_name="get_weather", status="success")
        == 1
    )
    # Over HTTP the server runs in its own context: no agent encloses the tool there.
    labels = {"agent_type": "unknown", "tool_name": "get_weather", "status": "success"}
    assert instrumented.metric("agent_tool_calls_total", **labels) == 1


def test_an_in_process_server_has_the_calls_only_span(instrumented: Captured) -> None:
    async def call_directly() -> Any:
        async with ss.agent_run("researcher"), Client(weather_server()) as client:
            return await client.call_tool("get_weather", {"city": "Paris"})

    asyncio.run(call_directly())

    assert not named(instrumented, "tools/call get_weather", SpanKind.CLIENT)
    server = one(instrumented, "tools/call get_weather", SpanKind.SERVER)
    (invoked,) = instrumented.events("mcp_tool_invoked")
    assert invoked["span_id"] == f"{server.context.span_id:016x}"
    labels = {"tool_name": "get_weather", "status": "success"}
    assert instrumented.metric("mcp_tool_invocations_total", **labels) == 1


def test_with_openinference_on_too_nothing_is_counted_twice(instrumented: Captured) -> None:
    # Other instrumentors' spans are counted too: the MCP SDK's scopes are ours now.
    ss.count_other_spans()
    openinference = MCPInstrumentor()
    openinference.instrument()
    try:
        asyncio.run(call_in_memory(weather_server(), "get_weather"))
    finally:
        openinference.uninstrument()

    client = one(instrumented, "tools/call get_weather", SpanKind.CLIENT)
    server = one(instrumented, "tools/call get_weather", SpanKind.SERVER)
    assert server.parent is not None and server.parent.span_id == client.context.span_id
    labels = {"tool_name": "get_weather", "status": "success"}
    assert instrumented.metric("mcp_tool_invocations_total", **labels) == 1
    assert len(instrumented.events("mcp_tool_invoked")) == 1
    server_labels = {"agent_type": "researcher", "tool_name": "get_weather", "status": "success"}
    assert instrumented.metric("agent_tool_calls_total", **server_labels) == 1
    assert len(instrumented.events("tool_call_completed")) == 1
    assert {"mcp-python-sdk", "openinference.instrumentation.mcp"} <= integrations.covered_scopes


def test_instrumenting_twice_counts_once_and_uninstrument_stops_counting(
    global_spans: Captured,
) -> None:
    telemetry = global_spans
    ss.instrument_mcp()
    ss.instrument_mcp()
    asyncio.run(call_in_memory(weather_server(), "get_weather"))
    uninstrument_mcp()
    asyncio.run(call_in_memory(weather_server(), "get_weather"))

    labels = {"tool_name": "get_weather", "status": "success"}
    assert telemetry.metric("mcp_tool_invocations_total", **labels) == 1
    assert "mcp-python-sdk" not in integrations.covered_scopes
    # Uninstrumented, the SDK's spans keep their own names.
    assert [s.name for s in telemetry.spans() if s.name.startswith("MCP send tools/call")]
