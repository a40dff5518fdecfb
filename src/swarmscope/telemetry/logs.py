"""JSON logs through structlog, correlated with the current span, written off the hot path.

In the caller's thread a log call only gathers fields: bound context variables, the current
trace and span ids, level, time. Scrubbing, rendering (orjson, or structlog's console
renderer in development) and I/O happen on export threads, so a slow disk or a dead
collector never adds latency. Standard-library logging is routed through the same pipeline,
so third-party logs carry trace ids too.
"""

from __future__ import annotations

import logging
import logging.handlers
import sys
import time
from collections.abc import Callable, MutableMapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypedDict

import orjson
import structlog
from opentelemetry import trace
from opentelemetry._logs import LogRecord, SeverityNumber
from opentelemetry.context import Context
from opentelemetry.sdk._logs import ReadableLogRecord
from opentelemetry.sdk._logs.export import LogRecordExporter, LogRecordExportResult
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.util.instrumentation import InstrumentationScope
from opentelemetry.trace import SpanContext

from swarmscope.config import Settings
from swarmscope.telemetry.export_queue import (
    ExporterTimeout,
    ExportQueue,
    call_within,
    in_export_thread,
    seconds_left,
)
from swarmscope.telemetry.redact import Redactor

EventDict = MutableMapping[str, Any]
# Set by the pipeline itself, never from user data: not scrubbed (ids are numbers until
# they are written, and a number can look like a card number).
_PIPELINE_FIELDS = frozenset({"timestamp", "trace_id", "span_id", "level", "logger"})
Processor = Callable[[Any, str, EventDict], EventDict]

LEVELS = {"debug": 10, "info": 20, "warning": 30, "error": 40, "critical": 50}
_SEVERITY = {
    "debug": SeverityNumber.DEBUG,
    "info": SeverityNumber.INFO,
    "warning": SeverityNumber.WARN,
    "error": SeverityNumber.ERROR,
    "critical": SeverityNumber.FATAL,
}
_STDLIB_RECORD_FIELDS = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


class QueueLogger:
    """What structlog wraps: carries the logger name; the pipeline's last processor sends."""

    def __init__(self, name: str | None = None) -> None:
        self.name = name or "app"


def add_logger_name(logger: Any, method: str, event: EventDict) -> EventDict:
    event.setdefault("logger", getattr(logger, "name", "app"))
    return event


def add_trace_context(logger: Any, method: str, event: EventDict) -> EventDict:
    """The current span's ids; kept as integers here, written as hex on the export thread."""
    if "trace_id" not in event:
        context = trace.get_current_span().get_span_context()
        if context.trace_id:
            event["trace_id"] = context.trace_id
            event["span_id"] = context.span_id
    return event


def add_level_and_time(logger: Any, method: str, event: EventDict) -> EventDict:
    level = "warning" if method in ("warn", "warning") else method
    event["level"] = "error" if level == "exception" else level
    event.setdefault("timestamp", time.time())
    return event


class _QueueArgs(TypedDict):
    """The settings both of the pipeline's export queues take."""

    max_size: int
    batch_size: int
    interval: float


