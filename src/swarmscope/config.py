"""Settings: keyword arguments first, then ``SWARMSCOPE_*`` and standard ``OTEL_*`` variables.

Every setting has one name and is declared once, with ``setting(...)``: its default, the
variables that set it and the check its value must pass sit beside the field.
``Settings.load(**overrides)`` reads the environment once, so an app configured by a deploy
tool and one configured in code behave the same way.
"""

from __future__ import annotations

import re
import socket
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from swarmscope.exceptions import ConfigError
from swarmscope.settings_fields import (
    check_fields,
    one_of,
    parse_bool,
    positive,
    read_fields,
    setting,
)
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


def _patterns(raw: str) -> tuple[str, ...]:
    return tuple(part for part in (p.strip() for p in raw.split(",")) if part)


def _seconds_from_millis(raw: str) -> float:
    return float(raw) / 1000.0


def _is_re2(patterns: tuple[str, ...]) -> bool:
    for pattern in patterns:
        try:
            compile_pattern(pattern)
        except ValueError as exc:
            raise ConfigError(
                f"redact_patterns: {pattern!r} is not an RE2 regex ({exc}); scrubbing runs"
                " in the app's thread, so patterns must match in linear time: no"
                " backreferences or lookaround"
            ) from None
    return True


@dataclass(frozen=True)
class Settings:
    service_name: str = setting(
        "swarmscope-app", env=("SWARMSCOPE_SERVICE_NAME", "OTEL_SERVICE_NAME")
    )
    namespace: str = setting(
        "swarmscope",
        env=("SWARMSCOPE_NAMESPACE",),
        check=lambda value: re.fullmatch(r"[a-zA-Z_][a-zA-Z0-9_]*", value),
    )
    environment: str = setting("development", env=("SWARMSCOPE_ENVIRONMENT",))
    service_version: str = setting("unknown", env=("SWARMSCOPE_SERVICE_VERSION",))
    hostname: str = setting(env=("SWARMSCOPE_HOSTNAME",), factory=socket.gethostname)

    # Traces, logs and metrics leave the process over OTLP/HTTP when an endpoint is set;
    # metrics are also always served for scraping at /metrics. As in the OpenTelemetry spec,
    # ``otlp_endpoint`` is a base URL that gets ``/v1/<signal>`` appended, while a per-signal
    # endpoint is the full URL, used as is, and wins over the base for its signal.
    otlp_endpoint: str | None = setting(
        None, env=("SWARMSCOPE_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT")
    )
    traces_endpoint: str | None = setting(None, env=("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",))
    logs_endpoint: str | None = setting(None, env=("OTEL_EXPORTER_OTLP_LOGS_ENDPOINT",))
    metrics_endpoint: str | None = setting(None, env=("OTEL_EXPORTER_OTLP_METRICS_ENDPOINT",))
    traces_exporter: str = setting(
        "none",
        env=("SWARMSCOPE_TRACES_EXPORTER", "OTEL_TRACES_EXPORTER"),
        parse=str.lower,
        check=one_of(EXPORTERS),
    )
    logs_exporter: str = setting(
        "none",
        env=("SWARMSCOPE_LOGS_EXPORTER", "OTEL_LOGS_EXPORTER"),
        parse=str.lower,
        check=one_of(EXPORTERS),
    )
    metrics_exporter: str = setting(
        "none",
        env=("SWARMSCOPE_METRICS_EXPORTER", "OTEL_METRICS_EXPORTER"),
        parse=str.lower,
        check=one_of(METRICS_EXPORTERS),
    )
    metrics_export_interval_seconds: float = setting(
        10.0, env=("OTEL_METRIC_EXPORT_INTERVAL",), parse=_seconds_from_millis, check=positive
    )
    # The spec's sampler names; ``sample_ratio`` is the argument of the ratio samplers only.
    traces_sampler: str = setting(
        "parentbased_traceidratio",
        env=("SWARMSCOPE_TRACES_SAMPLER", "OTEL_TRACES_SAMPLER"),
        parse=str.lower,
        check=one_of(SAMPLERS),
    )
    sample_ratio: float = setting(
        1.0,
        env=("SWARMSCOPE_SAMPLE_RATIO", "OTEL_TRACES_SAMPLER_ARG"),
        parse=float,
        check=lambda value: 0.0 <= value <= 1.0,
    )
    # OTEL_SDK_DISABLED: nothing is exported (no OTLP, no console spans, no metric push);
    # instrumentation still runs, metrics still count for /metrics, log lines still go to
    # the local stream and files.
    sdk_disabled: bool = setting(
        False, env=("SWARMSCOPE_SDK_DISABLED", "OTEL_SDK_DISABLED"), parse=parse_bool
    )

    log_level: str = setting(
        "info", env=("SWARMSCOPE_LOG_LEVEL",), parse=str.lower, check=one_of(LOG_LEVELS)
    )
    log_format: str = setting(
        "json", env=("SWARMSCOPE_LOG_FORMAT",), parse=str.lower, check=one_of(LOG_FORMATS)
    )
    log_stream: str = setting(
        "stdout", env=("SWARMSCOPE_LOG_STREAM",), parse=str.lower, check=one_of(LOG_STREAMS)
    )
    log_file: str | None = setting(None, env=("SWARMSCOPE_LOG_FILE",))
    log_file_max_bytes: int = setting(
        10 * 1024 * 1024, env=("SWARMSCOPE_LOG_FILE_MAX_BYTES",), parse=int, check=positive
    )
    log_file_backups: int = setting(
        5, env=("SWARMSCOPE_LOG_FILE_BACKUPS",), parse=int, check=lambda value: value >= 0
    )
    capture_stdlib_logging: bool = setting(
        True, env=("SWARMSCOPE_CAPTURE_STDLIB_LOGGING",), parse=parse_bool
    )

    # Never hurt the host: bounded queues and bounded label vocabularies.
    queue_size: int = setting(
        4096, env=("SWARMSCOPE_QUEUE_SIZE", "OTEL_BSP_MAX_QUEUE_SIZE"), parse=int, check=positive
    )
    export_batch_size: int = setting(
        512,
        env=("SWARMSCOPE_EXPORT_BATCH_SIZE", "OTEL_BSP_MAX_EXPORT_BATCH_SIZE"),
        parse=int,
        check=positive,
    )
    export_interval_seconds: float = setting(
        1.0, env=("OTEL_BSP_SCHEDULE_DELAY",), parse=_seconds_from_millis, check=positive
    )
    max_label_values: int = setting(
        200, env=("SWARMSCOPE_MAX_LABEL_VALUES",), parse=int, check=positive
    )
    redact_patterns: tuple[str, ...] = setting(
        (), env=("SWARMSCOPE_REDACT_PATTERNS",), parse=_patterns, check=_is_re2
    )

    @classmethod
    def load(cls, env: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Build settings from keyword arguments, falling back to the environment."""
        values = read_fields(cls, env, overrides)
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
        check_fields(self)
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
