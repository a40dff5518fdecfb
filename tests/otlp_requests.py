"""OTLP request bodies for the server's tests."""

from __future__ import annotations

import time

from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

PROTOBUF = {"content-type": "application/x-protobuf"}


def span_request(
    first: int, count: int, service: str, padding: int = 0, namespace: str | None = None
) -> bytes:
    """A traces request of ``count`` spans of ``service``, trace ids from ``first`` on, each
    with an attribute of ``padding`` characters when asked (large bodies, or ones gzip
    shrinks a lot); its resource says ``service.namespace`` when one is given."""
    request = ExportTraceServiceRequest()
    group = request.resource_spans.add()
    group.resource.attributes.add(key="service.name").value.string_value = service
    if namespace is not None:
        group.resource.attributes.add(key="service.namespace").value.string_value = namespace
    spans = group.scope_spans.add().spans
    for number in range(first, first + count):
        span = spans.add(name="execute_tool lookup", start_time_unix_nano=time.time_ns())
        span.trace_id = number.to_bytes(16, "big")
        span.span_id = (number + 1).to_bytes(8, "big")
        span.end_time_unix_nano = span.start_time_unix_nano + 1_000_000
        if padding:
            span.attributes.add(key="gen_ai.prompt").value.string_value = "p" * padding
    return request.SerializeToString()
