"""``SwarmscopeMiddleware``: a SERVER span, the HTTP metrics and request logs for every request.

It is plain ASGI on purpose. ``BaseHTTPMiddleware`` runs the app in another task and pipes
the response through a memory stream: context variables set by the app do not come back,
and a streamed response (SSE, AG-UI events) goes through a buffer. Here the app runs in the
middleware's own task with the server's ``receive`` and ``send`` wrapped, so

* the SERVER span is current for the whole request, and spans the app opens nest under it;
* ``request_id`` (and ``session_id``/``user_id`` from ``X-Session-Id``/``X-User-Id``) are bound
  to structlog's context variables for the request, so every log line carries them;
* each body chunk goes straight through: the request is timed until its last chunk, counted
  once, and the in-progress gauge stays right however long the stream runs;
* ``x-trace-id`` and ``x-request-id`` are added to the response headers, so a user reporting
  a problem can quote the trace.

Metrics are labelled ``(method, route template, status)``, never by raw path; see
``swarmscope.web.routing`` for how the template is found before the app runs. An exception
from the app is recorded (span error, ``exceptions_unhandled_total``, ``request_failed``,
status ``"500"``) and re-raised unchanged for the framework's error handling.

Add it with ``app.add_middleware(SwarmscopeMiddleware)`` (inside Starlette's error middleware,
so a crash is seen as the exception it is) or wrap any ASGI app: ``SwarmscopeMiddleware(app)``.
If an outer layer already opened a span for the request (OpenTelemetry's ASGI middleware,
FastAPI's built-in tracing), this one nests under it; ``instrument_app`` switches FastAPI's
off so that each request has one SERVER span.
"""

from __future__ import annotations

from collections.abc import Iterable

from starlette.types import ASGIApp, Receive, Scope, Send

from swarmscope.conventions.attributes import ASGI_SCOPE_REQUEST_ID
from swarmscope.web.exchange import open_exchange
from swarmscope.web.routing import route_path

DEFAULT_EXCLUDED_PATHS = ("/metrics", "/health/live", "/health/ready")
# Set in the scope of a request already being recorded: a second instance (a mounted app
# instrumented on its own) lets it through instead of counting it twice.
SCOPE_KEY = ASGI_SCOPE_REQUEST_ID


class SwarmscopeMiddleware:
    """Pure ASGI middleware recording each HTTP request; websockets and lifespan pass through.

    ``excluded_paths`` are served without any telemetry: scrapes and probes would otherwise
    dominate the request metrics. They are compared with the path under the app's root path.
    """

    def __init__(
        self, app: ASGIApp, *, excluded_paths: Iterable[str] = DEFAULT_EXCLUDED_PATHS
    ) -> None:
        self.app = app
        self.excluded_paths = frozenset(excluded_paths)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or SCOPE_KEY in scope or self._excluded(scope):
            await self.app(scope, receive, send)
            return
        exchange = open_exchange(self.app, scope, receive, send)
        if exchange is None:
            await self.app(scope, receive, send)
            return
        scope[SCOPE_KEY] = exchange.request_id
        try:
            await self.app(scope, exchange.receive, exchange.send)
        except BaseException as error:
            exchange.finish(error)
            raise
        else:
            # Already finished at the last body chunk, unless the response never completed.
            exchange.finish()
        finally:
            exchange.close()

    def _excluded(self, scope: Scope) -> bool:
        return route_path(scope) in self.excluded_paths
