"""The tracer provider: the spec's samplers, scrubbed spans, export off the hot path.

Spans are exported over OTLP/HTTP (protobuf) when an endpoint is set, to the console for
development, or nowhere (the default: spans still exist, so logs and responses carry trace
ids). Export goes through an ``ExportQueue``, so a slow or dead backend costs the app nothing
and every span it could not take is counted on ``telemetry_dropped_total{signal="traces"}``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from opentelemetry.context import Context
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import Event, ReadableSpan, Span, SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import ConsoleSpanExporter, SpanExporter, SpanExportResult
from opentelemetry.sdk.trace.sampling import (
    ALWAYS_OFF,
    ALWAYS_ON,
    ParentBased,
    Sampler,
    TraceIdRatioBased,
)
from opentelemetry.trace import Status

from swarmscope.config import Settings
from swarmscope.conventions.spans import INSTRUMENTATION_SCOPE
from swarmscope.telemetry.export_queue import (
    ExporterTimeout,
    ExportQueue,
    call_within,
    seconds_left,
)
from swarmscope.telemetry.otlp_encoding import TraceEncoder
from swarmscope.telemetry.redact import Redactor

# The tracer (instrumentation scope) name of swarmscope's own spans.
TRACER_NAME = INSTRUMENTATION_SCOPE


class QueueSpanProcessor(SpanProcessor):
    """Hands ended, sampled spans to an ``ExportQueue``; scrubs them on the export thread."""

    def __init__(
        self,
        exporter: SpanExporter,
        redactor: Redactor,
        on_drop: Callable[[str, int], None],
        on_export: Callable[[int], None],
        settings: Settings,
    ) -> None:
        self.exporter = exporter
        self._exporter_timeout = ExporterTimeout(exporter)
        self._redactor = redactor
        self.queue: ExportQueue[ReadableSpan] = ExportQueue(
            "traces",
            self._export,
            on_drop,
            on_export,
            max_size=settings.queue_size,
            batch_size=settings.export_batch_size,
            interval=settings.export_interval_seconds,
        )

    def on_start(self, span: Span, parent_context: Context | None = None) -> None:
        return None

    def on_end(self, span: ReadableSpan) -> None:
        if span.context is not None and span.context.trace_flags.sampled:
            self.queue.put(span)

    def _export(self, spans: Sequence[ReadableSpan]) -> bool:
        self._exporter_timeout.limit(self.queue.seconds_left())
        scrubbed = [scrub_span(span, self._redactor) for span in spans]
        return self.exporter.export(scrubbed) is SpanExportResult.SUCCESS

    def begin_close(self, deadline: float) -> None:
        """Start exporting what is queued, to be done by ``deadline`` (``time.monotonic()``)."""
        self.queue.begin_close(deadline)

    def finish_close(self, deadline: float) -> bool:
        """Wait for the export until ``deadline``, then shut the exporter down with what is left.

        Past the deadline what is left is counted as dropped, and the exporter's ``shutdown``
        still runs, on its own thread: the OTLP one then stops retrying at once.
        """
        flushed = self.queue.finish_close()
        call_within(self.exporter.shutdown, seconds_left(deadline), "traces-exporter-shutdown")
        return flushed

    def close(self, timeout: float) -> bool:
        """Export what is queued within ``timeout`` seconds, then shut the exporter down."""
        deadline = time.monotonic() + timeout
        self.begin_close(deadline)
        return self.finish_close(deadline)

    def shutdown(self) -> None:
        if not self.queue.closed:
            self.close(5.0)

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return self.queue.flush(timeout_millis / 1000)


def scrub_span(span: ReadableSpan, redactor: Redactor) -> ReadableSpan:
    """The span itself when nothing in it needs scrubbing (the usual case), else a scrubbed copy.

    Every span is looked at whole, swarmscope's own too: they scrub what the SDK sets, but
    the app can still set attributes on them through OpenTelemetry's API
    (``trace.get_current_span().set_attribute(...)``), and other instrumentations put
    exception messages in a span's status. Clean attribute maps cost two dict lookups per
    attribute, on the export thread.
    """
    status = span.status
    description = status.description
    if description:
        clean = redactor.text(description)
        if clean != description:
            status = Status(status.status_code, clean)
    events = span.events if has_events(span) else ()
    dirty = (
        status is not span.status
        or redactor.needs_scrubbing(attributes_of(span))
        or any(redactor.needs_scrubbing(event.attributes or {}) for event in events)
    )
    if not dirty:
        return span
    return ReadableSpan(
        name=span.name,
        context=span.context,
        parent=span.parent,
        resource=span.resource,
        attributes=redactor.fields(span.attributes or {}),
        events=[
            Event(event.name, redactor.fields(event.attributes or {}), event.timestamp)
            for event in events
        ],
        links=span.links,
        kind=span.kind,
        status=status,
        start_time=span.start_time,
        end_time=span.end_time,
        instrumentation_scope=span.instrumentation_scope,
    )


def attributes_of(span: ReadableSpan) -> Mapping[str, Any]:
    """The span's attributes, read straight from the dict inside the SDK's ``BoundedAttributes``.

    ``span.attributes`` wraps that in a read-only proxy whose every key is looked up through
    ``Mapping``'s generic methods, which cost more than the scrubbing check itself. An ended
    span's attributes no longer change. A span of another shape gets the public property.
    """
    inner = getattr(getattr(span, "_attributes", None), "_dict", None)
    return inner if type(inner) is dict else (span.attributes or {})


def has_events(span: ReadableSpan) -> bool:
    """Whether the span has events, without ``span.events`` copying them (most have none)."""
    events = getattr(span, "_events", None)
    return events is None or len(events) > 0


def otlp_span_exporter(endpoint: str) -> SpanExporter:
    """The OTLP/HTTP protobuf exporter, encoding with ``TraceEncoder``.

    Transport, retries, headers (``OTEL_EXPORTER_OTLP_HEADERS``), compression and timeouts
    stay the exporter package's; only the encoding step is replaced. Should that package's
    internals change shape, export falls back to its own path rather than failing.
    """
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    class FastEncodingSpanExporter(OTLPSpanExporter):
        _encoder = TraceEncoder()

        def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
            client = getattr(self, "_client", None)
            if client is None or getattr(self, "_shutdown", True):
                return super().export(spans)
            try:
                data = self._encoder.encode(spans)
            except Exception:
                return super().export(spans)
            return (
                SpanExportResult.SUCCESS
                if client.export(data).success
                else SpanExportResult.FAILURE
            )

    return FastEncodingSpanExporter(endpoint=endpoint)


def build_span_exporter(settings: Settings) -> SpanExporter | None:
    exporter = settings.exporter("traces")
    if exporter == "otlp":
        return otlp_span_exporter(settings.signal_endpoint("traces"))
    if exporter == "console":
        return ConsoleSpanExporter()
    return None


def build_sampler(settings: Settings) -> Sampler:
    """OTEL_TRACES_SAMPLER's meaning: ``parentbased_*`` follows a parent's decision, and the
    rest of the name decides root spans (or every span, without the prefix)."""
    name = settings.traces_sampler
    if name.endswith("traceidratio") and settings.sample_ratio < 1.0:
        decide: Sampler = TraceIdRatioBased(settings.sample_ratio)
    elif name.endswith("always_off"):
        decide = ALWAYS_OFF
    else:
        decide = ALWAYS_ON
    return ParentBased(decide) if name.startswith("parentbased_") else decide


def build_tracer_provider(
    settings: Settings,
    resource: Resource,
    redactor: Redactor,
    on_drop: Callable[[str, int], None],
    on_export: Callable[[int], None],
    exporter: SpanExporter | None = None,
) -> tuple[TracerProvider, QueueSpanProcessor | None]:
    """A provider with the configured sampler and, when there is somewhere to send spans, its
    queue. With the SDK disabled even an exporter passed in is left unused."""
    provider = TracerProvider(resource=resource, sampler=build_sampler(settings))
    if settings.sdk_disabled:
        return provider, None
    exporter = exporter or build_span_exporter(settings)
    if exporter is None:
        return provider, None
    processor = QueueSpanProcessor(exporter, redactor, on_drop, on_export, settings)
    provider.add_span_processor(processor)
    return provider, processor
