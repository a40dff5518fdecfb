"""One instrumented tool call, swarmscope against its peers, each in its own environment, one run.

Contestants, every one exporting to the same discarding exporters (spans and OpenTelemetry
log records are handed to an exporter that drops them; JSON lines go to ``/dev/null``):

* bare OTel span: ``start_as_current_span`` behind a ``BatchSpanProcessor``, nothing else;
* the same span with the two GenAI attributes swarmscope's carries (``gen_ai.operation.name``,
  ``gen_ai.tool.name``): what the OpenTelemetry SDK itself charges for them, which no
  instrumentation that follows the conventions avoids;
* swarmscope: ``with ss.tool_call(...)`` -- span, two metrics and a log line, the line
  written as JSON (the default) or sent as an OpenTelemetry log record;
* by hand, the seeds' way: the span, a prometheus-client counter and histogram, a structlog
  JSON line;
* OpenLIT: ``openlit.start_trace`` (OpenLIT records the span only);
* Logfire: ``logfire.span`` with a ``logfire.info`` inside it.

OpenLIT and Logfire are installed in virtual environments of their own (``--venvs``, made
on first use with ``pip install``), so none of them changes what the others load. Each
contestant runs in its own process that the parent keeps open and drives round by round,
alternating between contestants, so a busy machine slows all of them alike. A round is
``--calls`` calls and a flush of every exporter; it is timed with ``time.process_time``,
the CPU time of the whole process, so the export threads' work counts as much as the
caller's. The best of ``--repeats`` rounds is reported, with its ratio to the bare span.

    python benchmarks/sdk_vs_peers.py [--calls 5000] [--repeats 7] [--venvs benchmarks/.venvs]
    python benchmarks/sdk_vs_peers.py --compare-src ../before/src   # a change's effect, same run

To profile one contestant with every thread, serve it alone under py-spy:
``yes 5000 | head -50 | py-spy record -o out.svg -- python benchmarks/sdk_vs_peers.py --serve swarmscope``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

AGENT, TOOL = "data_scout", "fetch_accounts"
HERE = Path(__file__).resolve()
# Peers and the packages that bring them; swarmscope, the bare span and the hand-written
# way run in the interpreter that runs this script.
PEER_PACKAGES = {"openlit": "openlit", "logfire": "logfire"}
# The pip installs that make each peer's environment, in order. pip's resolver gives up on
# OpenLIT's pins (its instrumentation extras against opentelemetry-semantic-conventions), so
# OpenLIT goes in alone and then what it imports at init.
PEER_INSTALLS = {
    "openlit": [
        ["--no-deps", "openlit"],
        [
            "opentelemetry-sdk",
            "opentelemetry-exporter-otlp-proto-http",
            "opentelemetry-instrumentation",
            "opentelemetry-semantic-conventions>=0.59b0",
            "requests",
            "schedule",
            "pydantic",
            "xmltodict",
            "anthropic",
            "openai",
            "boto3",
        ],
    ],
    "logfire": [["logfire"]],
}
CONTESTANTS = {
    "bare OTel span": ("bare", None),
    "bare span + GenAI attributes": ("bare-attributes", None),
    "swarmscope (JSON line)": ("swarmscope", None),
    "swarmscope (OTel log)": ("swarmscope-otel-log", None),
    "by hand (span+prom+structlog)": ("by-hand", None),
    "OpenLIT (span only)": ("openlit", "openlit"),
    "Logfire (span+log)": ("logfire", "logfire"),
}
Setup = Callable[[], tuple[Callable[[], None], Callable[[], None]]]


# -- inside a contestant's process ---------------------------------------------------------
# What each contestant's exporters were handed, so a run shows that none dropped spans and
# did less work than asked.
EXPORTED = {"spans": 0, "logs": 0}
# Every queue holds a whole round: the batch processors' default (2048) drops the rest.
QUEUE_SIZE = 65536


def discarding_exporters() -> tuple[Any, Any]:
    """A span exporter and a log record exporter that count what they get and keep nothing."""
    from opentelemetry.sdk._logs.export import LogRecordExporter, LogRecordExportResult
    from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult

    class DropSpans(SpanExporter):
        def export(self, spans: Any) -> SpanExportResult:
            EXPORTED["spans"] += len(spans)
            return SpanExportResult.SUCCESS

    class DropLogs(LogRecordExporter):
        def export(self, batch: Any) -> LogRecordExportResult:
            EXPORTED["logs"] += len(batch)
            return LogRecordExportResult.SUCCESS

        def shutdown(self) -> None:
            pass

        def force_flush(self, timeout_millis: int = 30000) -> bool:
            return True

    return DropSpans(), DropLogs()


def batch_processor(exporter: Any) -> Any:
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    return BatchSpanProcessor(exporter, max_queue_size=QUEUE_SIZE)


def batched_provider() -> Any:
    from opentelemetry.sdk.trace import TracerProvider

    provider = TracerProvider()
    provider.add_span_processor(batch_processor(discarding_exporters()[0]))
    return provider


def bare() -> tuple[Callable[[], None], Callable[[], None]]:
    provider = batched_provider()
    tracer = provider.get_tracer("bare")

    def call() -> None:
        with tracer.start_as_current_span(f"execute_tool {TOOL}"):
            pass

    return call, lambda: provider.force_flush()


def bare_with_attributes() -> tuple[Callable[[], None], Callable[[], None]]:
    provider = batched_provider()
    tracer = provider.get_tracer("bare")
    attributes = {"gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": TOOL}

    def call() -> None:
        with tracer.start_as_current_span(f"execute_tool {TOOL}", attributes=attributes):
            pass

    return call, lambda: provider.force_flush()


def swarmscope_call(otel_log: bool) -> tuple[Callable[[], None], Callable[[], None]]:
    import swarmscope as ss

    spans, logs = discarding_exporters()
    rt = ss.init(
        service_name="bench",
        span_exporter=spans,
        log_exporter=logs if otel_log else None,
        log_stream="none" if otel_log else "stdout",
        capture_stdlib_logging=False,
        queue_size=QUEUE_SIZE,
    )

    def call() -> None:
        with ss.tool_call(TOOL, agent=AGENT):
            pass

    return call, lambda: rt.flush()


def by_hand() -> tuple[Callable[[], None], Callable[[], None]]:
    """The seeds' way (``sdk_overhead.py``): labelled prometheus-client metrics, a span, a
    structlog JSON line through stdlib logging."""
    import logging

    from sdk_overhead import seeds_style

    return seeds_style(batched_provider(), logging.StreamHandler(sys.stdout))


def openlit_call() -> tuple[Callable[[], None], Callable[[], None]]:
    """OpenLIT's own way to trace app code; it reuses the tracer provider already set."""
    import openlit
    from opentelemetry import trace

    provider = batched_provider()
    trace.set_tracer_provider(provider)
    # A local price table: without one OpenLIT fetches its own over the network.
    prices = Path(tempfile.mkdtemp()) / "pricing.json"
    prices.write_text("{}")
    openlit.init(
        application_name="bench",
        disable_metrics=True,
        collect_gpu_stats=False,
        pricing_json=str(prices),
    )

    def call() -> None:
        with openlit.start_trace(f"execute_tool {TOOL}") as span:
            span.set_result("ok")

    return call, lambda: provider.force_flush()


