"""Security headers on every answer: the console, the API, OTLP intake and errors alike.

The policy is what the console needs and no more: its scripts, styles and uPlot are files
from this origin, it only talks to this origin, and nothing may frame it (clickjacking) or
guess a type past ``Content-Type`` (a JSON answer sniffed as HTML). A page that needs more
sets its own ``Content-Security-Policy``, which the middleware leaves as it is: the API docs
name their one inline script's hash.
"""

from __future__ import annotations

import base64
import hashlib

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CSP = "content-security-policy"


def policy(*inline_scripts: str) -> str:
    """The Content-Security-Policy, allowing just the given inline scripts by their hash.

    No inline styles: the console's charts (uPlot) set element styles through the DOM, which
    ``style-src`` does not govern, and its CSS is a file.
    """
    hashes = "".join(f" '{script_hash(script)}'" for script in inline_scripts)
    return "; ".join(
        (
            "default-src 'self'",
            f"script-src 'self'{hashes}",
            "style-src 'self'",
            "img-src 'self' data:",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        )
    )


def script_hash(script: str) -> str:
    """A CSP source for one inline script: its text's SHA-256, as the browser computes it."""
    digest = hashlib.sha256(script.encode()).digest()
    return f"sha256-{base64.b64encode(digest).decode()}"


DEFAULT_POLICY = policy()
_ALWAYS = (
    ("x-content-type-options", "nosniff"),
    ("x-frame-options", "DENY"),
    ("referrer-policy", "no-referrer"),
)


class SecurityHeaders:
    """Add the headers to each response start, keeping a page's own CSP if it set one."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])  # optional in ASGI
                headers = MutableHeaders(scope=message)
                for name, value in _ALWAYS:
                    headers[name] = value
                if CSP not in headers:
                    headers[CSP] = DEFAULT_POLICY
            await send(message)

        await self.app(scope, receive, send_with_headers)
