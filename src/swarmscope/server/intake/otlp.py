"""OTLP/HTTP requests decoded into rows: protobuf or JSON, gzip or not.

Spans are flattened into one row each, with the fields an agent-system view needs pulled
out of the attributes: the agent, the tool, the operation and token counts, read from the
GenAI semantic conventions or, for spans from OpenInference instrumentors, from theirs.
"""

from __future__ import annotations

import base64
import re
import zlib
from collections.abc import Iterator
from typing import Any

import pyarrow as pa
from google.protobuf import json_format
from google.protobuf.message import DecodeError
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import (
    ExportLogsServiceRequest,
    ExportLogsServiceResponse,
)
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
    ExportMetricsServiceResponse,
)
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.common.v1.common_pb2 import AnyValue

from swarmscope.conventions.attributes import GEN_AI_AGENT_NAME
from swarmscope.conventions.openinference import AGENT_NAME

try:
    from swarmscope.server.intake import otlp_wire
except ImportError:  # built without a C compiler: spans are read through protobuf
    # mypy has no type for "this module or None"; the one reader checks for None.
    otlp_wire = None  # type: ignore[assignment]

from swarmscope.exceptions import BadPayload, TooLarge, UnsupportedMediaType
from swarmscope.server.intake.span_fields import (
    MAX_TIME_NS,
    TimeOutOfRange,
    as_text,
    check_span_times,
    derived,
    events_json,
    first,
    kind_name,
    links_json,
    resource_id,
    service_name,
    status_name,
    time_out_of_range,
    to_json,
)
from swarmscope.server.store.rows import (
    SPAN_COLUMNS,
    LogRow,
    SpanRow,
    columns_to_arrow,
)

# Tests and tools build metric rows from here, as they did when metrics were decoded here.
from swarmscope.server.store.rows import (
    MetricRow as MetricRow,
)

PROTOBUF = "application/x-protobuf"
JSON = "application/json"
_ID_FIELDS = re.compile(r'"(traceId|spanId|parentSpanId)"\s*:\s*"([0-9a-fA-F]*)"')


def decompress(body: bytes, encoding: str | None, limit: int) -> bytes:
    """The body, inflated if it is gzip or deflate, refusing to grow past ``limit`` bytes."""
    if not encoding or encoding == "identity":
        return body
    if encoding not in ("gzip", "deflate"):
        raise UnsupportedMediaType(f"content encoding {encoding!r} is not supported")
    # gzip's header (wbits + 16) or zlib's (deflate) is checked by the decompressor itself.
    inflater = zlib.decompressobj(zlib.MAX_WBITS | 16 if encoding == "gzip" else zlib.MAX_WBITS)
    try:
        data = inflater.decompress(body, limit + 1)
        if len(data) > limit or inflater.unconsumed_tail:
            raise TooLarge(f"body inflates past {limit} bytes")
        if not inflater.eof:
            raise BadPayload(f"body is a truncated {encoding} stream")
    except zlib.error as error:
        raise BadPayload(f"body is not valid {encoding}: {error}") from None
    return data


def _media_type(content_type: str) -> str:
    return content_type.split(";")[0].strip().lower()


def parse(message: Any, body: bytes, content_type: str) -> Any:
    """Fill ``message`` (an OTLP request) from a protobuf or JSON body."""
    kind = _media_type(content_type)
    if kind == PROTOBUF:
        try:
            message.ParseFromString(body)
        except DecodeError as error:
            raise BadPayload(f"body is not an OTLP protobuf message: {error}") from None
        return message
    if kind == JSON:
        text = _ID_FIELDS.sub(_hex_id_as_base64, body.decode("utf-8", errors="replace"))
        try:
            json_format.Parse(text, message, ignore_unknown_fields=True)
        except (json_format.ParseError, ValueError) as error:
            raise BadPayload(f"body is not OTLP JSON: {error}") from None
        return message
    raise UnsupportedMediaType(f"content type {kind!r}: send {PROTOBUF} or {JSON}")


