"""The embedded server as one ASGI app: OTLP intake, the query API and the console.

Errors are JSON ``{"error": reason, "status": code}`` everywhere; bad query parameters are
400 (not FastAPI's 422) so every client sees one shape, and an unexpected exception is a 500
that leaves the connection open. Every answer carries the security headers. The OpenAPI
document is served at ``/openapi.json``, and Swagger UI at ``/api/docs`` from local files.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from swarmscope._version import __version__
from swarmscope.exceptions import BadParameter
from swarmscope.server import console, docs
from swarmscope.server.alerting import Alerting
from swarmscope.server.api import (
    agents,
    alerts,
    approvals,
    dashboards,
    inspect,
    logs,
    metrics,
    namespaces,
    overview,
    runbooks,
    sessions,
    traces,
)
from swarmscope.server.auth import RequireKey
from swarmscope.server.context import Context
from swarmscope.server.cors import Cors
from swarmscope.server.errors import JsonErrors
from swarmscope.server.headers import SecurityHeaders
from swarmscope.server.intake.decoding import Decoder
from swarmscope.server.intake.queue import Intake
from swarmscope.server.intake.receiver import error, receiver_routes
from swarmscope.server.settings import ServerSettings
from swarmscope.server.store.database import Store


def create_app(store: Store, settings: ServerSettings | None = None) -> FastAPI:
    settings = settings or ServerSettings.load()
    context = Context(store, settings)
    intake = Intake(
        store,
        max_rows=settings.max_queued_rows,
        max_bytes=settings.max_inflight_bytes,
        housekeeping=lambda: settings.retention.apply(store),
        housekeeping_interval=settings.housekeeping_seconds,
    )

    alerting = Alerting(store, settings)
    decoder = Decoder(settings.decode_processes)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        alerting.start()
        try:
            yield
        finally:
            alerting.stop()
            decoder.close()
            intake.close()

    app = FastAPI(
        title="swarmscope server",
        version=__version__,
        description="OTLP receiver, trace/log/metric store and console for agent systems.",
        lifespan=lifespan,
        # Our own /api/docs: FastAPI's loads Swagger UI from a CDN.
        docs_url=None,
        redoc_url=None,
    )
    _no_self_telemetry(app)
    app.state.context = context
    app.state.intake = intake
    app.state.decoder = decoder
    app.include_router(receiver_routes(intake, decoder, settings.max_body_bytes))
    app.include_router(traces.routes(context))
    app.include_router(alerts.routes(alerting))
    app.include_router(logs.routes(context))
    app.include_router(agents.routes(context))
    app.include_router(approvals.routes(context))
    app.include_router(overview.routes(context, alerting))
    app.include_router(dashboards.routes(context))
    app.include_router(inspect.routes(context))
    app.include_router(runbooks.routes(context))
    app.include_router(namespaces.routes(context))
    app.include_router(metrics.routes(context, intake.metrics.refusals))
    app.include_router(sessions.routes(context))

    @app.exception_handler(BadParameter)
    async def bad_parameter(request: Request, problem: BadParameter) -> JSONResponse:
        return error(400, str(problem))

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, problem: RequestValidationError) -> JSONResponse:
        reasons = [
            f"{'.'.join(str(part) for part in item['loc'][1:])}: {item['msg']}"
            for item in problem.errors()
        ]
        return error(400, "; ".join(reasons))

    @app.exception_handler(HTTPException)
    async def http_problem(request: Request, problem: HTTPException) -> JSONResponse:
        answer = error(problem.status_code, str(problem.detail))
        answer.headers.update(problem.headers or {})
        return answer

    app.router.routes.extend(docs.routes(app.title, app.openapi_url or "/openapi.json"))
    # No two routes match one path (tests/test_server_rooms.py): their order is free.
    app.router.routes.extend(console.routes())
    # Each added middleware wraps the ones before it: headers outermost (a 401 or 500 has
    # them too), then CORS (preflights need no key; a 401 or 500 is readable by an allowed
    # page), then the 500s (not a handler for Exception: Starlette's re-raises after
    # answering, and uvicorn then drops the keep-alive connection), then the key.
    if settings.api_key:
        app.add_middleware(RequireKey, key=settings.api_key)
    app.add_middleware(JsonErrors)
    if settings.cors_origins:
        app.add_middleware(Cors, origins=settings.cors_origins)
    app.add_middleware(SecurityHeaders)
    return app


def _no_self_telemetry(app: FastAPI) -> None:
    """Switch off FastAPI's built-in OpenTelemetry (releases that have it).

    Beside an instrumented app (``swarmscope demo``), the global tracer provider sends to
    this server: spans of its own intake would be sent back to it, without end.
    """
    settings = getattr(app, "_telemetry", None)
    if isinstance(settings, dict):
        settings.update(tracing=False, metrics=False, logs=False, operation_spans=False)
