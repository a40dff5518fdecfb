"""The OTLP payloads real instrumentors sent (tests/fixtures/otlp/), moved to the present.

The fixtures were recorded once (tests/fixtures/record.py); their timestamps are from that
day. A server keeps only recent data and dashboards read recent windows, so ``load`` shifts
every time field of every payload by one offset that puts the latest instant at about now,
keeping the durations and order the instrumentor produced.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from google.protobuf.message import Message
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
)
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

FIXTURES = Path(__file__).parent / "fixtures" / "otlp"
REQUESTS: dict[str, type[Message]] = {
    "traces": ExportTraceServiceRequest,
    "logs": ExportLogsServiceRequest,
    "metrics": ExportMetricsServiceRequest,
}
POINT_KINDS = ("gauge", "sum", "histogram", "exponential_histogram", "summary")


def conventions() -> list[str]:
    """Every recorded convention (one folder each)."""
    return sorted(path.name for path in FIXTURES.iterdir() if any(path.glob("*.binpb")))


def parsed(convention: str) -> list[tuple[str, Any]]:
    """The convention's request messages in recording order within each signal."""
    folder = FIXTURES / convention
    if not folder.is_dir():
        raise FileNotFoundError(f"no OTLP fixture named {convention!r} in {FIXTURES}")
    found = []
    for path in sorted(folder.glob("*.binpb")):
        signal = path.name.split("-", 1)[0]
        found.append((signal, REQUESTS[signal].FromString(path.read_bytes())))
    return found


def load(convention: str, now_ns: int | None = None) -> list[tuple[str, bytes]]:
    """(signal, protobuf body) for each recorded request, its times shifted so the latest
    one is ``now_ns`` (default: now)."""
    requests = parsed(convention)
    latest = max(stamp for _, request in requests for stamp, _ in time_fields(request))
    offset = (time.time_ns() if now_ns is None else now_ns) - latest
    for _, request in requests:
        for stamp, assign in list(time_fields(request)):
            assign(stamp + offset)
    return [(signal, request.SerializeToString()) for signal, request in requests]


def post(url: str, convention: str) -> None:
    """Send a recorded convention to the server at ``url`` over OTLP/HTTP, times moved to now."""
    import httpx

    for signal, body in load(convention):
        answer = httpx.post(
            f"{url}/v1/{signal}",
            content=body,
            headers={"content-type": "application/x-protobuf"},
            timeout=30,
        )
        assert answer.status_code == 200, answer.text


def time_fields(request: Any) -> Iterator[tuple[int, Any]]:
    """(value, setter) for every non-zero time field of an export request (zero means unset
    in OTLP and must stay zero)."""
    for owner, name in time_owners(request):
        stamp = getattr(owner, name)
        if stamp:
            yield stamp, lambda value, owner=owner, name=name: setattr(owner, name, value)


def time_owners(request: Any) -> Iterator[tuple[Any, str]]:
    for resource_spans in getattr(request, "resource_spans", []):
        for scope_spans in resource_spans.scope_spans:
            for span in scope_spans.spans:
                yield span, "start_time_unix_nano"
                yield span, "end_time_unix_nano"
                for event in span.events:
                    yield event, "time_unix_nano"
    for resource_logs in getattr(request, "resource_logs", []):
        for scope_logs in resource_logs.scope_logs:
            for record in scope_logs.log_records:
                yield record, "time_unix_nano"
                yield record, "observed_time_unix_nano"
    for resource_metrics in getattr(request, "resource_metrics", []):
        for scope_metrics in resource_metrics.scope_metrics:
            for metric in scope_metrics.metrics:
                kind = metric.WhichOneof("data")
                for point in getattr(metric, kind).data_points if kind in POINT_KINDS else []:
                    yield point, "start_time_unix_nano"
                    yield point, "time_unix_nano"
                    for exemplar in getattr(point, "exemplars", []):
                        yield exemplar, "time_unix_nano"


def spans(convention: str) -> list[Any]:
    """Every span message the convention's trace payloads hold."""
    return [
        span
        for signal, request in parsed(convention)
        if signal == "traces"
        for resource_spans in request.resource_spans
        for scope_spans in resource_spans.scope_spans
        for span in scope_spans.spans
    ]


def log_records(convention: str) -> list[Any]:
    """Every log record the convention's log payloads hold."""
    return [
        record
        for signal, request in parsed(convention)
        if signal == "logs"
        for resource_logs in request.resource_logs
        for scope_logs in resource_logs.scope_logs
        for record in scope_logs.log_records
    ]
