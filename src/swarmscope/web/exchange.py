"""One HTTP request and its response, as swarmscope records them.

An ``Exchange`` is opened when a request arrives and finished exactly once: as the app
sends the last message of its response (the body chunk with ``more_body`` false, the last
trailer, or a path-send), when the app raises, or when it returns without completing the
response (the client went away, the server cancelled it). Finishing lowers the in-progress
gauge, counts the request, observes its duration and body sizes, logs ``request_completed``
or ``request_failed`` and ends the SERVER span, so a streamed response (SSE) is timed to its
end and counted once. It happens just before the last message is handed on, so anyone who
has seen the whole response also sees it counted.

A request whose client left is not a failure: it keeps the status it was sent with, or
499 if none was, and its log line says ``client_disconnected``.

Everything the exchange does is instrumentation: the middleware calls it through
``safely`` and the response-start hook falls back to the app's own message, so a fault in
here costs a telemetry sample and never the request.
"""

from __future__ import annotations

import os
import re
from time import perf_counter
from typing import Any
from urllib.parse import urlsplit

import structlog
from opentelemetry import context as otel_context
from opentelemetry import propagate, trace
from opentelemetry.trace import SpanKind, Status, StatusCode
from starlette.requests import ClientDisconnect
from starlette.types import Message, Receive, Scope, Send

from swarmscope.conventions.attributes import (
    CLIENT_ADDRESS,
    ERROR_TYPE,
    HTTP_REQUEST_METHOD,
    HTTP_REQUEST_METHOD_ORIGINAL,
    HTTP_RESPONSE_STATUS_CODE,
    HTTP_ROUTE,
    NETWORK_PROTOCOL_VERSION,
    SERVER_ADDRESS,
    SERVER_PORT,
    SESSION_ID,
    SWARMSCOPE_CLIENT_DISCONNECTED,
    SWARMSCOPE_REPLAY_OF,
    URL_PATH,
    URL_SCHEME,
    USER_AGENT_ORIGINAL,
    USER_ID,
)
from swarmscope.instrument.errors import record_unhandled
from swarmscope.instrument.operation import safely
from swarmscope.telemetry.runtime import current
from swarmscope.web.replay import Recording, is_replayable, replay_link
from swarmscope.web.routing import find_routes, route_template, template_of

UNMATCHED = "unmatched"
# A status for a client that left before any response was sent (nginx's convention).
CLIENT_CLOSED = 499
KNOWN_METHODS = frozenset(
    {"CONNECT", "DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT", "QUERY", "TRACE"}
)
# An incoming X-Request-Id is echoed and logged, so only a short, plain one is trusted.
_REQUEST_ID = re.compile(r"[A-Za-z0-9._:\-]{1,128}")
_TRACE_HEADER = b"x-trace-id"
# Span attributes that come from the client and may hold personal data or secrets.
_USER_DATA = (URL_PATH, USER_AGENT_ORIGINAL, SESSION_ID, USER_ID)
_REQUEST_HEADER = b"x-request-id"


def new_request_id() -> str:
    """``req_`` and 12 random hex digits: short enough to read out, unique enough per day."""
    return "req_" + os.urandom(6).hex()


