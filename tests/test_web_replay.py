"""Requests of routes marked replayable are kept on their SERVER span, scrubbed and capped."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
from fastapi import FastAPI, Request
from opentelemetry.trace import SpanKind

from swarmscope.web import instrument_app, replayable
from swarmscope.web.replay import MAX_BODY_BYTES


def make_app() -> FastAPI:
    app = instrument_app(FastAPI())

    @app.post("/accounts/{account_id}/analyze")
    @replayable
    async def analyze(account_id: str, request: Request) -> dict[str, Any]:
        return {"account": account_id, "size": len(await request.body())}

    @app.post("/notes")
    async def notes(request: Request) -> dict[str, int]:
        return {"size": len(await request.body())}

    return app


def post(path: str, **kwargs: Any) -> httpx.Response:
    transport = httpx.ASGITransport(app=make_app())

    async def send() -> httpx.Response:
        async with httpx.AsyncClient(transport=transport, base_url="http://app") as client:
            return await client.post(path, **kwargs)

    return asyncio.run(send())


def server_span(telemetry: Any) -> Any:
    [span] = [s for s in telemetry.spans() if s.kind is SpanKind.SERVER]
    return span


def test_a_replayable_request_is_recorded_with_secrets_scrubbed(telemetry):
    answer = post(
        "/accounts/acc_7/analyze?depth=2",
        json={"focus": "renewal", "password": "hunter2", "contact": "ana@example.com"},
        headers={"x-session-id": "s-1", "cookie": "sid=abc"},
    )
    assert answer.status_code == 200
    attributes = server_span(telemetry).attributes
    assert attributes["swarmscope.replay.method"] == "POST"
    assert attributes["swarmscope.replay.target"] == "/accounts/acc_7/analyze?depth=2"
    headers = json.loads(attributes["swarmscope.replay.headers"])
    assert headers == {
        "content-type": "application/json",
        "accept": "*/*",
        "x-session-id": "s-1",
    }, "kept: what changes the answer; dropped: cookies and the rest"
    body = json.loads(attributes["swarmscope.replay.body"])
    assert body["focus"] == "renewal"
    assert body["password"] == "[REDACTED]" and "ana@example.com" not in body["contact"]


def test_routes_not_marked_are_not_recorded(telemetry):
    assert post("/notes", content=b"private words").status_code == 200
    attributes = server_span(telemetry).attributes
    assert not [key for key in attributes if key.startswith("swarmscope.replay")]


def test_a_body_over_the_cap_is_not_kept_and_says_so(telemetry):
    answer = post("/accounts/acc_7/analyze", content=b"x" * (MAX_BODY_BYTES + 1))
    assert answer.json()["size"] == MAX_BODY_BYTES + 1, "the app still gets the whole body"
    attributes = server_span(telemetry).attributes
    assert attributes["swarmscope.replay.body_too_large"] is True
    assert "swarmscope.replay.body" not in attributes


def test_a_replayed_request_links_to_the_original(telemetry):
    original = "0af7651916cd43dd8448eb211c80319c"
    post("/accounts/acc_7/analyze", headers={"x-replay-of": f"{original}-b7ad6b7169203331"})
    span = server_span(telemetry)
    assert span.attributes["swarmscope.replay.of"] == original
    [link] = span.links
    assert f"{link.context.trace_id:032x}" == original
    assert f"{link.context.span_id:016x}" == "b7ad6b7169203331"
    assert link.attributes["swarmscope.link"] == "replay_of"


def test_a_malformed_replay_header_is_ignored(telemetry):
    assert post("/accounts/acc_7/analyze", headers={"x-replay-of": "not-a-trace"}).is_success
    span = server_span(telemetry)
    assert not span.links and "swarmscope.replay.of" not in span.attributes