class LogPipeline:
    """Where every log event goes: local output (stream, rotating files) and OTLP, each queued."""

    def __init__(
        self,
        settings: Settings,
        resource: Resource,
        redactor: Redactor,
        on_drop: Callable[[str, str, int], None],
        on_export: Callable[[str, int], None],
        exporter: LogRecordExporter | None = None,
    ) -> None:
        self.settings = settings
        self._redactor = redactor
        self._on_drop = on_drop
        self._resource = resource
        self._scope = InstrumentationScope("swarmscope")
        self._static = {
            "service": settings.service_name,
            "environment": settings.environment,
            "hostname": settings.hostname,
            "version": settings.service_version,
        }
        self._clock = _IsoClock()
        self._render = self._console_renderer() if settings.log_format == "console" else _json_line
        self._files = _open_files(settings)
        self.exporter = None if settings.sdk_disabled else exporter or _build_log_exporter(settings)
        self._exporter_timeout = ExporterTimeout(self.exporter)
        queue_args: _QueueArgs = {
            "max_size": settings.queue_size,
            "batch_size": settings.export_batch_size,
            "interval": settings.export_interval_seconds,
        }
        self.local: ExportQueue[EventDict] | None = None
        if settings.log_stream != "none" or self._files:
            self.local = ExportQueue(
                "log-output",
                self._write_local,
                lambda reason, n: on_drop("log_output", reason, n),
                lambda n: on_export("log_output", n),
                **queue_args,
            )
        self.remote: ExportQueue[EventDict] | None = None
        if self.exporter is not None:
            self.remote = ExportQueue(
                "logs",
                self._export_remote,
                lambda reason, n: on_drop("logs", reason, n),
                lambda n: on_export("logs", n),
                **queue_args,
            )
        self.threshold = LEVELS[settings.log_level]
        # What runs in the caller's thread: cheap lookups only, nothing is formatted.
        self.gather: list[Processor] = [
            structlog.contextvars.merge_contextvars,
            add_logger_name,
            add_level_and_time,
            add_trace_context,
            structlog.processors.format_exc_info,
        ]

    # -- caller's thread -------------------------------------------------------------------
    def enqueue(self, event: EventDict) -> None:
        if self.local is not None:
            self.local.put(event)
        if self.remote is not None and not in_export_thread():
            self.remote.put(event)

    def structlog_sink(self, logger: Any, method: str, event: EventDict) -> EventDict:
        """structlog's last processor: queue the event and stop the chain."""
        self.enqueue(event)
        raise structlog.DropEvent

    def emit(self, logger: Any, method: str, event: EventDict) -> None:
        """Gather and queue an event that did not come through structlog (stdlib records)."""
        for processor in self.gather:
            event = processor(logger, method, event)
        self.enqueue(event)

    def sdk_event(
        self, name: str, level: str, fields: EventDict, span_context: SpanContext | None = None
    ) -> None:
        """The gather chain folded into one call, for swarmscope's own catalog events.

        They never carry ``exc_info`` and always come from the SDK logger, so this is the
        chain's result without a function call per step: it runs on every instrumented call.
        """
        fields["event"] = name
        fields["level"] = level
        fields["logger"] = "swarmscope"
        fields["timestamp"] = time.time()
        context = span_context or trace.get_current_span().get_span_context()
        if context.trace_id:
            fields["trace_id"] = context.trace_id
            fields["span_id"] = context.span_id
        structlog.contextvars.merge_contextvars(None, level, fields)
        self.enqueue(fields)

    # -- export threads --------------------------------------------------------------------
    def _prepare(self, event: EventDict) -> dict[str, Any]:
        """The event as a line holds it: scrubbed, time and ids written out, service fields."""
        clean = self._redactor.fields(event, keep=_PIPELINE_FIELDS)
        timestamp = clean.get("timestamp")
        if isinstance(timestamp, float):
            clean["timestamp"] = self._clock.iso(timestamp)
        trace_id = clean.get("trace_id")
        if isinstance(trace_id, int):
            clean["trace_id"] = f"{trace_id:032x}"
            clean["span_id"] = f"{clean.get('span_id') or 0:016x}"
        clean.update(self._static)
        return clean

    def _rendered(self, events: Sequence[EventDict]) -> list[tuple[str, str]]:
        """Each event as a line; one that cannot be rendered is dropped and counted alone."""
        lines = []
        for event in events:
            try:
                lines.append((self._render(self._prepare(event)), str(event.get("level", "info"))))
            except Exception:
                self._on_drop("log_output", "render_failed", 1)
        return lines

    def _write_local(self, events: Sequence[EventDict]) -> bool:
        lines = self._rendered(events)
        if self.settings.log_stream != "none":
            stream = sys.stdout if self.settings.log_stream == "stdout" else sys.stderr
            stream.write("".join(line for line, _ in lines))
            stream.flush()
        for handler in self._files:
            # One record per batch: rotation is checked per batch, not per line.
            text = "".join(line for line, level in lines if LEVELS.get(level, 20) >= handler.level)
            if text:
                handler.emit(logging.makeLogRecord({"msg": text.rstrip("\n")}))
                handler.flush()
        return True

    def _export_remote(self, events: Sequence[EventDict]) -> bool:
        assert self.exporter is not None and self.remote is not None
        self._exporter_timeout.limit(self.remote.seconds_left())
        records = []
        for event in events:
            try:
                records.append(self._to_otel(event))
            except Exception:
                self._on_drop("logs", "render_failed", 1)
        return not records or self.exporter.export(records) is LogRecordExportResult.SUCCESS

    def _to_otel(self, event: EventDict) -> ReadableLogRecord:
        """The event as an OpenTelemetry log record: scrubbed fields become attributes.

        Time and ids go into the record's own fields as the event holds them (numbers), not
        through the text a line writes.
        """
        clean = self._redactor.fields(event, keep=_PIPELINE_FIELDS)
        level = clean.pop("level", "info")
        trace_id = clean.pop("trace_id", None)
        span_id = clean.pop("span_id", None)
        timestamp = clean.pop("timestamp", None)
        name = str(clean.pop("event", ""))
        for key in self._static:
            clean.pop(key, None)
        record = LogRecord(
            timestamp=int(timestamp * 1e9) if isinstance(timestamp, float) else time.time_ns(),
            context=_span_context(trace_id, span_id),
            severity_text=level.upper(),
            severity_number=_SEVERITY.get(level, SeverityNumber.INFO),
            body=str(clean.pop("message", name)),
            attributes={key: _attribute(value) for key, value in clean.items() if value is not None}
            | {"event": name},
            event_name=name,
        )
        return ReadableLogRecord(record, resource=self._resource, instrumentation_scope=self._scope)

    def _console_renderer(self) -> Callable[[dict[str, Any]], str]:
        renderer = structlog.dev.ConsoleRenderer(colors=sys.stdout.isatty())

        def render(event: dict[str, Any]) -> str:
            return str(renderer(None, "info", dict(event))) + "\n"

        return render

    # -- lifecycle -------------------------------------------------------------------------
    def flush(self, timeout: float = 10.0) -> bool:
        ok = True
        for queue in (self.local, self.remote):
            if queue is not None:
                ok = queue.flush(timeout) and ok
        return ok

    def begin_close(self, deadline: float) -> None:
        """Start writing and exporting what is queued, both at once, to be done by ``deadline``."""
        for queue in (self.local, self.remote):
            if queue is not None:
                queue.begin_close(deadline)

    def finish_close(self, deadline: float) -> None:
        """Wait for both queues until ``deadline``; then release the exporter and the files.

        What is left at the deadline is counted as dropped. The exporter's shutdown and the
        files' close run on their own threads with what time is left: a file handler's close
        waits for its lock, which a write stuck on a slow disk holds.
        """
        for queue in (self.local, self.remote):
            if queue is not None:
                queue.finish_close()
        if self.exporter is not None:
            call_within(self.exporter.shutdown, seconds_left(deadline), "logs-exporter-shutdown")
        if self._files:
            files = self._files

            def close_files() -> None:
                for handler in files:
                    handler.close()

            call_within(close_files, seconds_left(deadline), "log-files-close")

    def close(self, timeout: float = 5.0) -> None:
        """Write and export what is queued within ``timeout`` seconds, then release files."""
        deadline = time.monotonic() + timeout
        self.begin_close(deadline)
        self.finish_close(deadline)


