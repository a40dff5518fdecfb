"""Settings: keyword arguments first, then ``SWARMSCOPE_*`` and standard ``OTEL_*`` variables.

Every setting has one name. ``Settings.load(**overrides)`` reads the environment once, so
an app configured by a deploy tool and one configured in code behave the same way.
"""

from __future__ import annotations

import dataclasses
import os
import re
import socket
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from swarmscope.telemetry.secrets import compile_pattern

LOG_LEVELS = ("debug", "info", "warning", "error", "critical")
EXPORTERS = ("otlp", "console", "none")
# Metrics are always scrapeable at /metrics; the exporter only adds an OTLP push.
METRICS_EXPORTERS = ("otlp", "none")
LOG_FORMATS = ("json", "console")
SIGNALS = ("traces", "logs", "metrics")
# OTEL_TRACES_SAMPLER's values that need nothing outside this process.
SAMPLERS = (
    "always_on",
    "always_off",
    "traceidratio",
    "parentbased_always_on",
    "parentbased_always_off",
    "parentbased_traceidratio",
)
LOG_STREAMS = ("stdout", "stderr", "none")


class ConfigError(ValueError):
    """A setting has a value swarmscope cannot use; the message names the setting."""


@dataclass(frozen=True)
class Settings:
    service_name: str = "swarmscope-app"
    namespace: str = "swarmscope"
    environment: str = "development"
    service_version: str = "unknown"
    hostname: str = field(default_factory=socket.gethostname)

    # Traces, logs and metrics leave the process over OTLP/HTTP when an endpoint is set;
    # metrics are also always served for scraping at /metrics. As in the OpenTelemetry spec,
    # ``otlp_endpoint`` is a base URL that gets ``/v1/<signal>`` appended, while a per-signal
    # endpoint is the full URL, used as is, and wins over the base for its signal.
    otlp_endpoint: str | None = None
    traces_endpoint: str | None = None
    logs_endpoint: str | None = None
    metrics_endpoint: str | None = None
    traces_exporter: str = "none"
    logs_exporter: str = "none"
    metrics_exporter: str = "none"
    metrics_export_interval_seconds: float = 10.0
    # The spec's sampler names; ``sample_ratio`` is the argument of the ratio samplers only.
    traces_sampler: str = "parentbased_traceidratio"
    sample_ratio: float = 1.0
    # OTEL_SDK_DISABLED: nothing is exported (no OTLP, no console spans, no metric push);
    # instrumentation still runs, metrics still count for /metrics, log lines still go to
    # the local stream and files.
    sdk_disabled: bool = False

    log_level: str = "info"
    log_format: str = "json"
    log_stream: str = "stdout"
    log_file: str | None = None
    log_file_max_bytes: int = 10 * 1024 * 1024
    log_file_backups: int = 5
    capture_stdlib_logging: bool = True

    # Never hurt the host: bounded queues and bounded label vocabularies.
    queue_size: int = 4096
    export_batch_size: int = 512
    export_interval_seconds: float = 1.0
    max_label_values: int = 200
    redact_patterns: tuple[str, ...] = ()

    @classmethod
    def load(cls, env: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Build settings from keyword arguments, falling back to the environment."""
        env = os.environ if env is None else env
        unknown = set(overrides) - {f.name for f in dataclasses.fields(cls)}
        if unknown:
            raise ConfigError(f"unknown setting(s): {', '.join(sorted(unknown))}")
        values: dict[str, Any] = {}
        for name, (variables, parse) in _ENV_SOURCES.items():
            if name in overrides and overrides[name] is not None:
                values[name] = overrides[name]
                continue
            for variable in variables:
                raw = env.get(variable)
                if raw is not None and raw.strip() != "":
                    values[name] = _parse(variable, raw.strip(), parse)
                    break
        for signal in SIGNALS:
            # An endpoint, the signal's own or the shared one, turns its exporter on.
            if f"{signal}_endpoint" in values or "otlp_endpoint" in values:
                values.setdefault(f"{signal}_exporter", "otlp")
            if values.get("sdk_disabled") is True:
                values[f"{signal}_exporter"] = "none"
        settings = cls(**values)
        settings.validate()
        return settings

    def validate(self) -> None:
        for spec in dataclasses.fields(self):
            value = getattr(self, spec.name)
            expected = _TYPES.get(spec.name)
            if expected is None or expected is bool:
                wrong = expected is bool and not isinstance(value, bool)
            else:
                wrong = not isinstance(value, expected) or isinstance(value, bool)
            if wrong:
                raise ConfigError(f"{spec.name}: {value!r} is not a {_type_word(expected)}")
        _require(
            re.fullmatch(r"[a-zA-Z_][a-zA-Z0-9_]*", self.namespace), "namespace", self.namespace
        )
        _require(self.log_level in LOG_LEVELS, "log_level", self.log_level)
        _require(self.log_format in LOG_FORMATS, "log_format", self.log_format)
        _require(self.log_stream in LOG_STREAMS, "log_stream", self.log_stream)
        _require(self.traces_exporter in EXPORTERS, "traces_exporter", self.traces_exporter)
        _require(self.logs_exporter in EXPORTERS, "logs_exporter", self.logs_exporter)
        _require(
            self.metrics_exporter in METRICS_EXPORTERS, "metrics_exporter", self.metrics_exporter
        )
        _require(
            self.metrics_export_interval_seconds > 0,
            "metrics_export_interval_seconds",
            self.metrics_export_interval_seconds,
        )
        _require(self.traces_sampler in SAMPLERS, "traces_sampler", self.traces_sampler)
        _require(0.0 <= self.sample_ratio <= 1.0, "sample_ratio", self.sample_ratio)
        _require(self.max_label_values >= 1, "max_label_values", self.max_label_values)
        _require(self.queue_size >= 1, "queue_size", self.queue_size)
        _require(self.export_batch_size >= 1, "export_batch_size", self.export_batch_size)
        _require(
            self.export_interval_seconds > 0,
            "export_interval_seconds",
            self.export_interval_seconds,
        )
        for pattern in self.redact_patterns:
            try:
                compile_pattern(pattern)
            except ValueError as exc:
                raise ConfigError(
                    f"redact_patterns: {pattern!r} is not an RE2 regex ({exc}); scrubbing runs"
                    " in the app's thread, so patterns must match in linear time: no"
                    " backreferences or lookaround"
                ) from None
        for signal in SIGNALS:
            if getattr(self, f"{signal}_exporter") != "otlp" or self.sdk_disabled:
                continue
            if not (self.otlp_endpoint or getattr(self, f"{signal}_endpoint")):
                raise ConfigError(
                    f"{signal}_exporter='otlp' needs otlp_endpoint or {signal}_endpoint "
                    f"(OTEL_EXPORTER_OTLP_ENDPOINT or "
                    f"OTEL_EXPORTER_OTLP_{signal.upper()}_ENDPOINT)"
                )

    def exporter(self, signal: str) -> str:
        """The exporter actually used for a signal: 'none' whenever the SDK is disabled."""
        return "none" if self.sdk_disabled else getattr(self, f"{signal}_exporter")

    def signal_endpoint(self, signal: str) -> str:
        """The OTLP/HTTP URL for one signal ('traces', 'logs' or 'metrics')."""
        specific = getattr(self, f"{signal}_endpoint")
        if specific:
            return specific
        base = (self.otlp_endpoint or "").rstrip("/")
        return f"{base}/v1/{signal}"


_TYPES: dict[str, type | tuple[type, ...]] = {
    "sample_ratio": (int, float),
    "export_interval_seconds": (int, float),
    "metrics_export_interval_seconds": (int, float),
    "log_file_max_bytes": int,
    "log_file_backups": int,
    "queue_size": int,
    "export_batch_size": int,
    "max_label_values": int,
    "capture_stdlib_logging": bool,
    "sdk_disabled": bool,
    "namespace": str,
    "service_name": str,
}


def _type_word(expected: type | tuple[type, ...] | None) -> str:
    if expected == (int, float):
        return "number"
    return getattr(expected, "__name__", "value")


def _require(ok: object, name: str, value: object) -> None:
    if not ok:
        raise ConfigError(f"{name}: {value!r} is not a valid value")


def _parse(variable: str, raw: str, parse: Callable[[str], Any]) -> Any:
    try:
        return parse(raw)
    except ValueError as exc:
        raise ConfigError(f"{variable}={raw!r}: {exc}") from None


def _bool(raw: str) -> bool:
    lowered = raw.lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise ValueError("expected true or false")


def _patterns(raw: str) -> tuple[str, ...]:
    return tuple(part for part in (p.strip() for p in raw.split(",")) if part)


def _seconds_from_millis(raw: str) -> float:
    return float(raw) / 1000.0


# setting -> (variables in order of precedence, parser)
_ENV_SOURCES: dict[str, tuple[tuple[str, ...], Callable[[str], Any]]] = {
    "service_name": (("SWARMSCOPE_SERVICE_NAME", "OTEL_SERVICE_NAME"), str),
    "namespace": (("SWARMSCOPE_NAMESPACE",), str),
    "environment": (("SWARMSCOPE_ENVIRONMENT",), str),
    "service_version": (("SWARMSCOPE_SERVICE_VERSION",), str),
    "hostname": (("SWARMSCOPE_HOSTNAME",), str),
    "otlp_endpoint": (("SWARMSCOPE_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT"), str),
    "traces_endpoint": (("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",), str),
    "logs_endpoint": (("OTEL_EXPORTER_OTLP_LOGS_ENDPOINT",), str),
    "metrics_endpoint": (("OTEL_EXPORTER_OTLP_METRICS_ENDPOINT",), str),
    "traces_exporter": (("SWARMSCOPE_TRACES_EXPORTER", "OTEL_TRACES_EXPORTER"), str.lower),
    "logs_exporter": (("SWARMSCOPE_LOGS_EXPORTER", "OTEL_LOGS_EXPORTER"), str.lower),
    "metrics_exporter": (("SWARMSCOPE_METRICS_EXPORTER", "OTEL_METRICS_EXPORTER"), str.lower),
    "metrics_export_interval_seconds": (("OTEL_METRIC_EXPORT_INTERVAL",), _seconds_from_millis),
    "traces_sampler": (("SWARMSCOPE_TRACES_SAMPLER", "OTEL_TRACES_SAMPLER"), str.lower),
    "sample_ratio": (("SWARMSCOPE_SAMPLE_RATIO", "OTEL_TRACES_SAMPLER_ARG"), float),
    "sdk_disabled": (("SWARMSCOPE_SDK_DISABLED", "OTEL_SDK_DISABLED"), _bool),
    "log_level": (("SWARMSCOPE_LOG_LEVEL",), str.lower),
    "log_format": (("SWARMSCOPE_LOG_FORMAT",), str.lower),
    "log_stream": (("SWARMSCOPE_LOG_STREAM",), str.lower),
    "log_file": (("SWARMSCOPE_LOG_FILE",), str),
    "log_file_max_bytes": (("SWARMSCOPE_LOG_FILE_MAX_BYTES",), int),
    "log_file_backups": (("SWARMSCOPE_LOG_FILE_BACKUPS",), int),
    "capture_stdlib_logging": (("SWARMSCOPE_CAPTURE_STDLIB_LOGGING",), _bool),
    "queue_size": (("SWARMSCOPE_QUEUE_SIZE", "OTEL_BSP_MAX_QUEUE_SIZE"), int),
    "export_batch_size": (("SWARMSCOPE_EXPORT_BATCH_SIZE", "OTEL_BSP_MAX_EXPORT_BATCH_SIZE"), int),
    "export_interval_seconds": (("OTEL_BSP_SCHEDULE_DELAY",), _seconds_from_millis),
    "max_label_values": (("SWARMSCOPE_MAX_LABEL_VALUES",), int),
    "redact_patterns": (("SWARMSCOPE_REDACT_PATTERNS",), _patterns),
}