def _hex_id_as_base64(match: re.Match[str]) -> str:
    """An id field, from OTLP/JSON's hex to the base64 protobuf's JSON mapping expects.

    An odd number of hex digits is no id in either encoding (and ``bytes.fromhex`` refuses
    it): the request is malformed, answered 400 naming the field. Values that are not hex
    at all are left to protobuf, which reads them as base64 as it always did.
    """
    field, digits = match.groups()
    if len(digits) % 2:
        shown = digits if len(digits) <= 40 else f"{digits[:40]}..."
        raise BadPayload(
            f"{field} {shown!r} has an odd number of hex digits: OTLP/JSON writes an id as"
            " two hex digits per byte"
        )
    return f'"{field}": "{base64.b64encode(bytes.fromhex(digits)).decode()}"'


def value(any_value: AnyValue) -> Any:
    # Most attribute values are strings: read that field first, before asking which is set.
    text = any_value.string_value
    if text:
        return text
    field = any_value.WhichOneof("value")
    if field is None:
        return None
    if field == "array_value":
        return [value(v) for v in any_value.array_value.values]
    if field == "kvlist_value":
        return {kv.key: value(kv.value) for kv in any_value.kvlist_value.values}
    if field == "bytes_value":
        return any_value.bytes_value.hex()
    return getattr(any_value, field)


def attributes(key_values: Any) -> dict[str, Any]:
    decoded = {}
    for kv in key_values:
        any_value = kv.value
        # The string case inline: this loop runs for every attribute of every span.
        decoded[kv.key] = any_value.string_value or value(any_value)
    return decoded


def items(groups: Any, scopes: str, leaves: str) -> Iterator[tuple[Any, str, dict[str, Any]]]:
    """Each span or log record of a request, with its service name and resource attributes.

    Both signals nest the same way: resource -> instrumentation scope -> items.
    """
    for group in groups:
        resource = attributes(group.resource.attributes)
        service = service_name(resource)
        for scope in getattr(group, scopes):
            for item in getattr(scope, leaves):
                yield item, service, resource


# One span as the reader over protobuf's messages gives it: trace id, span id, parent span
# id (bytes), name, kind, start and end (ns), status code and message, attributes, events
# as (time_ns, name, attributes), links as (trace id, span id, attributes).
RawSpan = tuple[
    bytes,
    bytes,
    bytes,
    str,
    int,
    int,
    int,
    int,
    str,
    dict[str, Any],
    list[tuple[int, str, dict[str, Any]]],
    list[tuple[bytes, bytes, dict[str, Any]]],
]
# A request's spans: per ResourceSpans, the resource's attributes and its spans.
SpanGroups = list[tuple[dict[str, Any], list[RawSpan]]]


def read_span_rows(
    body: bytes, content_type: str
) -> tuple[list[tuple[Any, ...]], dict[str, str], int]:
    """A trace request's ``span_rows``, read from the wire when the compiled reader is
    installed; JSON, and protobuf where it was not compiled, go through protobuf's messages.
    """
    try:
        if otlp_wire is not None and _media_type(content_type) == PROTOBUF:
            try:
                return otlp_wire.span_rows(body)
            except otlp_wire.WireError as error:
                raise BadPayload(f"body is not an OTLP protobuf message: {error}") from None
        return span_rows(message_spans(parse(ExportTraceServiceRequest(), body, content_type)))
    except TimeOutOfRange as error:
        raise BadPayload(str(error)) from None


def message_spans(request: ExportTraceServiceRequest) -> SpanGroups:
    """The spans of a parsed request, grouped by resource, as ``span_rows`` reads them."""
    return [
        (
            attributes(group.resource.attributes),
            [
                (
                    span.trace_id,
                    span.span_id,
                    span.parent_span_id,
                    span.name,
                    span.kind,
                    span.start_time_unix_nano,
                    span.end_time_unix_nano,
                    span.status.code,
                    span.status.message,
                    attributes(span.attributes),
                    [(e.time_unix_nano, e.name, attributes(e.attributes)) for e in span.events],
                    [
                        (link.trace_id, link.span_id, attributes(link.attributes))
                        for link in span.links
                    ],
                )
                for scope in group.scope_spans
                for span in scope.spans
            ],
        )
        for group in request.resource_spans
    ]


