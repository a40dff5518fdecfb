"""``swarmscope serve`` and Arize Phoenix side by side: the same agent traces, the same reads.

Both servers get the same OTLP/HTTP protobuf requests (``agent_trace_payloads``: agent runs
with LLM, tool and handoff children in OpenInference's attributes, which both read), one
server at a time, each on free loopback ports with its store in a temporary directory
(swarmscope: DuckDB; Phoenix: its default SQLite). Phoenix runs from a virtual environment
of its own (``phoenix_server``), installed on the first run.

Measured for each, with the ratio swarmscope / Phoenix:

* start on an empty store: process start until its API answers (cold start);
* intake: the first half of the spans from 1 client, the second half from 4 concurrent
  clients; spans/s = spans the server then reports stored (its own API: swarmscope's
  ``/api/overview``, Phoenix's project ``recordCount``) over the time from the first
  request until that count was reached, so a server that answers before storing is
  timed until the spans can be read;
* disk per span: the store directory's size, server stopped, over the spans stored;
* start again over the filled store, then the reads on that fresh process: the latest 50
  traces (swarmscope ``GET /api/traces?limit=50``; Phoenix the GraphQL query its traces
  table sends, and its REST ``/v1/projects/{p}/traces``) and one trace's tree
  (``/api/traces/{id}``; the query of Phoenix's trace page): the first call, then the
  median of the next ones.

swarmscope alone (Phoenix has no such page), absolute times: the agent graph, an agent's
page, and the first 8-panel dashboard.

    python benchmarks/phoenix_side_by_side.py [--spans 500000] [--repeat 11]
        [--swarmscope-src ../main] [--phoenix-venv DIR] [--only swarmscope|phoenix]

The machine's load average is printed before and after: on a shared machine the figures
move with it; the ratios of one run are the comparison.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import httpx

import agent_trace_payloads
import phoenix_server

TREE = Path(__file__).resolve().parents[1]
HEADERS = {"Content-Type": "application/x-protobuf"}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Reads(Protocol):
    """What is asked of each server once it runs."""

    def stored_spans(self) -> int: ...
    def latest_traces(self, limit: int) -> int: ...
    def trace_tree(self, trace_id: str) -> int: ...


@dataclass
class SwarmscopeApi:
    client: httpx.Client

    def _get(self, path: str, **params: Any) -> Any:
        answer = self.client.get(path, params=params)
        answer.raise_for_status()
        return answer.json()

    def stored_spans(self) -> int:
        return int(self._get("/api/overview", start="7d")["spans"])

    def latest_traces(self, limit: int) -> int:
        return len(self._get("/api/traces", limit=limit)["traces"])

    def trace_tree(self, trace_id: str) -> int:
        return int(self._get(f"/api/traces/{trace_id}")["spans"])

    def agent_graph(self) -> str:
        """The graph's size, which shows the OpenInference agents and handoffs were mapped."""
        graph = self._get("/api/agents/graph")
        handoffs = sum(e.get("count", 0) for e in graph["edges"] if e.get("kind") == "handoff")
        return f"{len(graph['nodes'])} agents, {handoffs} handoffs"

    def agent_page(self, agent: str) -> int:
        return len(self._get(f"/api/agents/{agent}"))

    def eight_panel_dashboard(self) -> Callable[[], int] | None:
        """A call computing the first dashboard of 8 panels, if this tree has dashboards."""
        answer = self.client.get("/api/dashboards")
        boards = [b["id"] for b in answer.json() if b["panels"] == 8] if answer.is_success else []
        if not boards:
            return None
        return lambda: len(self._get(f"/api/dashboards/{boards[0]}"))


@dataclass
class Contender:
    """One server: how to start it on given ports and store, and how to read from it."""

    name: str
    ready_path: str
    command: Callable[[int, int, Path], tuple[list[str], dict[str, str]]]
    reads: Callable[[httpx.Client], Reads]


