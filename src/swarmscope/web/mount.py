"""``instrument_app``: the middleware and the three operational endpoints in one call.

The endpoints are put *first* in the app's routes: an app that ends with a catch-all
(a single-page front end served from ``/{path:path}``, a mounted static directory) would
otherwise answer the probes and the scraper with its index page. They are left out of the
OpenAPI schema and out of the request metrics.
"""

from __future__ import annotations

from typing import Any

from starlette.routing import Route

from swarmscope.web.health import LIVE_PATH, READY_PATH, HealthChecks, default_health
from swarmscope.web.metrics_endpoint import metrics_app
from swarmscope.web.middleware import SwarmscopeMiddleware


def instrument_app(
    app: Any,
    health: HealthChecks | None = None,
    metrics_path: str | None = "/metrics",
    *,
    live_path: str | None = LIVE_PATH,
    ready_path: str | None = READY_PATH,
) -> Any:
    """Instrument a Starlette or FastAPI app before it starts; returns the app.

    Adds ``SwarmscopeMiddleware`` and serves ``metrics_path``, ``live_path`` and
    ``ready_path`` (``None`` leaves one out) with the checks of ``health`` (the default
    registry that ``@health_check`` fills when not given).

    FastAPI releases with built-in OpenTelemetry tracing open their own SERVER span per
    request from the global tracer provider; swarmscope's span replaces it, so that
    tracing is switched off for this app and each request has one SERVER span.
    """
    health = health or default_health
    routes: list[Route] = []
    if metrics_path is not None:
        routes.append(Route(metrics_path, metrics_app, methods=["GET"], name="swarmscope_metrics"))
    if live_path is not None:
        routes.append(Route(live_path, health.live, methods=["GET"], name="swarmscope_health_live"))
    if ready_path is not None:
        routes.append(
            Route(ready_path, health.ready, methods=["GET"], name="swarmscope_health_ready")
        )
    app.router.routes[0:0] = routes
    excluded = [path for path in (metrics_path, live_path, ready_path) if path is not None]
    app.add_middleware(SwarmscopeMiddleware, excluded_paths=excluded)
    _one_server_span(app)
    return app


def _one_server_span(app: Any) -> None:
    """Turn off a FastAPI app's own HTTP tracing (its settings dict, read per request)."""
    settings = getattr(app, "_telemetry", None)
    if isinstance(settings, dict) and settings.get("tracing"):
        settings["tracing"] = False
