"""What ``ss.count_other_spans`` costs per span another instrumentor makes.

Two tracer providers in one process, the same spans on each: one with the processor that
fills the catalog's families from them, one without (the instrumentor's spans alone). The
spans are what OpenInference's LangChain instrumentor makes of a LangGraph node: a CHAIN
span whose metadata names the node (set when it ends, as OpenInference does), and inside it
an LLM span with its model and token counts and a TOOL span. Neither provider exports, so
the figures are the processor against span creation itself, the smallest baseline there is.
Rounds alternate between the providers; the median round is reported.

    python benchmarks/foreign_spans_overhead.py [--traces 20000] [--rounds 7]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.trace import Tracer

import swarmscope as ss

SCOPE = "openinference.instrumentation.langchain"
SPANS_PER_TRACE = 3
METADATA = json.dumps({"langgraph_node": "researcher", "thread_id": "t-1", "langgraph_step": 1})


def one_trace(tracer: Tracer) -> None:
    with tracer.start_as_current_span("researcher") as node:
        with tracer.start_as_current_span("ChatOpenAI") as llm:
            llm.set_attributes(
                {
                    "openinference.span.kind": "LLM",
                    "llm.model_name": "gpt-4o-mini",
                    "llm.provider": "openai",
                    "llm.token_count.prompt": 420,
                    "llm.token_count.completion": 117,
                    "metadata": METADATA,
                }
            )
        with tracer.start_as_current_span("search") as tool:
            tool.set_attributes(
                {"openinference.span.kind": "TOOL", "tool.name": "search", "metadata": METADATA}
            )
        node.set_attributes({"openinference.span.kind": "CHAIN", "metadata": METADATA})


def timed(tracer: Tracer, traces: int) -> float:
    started = time.perf_counter()
    for _ in range(traces):
        one_trace(tracer)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--traces", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()

    ss.init(service_name="bench", namespace="bench", log_stream="none")
    plain = TracerProvider()
    counted = TracerProvider()
    ss.count_other_spans(counted)
    tracers = {"without": plain.get_tracer(SCOPE), "with": counted.get_tracer(SCOPE)}
    for tracer in tracers.values():
        timed(tracer, 500)  # warm: imports, the price lookup, label children

    rounds: dict[str, list[float]] = {name: [] for name in tracers}
    for _ in range(args.rounds):
        for name, tracer in tracers.items():
            rounds[name].append(timed(tracer, args.traces))

    spans = args.traces * SPANS_PER_TRACE
    per_span = {name: statistics.median(times) / spans * 1e6 for name, times in rounds.items()}
    print(f"{spans} spans per round, median of {args.rounds} rounds")
    for name, micros in per_span.items():
        print(f"  {name:>8} the processor: {micros:7.2f} us per span")
    added = per_span["with"] - per_span["without"]
    print(
        f"  the processor adds {added:.2f} us per span, x{per_span['with'] / per_span['without']:.2f}"
    )
    counted_runs = (
        ss.current().metrics["agent_sessions_total"].value("researcher", "success", "run")
    )
    assert counted_runs >= args.traces * args.rounds, counted_runs
    ss.shutdown()


if __name__ == "__main__":
    main()
