"""Shared fixtures: a live swarmscope runtime whose spans, log records and log lines tests can read."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from opentelemetry.sdk._logs.export import InMemoryLogRecordExporter
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import swarmscope
from swarmscope.telemetry.runtime import Runtime

NAMESPACE = "sergas"


@dataclass
class Captured:
    """What one test's instrumentation produced, read back after a flush."""

    rt: Runtime
    span_exporter: InMemorySpanExporter
    log_exporter: InMemoryLogRecordExporter
    log_file: Path

    def flush(self) -> None:
        assert self.rt.flush(timeout=10), "telemetry did not flush in time"

    def spans(self) -> list[ReadableSpan]:
        self.flush()
        return list(self.span_exporter.get_finished_spans())

    def span(self, name: str) -> ReadableSpan:
        matches = [s for s in self.spans() if s.name == name]
        assert len(matches) == 1, (
            f"expected one span {name!r}, got {[s.name for s in self.spans()]}"
        )
        return matches[0]

    def lines(self) -> list[dict[str, Any]]:
        """The JSON log lines written to the log file."""
        self.flush()
        if not self.log_file.exists():
            return []
        return [json.loads(line) for line in self.log_file.read_text().splitlines() if line]

    def events(self, name: str) -> list[dict[str, Any]]:
        return [line for line in self.lines() if line.get("event") == name]

    def metric(self, name: str, **labels: str) -> float:
        """A sample of the namespaced family ``name`` (0.0 when the series does not exist)."""
        value = self.rt.metrics.registry.get_sample_value(f"{NAMESPACE}_{name}", labels)
        return 0.0 if value is None else value

    def total(self, name: str) -> float:
        """The sum of the samples ``name`` (a counter's ``..._total``) over all label values."""
        return sum(
            sample.value
            for metric in self.rt.metrics.registry.collect()
            for sample in metric.samples
            if sample.name == f"{NAMESPACE}_{name}"
        )


@pytest.fixture
def telemetry(tmp_path: Path) -> Iterator[Captured]:
    swarmscope.shutdown()
    span_exporter = InMemorySpanExporter()
    log_exporter = InMemoryLogRecordExporter()
    log_file = tmp_path / "logs" / "app.log"
    rt = swarmscope.init(
        service_name="test-service",
        namespace=NAMESPACE,
        environment="test",
        span_exporter=span_exporter,
        log_exporter=log_exporter,
        log_stream="none",
        log_file=str(log_file),
        log_level="debug",
        export_interval_seconds=0.05,
    )
    try:
        yield Captured(rt, span_exporter, log_exporter, log_file)
    finally:
        swarmscope.shutdown()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Any]:
    """An empty server store in the test's folder, closed after the test."""
    from swarmscope.server.store.database import Store  # the server's extra, not the SDK's

    opened = Store(tmp_path / "store.duckdb")
    try:
        yield opened
    finally:
        opened.close()


@pytest.fixture(autouse=True)
def no_span_left_current() -> Iterator[None]:
    """Fail the test that leaves a span current: every later test would run inside it (its
    logs would carry a stranger's trace id, its spans a stranger's parent)."""
    yield
    from opentelemetry import trace

    left = trace.get_current_span().get_span_context()
    assert not left.is_valid, f"a span is still current after the test: {left}"


@pytest.fixture
def server(store: Any) -> Iterator[str]:
    """A server with default settings over the test's ``store``, on a loopback port."""
    from loopback import serve
    from swarmscope.server.app import create_app

    with serve(create_app(store)) as url:
        yield url
