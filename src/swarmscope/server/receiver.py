"""OTLP/HTTP intake: ``POST /v1/traces``, ``/v1/logs``, ``/v1/metrics``.

Any OpenTelemetry SDK or Collector can send here unchanged: protobuf or JSON, gzip or not.
Bad input is answered, never raised (malformed 400 with the reason, too large 413, unknown
content type or encoding 415); a full queue answers 503 with ``Retry-After``; items the
store cannot keep are reported in OTLP's partial success, not dropped in silence.
"""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from google.protobuf import json_format

from swarmscope.server import otlp
from swarmscope.server.decoding import REJECTED_FIELDS, Decoded, Decoder, WorkerLost
from swarmscope.server.intake import Full, Intake

RETRY_AFTER_SECONDS = 2


_OTLP_BODY = {
    "requestBody": {
        "required": True,
        "description": "An OTLP Export*ServiceRequest, protobuf or JSON, optionally gzip.",
        "content": {
            otlp.PROTOBUF: {"schema": {"type": "string", "format": "binary"}},
            otlp.JSON: {"schema": {"type": "object"}},
        },
    },
    "responses": {
        "400": {"description": "Malformed payload; the reason is in `error`."},
        "413": {"description": "Body over the size limit, compressed or not."},
        "415": {"description": "Content type or encoding not supported."},
        "503": {"description": "Queue full; retry after `Retry-After` seconds."},
    },
}


def receiver_routes(intake: Intake, decoder: Decoder, max_body_bytes: int) -> APIRouter:
    router = APIRouter(tags=["OTLP receiver"])

    def add(signal: str) -> None:
        async def receive(request: Request) -> Response:
            if not intake.has_room():
                return _busy()
            declared = request.headers.get("content-length")
            if declared is not None and declared.isdigit() and int(declared) > max_body_bytes:
                return error(413, f"body over {max_body_bytes} bytes")
            body = bytearray()
            async for chunk in request.stream():
                body += chunk
                if len(body) > max_body_bytes:
                    return error(413, f"body over {max_body_bytes} bytes")
            content_type = request.headers.get("content-type", "")
            encoding = request.headers.get("content-encoding")
            try:
                decoded = await decoder.decode(
                    signal, bytes(body), content_type, encoding, max_body_bytes
                )
            except otlp.TooLarge as problem:
                return error(413, str(problem))
            except otlp.UnsupportedMediaType as problem:
                return error(415, str(problem))
            except otlp.BadPayload as problem:
                return error(400, str(problem))
            except WorkerLost as problem:
                return _busy(str(problem))
            if decoded.rows:
                try:
                    await asyncio.wrap_future(intake.submit(decoded.batches))
                except Full:
                    return _busy()
            return _answer(signal, decoded, content_type)

        router.add_api_route(
            f"/v1/{signal}",
            receive,
            methods=["POST"],
            summary=f"Receive OTLP {signal}",
            openapi_extra=_OTLP_BODY,
        )

    for signal in REJECTED_FIELDS:
        add(signal)
    return router


def _answer(signal: str, decoded: Decoded, content_type: str) -> Response:
    answer = otlp.new_response(signal)
    if decoded.rejected:
        setattr(answer.partial_success, REJECTED_FIELDS[signal], decoded.rejected)
        answer.partial_success.error_message = decoded.reason
    if content_type.startswith(otlp.JSON):
        return JSONResponse(json_format.MessageToDict(answer))
    return Response(answer.SerializeToString(), media_type=otlp.PROTOBUF)


def _busy(reason: str = "the write queue is full; retry later") -> Response:
    answer = error(503, reason)
    answer.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return answer


def error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message, "status": status}, status_code=status)