def span_rows(groups: SpanGroups) -> tuple[list[tuple[Any, ...]], dict[str, str], int]:
    """The spans as rows of ``SpanRow``'s fields in their order, their resources by id, and
    how many spans were rejected (ids of the wrong length).

    Raises ``TimeOutOfRange`` for a span starting or ending past what the store can hold.

    A resource is turned into JSON once for all its spans and stored once (storing it with
    every span was a third of the cost of an insert).
    """
    rows: list[tuple[Any, ...]] = []
    resources: dict[str, str] = {}
    rejected = 0
    for resource, spans in groups:
        service = service_name(resource)
        resource_json = to_json(resource)
        resource_key = resource_id(resource_json)
        resources[resource_key] = resource_json
        for span in spans:
            if len(span[0]) != 16 or len(span[1]) != 8:
                rejected += 1
                continue
            check_span_times(span[3], span[1], span[5], span[6])
            rows.append(_span_values(span, service, resource_key))
    return rows, resources, rejected


def span_table(rows: list[tuple[Any, ...]]) -> pa.Table:
    """Span rows as one Arrow table of ``SpanRow`` columns."""
    # Rows to columns in one C-level transpose.
    transposed = zip(*rows, strict=True) if rows else ([] for _ in SPAN_COLUMNS)
    columns = {name: list(column) for name, column in zip(SPAN_COLUMNS, transposed, strict=True)}
    return columns_to_arrow(SpanRow, columns)


def _span_values(span: RawSpan, service: str, resource_key: str) -> tuple[Any, ...]:
    """One span's values, in ``SpanRow``'s field order."""
    trace_id, span_id, parent, name, kind, start, end, code, message, attrs, events, links = span
    head, tail = derived(name, kind_name(kind), attrs, events)
    return (
        trace_id.hex(),
        span_id.hex(),
        parent.hex() or None,
        name,
        kind_name(kind),
        service,
        start,
        end,
        max(end - start, 0) / 1e6,
        status_name(code),
        message,
        *head,
        to_json(attrs),
        events_json(events),
        links_json(links),
        resource_key,
        *tail,
    )


_REQUESTS = {
    "traces": ExportTraceServiceRequest,
    "logs": ExportLogsServiceRequest,
    "metrics": ExportMetricsServiceRequest,
}


_RESPONSES = {
    "traces": ExportTraceServiceResponse,
    "logs": ExportLogsServiceResponse,
    "metrics": ExportMetricsServiceResponse,
}


def new_request(signal: str) -> Any:
    return _REQUESTS[signal]()


def new_response(signal: str) -> Any:
    return _RESPONSES[signal]()


def log_rows(request: ExportLogsServiceRequest) -> list[LogRow]:
    """The request's log records as rows; ``BadPayload`` for a time the store cannot hold."""
    rows = []
    for record, service, _ in items(request.resource_logs, "scope_logs", "log_records"):
        attrs = attributes(record.attributes)
        body = value(record.body)
        rows.append(
            LogRow(
                time_ns=_log_time(record),
                trace_id=record.trace_id.hex() or None,
                span_id=record.span_id.hex() or None,
                severity=(record.severity_text or "").lower(),
                event=record.event_name or as_text(attrs.get("event")),
                body=body if isinstance(body, str) else to_json(body),
                service=service,
                agent=as_text(
                    first(attrs, "agent", "agent_id", "agent_type", GEN_AI_AGENT_NAME, AGENT_NAME)
                ),
                attributes=to_json(attrs),
            )
        )
    return rows


def _log_time(record: Any) -> int:
    """The time a record is stored at: when it happened, else when it was observed.

    Only the time stored is checked: an observed time past the store's range beside a good
    event time harms nothing.
    """
    if record.time_unix_nano:
        field, ns = "time_unix_nano", record.time_unix_nano
    else:
        field, ns = "observed_time_unix_nano", record.observed_time_unix_nano
    if ns > MAX_TIME_NS:
        raise BadPayload(str(time_out_of_range("log record", field, ns)))
    return ns
