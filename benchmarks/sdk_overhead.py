"""What one instrumented tool call costs, against two baselines timed in the same run.

* ours: ``with ss.tool_call(...)`` -- span, two metrics, a JSON log line with trace ids.
* by hand, the seeds' way: ``labels(...).inc()``, ``labels(...).observe()``,
  ``start_as_current_span`` with attributes, and a structlog JSON line through stdlib logging
  configured as the second plan does it.
* a bare OpenTelemetry span: ``start_as_current_span`` and nothing else.

Every variant exports its spans the same way (OTLP protobuf encoding in a background
thread, the bytes discarded) and writes its log lines to a file, and each timed round ends
with a flush, so background work is paid for inside the measurement. Rounds alternate
between variants; the median round is reported.

    python benchmarks/sdk_overhead.py [--calls 20000] [--rounds 7]
"""

from __future__ import annotations

import argparse
import logging
import statistics
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import structlog
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult
from prometheus_client import CollectorRegistry, Counter, Histogram

import swarmscope as ss

AGENT, TOOL = "zoho_data_scout", "fetch_accounts"


class EncodingExporter(SpanExporter):
    """Does the CPU work of an OTLP/HTTP export (protobuf encoding) and drops the bytes."""

    def __init__(self) -> None:
        self.spans = 0

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        encode_spans(spans).SerializeToString()
        self.spans += len(spans)
        return SpanExportResult.SUCCESS

    def shutdown(self) -> None:
        return None


def seeds_style(log_path: Path) -> tuple[Callable[[], None], Callable[[], None]]:
    provider = TracerProvider()
    provider.add_span_processor(BatchSpanProcessor(EncodingExporter()))
    tracer = provider.get_tracer("seeds")
    registry = CollectorRegistry()
    calls = Counter(
        "hand_agent_tool_calls_total",
        "Total agent tool calls",
        ["agent_type", "tool_name", "status"],
        registry=registry,
    )
    duration = Histogram(
        "hand_agent_tool_call_duration_seconds",
        "Agent tool call time",
        ["agent_type", "tool_name"],
        buckets=[0.1, 0.5, 1, 2, 5, 10, 30],
        registry=registry,
    )
    handler = logging.FileHandler(log_path)
    handler.setFormatter(logging.Formatter("%(message)s"))
    stdlib_logger = logging.getLogger("seeds.agents")
    stdlib_logger.handlers = [handler]
    stdlib_logger.propagate = False
    stdlib_logger.setLevel(logging.INFO)
    logger = structlog.wrap_logger(
        stdlib_logger,
        processors=[
            structlog.stdlib.filter_by_level,
            structlog.stdlib.add_logger_name,
            structlog.stdlib.add_log_level,
            structlog.stdlib.PositionalArgumentsFormatter(),
            structlog.processors.TimeStamper(fmt="iso"),
            structlog.processors.StackInfoRenderer(),
            structlog.processors.format_exc_info,
            structlog.processors.UnicodeDecoder(),
            structlog.processors.JSONRenderer(),
        ],
        wrapper_class=structlog.stdlib.BoundLogger,
        context_class=dict,
    )

    def call() -> None:
        start = time.perf_counter()
        with tracer.start_as_current_span(
            f"agent.{AGENT}.tool.{TOOL}", attributes={"tool.name": TOOL, "agent.id": AGENT}
        ):
            elapsed = time.perf_counter() - start
            calls.labels(agent_type=AGENT, tool_name=TOOL, status="success").inc()
            duration.labels(agent_type=AGENT, tool_name=TOOL).observe(elapsed)
            logger.info(
                "tool_call_completed",
                tool_name=TOOL,
                duration_ms=round(elapsed * 1000, 2),
                success=True,
            )

    def flush() -> None:
        provider.force_flush()
        handler.flush()

    return call, flush


def bare_span() -> tuple[Callable[[], None], Callable[[], None]]:
    provider = TracerProvider()
    provider.add_span_processor(BatchSpanProcessor(EncodingExporter()))
    tracer = provider.get_tracer("bare")

    def call() -> None:
        with tracer.start_as_current_span(f"execute_tool {TOOL}"):
            pass

    return call, lambda: provider.force_flush()


def swarmscope_style(log_path: Path) -> tuple[Callable[[], None], Callable[[], None]]:
    rt = ss.init(
        service_name="bench",
        log_stream="none",
        log_file=str(log_path),
        span_exporter=EncodingExporter(),
        capture_stdlib_logging=False,
    )

    def call() -> None:
        with ss.tool_call(TOOL, agent=AGENT):
            pass

    return call, lambda: rt.flush()


def time_round(call: Callable[[], None], flush: Callable[[], None], calls: int) -> float:
    start = time.perf_counter()
    for _ in range(calls):
        call()
    flush()
    return (time.perf_counter() - start) / calls * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=20000)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        variants = {
            "swarmscope tool_call": swarmscope_style(Path(tmp) / "ours.log"),
            "seeds by hand": seeds_style(Path(tmp) / "hand.log"),
            "bare OTel span": bare_span(),
        }
        for call, flush in variants.values():  # warm-up: caches, first-use imports
            time_round(call, flush, min(args.calls, 2000))
        results: dict[str, list[float]] = {name: [] for name in variants}
        for _ in range(args.rounds):
            for name, (call, flush) in variants.items():
                results[name].append(time_round(call, flush, args.calls))
        ss.shutdown()
    median = {name: statistics.median(values) for name, values in results.items()}
    for name, value in median.items():
        print(
            f"{name:22s} {value:8.2f} us/call  (rounds: {', '.join(f'{v:.1f}' for v in results[name])})"
        )
    ours = median["swarmscope tool_call"]
    print(f"ratio vs seeds by hand: {ours / median['seeds by hand']:.2f}x  (floor: at most 0.60x)")
    print(
        f"ratio vs bare OTel span: {ours / median['bare OTel span']:.2f}x  (floor: at most 1.50x)"
    )


if __name__ == "__main__":
    main()
