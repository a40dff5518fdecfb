"""MCP (the ``mcp`` package, 2.3 and later): the catalog's MCP metrics and log events on the
spans the MCP SDK makes itself.

The MCP SDK traces every request, client and server side, and carries trace context in the
request's ``params._meta``; starting a second span per call would split one call in two. So
its spans are the spans: a span processor scoped to its instrumentation scope gives a client
span the semantic conventions' name (``tools/call {tool}``, where the SDK writes ``MCP send
tools/call {tool}``) and the GenAI tool attributes, and counts a server's tool call when its
span ends. A client's tool calls are timed and counted around ``ClientSession.send_request``,
the public method every request of a session goes through, so they count whether or not their
span is sampled; credential and protocol failures of any request are counted there too.

A client connected to an in-process server directly (``Client(server)``) sends no JSON-RPC,
and the SDK starts no client span: the server's span, in the caller's task, is the call's span.
A server's tool calls are counted from their span, so a sampler that drops the span drops the
count with it (the default samples every span). ``mcp.session.id`` is not written: the client
session does not expose its transport's session, and under protocol 2026-07-28 (mcp 2.3's
default) streamable HTTP has none.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from time import perf_counter
from typing import Any
from weakref import WeakKeyDictionary

from mcp.client.auth.exceptions import OAuthFlowError
from mcp.client.session import ClientSession
from mcp.shared.exceptions import MCPError
from mcp_types import CallToolResult
from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.sdk.trace import ReadableSpan, Span, SpanProcessor, TracerProvider
from opentelemetry.trace import SpanContext, SpanKind, StatusCode

from swarmscope import integrations
from swarmscope.conventions.attributes import (
    ERROR_TYPE,
    GEN_AI_OPERATION_NAME,
    GEN_AI_TOOL_NAME,
    GEN_AI_TOOL_TYPE,
    MCP_METHOD_NAME,
)
from swarmscope.conventions.catalog import FAILURE, SUCCESS, TIMEOUT
from swarmscope.conventions.mcp_sdk import (
    JSONRPC_PROTOCOL_ERRORS,
    MCP_CONNECTION_CLOSED,
    MCP_REQUEST_TIMEOUT,
    MCP_SCOPES,
    MCP_SDK_CLIENT_PREFIX,
    MCP_SDK_SCOPE,
)
from swarmscope.conventions.spans import EXECUTE_TOOL, MCP_TOOLS_CALL, TOOL_TYPE_EXTENSION
from swarmscope.instrument.errors import ErrorCategory, ErrorSeverity, record_failure
from swarmscope.instrument.operation import CANCELLED, current_agent, safely
from swarmscope.instrument.tools import mcp_credential_error, record_mcp_tool, record_tool_call
from swarmscope.telemetry.runtime import current, is_initialized

WHERE = "mcp"
# The outcomes of a client request, as mcp_tool_invocations_total's status label spells them.
ERROR_EXECUTION = "error_execution"
ERROR_PROTOCOL = "error_protocol"
ERROR_CREDENTIALS = "error_credentials"
ERROR_HTTP = "error_http"
# Set on our wrapper: the method it replaced, which uninstrument_mcp() puts back.
_ORIGINAL = "__swarmscope_original__"


@dataclass
class _Request:
    """A client request under way: the span the SDK starts for it is attached here, so its
    log event names that span."""

    method: str
    target: str | None
    span_context: SpanContext | None = None


_request: ContextVar[_Request | None] = ContextVar("swarmscope_mcp_request", default=None)


class McpSpanProcessor(SpanProcessor):
    """Completes the MCP SDK's spans as the semantic conventions name them and counts the
    tool calls a server ran; spans of other scopes pass untouched."""

    def __init__(self) -> None:
        self.active = True

    def on_start(self, span: Span, parent_context: Context | None = None) -> None:
        if self.active and _is_mcp(span):
            safely(WHERE, lambda: _complete(span))

    def on_end(self, span: ReadableSpan) -> None:
        # The processor stays on the provider after ss.shutdown(); it must not start another
        # runtime then, as current() would.
        if self.active and span.kind is SpanKind.SERVER and _is_mcp(span) and is_initialized():
            safely(WHERE, lambda: _count_server_tool_call(span))

    def shutdown(self) -> None:
        """Nothing to release: the processor only reads and renames spans."""

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return True


def _is_mcp(span: ReadableSpan) -> bool:
    scope = span.instrumentation_scope
    return scope is not None and scope.name == MCP_SDK_SCOPE


def _complete(span: Span) -> None:
    name = span.name
    if span.kind is SpanKind.CLIENT and name.startswith(MCP_SDK_CLIENT_PREFIX):
        name = name[len(MCP_SDK_CLIENT_PREFIX) :]
        span.update_name(name)
    method = (span.attributes or {}).get(MCP_METHOD_NAME)
    target = name.partition(" ")[2]
    if method == MCP_TOOLS_CALL and target:
        span.set_attributes(
            {
                GEN_AI_OPERATION_NAME: EXECUTE_TOOL,
                GEN_AI_TOOL_NAME: target,
                GEN_AI_TOOL_TYPE: TOOL_TYPE_EXTENSION,
            }
        )
    request = _request.get()
    if request is not None and request.span_context is None and request.method == method:
        request.span_context = span.get_span_context()


def _count_server_tool_call(span: ReadableSpan) -> None:
    attributes = span.attributes or {}
    tool = attributes.get(GEN_AI_TOOL_NAME)
    if attributes.get(MCP_METHOD_NAME) != MCP_TOOLS_CALL or not isinstance(tool, str):
        return
    failed = span.status.status_code is StatusCode.ERROR
    error_type = attributes.get(ERROR_TYPE)
    record_tool_call(
        current(),
        tool,
        current_agent.get(),
        FAILURE if failed else SUCCESS,
        ((span.end_time or 0) - (span.start_time or 0)) / 1e9,
        None,
        span_context=span.get_span_context(),
        error_type=str(error_type) if error_type is not None else None,
    )


# -- the client: every request of a ClientSession -------------------------------------------
SendRequest = Callable[..., Awaitable[Any]]


def _traced(send_request: SendRequest) -> SendRequest:
    @functools.wraps(send_request)
    async def send_traced(self: ClientSession, request: Any, *args: Any, **kwargs: Any) -> Any:
        method = getattr(request, "method", None)
        if not isinstance(method, str):
            return await send_request(self, request, *args, **kwargs)
        target = getattr(getattr(request, "params", None), "name", None)
        call = _Request(method, target if isinstance(target, str) else None)
        token = _request.set(call)
        started = perf_counter()
        try:
            result = await send_request(self, request, *args, **kwargs)
        except BaseException as error:
            safely(WHERE, functools.partial(_finish, call, perf_counter() - started, error, None))
            raise
        finally:
            _request.reset(token)
        safely(WHERE, functools.partial(_finish, call, perf_counter() - started, None, result))
        return result

    setattr(send_traced, _ORIGINAL, send_request)
    return send_traced


def _finish(call: _Request, duration: float, error: BaseException | None, result: Any) -> None:
    rt = current()
    status = _status(error, result)
    tool = call.target if call.method == MCP_TOOLS_CALL else None
    if status == ERROR_CREDENTIALS:
        mcp_credential_error(tool or call.method, reason=type(_credential_error(error)).__name__)
    elif status == ERROR_PROTOCOL:
        record_failure(
            rt,
            error,
            ErrorCategory.MCP_PROTOCOL_ERROR,
            ErrorSeverity.MEDIUM,
            current_agent.get(),
            call.method,
        )
    if tool is not None:
        # A credential failure's event was logged by mcp_credential_error.
        record_mcp_tool(
            rt,
            tool,
            status,
            duration,
            error,
            call.span_context,
            event=status != ERROR_CREDENTIALS,
        )


def _status(error: BaseException | None, result: Any) -> str:
    """The outcome of one request, in mcp_tool_invocations_total's words."""
    if error is None:
        return (
            ERROR_EXECUTION if isinstance(result, CallToolResult) and result.is_error else SUCCESS
        )
    if _credential_error(error) is not None:
        return ERROR_CREDENTIALS
    if isinstance(error, asyncio.CancelledError):
        return CANCELLED
    if isinstance(error, TimeoutError):
        return TIMEOUT
    if isinstance(error, MCPError):
        if error.code in JSONRPC_PROTOCOL_ERRORS:
            return ERROR_PROTOCOL
        if error.code == MCP_CONNECTION_CLOSED:
            return ERROR_HTTP
        if error.code == MCP_REQUEST_TIMEOUT:
            return TIMEOUT
    return ERROR_EXECUTION


