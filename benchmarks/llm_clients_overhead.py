"""What ``ss.instrument_openai()`` costs a chat completion, beside OpenInference's instrumentor.

The same calls (``chat.completions.create``, plain and streamed with usage) to the fake OpenAI
over loopback, three ways in one process: uninstrumented, with swarmscope's wrapper, and with
OpenInference's OpenAIInstrumentor exporting to the same tracer provider. Passes alternate;
each mode's median pass counts; CPU time is the process's.

The goal: swarmscope adds no more than OpenInference's instrumentor does.

    python benchmarks/llm_clients_overhead.py [--passes 7] [--calls 200]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from typing import Any

import openai
from openinference.instrumentation.openai import OpenAIInstrumentor

import swarmscope as ss
from openai_agents_overhead import Discard, fake_llm

MESSAGES = [{"role": "user", "content": "Hello"}]


def one_pass(client: openai.OpenAI, calls: int) -> float:
    """CPU seconds per call, half of them streamed."""
    cpu = time.process_time()
    for index in range(calls):
        if index % 2:
            client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
            continue
        stream = client.chat.completions.create(
            model="gpt-4o-mini",
            messages=MESSAGES,
            stream=True,
            stream_options={"include_usage": True},
        )
        for _ in stream:
            pass
    return (time.process_time() - cpu) / calls


def modes(rt: Any) -> dict[str, tuple[Callable[[], None], Callable[[], None]]]:
    openinference = OpenAIInstrumentor()
    return {
        "none": (lambda: None, lambda: None),
        "swarmscope": (ss.instrument_openai, ss.uninstrument_openai),
        "openinference": (
            lambda: openinference.instrument(tracer_provider=rt.tracer_provider),
            openinference.uninstrument,
        ),
    }


def main(passes: int, calls: int) -> None:
    rt = ss.init(service_name="bench", span_exporter=Discard(), log_stream="none")
    with fake_llm.running() as server:
        client = openai.OpenAI(base_url=fake_llm.base_url(server), api_key="bench", max_retries=0)
        one_pass(client, 10)
        switches = modes(rt)
        results: dict[str, list[float]] = {name: [] for name in switches}
        for _ in range(passes):
            for name, (on, off) in switches.items():
                on()
                try:
                    results[name].append(one_pass(client, calls))
                finally:
                    off()
    ss.shutdown()
    cpu = {name: statistics.median(rows) for name, rows in results.items()}
    for name in results:
        print(f"{name:>14}: {cpu[name] * 1e6:8.1f} us CPU per call")
    print(f"swarmscope / none:          {cpu['swarmscope'] / cpu['none']:.3f}")
    print(f"openinference / none:       {cpu['openinference'] / cpu['none']:.3f}")
    print(f"swarmscope / openinference: {cpu['swarmscope'] / cpu['openinference']:.3f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--passes", type=int, default=7)
    parser.add_argument("--calls", type=int, default=200)
    args = parser.parse_args()
    main(args.passes, args.calls)