def logfire_call() -> tuple[Callable[[], None], Callable[[], None]]:
    import logfire
    from opentelemetry.sdk._logs.export import BatchLogRecordProcessor

    spans, logs = discarding_exporters()
    logfire.configure(
        send_to_logfire=False,
        console=False,
        service_name="bench",
        additional_span_processors=[batch_processor(spans)],
        advanced=logfire.AdvancedOptions(
            log_record_processors=[BatchLogRecordProcessor(logs, max_queue_size=QUEUE_SIZE)]
        ),
        metrics=False,
        inspect_arguments=False,
    )

    def call() -> None:
        with logfire.span("execute_tool {tool_name}", tool_name=TOOL, agent_id=AGENT):
            logfire.info("tool_call_completed", tool_name=TOOL, agent_id=AGENT, success=True)

    return call, lambda: logfire.force_flush()


SETUPS: dict[str, Setup] = {
    "bare": bare,
    "bare-attributes": bare_with_attributes,
    "swarmscope": lambda: swarmscope_call(otel_log=False),
    "swarmscope-otel-log": lambda: swarmscope_call(otel_log=True),
    "by-hand": by_hand,
    "openlit": openlit_call,
    "logfire": logfire_call,
}


def timed_round(
    call: Callable[[], None], flush: Callable[[], None], calls: int
) -> dict[str, float]:
    """CPU and wall time per call, in µs, for ``calls`` calls and the flush that exports them."""
    before = dict(EXPORTED)
    cpu, wall = time.process_time(), time.perf_counter()
    for _ in range(calls):
        call()
    flush()
    return {
        "cpu_us": (time.process_time() - cpu) / calls * 1e6,
        "wall_us": (time.perf_counter() - wall) / calls * 1e6,
        **{f"{kind}_per_call": (EXPORTED[kind] - before[kind]) / calls for kind in EXPORTED},
    }


def serve(name: str) -> None:
    """A contestant's process: set up, then run one round per line read, answering in JSON.

    The contestants' JSON lines go to ``/dev/null`` (as the process's stdout); the answers
    go to the parent on a duplicate of the original stdout.
    """
    answers = os.fdopen(os.dup(1), "w", buffering=1)
    null = os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, 1)
    call, flush = SETUPS[name]()
    for line in sys.stdin:
        calls = int(line)
        answers.write(json.dumps(timed_round(call, flush, calls)) + "\n")