class Exchange:
    """The telemetry of one request; ``receive`` and ``send`` wrap the server's callables."""

    __slots__ = (
        "_context_token",
        "_declared_length",
        "_declared_request",
        "_finished",
        "_headers",
        "_in_progress",
        "_log_tokens",
        "_receive",
        "_recording",
        "_send",
        "_started",
        "_trailers",
        "client_ip",
        "disconnected",
        "endpoint",
        "method",
        "path",
        "request_bytes",
        "request_id",
        "response_bytes",
        "rt",
        "scope",
        "span",
        "status",
        "trace_id",
    )

    def __init__(self, app: Any, scope: Scope, receive: Receive, send: Send) -> None:
        rt = current()
        headers = _headers(scope)
        raw_method = scope.get("method") or "GET"
        method = raw_method if raw_method in KNOWN_METHODS else "_OTHER"
        routes = find_routes(app, scope)
        template = route_template(routes, scope) if routes is not None else None
        path = scope.get("path") or "/"
        client = scope.get("client")
        self.rt = rt
        self.scope = scope
        self.method = method
        self.path = path
        self.endpoint = template or UNMATCHED
        self.client_ip: str | None = client[0] if client else None
        self.status: int | None = None
        self.request_bytes = 0
        self._declared_request = _content_length(headers)
        self.response_bytes = 0
        self.disconnected = False
        self._receive = receive
        self._send = send
        self._trailers = False
        self._declared_length = 0
        self._finished = False
        self._headers = headers
        self._recording: Recording | None = None

        incoming = headers.get("x-request-id")
        self.request_id = (
            incoming if incoming and _REQUEST_ID.fullmatch(incoming) else new_request_id()
        )
        attributes = _span_attributes(scope, headers, raw_method, method, path, template)
        # swarmscope's spans are scrubbed where their data is set, not on export.
        for key in _USER_DATA:
            if key in attributes:
                attributes[key] = rt.redactor.text(attributes[key])
        # An outer layer (OpenTelemetry's ASGI middleware, a framework's own tracing) that
        # already opened a span read the traceparent too: nest under it rather than beside it.
        outer = trace.get_current_span().get_span_context().is_valid
        parent = None if outer else propagate.extract(headers)
        links, replay_of = replay_link(headers)
        if replay_of is not None:
            attributes[SWARMSCOPE_REPLAY_OF] = replay_of
        span = rt.tracer.start_span(
            f"{method} {template}" if template else method,
            context=parent,
            kind=SpanKind.SERVER,
            attributes=attributes,
            links=links,
        )
        self.span = span
        self.trace_id = span.get_span_context().trace_id
        log_fields = {"request_id": self.request_id}
        if "x-session-id" in headers:
            log_fields["session_id"] = headers["x-session-id"]
        if "x-user-id" in headers:
            log_fields["user_id"] = headers["x-user-id"]

        # From here on, state outlives this call: each step is undone if a later one fails.
        self._context_token = otel_context.attach(trace.set_span_in_context(span, parent))
        try:
            self._log_tokens = structlog.contextvars.bind_contextvars(**log_fields)
            in_progress = rt.metrics["http_requests_in_progress"].child(method, self.endpoint)
            in_progress.inc()
        except BaseException:
            otel_context.detach(self._context_token)
            span.end()
            raise
        self._in_progress = in_progress
        self._started = perf_counter()
        if rt.logs_at("debug"):
            safely("http.start", self._log_start)

    def _log_start(self) -> None:
        fields = {
            "method": self.method,
            "path": self.path,
            "route": self.endpoint,
            "client_ip": self.client_ip,
        }
        self.rt.event("request_started", fields, span_context=self.span.get_span_context())

    # -- the wrapped ASGI callables ----------------------------------------------------------
    async def receive(self) -> Message:
        message = await self._receive()
        kind = message.get("type")
        if kind == "http.request":
            body = message.get("body")
            # The router has set the endpoint by the time the app reads the body.
            if self._recording is None and is_replayable(self.scope.get("endpoint")):
                self._recording = Recording()
            if body:
                self.request_bytes += len(body)
                if self._recording is not None:
                    self._recording.add(body)
        elif kind == "http.disconnect":
            self.disconnected = True
        return message

    async def send(self, message: Message) -> None:
        kind = message.get("type")
        final = False
        if kind == "http.response.body":
            body = message.get("body")
            if body:
                self.response_bytes += len(body)
            final = not message.get("more_body", False) and not self._trailers
        elif kind == "http.response.start":
            decorated = safely("http.response_start", lambda: self._response_start(message))
            if decorated is not None:
                message = decorated
        elif kind == "http.response.trailers":
            final = not message.get("more_trailers", False)
        elif kind == "http.response.pathsend":
            # A file the server sends itself: its declared length is its size.
            self.response_bytes = self._declared_length
            final = True
        if final:
            self.finish()
        await self._send(message)

    def _response_start(self, message: Message) -> Message:
        """Note the status and add ``x-trace-id``/``x-request-id``, unless the app set them."""
        self.status = int(message["status"])
        self._trailers = bool(message.get("trailers", False))
        headers = list(message.get("headers") or ())
        present = set()
        for name, value in headers:
            name = bytes(name).lower()
            present.add(name)
            if name == b"content-length" and bytes(value).isdigit():
                self._declared_length = int(value)
        if _TRACE_HEADER not in present and self.trace_id:
            headers.append((_TRACE_HEADER, f"{self.trace_id:032x}".encode()))
        if _REQUEST_HEADER not in present:
            headers.append((_REQUEST_HEADER, self.request_id.encode()))
        return {**message, "headers": headers}

    # -- the end -----------------------------------------------------------------------------
    def finish(self, error: BaseException | None = None) -> None:
        """Record the outcome once; a later error (a background task) is only counted."""
        if self._finished:
            if isinstance(error, Exception) and not self._is_disconnect(error):
                record_unhandled(error, self._module())
            return
        self._finished = True
        safely("http.finish", lambda: self._record(error))

    def close(self) -> None:
        """Restore the caller's context: the span stops being current, the log fields unbound."""
        safely("http.close", lambda: structlog.contextvars.reset_contextvars(**self._log_tokens))
        otel_context.detach(self._context_token)  # logs, never raises, on a foreign token

    def _record(self, error: BaseException | None) -> None:
        duration = perf_counter() - self._started
        span = self.span
        try:
            self._in_progress.dec()
            # Cancelled (the server gave up on the request) and disconnected are not failures.
            cancelled = error is not None and not isinstance(error, Exception)
            failed = error is not None and not cancelled and not self._is_disconnect(error)
            status = self._final_status(failed)
            endpoint = self._final_endpoint()
            rt, method = self.rt, self.method
            if is_replayable(self.scope.get("endpoint")):
                recording = self._recording or Recording()
                recording.write(span, self.scope, self._headers, rt.redactor)
            metrics = rt.metrics
            metrics["http_requests_total"].child(method, endpoint, str(status)).inc()
            metrics["http_request_duration_seconds"].child(method, endpoint).observe(duration)
            metrics["http_request_body_size_bytes"].child(method, endpoint).observe(
                max(self.request_bytes, self._declared_request)
            )
            metrics["http_response_body_size_bytes"].child(method, endpoint).observe(
                self.response_bytes
            )
            if self.status is not None or failed:
                # A crash before the response started is answered 500 by the server.
                span.set_attribute(HTTP_RESPONSE_STATUS_CODE, self.status or status)
            fields: dict[str, Any] = {
                "method": method,
                "path": self.path,
                "route": endpoint,
                "status_code": status,
                "duration_ms": round(duration * 1000, 3),
                "client_ip": self.client_ip,
            }
            if failed:
                assert error is not None
                record_unhandled(error, self._module())
                span.record_exception(error)
                description = rt.redactor.text(f"{type(error).__name__}: {error}")
                span.set_status(Status(StatusCode.ERROR, description))
                span.set_attribute(ERROR_TYPE, type(error).__qualname__)
                fields["error_type"] = type(error).__name__
                fields["error_message"] = str(error)
                rt.event("request_failed", fields, span_context=span.get_span_context())
                return
            if status >= 500:
                span.set_status(Status(StatusCode.ERROR))
                span.set_attribute(ERROR_TYPE, str(status))
            if cancelled:
                fields["cancelled"] = True
            elif self.disconnected or error is not None:
                fields["client_disconnected"] = True
                span.set_attribute(SWARMSCOPE_CLIENT_DISCONNECTED, True)
            rt.event("request_completed", fields, span_context=span.get_span_context())
        finally:
            span.end()

    def _final_status(self, failed: bool) -> int:
        if failed:
            return 500
        if self.status is not None:
            return self.status
        # No response started: the client left, or the app returned without answering and
        # the server answers 500 for it.
        return CLIENT_CLOSED if self.disconnected else 500

    def _final_endpoint(self) -> str:
        """The template found up front, else the one the router left in the scope."""
        if self.endpoint != UNMATCHED:
            return self.endpoint
        template = template_of(self.scope.get("route"))
        if template is None:
            return UNMATCHED
        self.span.update_name(f"{self.method} {template}")
        self.span.set_attribute(HTTP_ROUTE, template)
        return template

    def _is_disconnect(self, error: BaseException) -> bool:
        return self.disconnected or isinstance(error, ClientDisconnect)

    def _module(self) -> str | None:
        endpoint = self.scope.get("endpoint")
        module = getattr(endpoint, "__module__", None)
        return module if isinstance(module, str) else None