def swarmscope_contender(src: Path) -> Contender:
    def command(port: int, grpc_port: int, data: Path) -> tuple[list[str], dict[str, str]]:
        env = os.environ | {"PYTHONPATH": str(src)}
        serve = [sys.executable, "-m", "swarmscope", "serve", "--data", str(data)]
        return [*serve, "--port", str(port), "--grpc-port", str(grpc_port)], env

    return Contender("swarmscope", "/api/traces?limit=1", command, SwarmscopeApi)


def phoenix_contender(venv: Path) -> Contender:
    executable = phoenix_server.install(venv)
    queries = phoenix_server.ui_queries(executable)
    print(f"Phoenix {phoenix_server.version(executable)} from {venv}", flush=True)

    def command(port: int, grpc_port: int, data: Path) -> tuple[list[str], dict[str, str]]:
        return [str(executable), "serve"], phoenix_server.serve_environment(port, grpc_port, data)

    def reads(client: httpx.Client) -> Reads:
        return phoenix_server.PhoenixApi(client, queries, agent_trace_payloads.PROJECT)

    return Contender("Phoenix", "/v1/projects", command, reads)


@dataclass
class Running:
    url: str
    start_seconds: float
    client: httpx.Client


@contextmanager
def running(contender: Contender, data: Path, timeout: float) -> Iterator[Running]:
    """The server started on free ports over ``data``, once its API answers; stopped after.

    It runs in a process group of its own, stopped as a whole (SIGTERM, then SIGKILL after
    60 s), also when the benchmark is interrupted.
    """
    port = free_port()
    command, env = contender.command(port, free_port(), data)
    log_path = data.parent / f"{data.name}.log"
    url = f"http://127.0.0.1:{port}"
    with open(log_path, "ab") as log:
        began = time.perf_counter()
        process = subprocess.Popen(
            command, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        with httpx.Client(base_url=url, timeout=600) as client:
            deadline = began + timeout
            while not _answers(client, contender.ready_path):
                if process.poll() is not None or time.perf_counter() > deadline:
                    tail = log_path.read_text(errors="replace")[-3000:]
                    state = (
                        f"exited {process.returncode}"
                        if process.poll() is not None
                        else (f"not answering after {timeout:.0f} s")
                    )
                    raise RuntimeError(f"{contender.name} {state}; its log ends:\n{tail}")
                time.sleep(0.1)
            yield Running(url, time.perf_counter() - began, client)
    finally:
        _stop(process)


def _answers(client: httpx.Client, path: str) -> bool:
    try:
        return client.get(path, timeout=5).status_code == 200
    except httpx.HTTPError:
        return False


def _stop(process: subprocess.Popen[bytes]) -> None:
    for sig, wait in ((signal.SIGTERM, 60), (signal.SIGKILL, 30)):
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            continue


@dataclass
class Sent:
    accepted: int = 0
    retried: int = 0
    failed: list[str] = field(default_factory=list)


def _post_each(url: str, bodies: list[bytes], sent: Sent, deadline: float) -> None:
    """Post each body on one keep-alive connection; a 503 or 429 is retried, as exporters do."""
    with httpx.Client(base_url=url, timeout=120, headers=HEADERS) as client:
        for body in bodies:
            while True:
                try:
                    status = client.post("/v1/traces", content=body).status_code
                    reason = f"HTTP {status}"
                except httpx.HTTPError as error:
                    status, reason = 0, repr(error)
                if status == 200:
                    sent.accepted += 1
                    break
                if status in (429, 503) and time.perf_counter() < deadline:
                    sent.retried += 1
                    time.sleep(0.1)
                    continue
                sent.failed.append(reason)
                break


def send(url: str, bodies: list[bytes], clients: int, timeout: float) -> Sent:
    """``bodies`` split over ``clients`` threads, each its own connection."""
    deadline = time.perf_counter() + timeout
    tallies = [Sent() for _ in range(clients)]
    threads = [
        threading.Thread(target=_post_each, args=(url, bodies[i::clients], tallies[i], deadline))
        for i in range(clients)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return Sent(
        sum(t.accepted for t in tallies),
        sum(t.retried for t in tallies),
        [reason for t in tallies for reason in t.failed],
    )


def wait_stored(
    reads: Reads, expected: int, timeout: float, stall: float = 60
) -> tuple[int, float]:
    """The spans stored once ``expected`` are (or the count stops growing), and when that was."""
    deadline = time.perf_counter() + timeout
    count, changed = -1, time.perf_counter()
    while True:
        now = time.perf_counter()
        latest = reads.stored_spans()
        if latest != count:
            count, changed = latest, time.perf_counter()
        if count >= expected or now - changed > stall or now > deadline:
            return count, changed
        time.sleep(0.5)


@dataclass
class Intake:
    spans_per_second: float
    stored: int
    sent: int
    retried: int
    failed: int


def intake(
    run: Running,
    reads: Reads,
    bodies: list[bytes],
    spans: int,
    clients: int,
    before: int,
    timeout: float,
) -> Intake:
    began = time.perf_counter()
    sent = send(run.url, bodies, clients, timeout)
    stored, when = wait_stored(reads, before + spans, timeout)
    if sent.failed:
        print(f"  {len(sent.failed)} requests failed, e.g. {sent.failed[0]}", flush=True)
    rate = (stored - before) / max(when - began, 1e-9)
    return Intake(rate, stored - before, spans, sent.retried, len(sent.failed))


def timed(call: Callable[[], object], repeat: int) -> tuple[float, float]:
    """The first call's seconds and the median of the next ``repeat - 1``."""
    times = []
    for _ in range(max(repeat, 2)):
        began = time.perf_counter()
        call()
        times.append(time.perf_counter() - began)
    return times[0], statistics.median(times[1:])


def disk_bytes(directory: Path) -> int:
    return sum(path.stat().st_size for path in directory.rglob("*") if path.is_file())


Figures = dict[str, float]


def measure(
    contender: Contender, payloads: agent_trace_payloads.Payloads, args: argparse.Namespace
) -> Figures:
    """Every figure of one server, from an empty store to reads over the filled one."""
    figures: Figures = {}
    half = len(payloads.bodies) // 2
    per_body = payloads.spans / len(payloads.bodies)
    print(f"{contender.name}: starting", flush=True)
    with tempfile.TemporaryDirectory(prefix=f"{contender.name.lower()}-bench-") as scratch:
        data = Path(scratch) / "store"
        data.mkdir()
        with running(contender, data, args.start_timeout) as run:
            figures["start, empty store (s)"] = run.start_seconds
            reads = contender.reads(run.client)
            for label, bodies, clients in (
                ("intake, 1 client (spans/s)", payloads.bodies[:half], 1),
                ("intake, 4 clients (spans/s)", payloads.bodies[half:], 4),
            ):
                before = reads.stored_spans()
                spans = round(len(bodies) * per_body)
                done = intake(run, reads, bodies, spans, clients, before, args.intake_timeout)
                print(
                    f"  {label}: {done.spans_per_second:,.0f} ({done.stored:,} of {spans:,}"
                    f" stored; {done.retried} retried after 503/429)",
                    flush=True,
                )
                figures[label] = done.spans_per_second
            stored = reads.stored_spans()
        figures["spans stored"] = stored
        figures["disk per span (bytes)"] = disk_bytes(data) / max(stored, 1)
        with running(contender, data, args.start_timeout) as run:
            figures["start, filled store (s)"] = run.start_seconds
            reads = contender.reads(run.client)
            _reads(contender, reads, payloads.sample_trace_id, args.repeat, figures)
    print(f"{contender.name}: done", flush=True)
    return figures


def _reads(
    contender: Contender, reads: Reads, trace_id: str, repeat: int, figures: Figures
) -> None:
    calls: list[tuple[str, Callable[[], object]]] = [
        ("latest 50 traces", lambda: reads.latest_traces(50)),
        ("one trace tree", lambda: reads.trace_tree(trace_id)),
    ]
    if isinstance(reads, phoenix_server.PhoenixApi):
        calls.append(("latest 50 traces, REST", lambda: reads.latest_traces_rest(50)))
    if isinstance(reads, SwarmscopeApi):
        calls += [
            ("agent graph", reads.agent_graph),
            ("agent page", lambda: reads.agent_page("triage_agent")),
        ]
        dashboard = reads.eight_panel_dashboard()
        if dashboard is not None:
            calls.append(("8-panel dashboard", dashboard))
    rows = reads.latest_traces(50), reads.trace_tree(trace_id)
    print(f"  {contender.name} answers {rows[0]} traces, a tree of {rows[1]} spans", flush=True)
    if isinstance(reads, SwarmscopeApi):
        print(f"  its agent graph: {reads.agent_graph()}", flush=True)
    for label, call in calls:
        first, median = timed(call, repeat)
        figures[f"{label}, first (ms)"] = first * 1000
        figures[f"{label}, median (ms)"] = median * 1000


# Whether a larger figure is the better one, by the unit in its label.
def _higher_is_better(label: str) -> bool:
    return "spans/s" in label


def report(ours: Figures, theirs: Figures) -> None:
    print(f"\n{'figure':40s} {'swarmscope':>12s} {'Phoenix':>12s} {'ratio s/P':>10s}")
    for label in list(ours) + [label for label in theirs if label not in ours]:
        mine, other = ours.get(label), theirs.get(label)
        cells = [f"{v:12,.1f}" if v is not None else f"{'-':>12s}" for v in (mine, other)]
        ratio = ""
        if mine is not None and other is not None and other > 0 and label != "spans stored":
            better = (mine > other) == _higher_is_better(label)
            ratio = (
                f"{mine / other:9.2f}x {'(swarmscope better)' if better else '(Phoenix better)'}"
            )
        print(f"{label:40s} {cells[0]} {cells[1]} {ratio}")


def _load() -> str:
    return ", ".join(f"{value:.1f}" for value in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spans", type=int, default=500_000, help="spans sent to each server")
    parser.add_argument(
        "--repeat", type=int, default=11, help="calls of each read (first + median of the rest)"
    )
    parser.add_argument(
        "--swarmscope-src",
        type=Path,
        default=TREE,
        help="the swarmscope tree (or its src/) to serve, built; default this one",
    )
    parser.add_argument("--phoenix-venv", type=Path, default=phoenix_server.DEFAULT_VENV)
    parser.add_argument("--only", choices=("swarmscope", "phoenix"), help="measure one server")
    parser.add_argument("--start-timeout", type=float, default=600, help="s until a server answers")
    parser.add_argument("--intake-timeout", type=float, default=3600, help="s per intake phase")
    args = parser.parse_args()
    if args.spans < 2 * agent_trace_payloads.SPANS_PER_TRACE:
        parser.error("--spans must be at least 20 (two traces)")
    src = args.swarmscope_src.resolve()
    src = src / "src" if (src / "src" / "swarmscope").is_dir() else src
    if not (src / "swarmscope").is_dir():
        parser.error(f"no swarmscope package under {args.swarmscope_src}")
    # A SIGTERM stops the servers too, as Ctrl-C does: both unwind through `running`.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    contenders = []
    try:
        if args.only != "phoenix":
            contenders.append(swarmscope_contender(src))
        if args.only != "swarmscope":
            contenders.append(phoenix_contender(args.phoenix_venv))
    except phoenix_server.PhoenixUnavailable as error:
        sys.exit(f"Phoenix is not available: {error}")
    payloads = agent_trace_payloads.build(args.spans)
    size = sum(len(body) for body in payloads.bodies)
    print(
        f"{payloads.spans:,} spans in {len(payloads.bodies)} requests, {size / 2**20:.0f} MiB;"
        f" {os.cpu_count()} CPUs, load average {_load()}; swarmscope from {src}",
        flush=True,
    )
    results = {}
    try:
        for contender in contenders:
            results[contender.name] = measure(contender, payloads, args)
    except KeyboardInterrupt:
        sys.exit("interrupted; servers stopped")
    print(f"load average after: {_load()}")
    report(results.get("swarmscope", {}), results.get("Phoenix", {}))


if __name__ == "__main__":
    main()
