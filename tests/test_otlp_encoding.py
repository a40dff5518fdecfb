"""The fast trace encoder against the exporter package's encoder: the same OTLP message."""

from __future__ import annotations

from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import SpanLimits, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import (
    Link,
    NonRecordingSpan,
    SpanContext,
    SpanKind,
    Status,
    StatusCode,
    TraceFlags,
    TraceState,
    set_span_in_context,
)

from swarmscope.telemetry.otlp_encoding import TraceEncoder


def finished_spans() -> list:
    exporter = InMemorySpanExporter()
    spans_limits = SpanLimits(max_span_attributes=6)
    providers = [
        TracerProvider(
            resource=Resource.create({"service.name": name, "n": 3, "f": 1.5, "tags": ["a", "b"]}),
            span_limits=spans_limits,
        )
        for name in ("api", "worker")
    ]
    for provider in providers:
        provider.add_span_processor(SimpleSpanProcessor(exporter))
    remote = SpanContext(
        0x1234,
        0x5678,
        is_remote=True,
        trace_flags=TraceFlags(1),
        trace_state=TraceState([("vendor", "x1")]),
    )
    for index, provider in enumerate(providers):
        tracer = provider.get_tracer("swarmscope", "1.0", schema_url="https://opentelemetry.io/s")
        other = provider.get_tracer("thirdparty")
        with tracer.start_as_current_span(
            "invoke_agent scout",
            context=set_span_in_context(NonRecordingSpan(remote)),
            kind=SpanKind.SERVER,
            attributes={
                "gen_ai.operation.name": "invoke_agent",
                "n": -7,
                "big": 2**62,
                "ok": True,
                "ratio": 0.25,
                "list": [1, 2, 3],
                "texts": ["é", "b"],
                "too": 1,
                "many": 2,
            },
        ) as parent:
            with other.start_as_current_span(
                "ünïcode " * 20, kind=SpanKind.CLIENT, links=[Link(remote, {"why": "handoff"})]
            ) as child:
                child.add_event("retry", {"attempt": index})
                child.set_status(Status(StatusCode.ERROR, "x" * 300))
            parent.set_status(Status(StatusCode.OK))
        with tracer.start_as_current_span("empty"):
            pass
    return list(exporter.get_finished_spans())


def test_fast_encoding_parses_to_the_reference_message():
    spans = finished_spans()
    encoder = TraceEncoder()
    for _ in range(2):  # the second pass runs from the encoder's caches
        ours = ExportTraceServiceRequest.FromString(encoder.encode(spans))
        assert ours == encode_spans(spans)
    assert len(ours.resource_spans) == 2
