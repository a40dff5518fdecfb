"""The server's HTTP side: OTLP/HTTP intake and the trace query API.

    POST /v1/traces, /v1/logs      OTLP/HTTP, protobuf or JSON, optionally gzip
    GET  /api/traces               trace summaries (service, agent, status, min_duration_ms)
    GET  /api/traces/{trace_id}    the span tree of one trace

Bad input is answered, never raised: malformed 400 with the reason, too large 413, an
unknown content type or encoding 415.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from swarmscope.server import otlp
from swarmscope.server.store import Store

MAX_BODY_BYTES = 16 * 1024 * 1024


def create_app(store: Store, max_body_bytes: int = MAX_BODY_BYTES) -> Starlette:
    def intake(signal: str, save: Callable[[Any], None]) -> Callable[[Request], Any]:
        async def receive(request: Request) -> Response:
            declared = request.headers.get("content-length")
            if declared is not None and declared.isdigit() and int(declared) > max_body_bytes:
                return _error(413, f"body over {max_body_bytes} bytes")
            body = b""
            async for chunk in request.stream():
                body += chunk
                if len(body) > max_body_bytes:
                    return _error(413, f"body over {max_body_bytes} bytes")
            content_type = request.headers.get("content-type", "")
            try:
                raw = otlp.decompress(body, request.headers.get("content-encoding"), max_body_bytes)
                message = otlp.parse(otlp.new_request(signal), raw, content_type)
            except otlp.TooLarge as error:
                return _error(413, str(error))
            except otlp.UnsupportedMediaType as error:
                return _error(415, str(error))
            except otlp.BadPayload as error:
                return _error(400, str(error))
            await asyncio.to_thread(save, message)
            if content_type.startswith(otlp.JSON):
                return JSONResponse({})
            return Response(b"", media_type=otlp.PROTOBUF)

        return receive

    def save_traces(message: Any) -> None:
        store.add_spans(otlp.span_rows(message))

    def save_logs(message: Any) -> None:
        store.add_logs(otlp.log_rows(message))

    async def list_traces(request: Request) -> Response:
        query = request.query_params
        try:
            min_duration = float(query["min_duration_ms"]) if "min_duration_ms" in query else None
            limit = min(int(query.get("limit", "50")), 1000)
        except ValueError:
            return _error(400, "min_duration_ms and limit must be numbers")
        status = query.get("status")
        if status not in (None, "ok", "error"):
            return _error(400, "status must be ok or error")
        traces = await asyncio.to_thread(
            store.traces,
            query.get("service"),
            query.get("agent"),
            status,
            min_duration,
            None,
            None,
            limit,
        )
        return JSONResponse({"traces": traces, "count": len(traces)})

    async def get_trace(request: Request) -> Response:
        trace_id = request.path_params["trace_id"].lower()
        spans = await asyncio.to_thread(store.trace, trace_id)
        if not spans:
            return _error(404, f"unknown trace {trace_id}")
        return JSONResponse({"trace_id": trace_id, "spans": len(spans), "tree": tree(spans)})

    return Starlette(
        routes=[
            Route("/v1/traces", intake("traces", save_traces), methods=["POST"]),
            Route("/v1/logs", intake("logs", save_logs), methods=["POST"]),
            Route("/api/traces", list_traces, methods=["GET"]),
            Route("/api/traces/{trace_id}", get_trace, methods=["GET"]),
        ]
    )


def tree(spans: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Spans nested under their parents; spans whose parent is missing become roots."""
    nodes = {span["span_id"]: {**span, "children": []} for span in spans}
    roots = []
    for node in nodes.values():
        parent = nodes.get(node["parent_span_id"]) if node["parent_span_id"] else None
        (parent["children"] if parent is not None else roots).append(node)
    return roots


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message, "status": status}, status_code=status)
