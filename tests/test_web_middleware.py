"""SwarmscopeMiddleware on real Starlette/FastAPI apps: metrics, spans, logs and headers agree."""

from __future__ import annotations

import asyncio
import re
import threading
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import APIRouter, FastAPI, Request
from opentelemetry.trace import SpanKind, StatusCode
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse, StreamingResponse
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.testclient import TestClient
from starlette.websockets import WebSocket

import swarmscope as ss
from loopback import serve
from swarmscope.web import SwarmscopeMiddleware, instrument_app
from swarmscope.web import exchange as exchange_module

TRACE_ID = "0af7651916cd43dd8448eb211c80319c"
PARENT_SPAN_ID = "b7ad6b7169203331"
TRACEPARENT = f"00-{TRACE_ID}-{PARENT_SPAN_ID}-01"


def make_app() -> FastAPI:
    app = FastAPI()
    api = APIRouter()

    @app.get("/items/{item_id}")
    async def get_item(item_id: int) -> dict[str, Any]:
        with ss.tool_call("lookup_item"):
            pass
        return {"id": item_id}

    @app.post("/echo")
    async def echo(request: Request) -> PlainTextResponse:
        body = await request.body()
        return PlainTextResponse(body.decode().upper())

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("kaboom")

    @app.get("/chunks")
    async def chunks() -> StreamingResponse:
        async def parts() -> AsyncIterator[bytes]:
            for index in range(3):
                await asyncio.sleep(0)
                yield f"part-{index};".encode()

        return StreamingResponse(parts(), media_type="text/plain")

    @api.get("/things/{thing_id}")
    async def thing(thing_id: str) -> dict[str, str]:
        return {"id": thing_id}

    app.include_router(api, prefix="/api/{tenant}")
    return instrument_app(app)


def get(app: Any, *paths: str, **kwargs: Any) -> list[httpx.Response]:
    """Send GETs through httpx's in-process ASGI transport, one event loop for all."""
    return asyncio.run(request(app, [("GET", path) for path in paths], **kwargs))


