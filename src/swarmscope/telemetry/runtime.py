"""The one live set of signals: metrics, tracer, log pipeline, built by ``init`` and torn down by ``shutdown``.

Instrumentation calls ask for ``current()``. Before ``init`` that builds a runtime from the
environment, so a library instrumented with swarmscope works in an app that never heard of
it; a broken environment then falls back to defaults with a warning rather than raising.
"""

from __future__ import annotations

import logging
import os
import threading
import time
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from opentelemetry import trace
from opentelemetry.sdk._logs.export import LogRecordExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SpanExporter
from opentelemetry.trace import SpanContext
from prometheus_client import disable_created_metrics

from swarmscope._version import __version__
from swarmscope.app_catalog import AppCatalog, every_metric, register
from swarmscope.config import ConfigError, Settings
from swarmscope.conventions.attributes import (
    DEPLOYMENT_ENVIRONMENT_NAME,
    HOST_NAME,
    SERVICE_INSTANCE_ID,
    SERVICE_NAME,
    SERVICE_NAMESPACE,
    SERVICE_VERSION,
    TELEMETRY_DISTRO_NAME,
    TELEMETRY_DISTRO_VERSION,
)
from swarmscope.conventions.catalog import EVENTS_BY_NAME
from swarmscope.telemetry.export_queue import ExportQueue, call_within, seconds_left
from swarmscope.telemetry.logs import LEVELS, LogPipeline, StdlibBridge, configure_structlog
from swarmscope.telemetry.metrics import MetricSet, multiprocess_dir
from swarmscope.telemetry.redact import Redactor
from swarmscope.telemetry.tracing import (
    TRACER_NAME,
    QueueSpanProcessor,
    build_tracer_provider,
)

if TYPE_CHECKING:
    # Imported by ``_build`` when metrics are pushed: the protobuf messages and the HTTP
    # client are not loaded into an app that only serves /metrics.
    from swarmscope.telemetry.metric_push import MetricPusher


@dataclass
class Runtime:
    settings: Settings
    metrics: MetricSet
    tracer_provider: TracerProvider
    tracer: trace.Tracer
    logs: LogPipeline
    redactor: Redactor
    bridge: StdlibBridge | None
    span_processor: QueueSpanProcessor | None
    metric_pusher: MetricPusher | None = None

    def event(
        self,
        name: str,
        fields: dict[str, Any],
        level: str | None = None,
        span_context: SpanContext | None = None,
    ) -> None:
        """Log one catalog event at its declared level, through the log pipeline.

        ``fields`` becomes the event (it is not copied: build a new dict per call).
        ``span_context`` saves a context lookup when the caller holds the span already.
        """
        level = level or EVENTS_BY_NAME[name].level
        if LEVELS[level] >= self.logs.threshold:
            self.logs.sdk_event(name, level, fields, span_context)

    def logs_at(self, level: str) -> bool:
        return LEVELS[level] >= self.logs.threshold

    def instrumentation_error(self, where: str) -> None:
        self.metrics["telemetry_instrumentation_errors_total"].child(where).inc()

    def flush(self, timeout: float = 10.0) -> bool:
        spans_ok = self.tracer_provider.force_flush(int(timeout * 1000))
        return self.logs.flush(timeout) and spans_ok

    def close(self, timeout: float = 10.0) -> None:
        """Export what is queued and release everything, returning within ``timeout`` seconds.

        ``timeout`` is one deadline for every step, whatever the exporters do (an endpoint that
        accepts connections and never answers holds an export for its whole HTTP timeout).
        Spans and logs drain at once, each on its own worker, so a dead traces endpoint does
        not eat the logs' time; the final metric push starts when they are done, so it
        carries their counts, or at the latest with a share of the time still left, so a dead
        traces endpoint does not cost the last metrics either. What is still running at the
        deadline is left to its daemon thread and counted on ``telemetry_dropped_total``
        (reason ``shutdown``).
        """
        deadline = time.monotonic() + timeout
        if self.bridge is not None:
            root = logging.getLogger()
            root.removeHandler(self.bridge)
            root.setLevel(self.bridge.previous_root_level)
        if self.span_processor is not None:
            self.span_processor.begin_close(deadline)
        self.logs.begin_close(deadline)
        # Processors an app added to the provider flush meanwhile; ours is closing already.
        provider_done = threading.Event()

        def shut_provider_down() -> None:
            self.tracer_provider.shutdown()
            provider_done.set()

        call_within(shut_provider_down, 0.0, "tracer-provider-shutdown")
        if self.metric_pusher is not None:
            self._wait_for_queues(deadline - min(timeout * _METRIC_PUSH_SHARE, _METRIC_PUSH_MAX))
            self.metric_pusher.close(seconds_left(deadline))
        if self.span_processor is not None:
            self.span_processor.finish_close(deadline)
        self.logs.finish_close(deadline)
        provider_done.wait(seconds_left(deadline))

    def _wait_for_queues(self, until: float) -> None:
        """Wait until the span and log workers have exported everything, or until ``until``."""
        queues: list[ExportQueue[Any] | None] = [self.logs.local, self.logs.remote]
        if self.span_processor is not None:
            queues.append(self.span_processor.queue)
        for queue in queues:
            if queue is not None:
                queue.wait_closed(until)


