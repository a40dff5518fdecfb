"""One shared key for everything the server answers, when ``SWARMSCOPE_API_KEY`` is set.

Programs send ``Authorization: Bearer KEY`` (OTLP exporters: ``OTEL_EXPORTER_OTLP_HEADERS``)
or ``X-API-Key``; browsers get a Basic challenge and send the key as the password, so the
console needs no login page of its own.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
from collections.abc import Iterable

from starlette.types import ASGIApp, Receive, Scope, Send


class RequireKey:
    def __init__(self, app: ASGIApp, key: str) -> None:
        self.app = app
        self.key = key.encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self._allowed(scope):
            await self.app(scope, receive, send)
            return
        body = json.dumps({"error": "missing or wrong API key", "status": 401}).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 401,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"www-authenticate", b'Basic realm="swarmscope", charset="UTF-8"'),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})

    def _allowed(self, scope: Scope) -> bool:
        return carries_key(scope["headers"], self.key)


def carries_key(headers: Iterable[tuple[bytes, bytes]], key: bytes) -> bool:
    """Whether request headers (lower-case names) carry ``key`` in one of the accepted ways;
    the OTLP/gRPC intake reads its call metadata with it too."""
    for name, raw in headers:
        if name == b"x-api-key" and hmac.compare_digest(raw.strip(), key):
            return True
        if name == b"authorization":
            scheme, _, credentials = raw.strip().partition(b" ")
            if scheme.lower() == b"bearer":
                return hmac.compare_digest(credentials.strip(), key)
            if scheme.lower() == b"basic":
                try:
                    decoded = base64.b64decode(credentials.strip(), validate=True)
                except binascii.Error:
                    return False
                return hmac.compare_digest(decoded.partition(b":")[2], key)
    return False