class StdlibBridge(logging.Handler):
    """Routes standard-library log records through the swarmscope pipeline."""

    def __init__(self, pipeline: LogPipeline, previous_root_level: int = logging.WARNING) -> None:
        super().__init__(level=pipeline.threshold)
        self._pipeline = pipeline
        # The root level swarmscope lowered to see records; restored on shutdown.
        self.previous_root_level = previous_root_level

    def emit(self, record: logging.LogRecord) -> None:
        try:
            event: dict[str, Any] = {
                key: value
                for key, value in vars(record).items()
                if key not in _STDLIB_RECORD_FIELDS and not key.startswith("_")
            }
            event["event"] = record.getMessage()
            event["logger"] = record.name
            event["timestamp"] = record.created
            if record.exc_info:
                event["exc_info"] = record.exc_info
            method = logging.getLevelName(record.levelno).lower()
            self._pipeline.emit(None, method if method in LEVELS else "info", event)
        except Exception:
            self.handleError(record)


def _json_line(event: dict[str, Any]) -> str:
    return orjson.dumps(event, default=str, option=orjson.OPT_APPEND_NEWLINE).decode()


class _IsoClock:
    """RFC 3339 UTC timestamps with microseconds; the seconds part is formatted once a second."""

    def __init__(self) -> None:
        # One tuple, swapped whole: export threads share the clock without a lock.
        self._cached: tuple[int, str] = (-1, "")

    def iso(self, timestamp: float) -> str:
        second = int(timestamp)
        cached_second, prefix = self._cached
        if second != cached_second:
            prefix = datetime.fromtimestamp(second, UTC).strftime("%Y-%m-%dT%H:%M:%S")
            self._cached = (second, prefix)
        return f"{prefix}.{int((timestamp - second) * 1e6):06d}Z"


