"""CORS: which web pages of other origins may send to this server and read its answers.

A browser app (a front end sending its own spans with OpenTelemetry JS, a page of your
own reading the API) runs on an origin of its own, and its ``fetch`` to this server is
cross-origin: OTLP's content types and the ``authorization`` header make the browser ask
first (a preflight ``OPTIONS``), then show the page the answer only if it carries
``Access-Control-Allow-Origin``. ``serve --cors-origins`` (``SWARMSCOPE_CORS_ORIGINS``)
names the origins allowed, or ``*`` for any; one rule for the whole server, receiver and
API alike: an origin you list is a client you trust.

None is allowed by default, loopback origins (``http://localhost:*``,
``http://127.0.0.1:*``) included. A loopback origin is any program on the machine that
serves a page, other users' on a shared host and the dev server of any project included,
and the API answers with prompts, tool arguments and logs: allowing them all would let any
such page read them through the browser of whoever opens it. Naming the one origin you
develop on costs a flag.

Answers never allow credentials (cookies, the Basic password the console's browser keeps):
a page of another origin sends the key itself, in ``authorization``, or gets 401, so an
allowed page cannot ride on a console session. A request from an origin not allowed gets
no CORS header at all, so its browser keeps the answer from the page; a preflight from one
is passed on to the app like any ``OPTIONS`` (405).
"""

from __future__ import annotations

import re

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

ANY_ORIGIN = "*"
ALLOWED_METHODS = "GET, HEAD, POST"
# What OTLP exporters and API clients send beyond the safelisted headers.
ALLOWED_HEADERS = "authorization, content-type, content-encoding, x-api-key"
# A page may read when to retry a 503.
EXPOSED_HEADERS = "retry-after"
# Browsers cache a preflight this long (Chromium caps it at two hours).
MAX_AGE_SECONDS = 600
_ORIGIN = re.compile(r"^https?://[^/\s?#@]+$")


def parse_origins(text: str) -> tuple[str, ...]:
    """A comma-separated list of origins (``scheme://host[:port]``), or ``*``; ``ValueError``
    naming the first that is not one."""
    origins = tuple(part.strip().rstrip("/") for part in text.split(",") if part.strip())
    for origin in origins:
        if not is_origin(origin):
            raise ValueError(
                f"{origin!r} is not an origin: write scheme://host[:port], e.g."
                " http://localhost:5173, or * for any"
            )
    return origins


def is_origin(origin: str) -> bool:
    return origin == ANY_ORIGIN or _ORIGIN.match(origin) is not None


class Cors:
    """Answer preflights from allowed origins; mark answers to them as readable."""

    def __init__(self, app: ASGIApp, origins: tuple[str, ...]) -> None:
        self.app = app
        self.any = ANY_ORIGIN in origins
        self.origins = {origin.lower() for origin in origins}

    def allows(self, origin: str) -> bool:
        return self.any or origin.lower() in self.origins

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        origin = _header(scope, b"origin")
        if origin is None:
            await self.app(scope, receive, send)
            return
        if not self.allows(origin):
            await self.app(scope, receive, self._varied(send))
            return
        if scope["method"] == "OPTIONS" and _header(scope, b"access-control-request-method"):
            await self._preflight(origin, send)
            return

        async def send_readable(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])  # optional in ASGI
                self._allow(MutableHeaders(scope=message), origin)
                MutableHeaders(scope=message)["access-control-expose-headers"] = EXPOSED_HEADERS
            await send(message)

        await self.app(scope, receive, send_readable)

    def _varied(self, send: Send) -> Send:
        """``send``, saying the answer depends on the origin: a cache must not give an
        answer without CORS headers to a page whose origin is allowed."""

        async def send_varied(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                MutableHeaders(scope=message).add_vary_header("origin")
            await send(message)

        return send_varied

    def _allow(self, headers: MutableHeaders, origin: str) -> None:
        headers["access-control-allow-origin"] = ANY_ORIGIN if self.any else origin
        if not self.any:
            # The answer depends on the origin: a cache must not give it to another.
            headers.add_vary_header("origin")

    async def _preflight(self, origin: str, send: Send) -> None:
        message: Message = {"type": "http.response.start", "status": 204, "headers": []}
        headers = MutableHeaders(scope=message)
        self._allow(headers, origin)
        headers["access-control-allow-methods"] = ALLOWED_METHODS
        headers["access-control-allow-headers"] = ALLOWED_HEADERS
        headers["access-control-max-age"] = str(MAX_AGE_SECONDS)
        await send(message)
        await send({"type": "http.response.body", "body": b""})


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key == name:
            return str(value.decode("latin-1"))
    return None