def _credential_error(error: BaseException | None) -> BaseException | None:
    """The client auth failure behind ``error`` (its cause, or one of a group), if any."""
    for found in _causes(error, depth=8):
        if isinstance(found, OAuthFlowError):
            return found
    return None


def _causes(error: BaseException | None, depth: int) -> Iterator[BaseException]:
    # Bounded: a cause chain or a nest of exception groups is walked at most ``depth`` deep.
    if error is None or depth == 0:
        return
    yield error
    if isinstance(error, BaseExceptionGroup):
        for inner in error.exceptions[:8]:
            yield from _causes(inner, depth - 1)
    yield from _causes(error.__cause__ or error.__context__, depth - 1)


# -- turning it on and off ------------------------------------------------------------------
# The processor added to each runtime's tracer provider (a provider has no way to remove one).
_processors: WeakKeyDictionary[TracerProvider, McpSpanProcessor] = WeakKeyDictionary()


def instrument_mcp() -> None:
    """Count MCP tool calls and complete the MCP SDK's spans, from now on; idempotent.

    Call it after ``ss.init()``. The span processor joins the provider the MCP SDK's spans go
    to: the global one (swarmscope's, unless the app set its own first).
    """
    global_provider = trace.get_tracer_provider()
    provider = (
        global_provider
        if isinstance(global_provider, TracerProvider)
        else current().tracer_provider
    )
    processor = _processors.get(provider)
    if processor is None:
        processor = _processors[provider] = McpSpanProcessor()
        provider.add_span_processor(processor)
    processor.active = True
    if not hasattr(ClientSession.send_request, _ORIGINAL):
        ClientSession.send_request = _traced(ClientSession.send_request)  # type: ignore[method-assign,assignment]
    integrations.covered_scopes.update(MCP_SCOPES)


def uninstrument_mcp() -> None:
    """Undo ``instrument_mcp``: the SDK's spans and requests go on as if it had never run."""
    original = getattr(ClientSession.send_request, _ORIGINAL, None)
    if original is not None:
        ClientSession.send_request = original  # type: ignore[method-assign]
    for processor in list(_processors.values()):
        processor.active = False
    integrations.covered_scopes.difference_update(MCP_SCOPES)