# The final metric push waits for the spans and logs at most until this share of the
# shutdown timeout (and at most this many seconds) is left.
_METRIC_PUSH_SHARE = 0.25
_METRIC_PUSH_MAX = 2.0
_lock = threading.RLock()
_runtime: Runtime | None = None


def init(
    span_exporter: SpanExporter | None = None,
    log_exporter: LogRecordExporter | None = None,
    catalog: AppCatalog | None = None,
    **settings: Any,
) -> Runtime:
    """Start swarmscope once; later calls return the running instance.

    ``span_exporter`` and ``log_exporter`` replace the OTLP/console exporters chosen by the
    settings (tests pass in-memory exporters; apps can pass any OpenTelemetry exporter).
    ``catalog`` is the app's own families and events (``swarmscope.app_catalog``), exported
    beside swarmscope's.
    """
    global _runtime
    if catalog is not None:
        register(catalog)
    with _lock:
        if _runtime is not None:
            wanted = Settings.load(**settings) if settings else None
            late = catalog is not None and any(
                m.name not in _runtime.metrics for m in catalog.metrics
            )
            if late or (wanted is not None and wanted != _runtime.settings):
                warnings.warn(
                    "swarmscope.init() was already called with other settings or catalog; "
                    "call swarmscope.shutdown() first to change them",
                    stacklevel=2,
                )
            return _runtime
        _runtime = _build(Settings.load(**settings), span_exporter, log_exporter)
        return _runtime


def _build(
    settings: Settings,
    span_exporter: SpanExporter | None,
    log_exporter: LogRecordExporter | None,
) -> Runtime:
    disable_created_metrics()
    metrics = MetricSet(settings.namespace, settings.max_label_values, specs=every_metric())
    redactor = Redactor(settings.redact_patterns)
    resource = Resource.create(
        {
            SERVICE_NAME: settings.service_name,
            SERVICE_NAMESPACE: settings.namespace,
            SERVICE_VERSION: settings.service_version,
            DEPLOYMENT_ENVIRONMENT_NAME: settings.environment,
            HOST_NAME: settings.hostname,
            TELEMETRY_DISTRO_NAME: "swarmscope",
            TELEMETRY_DISTRO_VERSION: __version__,
        }
    )

    def dropped(signal: str, reason: str, count: int) -> None:
        metrics["telemetry_dropped_total"].child(signal, reason).inc(count)

    def exported(signal: str, count: int) -> None:
        metrics["telemetry_exported_total"].child(signal).inc(count)

    provider, span_processor = build_tracer_provider(
        settings,
        resource,
        redactor,
        lambda reason, count: dropped("traces", reason, count),
        lambda count: exported("traces", count),
        span_exporter,
    )
    if not settings.sdk_disabled and isinstance(
        trace.get_tracer_provider(), trace.ProxyTracerProvider
    ):
        # Third-party instrumentations (httpx, FastAPI...) then join the same traces.
        trace.set_tracer_provider(provider)
    pipeline = LogPipeline(settings, resource, redactor, dropped, exported, log_exporter)
    configure_structlog(pipeline)
    bridge = None
    if settings.capture_stdlib_logging:
        root = logging.getLogger()
        bridge = StdlibBridge(pipeline, previous_root_level=root.level)
        root.addHandler(bridge)
        root.setLevel(min(root.level or logging.WARNING, pipeline.threshold))
    metric_pusher = None
    # Under a multiprocess server each worker holds part of the totals: scrape /metrics there.
    if settings.exporter("metrics") == "otlp" and multiprocess_dir() is None:
        from swarmscope.telemetry.metric_push import MetricPusher

        metric_pusher = MetricPusher(
            metrics.registry,
            settings.signal_endpoint("metrics"),
            {**resource.attributes, SERVICE_INSTANCE_ID: f"{settings.hostname}:{os.getpid()}"},
            settings.metrics_export_interval_seconds,
            lambda reason, count: dropped("metrics", reason, count),
            lambda count: exported("metrics", count),
        )
    return Runtime(
        settings=settings,
        metrics=metrics,
        tracer_provider=provider,
        # Disabled, spans are no-ops (no trace ids), as the SDK makes them for OTEL_SDK_DISABLED.
        tracer=trace.NoOpTracer()
        if settings.sdk_disabled
        else provider.get_tracer(TRACER_NAME, __version__),
        logs=pipeline,
        redactor=redactor,
        bridge=bridge,
        span_processor=span_processor,
        metric_pusher=metric_pusher,
    )


def current() -> Runtime:
    """The running instance, started from the environment if ``init`` was never called."""
    global _runtime
    runtime = _runtime
    if runtime is not None:
        return runtime
    try:
        return init()
    except ConfigError as exc:
        warnings.warn(f"swarmscope: {exc}; starting with default settings", stacklevel=2)
        with _lock:
            if _runtime is None:
                _runtime = _build(Settings(), None, None)
            return _runtime


def shutdown(timeout: float = 10.0) -> None:
    """Flush every signal and stop; a later ``init`` starts afresh."""
    global _runtime
    with _lock:
        runtime, _runtime = _runtime, None
    if runtime is not None:
        runtime.close(timeout)


def is_initialized() -> bool:
    return _runtime is not None
