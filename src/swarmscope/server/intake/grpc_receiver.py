"""OTLP/gRPC intake: the ``Export`` methods of the trace, logs and metrics services.

It is the HTTP receiver (``receiver.py``) over another transport, with its promises:

* the request's raw bytes (the handlers have no deserializer) go to the same decode as an
  OTLP/HTTP protobuf body, so spans are read by the compiled reader, in the workers;
* the same limits: a message over ``max_body_bytes`` is refused by grpc itself with
  RESOURCE_EXHAUSTED; a full queue, byte budget or disk, or a lost decode worker, is
  UNAVAILABLE with a ``RetryInfo`` delay (HTTP's 503 and ``Retry-After``); a request the
  server can never hold is RESOURCE_EXHAUSTED without ``RetryInfo``, which the OTLP
  specification says not to retry (HTTP's 413);
* the same key: ``authorization: Bearer KEY`` (or ``x-api-key``) metadata, else
  UNAUTHENTICATED;
* the same durability: a call is answered once its rows are committed;
* the same partial success: spans the store refuses are counted in the response's
  ``rejected_spans`` with the reason, the rest stored;
* malformed protobuf is INVALID_ARGUMENT with the parser's reason (not retried); an
  unexpected failure is INTERNAL with its reason, the traceback in the server's log.

grpc reads a message whole before its handler runs, so the byte budget counts a call's
bytes from then on; what grpc holds before is bounded per call by the message limit.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any, NoReturn

import grpc
from google.protobuf.duration_pb2 import Duration
from google.rpc.error_details_pb2 import RetryInfo
from google.rpc.status_pb2 import Status
from opentelemetry.proto.collector.logs.v1 import logs_service_pb2
from opentelemetry.proto.collector.metrics.v1 import metrics_service_pb2
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2

from swarmscope.exceptions import BadPayload, Full, NeverFits, StoreFull, TooLarge, WorkerLost
from swarmscope.server.auth import carries_key
from swarmscope.server.intake import otlp
from swarmscope.server.intake.decoding import Decoded, Decoder
from swarmscope.server.intake.queue import Intake
from swarmscope.server.intake.receiver import (
    DISK_FULL_RETRY_SECONDS,
    MAX_REASON_CHARS,
    RETRY_AFTER_SECONDS,
    export_response,
)

log = logging.getLogger("swarmscope.server")

# Each signal's service, as opentelemetry-proto's generated stubs declare it.
SERVICES = {
    "traces": trace_service_pb2.DESCRIPTOR.services_by_name["TraceService"],
    "logs": logs_service_pb2.DESCRIPTOR.services_by_name["LogsService"],
    "metrics": metrics_service_pb2.DESCRIPTOR.services_by_name["MetricsService"],
}
EXPORT = "Export"
# Where OpenTelemetry's Python exporters read the delay; others read the status details.
RETRY_INFO_KEY = "google.rpc.retryinfo-bin"
STATUS_DETAILS_KEY = "grpc-status-details-bin"


@dataclass(frozen=True)
class Refusal:
    """Why a call is not stored: its status code, reason, and the delay to retry after
    (None: retrying the same request cannot help)."""

    code: grpc.StatusCode
    reason: str
    retry_after: float | None = None

    def trailers(self) -> tuple[tuple[str, bytes], ...]:
        if self.retry_after is None:
            return ()
        seconds = int(self.retry_after)
        delay = RetryInfo(
            retry_delay=Duration(seconds=seconds, nanos=int((self.retry_after - seconds) * 1e9))
        )
        status = Status(code=self.code.value[0], message=self.reason)
        status.details.add().Pack(delay)
        return (
            (RETRY_INFO_KEY, delay.SerializeToString()),
            (STATUS_DETAILS_KEY, status.SerializeToString()),
        )


def busy(reason: str, seconds: float = RETRY_AFTER_SECONDS) -> Refusal:
    return Refusal(grpc.StatusCode.UNAVAILABLE, reason, seconds)


UNAUTHENTICATED = Refusal(grpc.StatusCode.UNAUTHENTICATED, "missing or wrong API key")

Handler = Callable[[bytes, grpc.aio.ServicerContext[bytes, bytes]], Coroutine[Any, Any, bytes]]


def otlp_services(
    intake: Intake, decoder: Decoder, max_body_bytes: int, api_key: str | None
) -> list[grpc.GenericRpcHandler]:
    """The three OTLP services, feeding ``intake`` through ``decoder``."""
    key = api_key.encode() if api_key else None

    def export(signal: str) -> Handler:
        async def handle(body: bytes, context: grpc.aio.ServicerContext[bytes, bytes]) -> bytes:
            if key is not None and not carries_key(_headers(context), key):
                await _abort(context, UNAUTHENTICATED)
            try:
                outcome = await store(intake, decoder, signal, body, max_body_bytes)
            except Exception as problem:
                # As HTTP's 500: the reason to the client, the traceback to the server's log.
                log.exception("OTLP/gRPC %s export failed", signal)
                reason = f"internal error: {type(problem).__name__}: {problem}"
                outcome = Refusal(grpc.StatusCode.INTERNAL, reason)
            if isinstance(outcome, Refusal):
                await _abort(context, outcome)
            return bytes(export_response(signal, outcome).SerializeToString())

        return handle

    return [
        grpc.method_handlers_generic_handler(
            service.full_name, {EXPORT: grpc.unary_unary_rpc_method_handler(export(signal))}
        )
        for signal, service in SERVICES.items()
    ]


async def store(
    intake: Intake, decoder: Decoder, signal: str, body: bytes, max_body_bytes: int
) -> Decoded | Refusal:
    """Decode ``body`` and wait for its rows to be committed; or why they were not."""
    if not intake.has_room():
        return busy("the write queue is full; retry later")
    # Released on every way out: answers, refusals, a call cancelled, a worker lost.
    with intake.budget.reservation() as reservation:
        try:
            reservation.cover(len(body))
            decoded = await decoder.decode(signal, body, otlp.PROTOBUF, None, max_body_bytes)
            if decoded.rows:
                await asyncio.wrap_future(intake.submit(decoded.batches))
        except (Full, WorkerLost) as problem:
            return busy(str(problem))
        except StoreFull as problem:
            return busy(str(problem), DISK_FULL_RETRY_SECONDS)
        except (NeverFits, TooLarge) as problem:
            return Refusal(grpc.StatusCode.RESOURCE_EXHAUSTED, str(problem))
        except BadPayload as problem:
            return Refusal(grpc.StatusCode.INVALID_ARGUMENT, str(problem))
    return decoded


def _headers(context: grpc.aio.ServicerContext[bytes, bytes]) -> list[tuple[bytes, bytes]]:
    """The call's metadata as HTTP headers: lower-case names, byte values."""
    return [
        (name.encode(), value.encode() if isinstance(value, str) else value)
        for name, value in context.invocation_metadata() or ()
    ]


async def _abort(context: grpc.aio.ServicerContext[bytes, bytes], refusal: Refusal) -> NoReturn:
    # A parse error can quote the whole message back: long reasons are cut, as HTTP's are.
    reason = refusal.reason[:MAX_REASON_CHARS]
    await context.abort(refusal.code, reason, refusal.trailers())