def _span_context(trace_id: int | str | None, span_id: int | str | None) -> Context | None:
    """The context an OpenTelemetry record takes its trace and span from: the ids the event
    was stamped with in the caller's thread (numbers, or hex text from an app's own fields),
    as a sampled span's. The record is built later, in the export thread, so the current
    context there is not the event's."""
    if not trace_id:
        return None
    ids = SpanContext(
        trace_id=int(trace_id, 16) if isinstance(trace_id, str) else trace_id,
        span_id=(int(span_id, 16) if isinstance(span_id, str) else span_id) or 0,
        is_remote=False,
        trace_flags=_SAMPLED,
    )
    return trace.set_span_in_context(trace.NonRecordingSpan(ids))


_SAMPLED = trace.TraceFlags(1)


def _attribute(value: Any) -> Any:
    if isinstance(value, str | bool | int | float):
        return value
    if isinstance(value, list | tuple) and all(isinstance(v, str) for v in value):
        return list(value)
    return orjson.dumps(value, default=str).decode()


def _open_files(settings: Settings) -> list[logging.Handler]:
    if not settings.log_file:
        return []
    path = Path(settings.log_file)
    path.parent.mkdir(parents=True, exist_ok=True)
    error_path = path.with_name(f"{path.stem}.error{path.suffix or '.log'}")
    handlers: list[logging.Handler] = []
    for target, level in ((path, logging.DEBUG), (error_path, logging.ERROR)):
        handler = logging.handlers.RotatingFileHandler(
            target,
            maxBytes=settings.log_file_max_bytes,
            backupCount=settings.log_file_backups,
            encoding="utf-8",
        )
        handler.setLevel(level)
        handlers.append(handler)
    return handlers


def _build_log_exporter(settings: Settings) -> LogRecordExporter | None:
    exporter = settings.exporter("logs")
    if exporter == "console":
        # Each record as OTLP would carry it, printed to stdout (the human-readable line is
        # log_format="console"); the stream is read now, not when OpenTelemetry was imported.
        from opentelemetry.sdk._logs.export import ConsoleLogRecordExporter

        return ConsoleLogRecordExporter(out=sys.stdout)
    if exporter != "otlp":
        return None
    from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter

    return OTLPLogExporter(endpoint=settings.signal_endpoint("logs"))


def configure_structlog(pipeline: LogPipeline) -> None:
    """Point structlog's global configuration at the pipeline."""
    structlog.configure(
        processors=[*pipeline.gather, pipeline.structlog_sink],
        wrapper_class=structlog.make_filtering_bound_logger(pipeline.threshold),
        logger_factory=QueueLogger,
        cache_logger_on_first_use=False,
    )
