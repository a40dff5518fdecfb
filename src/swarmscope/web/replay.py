"""Request recording for replay: opt-in per route, size-capped, scrubbed.

An endpoint decorated with ``@replayable`` has its request (method, path and query, the
headers that change what the app does, the body) kept on its SERVER span, so
``swarmscope replay TRACE_ID`` can send the same request again. Only marked routes are
recorded: a request body is the user's data, and most routes are not worth it. Bodies over
``MAX_BODY_BYTES`` are not kept (a partial body would replay as a different request), and
what is kept goes through the same scrubbing as every other field.

A replayed request carries ``X-Replay-Of: <trace id>-<span id>``; its SERVER span links to
the original one, so the two traces find each other.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from opentelemetry.trace import Link, Span, SpanContext, TraceFlags

from swarmscope.conventions.attributes import (
    SWARMSCOPE_LINK,
    SWARMSCOPE_REPLAY_BODY,
    SWARMSCOPE_REPLAY_BODY_TOO_LARGE,
    SWARMSCOPE_REPLAY_HEADERS,
    SWARMSCOPE_REPLAY_METHOD,
    SWARMSCOPE_REPLAY_TARGET,
)
from swarmscope.conventions.spans import LINK_REPLAY_OF
from swarmscope.telemetry.redact import Redactor

MAX_BODY_BYTES = 64 * 1024
REPLAY_OF_HEADER = "x-replay-of"
# The headers that change what an app does with a request; the rest are the client's.
KEPT_HEADERS = ("content-type", "accept", "x-session-id", "x-user-id")
_MARK = "__swarmscope_replayable__"
_REPLAY_OF = re.compile(r"([0-9a-f]{32})-([0-9a-f]{16})")

Endpoint = TypeVar("Endpoint", bound=Callable[..., Any])


def replayable(endpoint: Endpoint) -> Endpoint:
    """Mark an endpoint whose requests are recorded for replay (the function is unchanged)."""
    setattr(endpoint, _MARK, True)
    return endpoint


def is_replayable(endpoint: Any) -> bool:
    return getattr(endpoint, _MARK, False) is True


def replay_link(headers: dict[str, str]) -> tuple[list[Link], str | None]:
    """The span link to the original request, from ``X-Replay-Of``; none if absent or bad."""
    match = _REPLAY_OF.fullmatch(headers.get(REPLAY_OF_HEADER, "").strip().lower())
    if match is None:
        return [], None
    context = SpanContext(
        trace_id=int(match.group(1), 16),
        span_id=int(match.group(2), 16),
        is_remote=True,
        trace_flags=TraceFlags(TraceFlags.SAMPLED),
    )
    if not context.is_valid:
        return [], None
    return [Link(context, {SWARMSCOPE_LINK: LINK_REPLAY_OF})], match.group(1)


class Recording:
    """The body chunks of one request, up to the cap."""

    __slots__ = ("body", "too_large")

    def __init__(self) -> None:
        self.body = bytearray()
        self.too_large = False

    def add(self, chunk: bytes) -> None:
        if self.too_large:
            return
        if len(self.body) + len(chunk) > MAX_BODY_BYTES:
            self.too_large = True
            self.body.clear()
            return
        self.body += chunk

    def write(
        self, span: Span, scope: Mapping[str, Any], headers: dict[str, str], redactor: Redactor
    ) -> None:
        """Put the request on the span, scrubbed; a body over the cap marks it unreplayable."""
        query = scope.get("query_string", b"").decode("latin-1")
        target = scope.get("path", "/") + (f"?{query}" if query else "")
        kept = {name: headers[name] for name in KEPT_HEADERS if name in headers}
        span.set_attribute(SWARMSCOPE_REPLAY_METHOD, scope.get("method", "GET"))
        span.set_attribute(SWARMSCOPE_REPLAY_TARGET, redactor.text(target))
        span.set_attribute(SWARMSCOPE_REPLAY_HEADERS, json.dumps(redactor.value(kept)))
        if self.too_large:
            span.set_attribute(SWARMSCOPE_REPLAY_BODY_TOO_LARGE, True)
            return
        span.set_attribute(SWARMSCOPE_REPLAY_BODY, _scrubbed_body(bytes(self.body), redactor))


def _scrubbed_body(body: bytes, redactor: Redactor) -> str:
    text = body.decode("utf-8", errors="replace")
    if not text:
        return ""
    try:
        # Parsed, so secret field names ("password", "api_key") are caught as well as values.
        return json.dumps(redactor.value(json.loads(text)))
    except (ValueError, RecursionError):
        # Not JSON (a form, plain text), or nested too deep to walk: scrubbed as text.
        return redactor.text(text)