async def request(app: Any, calls: list[tuple[str, str]], **kwargs: Any) -> list[httpx.Response]:
    transport = httpx.ASGITransport(app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        return [await client.request(method, path, **kwargs) for method, path in calls]


def server_spans(telemetry: Any) -> list[Any]:
    return [s for s in telemetry.spans() if s.kind is SpanKind.SERVER]


# -- metrics -----------------------------------------------------------------------------


def test_requests_are_labelled_by_route_template(telemetry):
    responses = get(make_app(), "/items/1", "/items/2")

    assert [r.status_code for r in responses] == [200, 200]
    labels = {"method": "GET", "endpoint": "/items/{item_id}"}
    assert telemetry.metric("http_requests_total", status="200", **labels) == 2
    assert telemetry.metric("http_request_duration_seconds_count", **labels) == 2
    assert telemetry.metric("http_requests_in_progress", **labels) == 0
    exposition = telemetry.rt.metrics.registry
    raw = [
        s.labels
        for family in exposition.collect()
        for s in family.samples
        if s.labels.get("endpoint") in ("/items/1", "/items/2")
    ]
    assert raw == []


def test_unknown_paths_are_one_unmatched_series(telemetry):
    responses = get(make_app(), "/wp-admin/setup.php", "/no/such/thing/42")

    assert [r.status_code for r in responses] == [404, 404]
    assert (
        telemetry.metric("http_requests_total", method="GET", endpoint="unmatched", status="404")
        == 2
    )
    [first, _] = server_spans(telemetry)
    assert first.name == "GET"  # no route: the span is named by the method alone
    assert "http.route" not in first.attributes


def test_included_router_prefix_is_part_of_the_template(telemetry):
    [response] = get(make_app(), "/api/acme/things/7")

    assert response.status_code == 200
    assert (
        telemetry.metric(
            "http_requests_total",
            method="GET",
            endpoint="/api/{tenant}/things/{thing_id}",
            status="200",
        )
        == 1
    )


def test_mounts_and_method_mismatches_keep_their_template(telemetry):
    async def thing(request: Any) -> PlainTextResponse:
        return PlainTextResponse(str(request.path_params["tid"]))

    app = Starlette(routes=[Mount("/v1", routes=[Route("/things/{tid:int}", thing)])])
    app.add_middleware(SwarmscopeMiddleware)

    responses = asyncio.run(request(app, [("GET", "/v1/things/3"), ("POST", "/v1/things/3")]))

    assert [r.status_code for r in responses] == [200, 405]
    labels = {"method": "GET", "endpoint": "/v1/things/{tid}"}
    assert telemetry.metric("http_requests_total", status="200", **labels) == 1
    assert (
        telemetry.metric(
            "http_requests_total", method="POST", endpoint="/v1/things/{tid}", status="405"
        )
        == 1
    )
    assert {s.name for s in server_spans(telemetry)} == {
        "GET /v1/things/{tid}",
        "POST /v1/things/{tid}",
    }


def test_body_sizes_are_observed(telemetry):
    [response] = asyncio.run(request(make_app(), [("POST", "/echo")], content=b"hello world"))

    assert response.text == "HELLO WORLD"
    labels = {"method": "POST", "endpoint": "/echo"}
    assert telemetry.metric("http_request_body_size_bytes_count", **labels) == 1
    assert telemetry.metric("http_request_body_size_bytes_sum", **labels) == 11
    assert telemetry.metric("http_response_body_size_bytes_sum", **labels) == 11


def test_probe_and_scrape_paths_are_not_recorded(telemetry):
    responses = get(make_app(), "/metrics", "/health/live", "/health/ready")

    assert [r.status_code for r in responses] == [200, 200, 200]
    assert "x-request-id" not in responses[1].headers
    assert server_spans(telemetry) == []
    assert telemetry.events("request_completed") == []


# -- traces and logs ---------------------------------------------------------------------


def test_response_headers_name_the_trace_and_the_request(telemetry):
    [response] = get(make_app(), "/items/1")

    [server] = server_spans(telemetry)
    assert response.headers["x-trace-id"] == f"{server.context.trace_id:032x}"
    assert re.fullmatch(r"req_[0-9a-f]{12}", response.headers["x-request-id"])
    assert server.name == "GET /items/{item_id}"
    assert server.attributes["http.request.method"] == "GET"
    assert server.attributes["http.route"] == "/items/{item_id}"
    assert server.attributes["url.path"] == "/items/1"
    assert server.attributes["http.response.status_code"] == 200
    assert server.attributes["server.address"] == "testserver"
    assert server.attributes["client.address"] == "127.0.0.1"


def test_one_server_span_even_where_fastapi_traces_requests_itself(telemetry):
    try:  # FastAPI releases with built-in tracing take its settings here
        app = FastAPI(telemetry={"tracer_provider": telemetry.rt.tracer_provider})
    except TypeError:
        pytest.skip("this FastAPI has no built-in tracing")

    @app.get("/items/{item_id}")
    async def get_item(item_id: int) -> dict[str, int]:
        return {"id": item_id}

    get(instrument_app(app), "/items/1")

    assert [s.name for s in server_spans(telemetry)] == ["GET /items/{item_id}"]


def test_incoming_request_id_is_kept_and_a_hostile_one_replaced(telemetry):
    app = make_app()
    [kept] = get(app, "/items/1", headers={"X-Request-Id": "abc-123"})
    [replaced] = get(app, "/items/1", headers={"X-Request-Id": "x" * 500})

    assert kept.headers["x-request-id"] == "abc-123"
    assert re.fullmatch(r"req_[0-9a-f]{12}", replaced.headers["x-request-id"])


def test_traceparent_continues_the_callers_trace(telemetry):
    [response] = get(make_app(), "/items/1", headers={"traceparent": TRACEPARENT})

    [server] = server_spans(telemetry)
    assert f"{server.context.trace_id:032x}" == TRACE_ID
    assert server.parent is not None and server.parent.is_remote
    assert f"{server.parent.span_id:016x}" == PARENT_SPAN_ID
    assert response.headers["x-trace-id"] == TRACE_ID


def test_spans_opened_by_the_handler_nest_under_the_server_span(telemetry):
    get(make_app(), "/items/1")

    server = telemetry.span("GET /items/{item_id}")
    tool = telemetry.span("execute_tool lookup_item")
    assert tool.parent is not None and tool.parent.span_id == server.context.span_id
    assert tool.context.trace_id == server.context.trace_id


def test_request_log_lines_carry_request_trace_and_route(telemetry):
    [response] = get(
        make_app(), "/items/5", headers={"X-Session-Id": "sess-9", "X-User-Id": "user-4"}
    )

    [server] = server_spans(telemetry)
    [started] = telemetry.events("request_started")
    [completed] = telemetry.events("request_completed")
    [tool] = telemetry.events("tool_call_completed")
    request_id = response.headers["x-request-id"]
    assert completed["request_id"] == started["request_id"] == request_id
    assert completed["trace_id"] == f"{server.context.trace_id:032x}"
    assert completed["span_id"] == f"{server.context.span_id:016x}"
    assert completed["status_code"] == 200
    assert completed["route"] == "/items/{item_id}"
    assert completed["path"] == "/items/5"
    assert completed["method"] == "GET"
    assert completed["client_ip"] == "127.0.0.1"
    assert completed["duration_ms"] >= 0
    assert completed["session_id"] == "sess-9" and completed["user_id"] == "user-4"
    # Lines logged by the app during the request carry the same ids.
    assert tool["request_id"] == request_id and tool["session_id"] == "sess-9"
    assert server.attributes["session.id"] == "sess-9"


def test_personal_data_in_the_request_is_scrubbed(telemetry):
    get(make_app(), "/users/alice@example.com", headers={"X-User-Id": "bob@example.com"})

    [server] = server_spans(telemetry)
    [completed] = telemetry.events("request_completed")
    assert "alice@example.com" not in server.attributes["url.path"]
    assert "bob@example.com" not in server.attributes["user.id"]
    assert "alice@example.com" not in completed["path"]
    assert "bob@example.com" not in completed["user_id"]


def test_request_context_does_not_leak_past_the_request(telemetry):
    import structlog
    from opentelemetry import trace

    get(make_app(), "/items/1", headers={"X-Session-Id": "sess-1"})

    assert structlog.contextvars.get_contextvars() == {}
    assert not trace.get_current_span().get_span_context().is_valid


def test_unhandled_exception_is_recorded_and_reraised(telemetry):
    [response] = get(make_app(), "/boom")

    assert response.status_code == 500  # Starlette's ServerErrorMiddleware answered
    assert (
        telemetry.metric("http_requests_total", method="GET", endpoint="/boom", status="500") == 1
    )
    assert telemetry.metric("http_requests_in_progress", method="GET", endpoint="/boom") == 0
    assert (
        telemetry.metric(
            "exceptions_unhandled_total", exception_type="RuntimeError", module=__name__
        )
        == 1
    )
    server = telemetry.span("GET /boom")
    assert server.status.status_code is StatusCode.ERROR
    assert server.attributes["error.type"] == "RuntimeError"
    assert server.attributes["http.response.status_code"] == 500
    assert any(event.name == "exception" for event in server.events)
    [failed] = telemetry.events("request_failed")
    assert failed["error_type"] == "RuntimeError"
    assert failed["error_message"] == "kaboom"
    assert failed["status_code"] == 500
    assert failed["level"] == "error"
    assert failed["trace_id"] == f"{server.context.trace_id:032x}"
    assert telemetry.events("request_completed") == []


def test_exception_propagates_unchanged_to_the_server(telemetry):
    app = make_app()

    async def call() -> None:
        transport = httpx.ASGITransport(app)  # re-raises what the app raised
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            await client.get("/boom")

    with pytest.raises(RuntimeError, match="kaboom"):
        asyncio.run(call())


# -- streaming ---------------------------------------------------------------------------


def test_streamed_response_is_counted_once_with_its_whole_size(telemetry):
    [response] = get(make_app(), "/chunks")

    assert response.text == "part-0;part-1;part-2;"
    labels = {"method": "GET", "endpoint": "/chunks"}
    assert telemetry.metric("http_requests_total", status="200", **labels) == 1
    assert telemetry.metric("http_requests_in_progress", **labels) == 0
    assert telemetry.metric("http_response_body_size_bytes_sum", **labels) == len(response.content)
    assert len(telemetry.events("request_completed")) == 1


def test_stream_that_breaks_midway_is_a_failed_request(telemetry):
    async def broken() -> AsyncIterator[bytes]:
        yield b"first;"
        raise RuntimeError("generator died")

    async def endpoint(request: Any) -> StreamingResponse:
        return StreamingResponse(broken())

    app = Starlette(routes=[Route("/broken", endpoint)])
    app.add_middleware(SwarmscopeMiddleware)

    [response] = asyncio.run(request(app, [("GET", "/broken")]))

    assert response.status_code == 200 and response.content == b"first;"  # cut short

    labels = {"method": "GET", "endpoint": "/broken"}
    assert telemetry.metric("http_requests_total", status="500", **labels) == 1
    assert telemetry.metric("http_requests_total", status="200", **labels) == 0
    assert telemetry.metric("http_requests_in_progress", **labels) == 0
    server = telemetry.span("GET /broken")
    assert server.status.status_code is StatusCode.ERROR
    assert server.attributes["http.response.status_code"] == 200  # what the client was sent
    [failed] = telemetry.events("request_failed")
    assert failed["error_message"] == "generator died"


# -- never hurt the host -----------------------------------------------------------------


def test_a_fault_at_start_leaves_the_request_untouched(telemetry, monkeypatch):
    def broken(*args: Any) -> None:
        raise RuntimeError("instrumentation bug")

    monkeypatch.setattr(exchange_module, "route_template", broken)

    [response] = get(make_app(), "/items/1")

    assert response.status_code == 200 and response.json() == {"id": 1}
    assert "x-trace-id" not in response.headers
    assert telemetry.metric("telemetry_instrumentation_errors_total", where="http.start") == 1


def test_a_fault_at_the_end_still_ends_span_and_gauge(telemetry, monkeypatch):
    def broken(self: Any) -> str:
        raise RuntimeError("instrumentation bug")

    monkeypatch.setattr(exchange_module.Exchange, "_final_endpoint", broken)

    [response] = get(make_app(), "/items/1")

    assert response.status_code == 200 and response.json() == {"id": 1}
    assert telemetry.metric("telemetry_instrumentation_errors_total", where="http.finish") == 1
    labels = {"method": "GET", "endpoint": "/items/{item_id}"}
    assert telemetry.metric("http_requests_in_progress", **labels) == 0
    assert len(server_spans(telemetry)) == 1


def test_websocket_and_lifespan_pass_through(telemetry):
    events: list[str] = []

    async def talk(websocket: WebSocket) -> None:
        await websocket.accept()
        await websocket.send_text("hi " + await websocket.receive_text())
        await websocket.close()

    def lifespan(app: Any) -> Any:
        from contextlib import asynccontextmanager

        @asynccontextmanager
        async def run() -> AsyncIterator[None]:
            events.append("startup")
            yield
            events.append("shutdown")

        return run()

    app = Starlette(routes=[WebSocketRoute("/ws", talk)], lifespan=lifespan)
    app.add_middleware(SwarmscopeMiddleware)

    with TestClient(app) as client, client.websocket_connect("/ws") as websocket:
        websocket.send_text("there")
        assert websocket.receive_text() == "hi there"

    assert events == ["startup", "shutdown"]
    assert server_spans(telemetry) == []


def test_nested_instances_count_a_request_once(telemetry):
    inner = make_app()
    outer = SwarmscopeMiddleware(inner)

    get(outer, "/items/1")

    labels = {"method": "GET", "endpoint": "/items/{item_id}", "status": "200"}
    assert telemetry.metric("http_requests_total", **labels) == 1
    assert len(server_spans(telemetry)) == 1


# -- SSE over a real server --------------------------------------------------------------


def wait_for(condition: Any, what: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.005)


def sse_app(gate: threading.Event, finished: threading.Event) -> FastAPI:
    """``/events`` sends one event, waits for ``gate``, then three more."""
    app = FastAPI()

    @app.get("/events")
    async def events() -> StreamingResponse:
        async def stream() -> AsyncIterator[str]:
            yield "data: 0\n\n"
            while not gate.is_set():
                await asyncio.sleep(0.005)
            for index in range(1, 4):
                await asyncio.sleep(0)
                yield f"data: {index}\n\n"
            with ss.tool_call("close_stream"):
                pass
            finished.set()

        return StreamingResponse(stream(), media_type="text/event-stream")

    return instrument_app(app)


def test_sse_streams_incrementally_and_is_counted_when_it_ends(telemetry):
    gate, finished = threading.Event(), threading.Event()
    labels = {"method": "GET", "endpoint": "/events"}
    received: list[str] = []

    with (
        serve(sse_app(gate, finished)) as base,
        httpx.Client(base_url=base, timeout=10) as client,
        client.stream("GET", "/events") as response,
    ):
        assert response.headers["content-type"].startswith("text/event-stream")
        trace_header = response.headers["x-trace-id"]
        lines = response.iter_lines()
        received.append(next(lines))
        # The first event is here while the generator still waits: nothing was buffered.
        assert received == ["data: 0"] and not finished.is_set()
        assert telemetry.metric("http_requests_in_progress", **labels) == 1
        assert telemetry.metric("http_requests_total", status="200", **labels) == 0
        gate.set()
        received.extend(line for line in lines if line)
        size = response.num_bytes_downloaded

    assert received == ["data: 0", "data: 1", "data: 2", "data: 3"]
    assert finished.is_set()
    assert telemetry.metric("http_requests_total", status="200", **labels) == 1
    assert telemetry.metric("http_requests_in_progress", **labels) == 0
    assert telemetry.metric("http_response_body_size_bytes_sum", **labels) == size
    [completed] = telemetry.events("request_completed")
    assert completed["route"] == "/events" and completed["status_code"] == 200
    server = telemetry.span("GET /events")
    assert f"{server.context.trace_id:032x}" == trace_header
    # The generator runs in the server's streaming task; its spans still nest.
    step = telemetry.span("execute_tool close_stream")
    assert step.parent is not None and step.parent.span_id == server.context.span_id


def test_sse_client_leaving_mid_stream_ends_the_request(telemetry):
    gate, finished = threading.Event(), threading.Event()
    labels = {"method": "GET", "endpoint": "/events"}

    with serve(sse_app(gate, finished)) as base:
        with (
            httpx.Client(base_url=base, timeout=10) as client,
            client.stream("GET", "/events") as response,
        ):
            assert next(response.iter_lines()) == "data: 0"
        # The client is gone; the server notices and cancels the stream.
        wait_for(
            lambda: telemetry.metric("http_requests_total", status="200", **labels) == 1,
            "the abandoned stream to be counted",
        )
        assert telemetry.metric("http_requests_in_progress", **labels) == 0
    gate.set()

    assert not finished.is_set()
    [completed] = telemetry.events("request_completed")
    assert completed["client_disconnected"] is True
    assert telemetry.events("request_failed") == []
