"""The API docs page (Swagger UI), its files served by this server rather than a CDN.

FastAPI's own docs page loads Swagger UI from a CDN: a blank page on a machine that is
offline, and a request leaving the machine for everyone who opens it. The ``fastapi-offline``
package ships Swagger UI's dist files; they are served under ``/static/vendor/``, with the
package version in the URL so browsers may cache them for good. The page's one
inline script (Swagger UI's set-up) is allowed by its hash in that page's own policy, so no
page needs ``'unsafe-inline'``.
"""

from __future__ import annotations

import asyncio
import functools
import importlib.util
import re
from importlib.metadata import version
from pathlib import Path

from fastapi.openapi.docs import get_swagger_ui_html
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute, Route

from swarmscope.server.console import Asset
from swarmscope.server.headers import CSP, policy

DOCS_URL = "/api/docs"
FILES = ("swagger-ui-bundle.js", "swagger-ui.css", "favicon.png")
# Inline scripts only: those with a src are files from this origin.
_INLINE_SCRIPT = re.compile(r"<script(?![^>]*\ssrc=)[^>]*>(.*?)</script>", re.DOTALL)


def swagger_ui_dir() -> Path:
    """The dist files inside the installed ``fastapi-offline``, found without importing it."""
    spec = importlib.util.find_spec("fastapi_offline")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the API docs need the fastapi-offline package (pip install it)")
    return Path(next(iter(spec.submodule_search_locations))) / "static"


@functools.cache
def _asset(name: str) -> Asset:
    return Asset.of(swagger_ui_dir() / name)


def routes(title: str, openapi_url: str) -> list[BaseRoute]:
    """``/api/docs`` and Swagger UI's files (each read on its first request)."""
    prefix = f"/static/vendor/fastapi-offline-{version('fastapi-offline')}"
    rendered = get_swagger_ui_html(
        openapi_url=openapi_url,
        title=f"{title} - API docs",
        swagger_js_url=f"{prefix}/swagger-ui-bundle.js",
        swagger_css_url=f"{prefix}/swagger-ui.css",
        swagger_favicon_url=f"{prefix}/favicon.png",
        # No badge fetched from the public validator: every request stays on this origin.
        swagger_ui_parameters={"validatorUrl": None},
    )
    page = bytes(rendered.body).decode()  # a response's body may be a memoryview
    headers = {"cache-control": "no-cache", CSP: policy(*_INLINE_SCRIPT.findall(page))}

    async def docs(request: Request) -> Response:
        return HTMLResponse(page, headers=headers)

    def file(name: str) -> Route:
        async def serve(request: Request) -> Response:
            found = await asyncio.to_thread(_asset, name)
            return found.response(request)

        return Route(f"{prefix}/{name}", serve, methods=["GET", "HEAD"], include_in_schema=False)

    return [
        Route(DOCS_URL, docs, methods=["GET", "HEAD"], include_in_schema=False),
        *(file(name) for name in FILES),
    ]
