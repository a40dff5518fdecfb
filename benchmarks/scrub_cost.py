"""What an instrumented call costs its caller when it carries large values, against the same
call carrying none, in one run.

Each variant is ``with ss.agent_run("scout", note=VALUE): pass`` with spans exported to an
in-memory exporter and logs to nowhere, so the figure is the caller's own work: building
the span and scrubbing what the app handed over. The value is prose with an e-mail address
at its start (so the scrubber has something to find), or a hostile text made to maximise
the scrubber's matches. Times are the calling thread's CPU time, the median of ``--rounds``
rounds of ``--calls`` calls each.

Before issue 10 the scrubber backtracked: 80 KB took 26 s and 10 MB never returned.

    python benchmarks/scrub_cost.py [--calls 200] [--rounds 7]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import swarmscope as ss

PROSE = "renewal call went fine; next step is the quarterly review with the account team. "


def prose(size: int) -> str:
    return ("mail bob@example.com " + PROSE * (size // len(PROSE) + 1))[:size]


VARIANTS: dict[str, str | None] = {
    "no value": None,
    "1 KB": prose(1024),
    "100 KB": prose(100 * 1024),
    "10 MB": prose(10 * 1024 * 1024),
    "10 MB of 'key=1 '": "apikey=1 " * (10 * 1024 * 1024 // 9),
    "10 MB of e-mails": "a@b.cc " * (10 * 1024 * 1024 // 7),
}


def call(value: str | None) -> Callable[[], None]:
    if value is None:

        def bare() -> None:
            with ss.agent_run("scout"):
                pass

        return bare

    def with_value() -> None:
        with ss.agent_run("scout", note=value):
            pass

    return with_value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()

    exporter = InMemorySpanExporter()
    ss.init(service_name="scrub-bench", span_exporter=exporter, log_stream="none")
    try:
        rounds: dict[str, list[float]] = {name: [] for name in VARIANTS}
        actions = {name: call(value) for name, value in VARIANTS.items()}
        for action in actions.values():
            action()  # warm
        for _ in range(args.rounds):
            for name, action in actions.items():  # alternate variants within each round
                started = time.thread_time()
                for _ in range(args.calls):
                    action()
                rounds[name].append((time.thread_time() - started) / args.calls)
            ss.current().flush(timeout=30)
            exporter.clear()
    finally:
        ss.shutdown()

    base = statistics.median(rounds["no value"])
    print(f"{'value':<22}{'us/call':>10}{'vs none':>10}{'extra ms':>10}")
    for name, times in rounds.items():
        median = statistics.median(times)
        print(
            f"{name:<22}{median * 1e6:>10.1f}{median / base:>9.2f}x{(median - base) * 1e3:>10.3f}"
        )


if __name__ == "__main__":
    main()