def _headers(scope: Scope) -> dict[str, str]:
    """The request headers as a propagation carrier: lower-case names, last value wins."""
    return {
        bytes(name).decode("latin-1").lower(): bytes(value).decode("latin-1")
        for name, value in scope.get("headers") or ()
    }


def _content_length(headers: dict[str, str]) -> int:
    """The declared request size: it counts even when the app never reads the body."""
    try:
        return max(0, int(headers.get("content-length", 0)))
    except ValueError:
        return 0


def _span_attributes(
    scope: Scope,
    headers: dict[str, str],
    raw_method: str,
    method: str,
    path: str,
    template: str | None,
) -> dict[str, Any]:
    """HTTP server span attributes per the OpenTelemetry semantic conventions."""
    attributes: dict[str, Any] = {
        HTTP_REQUEST_METHOD: method,
        URL_PATH: path,
        URL_SCHEME: scope.get("scheme") or "http",
    }
    if method != raw_method:
        attributes[HTTP_REQUEST_METHOD_ORIGINAL] = raw_method
    if template:
        attributes[HTTP_ROUTE] = template
    if scope.get("http_version"):
        attributes[NETWORK_PROTOCOL_VERSION] = scope["http_version"]
    address, port = _server_address(scope, headers)
    if address:
        attributes[SERVER_ADDRESS] = address
        if port:
            attributes[SERVER_PORT] = port
    client = scope.get("client")
    if client:
        attributes[CLIENT_ADDRESS] = client[0]
    if "user-agent" in headers:
        attributes[USER_AGENT_ORIGINAL] = headers["user-agent"]
    if "x-session-id" in headers:
        attributes[SESSION_ID] = headers["x-session-id"]
    if "x-user-id" in headers:
        attributes[USER_ID] = headers["x-user-id"]
    return attributes


def _server_address(scope: Scope, headers: dict[str, str]) -> tuple[str | None, int | None]:
    host = headers.get("host")
    if host:
        try:
            parts = urlsplit("//" + host)
            return parts.hostname, parts.port
        except ValueError:
            return None, None
    server = scope.get("server")
    if server:
        return server[0], server[1] if len(server) > 1 else None
    return None, None


def open_exchange(app: Any, scope: Scope, receive: Receive, send: Send) -> Exchange | None:
    """Start recording a request; ``None`` (and a counted error) if instrumentation failed."""
    exchange: Exchange | None = safely("http.start", lambda: Exchange(app, scope, receive, send))
    return exchange
