"""What `import swarmscope` and the `swarmscope` command cost at start-up, in one run.

Every figure is the median of ``--runs`` fresh interpreters, the contestants taking turns so
that a change in the machine's load falls on all of them alike:

- the import of ``swarmscope`` against the import of what any app instrumented by hand
  would load (``opentelemetry.sdk.trace``, ``prometheus_client``, ``structlog``), timed
  inside the child around the ``import`` statement, so the interpreter's own start-up is
  not in it (goal: at most 1.2 times);
- the SDK in use: ``init`` with an in-memory span exporter and one ``tool_call``, for scale;
- the wall time of ``swarmscope version`` and ``swarmscope traces list --help``, as a user
  waits for them, against the wall time of ``python -c pass`` (goal: under 0.3 s on a quiet
  machine; the load average is printed with the table).

Before issue 11, ``import swarmscope`` loaded the whole product (DuckDB, pyarrow, FastAPI,
uvicorn, plotly, httpx, Rich, Typer, the price table) and took 1.6-2.4 s, 2.2-3.3 times the
baseline; every command took 1.5-5 s. ``python -X importtime -c "import swarmscope"`` shows
what an import loads, module by module.

    python benchmarks/import_time.py [--runs 21]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path


def timed_import(statement: str) -> str:
    """A child program printing how long ``statement`` took, in seconds."""
    return (
        "import time\n"
        "started = time.perf_counter()\n"
        f"{statement}\n"
        "print(time.perf_counter() - started)\n"
    )


IN_USE = """\
import swarmscope
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
swarmscope.init(service_name="bench", span_exporter=InMemorySpanExporter(), log_stream="none")
with swarmscope.tool_call("x"):
    pass
swarmscope.shutdown()"""


@dataclass
class Contestant:
    """One program run in a fresh interpreter; ``reports`` when it prints its own time."""

    name: str
    argv: list[str]
    reports: bool = False
    walls: list[float] = field(default_factory=list)
    inner: list[float] = field(default_factory=list)

    def run(self) -> None:
        started = time.perf_counter()
        result = subprocess.run(
            self.argv, capture_output=True, text=True, stdin=subprocess.DEVNULL, check=False
        )
        self.walls.append(time.perf_counter() - started)
        if result.returncode != 0:
            raise SystemExit(f"{self.name} failed: {result.stderr.strip()[-500:]}")
        if self.reports:
            self.inner.append(float(result.stdout.split()[-1]))

    @property
    def wall(self) -> float:
        return statistics.median(self.walls)

    @property
    def own(self) -> float:
        return statistics.median(self.inner)


def command() -> list[str]:
    """The ``swarmscope`` script beside this interpreter, as a user runs it."""
    script = Path(sys.executable).parent / "swarmscope"
    if script.exists():
        return [str(script)]
    found = shutil.which("swarmscope")
    return [found] if found else [sys.executable, "-m", "swarmscope"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=21, help="fresh interpreters per contestant")
    args = parser.parse_args()
    python = sys.executable
    baseline_modules = "import opentelemetry.sdk.trace, prometheus_client, structlog"
    floor = Contestant("python -c pass", [python, "-c", "pass"])
    ours = Contestant("import swarmscope", [python, "-c", timed_import("import swarmscope")], True)
    baseline = Contestant(
        "import otel sdk + prometheus + structlog",
        [python, "-c", timed_import(baseline_modules)],
        True,
    )
    in_use = Contestant("import + init + one tool_call", [python, "-c", timed_import(IN_USE)], True)
    version = Contestant("swarmscope version", [*command(), "version"])
    traces_help = Contestant(
        "swarmscope traces list --help", [*command(), "traces", "list", "--help"]
    )
    contestants = [floor, ours, baseline, in_use, version, traces_help]

    load_before = os.getloadavg()
    for contestant in contestants:  # one untimed round: the file cache, .pyc files
        contestant.run()
        contestant.walls.clear()
        contestant.inner.clear()
    for _ in range(args.runs):
        for contestant in contestants:
            contestant.run()
    load_after = os.getloadavg()

    print(f"median of {args.runs} fresh interpreters each; {python}")
    print(f"load average (1, 5, 15 min): before {load_before}, after {load_after}")
    print()
    print(f"{'':42} {'wall ms':>9} {'import ms':>10} {'ratio':>8}")
    for contestant in contestants:
        inner = f"{contestant.own * 1000:10.1f}" if contestant.reports else f"{'':10}"
        ratio = ""
        if contestant in (ours, in_use):
            ratio = f"{contestant.own / baseline.own:7.2f}x"
        elif contestant in (version, traces_help):
            ratio = f"{contestant.wall / floor.wall:7.1f}x"
        print(f"{contestant.name:42} {contestant.wall * 1000:9.1f} {inner} {ratio:>8}")
    print()
    print(
        "ratio: import ms against the baseline's import ms (goal <= 1.2x); "
        "for the commands, wall ms against `python -c pass`"
    )
    for contestant in (version, traces_help):
        net = contestant.wall - floor.wall
        verdict = "under" if contestant.wall < 0.3 else "OVER"
        print(
            f"{contestant.name}: {contestant.wall:.3f} s wall ({net:.3f} s over a bare "
            f"interpreter), {verdict} the 0.3 s goal"
        )


if __name__ == "__main__":
    main()
