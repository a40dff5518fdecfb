"""The spans frameworks start through the global tracer provider, for each test's exporter.

A framework that traces itself (the MCP SDK, a2a-sdk) uses the global provider, which a
process sets once: swarmscope's first runtime. The runtimes later tests start are not global,
so their exporters see those spans only through the forwarder this fixture installs.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

if TYPE_CHECKING:  # the suite's conftest; the examples' has the same module name
    from conftest import Captured


class ToThisTest(SpanProcessor):
    """Hands each span the global provider ends to the running test's exporter."""

    exporter: InMemorySpanExporter | None = None

    def on_end(self, span: ReadableSpan) -> None:
        if self.exporter is not None:
            self.exporter.export([span])


TO_THIS_TEST = ToThisTest()
_joined: set[int] = set()


@pytest.fixture
def global_spans(telemetry: Captured) -> Iterator[Captured]:
    """``telemetry``, whose exporter also receives the spans of the global provider."""
    provider = trace.get_tracer_provider()
    if provider is not telemetry.rt.tracer_provider:
        assert isinstance(provider, TracerProvider)
        if id(provider) not in _joined:
            provider.add_span_processor(TO_THIS_TEST)
            _joined.add(id(provider))
        TO_THIS_TEST.exporter = telemetry.span_exporter
    try:
        yield telemetry
    finally:
        TO_THIS_TEST.exporter = None
