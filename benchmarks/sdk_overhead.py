"""What one instrumented tool call costs, against two baselines timed in the same run.

* ours: ``with ss.tool_call(...)`` -- span, two metrics, a JSON log line with trace ids.
* by hand, the seeds' way: ``labels(...).inc()``, ``labels(...).observe()``,
  ``start_as_current_span`` with attributes, and a structlog JSON line through stdlib logging
  configured as the second plan does it.
* a bare OpenTelemetry span: ``start_as_current_span`` and nothing else.

Every variant exports its spans over OTLP/HTTP (protobuf) to a sink on loopback running in
another process (the baselines with the exporter package's ``OTLPSpanExporter`` behind a
``BatchSpanProcessor``, swarmscope with its own export path) and writes its log lines to a
file. Each timed round ends with a flush, so background work is paid for inside the
measurement. Rounds alternate between variants; the median round is reported.

    python benchmarks/sdk_overhead.py [--calls 20000] [--rounds 7]
"""

from __future__ import annotations

import argparse
import logging
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import structlog
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from prometheus_client import CollectorRegistry, Counter, Histogram

import swarmscope as ss

AGENT, TOOL = "zoho_data_scout", "fetch_accounts"


SINK = """
import http.server, sys
class Sink(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", "0")
        self.end_headers()
    def log_message(self, *args):
        pass
server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Sink)
print(server.server_address[1], flush=True)
server.serve_forever()
"""


@contextmanager
def otlp_sink() -> Iterator[str]:
    """An OTLP/HTTP endpoint on loopback, in its own process so its CPU is not counted."""
    process = subprocess.Popen([sys.executable, "-c", SINK], stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        yield f"http://127.0.0.1:{process.stdout.readline().strip()}"
    finally:
        process.terminate()
        process.wait(timeout=10)


# Every variant queues a whole round, so none drops spans and does less work than asked.
QUEUE_SIZE = 65536


def exported_provider(endpoint: str) -> TracerProvider:
    provider = TracerProvider()
    exporter = OTLPSpanExporter(f"{endpoint}/v1/traces")
    provider.add_span_processor(BatchSpanProcessor(exporter, max_queue_size=QUEUE_SIZE))
    return provider


def seeds_style(
    provider: TracerProvider, handler: logging.Handler
) -> tuple[Callable[[], None], Callable[[], None]]:
    """The seeds' hand-written tool call, its spans going to ``provider``, its lines to ``handler``
    (``sdk_vs_peers.py`` runs it with a discarding exporter)."""
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


def bare_span(endpoint: str) -> tuple[Callable[[], None], Callable[[], None]]:
    provider = exported_provider(endpoint)
    tracer = provider.get_tracer("bare")

    def call() -> None:
        with tracer.start_as_current_span(f"execute_tool {TOOL}"):
            pass

    return call, lambda: provider.force_flush()


def swarmscope_style(
    endpoint: str, log_path: Path
) -> tuple[Callable[[], None], Callable[[], None]]:
    rt = ss.init(
        service_name="bench",
        otlp_endpoint=endpoint,
        traces_exporter="otlp",
        logs_exporter="none",
        log_stream="none",
        log_file=str(log_path),
        capture_stdlib_logging=False,
        queue_size=QUEUE_SIZE,
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
    with tempfile.TemporaryDirectory() as tmp, otlp_sink() as endpoint:
        variants = {
            "swarmscope tool_call": swarmscope_style(endpoint, Path(tmp) / "ours.log"),
            "seeds by hand": seeds_style(
                exported_provider(endpoint), logging.FileHandler(Path(tmp) / "hand.log")
            ),
            "bare OTel span": bare_span(endpoint),
        }
        for call, flush in variants.values():  # warm-up: caches, first-use imports
            time_round(call, flush, min(args.calls, 2000))
        results: dict[str, list[float]] = {name: [] for name in variants}
        for _ in range(args.rounds):
            for name, (call, flush) in variants.items():
                results[name].append(time_round(call, flush, args.calls))
        dropped = ss.current().metrics.registry.get_sample_value(
            "swarmscope_telemetry_dropped_total", {"signal": "traces", "reason": "queue_full"}
        )
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
    print(f"spans swarmscope dropped: {int(dropped or 0)} (a fair run drops none)")


if __name__ == "__main__":
    main()
