"""What instrumenting a LangGraph run costs: swarmscope's integration against OpenInference's.

The same graph (``tests/langgraph_app.py``: three agents, a tool node, a conditional edge, a
``Command(goto=...)``, two model calls with usage) runs ``--runs`` times per round in one
process, in three ways, rounds alternating so a busy machine slows all alike:

* uninstrumented;
* ``ss.instrument_langgraph()``: spans, catalog metrics and JSON log lines (to a file);
* OpenInference's ``LangChainInstrumentor``: spans only.

Both export spans through a batch processor to an exporter that drops them, and each round
ends with a flush, so background work is paid for inside the measurement. A round is timed in
CPU time of the whole process (``time.process_time``: the export threads' work counts as
much as the caller's); the median round is reported, as the overhead per graph run over the
uninstrumented median and the ratio of swarmscope's overhead to OpenInference's.

    python benchmarks/langgraph_overhead.py [--runs 200] [--rounds 7]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from openinference.instrumentation.langchain import LangChainInstrumentor
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult

import swarmscope as ss
from swarmscope.integrations.langgraph import uninstrument_langgraph

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from langgraph_app import build_graph, config


class Discard(SpanExporter):
    """Takes every span and keeps none: the cost of the wire is not what is measured."""

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        return SpanExportResult.SUCCESS


# The scripted model goes round its script, two answers per run, so one graph serves every run.
GRAPH = build_graph(review=False)


def time_round(
    runs: int, on: Callable[[], None], off: Callable[[], None], flush: Callable[[], None]
) -> float:
    """CPU milliseconds per graph run, flush included."""
    on()
    start = time.process_time()
    for i in range(runs):
        GRAPH.invoke({"messages": [("user", "acme?")]}, config(f"t-{i}"))
    flush()
    elapsed = time.process_time() - start
    off()
    return elapsed / runs * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        rt = ss.init(
            service_name="bench",
            span_exporter=Discard(),
            logs_exporter="none",
            log_stream="none",
            log_file=str(Path(tmp) / "app.log"),
            capture_stdlib_logging=False,
        )
        provider = TracerProvider()
        provider.add_span_processor(BatchSpanProcessor(Discard()))
        openinference = LangChainInstrumentor()

        def nothing() -> None:
            pass

        variants: dict[str, tuple[Callable[[], None], ...]] = {
            "uninstrumented": (nothing, nothing, nothing),
            "swarmscope": (ss.instrument_langgraph, uninstrument_langgraph, lambda: rt.flush()),
            "openinference": (
                lambda: openinference.instrument(tracer_provider=provider),
                openinference.uninstrument,
                lambda: provider.force_flush(),
            ),
        }
        for on, off, flush in variants.values():  # warm-up: first-use imports and caches
            time_round(max(args.runs // 10, 5), on, off, flush)
        results: dict[str, list[float]] = {name: [] for name in variants}
        for _ in range(args.rounds):
            for name, (on, off, flush) in variants.items():
                results[name].append(time_round(args.runs, on, off, flush))
        ss.shutdown()
    median = {name: statistics.median(values) for name, values in results.items()}
    base = median["uninstrumented"]
    for name, value in median.items():
        rounds = ", ".join(f"{v:.2f}" for v in results[name])
        print(f"{name:15s} {value:7.3f} ms/run  +{value - base:6.3f} ms  (rounds: {rounds})")
    ours, theirs = median["swarmscope"] - base, median["openinference"] - base
    print(
        f"overhead ratio swarmscope/openinference: {ours / theirs:.2f}x"
        " (floor: at most 1.00x, with metrics and log lines on top of the spans)"
    )


if __name__ == "__main__":
    main()
