"""The web console: one HTML page, plain JavaScript modules and CSS, and uPlot for charts.

Nothing comes from the internet (the machine may be offline): uPlot's files are committed
under ``static/vendor/uplot``, copied byte for byte from the locked npm package by
``js/console-vendor``. The console's files are read and gzipped once, when the app is built,
and served under a URL carrying a digest of their content, so browsers cache them for good
and a new release is a new URL. The browser package's bundle is served at
``/sdk/swarmscope-browser.js``, a URL that stays. The page routes by URL hash, so the server
answers just ``/`` and ``/static/...``: the API's own paths are never shadowed and an
unknown path stays a JSON 404. The page has no inline script or style, and uPlot sets its
styles through the DOM, which a policy without ``'unsafe-inline'`` allows.
"""

from __future__ import annotations

import gzip
import hashlib
import mimetypes
from dataclasses import dataclass
from pathlib import Path

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import BaseRoute, Route

from swarmscope.server.headers import CSP, policy

STATIC = Path(__file__).parent / "static"
IMMUTABLE = "public, max-age=31536000, immutable"
# The browser package's IIFE bundle (js/browser, built by `npm run build` and committed here),
# served at a stable URL for pages that load it with a <script> tag.
SDK_FILE = "swarmscope-browser.js"
SDK_URL = "/sdk/swarmscope-browser.js"
SDK_MAX_AGE = 600
# Types for what the console serves (mimetypes reads the OS tables, which vary).
_TYPES = {
    ".js": "text/javascript",
    ".css": "text/css",
    ".html": "text/html",
    ".svg": "image/svg+xml",
}


@dataclass(frozen=True)
class Asset:
    """A file's bytes, raw and gzipped, so each request only picks one."""

    body: bytes
    gzipped: bytes
    media_type: str

    @classmethod
    def of(cls, path: Path) -> Asset:
        body = path.read_bytes()
        media_type = _TYPES.get(path.suffix) or mimetypes.guess_type(path.name)[0]
        return cls(body, gzip.compress(body, 6), media_type or "application/octet-stream")

    def response(self, request: Request) -> Response:
        headers = {"cache-control": IMMUTABLE, "vary": "accept-encoding"}
        if _accepts_gzip(request.headers.get("accept-encoding", "")):
            headers["content-encoding"] = "gzip"
            return Response(self.gzipped, media_type=self.media_type, headers=headers)
        return Response(self.body, media_type=self.media_type, headers=headers)


def _accepts_gzip(accept_encoding: str) -> bool:
    for item in accept_encoding.split(","):
        coding, _, parameters = item.strip().partition(";")
        if coding.strip().lower() in ("gzip", "*"):
            return parameters.replace(" ", "").lower() not in ("q=0", "q=0.0", "q=0.00")
    return False


def sdk_route() -> Route:
    """The browser package's bundle at a URL that never changes, for a ``<script>`` tag on
    another site: browsers keep it for ``SDK_MAX_AGE`` seconds, then revalidate by its ETag
    (a 304 unless the server was upgraded)."""
    asset = Asset.of(STATIC / SDK_FILE)
    etag = f'"{hashlib.sha256(asset.body).hexdigest()[:16]}"'

    async def sdk(request: Request) -> Response:
        headers = {
            "cache-control": f"public, max-age={SDK_MAX_AGE}",
            "etag": etag,
            "vary": "accept-encoding",
        }
        if etag in request.headers.get("if-none-match", ""):
            return Response(status_code=304, headers=headers)
        response = asset.response(request)
        response.headers.update(headers)
        return response

    return Route(SDK_URL, sdk, methods=["GET", "HEAD"], include_in_schema=False)


def routes() -> list[BaseRoute]:
    """``/`` (the page) and its static files; add them after the API's routes."""
    assets = {
        path.relative_to(STATIC).as_posix(): Asset.of(path)
        for path in sorted(STATIC.rglob("*"))
        if path.is_file() and path.name not in ("index.html", SDK_FILE)
    }
    digest = hashlib.sha256()
    for name, asset in assets.items():
        digest.update(name.encode() + b"\0" + asset.body + b"\0")
    prefix = f"/static/{digest.hexdigest()[:12]}"
    page = (STATIC / "index.html").read_text(encoding="utf-8").replace("{{static}}", prefix)

    # The page itself is revalidated: it names the current digest of everything else.
    headers = {"cache-control": "no-cache", CSP: policy()}

    async def index(request: Request) -> Response:
        return HTMLResponse(page, headers=headers)

    async def static(request: Request) -> Response:
        asset = assets.get(request.path_params["path"])
        if asset is None:
            raise HTTPException(404, f"no console file {request.url.path}")
        return asset.response(request)

    return [
        Route("/", index, methods=["GET", "HEAD"], include_in_schema=False),
        Route(f"{prefix}/{{path:path}}", static, methods=["GET", "HEAD"], include_in_schema=False),
        sdk_route(),
    ]
