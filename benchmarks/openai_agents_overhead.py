"""What ``ss.instrument_openai_agents()`` costs an Agents SDK run, beside OpenInference's.

The same run (Triage hands off to Specialist, who calls a tool and answers: three model
calls over loopback to the fake OpenAI of the tests) three ways in one process: with no
tracing processor, with swarmscope's, and with OpenInference's OpenAIAgentsInstrumentor
(exporting to the same tracer provider). Passes alternate so that the machine's drift hits
all three alike, and each mode's median pass counts. CPU time is the process's (the fake
server's thread included, the same in every mode); wall time is printed beside it.

The goal: swarmscope adds no more than OpenInference's instrumentor does.

    python benchmarks/openai_agents_overhead.py [--passes 7] [--runs 40]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from agents import Agent, OpenAIResponsesModel, Runner, function_tool, set_trace_processors
from openai import AsyncOpenAI
from openinference.instrumentation.openai_agents import OpenAIAgentsInstrumentor
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult

import swarmscope as ss

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "recorders"))
import fake_llm


class Discard(SpanExporter):
    """Spans end here: the benchmark measures making them, not sending them."""

    def export(self, spans: Any) -> SpanExportResult:
        return SpanExportResult.SUCCESS


@function_tool
def get_weather(city: str) -> str:
    """The weather in a city."""
    return f"sunny in {city}"


def agents(base_url: str) -> Agent[Any]:
    client = AsyncOpenAI(base_url=base_url, api_key="bench", max_retries=0)
    model = OpenAIResponsesModel(model="gpt-4o-mini", openai_client=client)
    specialist = Agent(name="Specialist", instructions="Answer.", model=model, tools=[get_weather])
    return Agent(name="Triage", instructions="Route.", model=model, handoffs=[specialist])


async def one_pass(triage: Agent[Any], runs: int) -> tuple[float, float]:
    """CPU and wall seconds per run."""
    cpu, wall = time.process_time(), time.perf_counter()
    for _ in range(runs):
        await Runner.run(triage, "What is the weather in Paris?")
    return (time.process_time() - cpu) / runs, (time.perf_counter() - wall) / runs


def modes(rt: Any) -> dict[str, tuple[Callable[[], None], Callable[[], None]]]:
    """Each mode's switch on and off."""
    openinference = OpenAIAgentsInstrumentor()
    return {
        "none": (lambda: None, lambda: None),
        "swarmscope": (ss.instrument_openai_agents, ss.uninstrument_openai_agents),
        "openinference": (
            lambda: openinference.instrument(tracer_provider=rt.tracer_provider),
            openinference.uninstrument,
        ),
    }


async def main(passes: int, runs: int) -> None:
    rt = ss.init(service_name="bench", span_exporter=Discard(), log_stream="none")
    set_trace_processors([])  # no upload to OpenAI in any mode
    with fake_llm.running() as server:
        triage = agents(fake_llm.base_url(server))
        await one_pass(triage, 3)  # warm imports, connections and price lookups
        switches = modes(rt)
        results: dict[str, list[tuple[float, float]]] = {name: [] for name in switches}
        for _ in range(passes):
            for name, (on, off) in switches.items():
                on()
                try:
                    results[name].append(await one_pass(triage, runs))
                finally:
                    off()
                    set_trace_processors([])
    ss.shutdown()
    cpu = {name: statistics.median(c for c, _ in rows) for name, rows in results.items()}
    wall = {name: statistics.median(w for _, w in rows) for name, rows in results.items()}
    for name in results:
        print(f"{name:>14}: {cpu[name] * 1e3:7.3f} ms CPU, {wall[name] * 1e3:7.3f} ms wall per run")
    ours, theirs = cpu["swarmscope"] - cpu["none"], cpu["openinference"] - cpu["none"]
    print(f"swarmscope / none (CPU):    {cpu['swarmscope'] / cpu['none']:.3f}")
    print(f"openinference / none (CPU): {cpu['openinference'] / cpu['none']:.3f}")
    print(f"swarmscope / openinference (CPU): {cpu['swarmscope'] / cpu['openinference']:.3f}")
    print(f"added CPU per run: swarmscope {ours * 1e3:.3f} ms, openinference {theirs * 1e3:.3f} ms")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--passes", type=int, default=7)
    parser.add_argument("--runs", type=int, default=40)
    args = parser.parse_args()
    asyncio.run(main(args.passes, args.runs))
