"""The web layer: pure ASGI middleware, health probes and ``/metrics`` for Starlette and FastAPI.

In an app::

    from swarmscope.web import health_check, instrument_app

    app = instrument_app(FastAPI())


    @health_check("database", timeout=1.0)
    async def database() -> bool:
        return await db.ping()

It comes with the ``web`` extra (Starlette, which a Starlette or FastAPI app has already);
without it, importing this package says so rather than failing on a module deep inside.
"""

try:
    import starlette  # noqa: F401
except ModuleNotFoundError as error:
    raise ModuleNotFoundError(
        "swarmscope.web instruments Starlette and FastAPI apps and needs Starlette: "
        "pip install 'swarmscope[web]'",
        name=error.name,
    ) from None

from swarmscope.web.exchange import UNMATCHED, new_request_id
from swarmscope.web.health import CheckResult, HealthChecks, default_health, health_check
from swarmscope.web.metrics_endpoint import MetricsApp, child_exit, metrics_app, render
from swarmscope.web.middleware import DEFAULT_EXCLUDED_PATHS, SwarmscopeMiddleware
from swarmscope.web.mount import instrument_app
from swarmscope.web.replay import replayable

__all__ = [
    "DEFAULT_EXCLUDED_PATHS",
    "UNMATCHED",
    "CheckResult",
    "HealthChecks",
    "MetricsApp",
    "SwarmscopeMiddleware",
    "child_exit",
    "default_health",
    "health_check",
    "instrument_app",
    "metrics_app",
    "new_request_id",
    "render",
    "replayable",
]