# -- the parent ----------------------------------------------------------------------------
def peer_python(venvs: Path, peer: str) -> Path:
    """The interpreter of the peer's own environment, made and installed on first use."""
    python = venvs / peer / "bin" / "python"
    if not python.exists():
        print(f"creating {venvs / peer} with {PEER_PACKAGES[peer]} ...", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "venv", str(venvs / peer)], check=True)
        for packages in PEER_INSTALLS[peer]:
            subprocess.run([str(python), "-m", "pip", "install", "-q", *packages], check=True)
    return python


def version_of(python: Path, package: str) -> str:
    code = f"import importlib.metadata as m; print(m.version({package!r}))"
    done = subprocess.run([str(python), "-c", code], capture_output=True, text=True)
    return done.stdout.strip() or "?"


class Contestant:
    """A contestant's process, kept open and asked for one round at a time."""

    def __init__(self, label: str, name: str, python: Path, src: Path | None = None) -> None:
        """``src``: a source tree whose ``swarmscope`` the process imports instead of the
        installed one."""
        self.label = label
        self.rounds: list[dict[str, float]] = []
        env = dict(os.environ)
        if src is not None:
            env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(src), env.get("PYTHONPATH")]))
        self.process = subprocess.Popen(
            [str(python), str(HERE), "--serve", name],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            bufsize=1,
            env=env,
        )

    def round(self, calls: int) -> dict[str, float]:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(f"{calls}\n")
        self.process.stdin.flush()
        answer = self.process.stdout.readline()
        if not answer:
            raise RuntimeError(f"{self.label} exited (code {self.process.wait()})")
        return dict(json.loads(answer))

    def close(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        self.process.wait(timeout=30)

    def best(self, key: str) -> float:
        return min(r[key] for r in self.rounds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=5000)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--venvs", type=Path, default=HERE.parent / ".venvs")
    parser.add_argument("--only", nargs="*", help="contestant labels to run (default: all)")
    parser.add_argument(
        "--compare-src",
        type=Path,
        help="also run swarmscope from this source tree (another checkout's src/), same run",
    )
    parser.add_argument("--serve", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve)
        return
    versions = {"opentelemetry-sdk": version_of(Path(sys.executable), "opentelemetry-sdk")}
    contestants = []
    for label, (name, peer) in CONTESTANTS.items():
        if args.only and label not in args.only and label != "bare OTel span":
            continue
        python = Path(sys.executable) if peer is None else peer_python(args.venvs, peer)
        if peer is not None:
            otel = version_of(python, "opentelemetry-sdk")
            versions[peer] = f"{version_of(python, PEER_PACKAGES[peer])} (opentelemetry-sdk {otel})"
        contestants.append(Contestant(label, name, python))
        if args.compare_src and name.startswith("swarmscope"):
            contestants.append(Contestant(f"{label} @src", name, python, args.compare_src))
    try:
        for contestant in contestants:  # warm-up: first-use imports, caches, thread start
            contestant.round(min(args.calls, 1000))
        for _ in range(args.repeats):
            for contestant in contestants:
                contestant.rounds.append(contestant.round(args.calls))
    finally:
        for contestant in contestants:
            contestant.close()
    bare_cpu, bare_wall = contestants[0].best("cpu_us"), contestants[0].best("wall_us")
    print(", ".join(f"{name} {version}" for name, version in versions.items()))
    print(f"{args.calls} calls a round, best of {args.repeats}; CPU = process time, all threads")
    print(
        f"{'contestant':32s} {'CPU us/call':>12s} {'x bare':>7s} {'wall us/call':>13s}"
        f" {'x bare':>7s} {'spans+logs/call':>16s}"
    )
    for c in contestants:
        cpu, wall = c.best("cpu_us"), c.best("wall_us")
        # What the exporters got in the least productive round (a JSON line is not counted).
        exported = f"{c.best('spans_per_call'):.2f} + {c.best('logs_per_call'):.2f}"
        print(
            f"{c.label:32s} {cpu:12.1f} {cpu / bare_cpu:7.2f} {wall:13.1f}"
            f" {wall / bare_wall:7.2f} {exported:>16s}"
        )
    by_label = {c.label: c.best("cpu_us") for c in contestants}
    ours = by_label.get("swarmscope (JSON line)")
    if ours is not None:
        print(f"swarmscope (JSON line) / bare span: {ours / bare_cpu:.2f}x  (goal: at most 1.50x)")
        for label in (
            "bare span + GenAI attributes",
            "OpenLIT (span only)",
            "by hand (span+prom+structlog)",
            "Logfire (span+log)",
        ):
            if label in by_label:
                print(f"swarmscope (JSON line) / {label}: {ours / by_label[label]:.2f}x")


if __name__ == "__main__":
    main()
