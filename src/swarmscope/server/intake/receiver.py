"""OTLP/HTTP intake: ``POST /v1/traces``, ``/v1/logs``, ``/v1/metrics``.

Any OpenTelemetry SDK or Collector can send here unchanged: protobuf or JSON, gzip or not.
Bad input is answered, never raised (malformed 400 with the reason, too large 413, unknown
content type or encoding 415); a full queue, a full byte budget or a full disk answers 503
with ``Retry-After``; a request that could never fit (more items than the queue holds,
more bytes than the budget) is a 413, not a 503 retried for ever; items the store cannot
keep are reported in OTLP's partial success, not dropped in silence.
"""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from google.protobuf import json_format

from swarmscope.server.intake import otlp
from swarmscope.server.intake.decoding import REJECTED_FIELDS, Decoded, Decoder, WorkerLost
from swarmscope.server.intake.queue import Full, Intake, NeverFits, Reservation
from swarmscope.server.store.database import StoreFull

RETRY_AFTER_SECONDS = 2
# A full disk frees no space in two seconds: ask exporters to wait longer for it.
DISK_FULL_RETRY_SECONDS = 30
# A gzip header (10 bytes) and trailer (8): anything shorter has no size to read.
_GZIP_SMALLEST = 18


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
        "413": {
            "description": "Body over the size limit, compressed or not, or more items or"
            " bytes than the server can ever hold at once: send smaller batches."
        },
        "415": {"description": "Content type or encoding not supported."},
        "503": {
            "description": "Queue, byte budget or disk full; retry after `Retry-After`"
            " seconds. The reason is in `error`."
        },
    },
}


def receiver_routes(intake: Intake, decoder: Decoder, max_body_bytes: int) -> APIRouter:
    router = APIRouter(tags=["OTLP receiver"])

    def add(signal: str) -> None:
        async def receive(request: Request) -> Response:
            if not intake.has_room():
                return _busy()
            # Released on every way out: answers, errors, a client gone, a worker lost.
            with intake.budget.reservation() as reservation:
                try:
                    return await handle(request, reservation)
                except Full as problem:
                    return _busy(str(problem))
                except (NeverFits, otlp.TooLarge) as problem:
                    return error(413, str(problem))
                except StoreFull as problem:
                    return _busy(str(problem), DISK_FULL_RETRY_SECONDS)

        async def handle(request: Request, reservation: Reservation) -> Response:
            """Read, decode and queue one request under ``reservation``; the answer."""
            body = await _read(request, reservation, max_body_bytes)
            content_type = request.headers.get("content-type", "")
            encoding = request.headers.get("content-encoding")
            # While it is decoded, a compressed body is held twice: as sent and inflated.
            inflated = _inflate_limit(body, encoding, max_body_bytes)
            reservation.cover(len(body) + (inflated or 0))
            limit = max_body_bytes if inflated is None else inflated
            try:
                decoded = await decoder.decode(signal, body, content_type, encoding, limit)
            except otlp.TooLarge as problem:
                if limit < max_body_bytes:
                    # It inflates past what its own trailer declares: a broken gzip stream.
                    return error(400, f"body inflates past the {limit} bytes its gzip trailer says")
                return error(413, str(problem))
            except otlp.UnsupportedMediaType as problem:
                return error(415, str(problem))
            except otlp.BadPayload as problem:
                return error(400, str(problem))
            except WorkerLost as problem:
                return _busy(str(problem))
            del body  # the rows are what waits for the writer now
            if decoded.rows:
                await asyncio.wrap_future(intake.submit(decoded.batches))
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


async def _read(request: Request, reservation: Reservation, max_body_bytes: int) -> bytes:
    """The request's body, its bytes reserved before they are read.

    With a ``Content-Length`` the whole body is reserved up front, so a server with no room
    answers before the app reads a byte of it (uvicorn then drops the rest as it comes, so
    the client, still sending, gets the answer); without one the reservation grows with
    each chunk. Raises ``otlp.TooLarge``, ``Full``, ``NeverFits``.
    """
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit():
        if int(declared) > max_body_bytes:
            raise otlp.TooLarge(f"body over {max_body_bytes} bytes")
        reservation.cover(int(declared))
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > max_body_bytes:
            raise otlp.TooLarge(f"body over {max_body_bytes} bytes")
        reservation.cover(size)
        chunks.append(chunk)
    return b"".join(chunks)


def _inflate_limit(body: bytes, encoding: str | None, max_body_bytes: int) -> int | None:
    """The bytes a compressed body may inflate to (its decoding refuses more, so reserving
    them bounds its memory); None if it is not compressed, or not in an encoding the
    decoder knows (that answer is a 415, with nothing inflated).

    gzip's trailer declares the inflated size (its last four bytes), so a small gzip body
    reserves little; deflate declares nothing and reserves the whole inflate limit.
    """
    if encoding == "gzip" and len(body) >= _GZIP_SMALLEST:
        return min(int.from_bytes(body[-4:], "little"), max_body_bytes)
    if encoding in ("gzip", "deflate"):
        return max_body_bytes
    return None


def export_response(signal: str, decoded: Decoded) -> Any:
    """The Export*ServiceResponse for a stored request: OTLP's partial success says how many
    items the store refused and why (OTLP/gRPC answers with it too)."""
    answer = otlp.new_response(signal)
    if decoded.rejected:
        setattr(answer.partial_success, REJECTED_FIELDS[signal], decoded.rejected)
        answer.partial_success.error_message = decoded.reason
    return answer


def _answer(signal: str, decoded: Decoded, content_type: str) -> Response:
    answer = export_response(signal, decoded)
    if content_type.startswith(otlp.JSON):
        return JSONResponse(json_format.MessageToDict(answer))
    return Response(answer.SerializeToString(), media_type=otlp.PROTOBUF)


def _busy(
    reason: str = "the write queue is full; retry later", seconds: int = RETRY_AFTER_SECONDS
) -> Response:
    # 503, not 507 for a full disk: OTLP exporters retry a 503 and drop what gets a 507.
    answer = error(503, reason)
    answer.headers["Retry-After"] = str(seconds)
    return answer


# A parse error can quote a whole body back: longer reasons are cut here.
MAX_REASON_CHARS = 2000


def error(status: int, message: str) -> JSONResponse:
    """The JSON error every route answers with: ``{"error": reason, "status": code}``.

    The reason often quotes the request, so it may hold anything. A lone surrogate (the
    JSON text ``"\\ud800"`` decodes to one) cannot be encoded as UTF-8 and would fail the
    answer itself, a 500 in place of the 400: it is written out as the six characters
    ``\\ud800`` instead.
    """
    text = str(message)
    if len(text) > MAX_REASON_CHARS:
        text = f"{text[:MAX_REASON_CHARS]}... ({len(text) - MAX_REASON_CHARS} more characters)"
    safe = text.encode("utf-8", "backslashreplace").decode("utf-8")
    return JSONResponse({"error": safe, "status": status}, status_code=status)
