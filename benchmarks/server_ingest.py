"""Sustained span intake of ``swarmscope serve``, against a no-op OTLP endpoint in the same run.

* server: ``swarmscope serve`` started as a subprocess on a free port with a fresh ``--data``
  directory; every 200 means the batch was decoded and committed to DuckDB.
* no-op: a tiny uvicorn app that reads the body and answers 200 without parsing it: the
  cost of HTTP alone, on the same stack, so the ratio shows what decoding and storing add.

Client processes (separate from the server, each with a few threads on keep-alive
connections) post prebuilt OTLP/HTTP protobuf requests of 512 realistic GenAI spans (about
15 attributes each) for the measured window after a warm-up. A 503 (queue full) is counted
apart and retried after a short pause, as an exporter would. Reported: sustained spans/s
that got a 200, the server's peak RSS (VmHWM), the CPU seconds of the server and its decode
workers, and the spans the store holds
afterwards (each accepted span must be there). The issue's floor is 20,000 spans/s.

    python benchmarks/server_ingest.py [--seconds 15] [--clients 2] [--threads 2]
    python benchmarks/server_ingest.py --compare-src ../main/src   # a change's effect, same run
    python benchmarks/server_ingest.py --compare-src ../main/src --rounds 3 --seconds 10
    python benchmarks/server_ingest.py --compare-src ../main/src --rounds 5 --paired

With ``--paired`` the two servers run at the same time, each loaded by its own clients, so
each round compares them on the same machine state; taken in turns, as without it, a shared
machine's drift between the two runs of a round moved single ratios by 10-20%. They then
share the cores, and each one's spans/s is about half of what it reaches alone: the ratio
is the figure. Which one starts first alternates between rounds.
"""

from __future__ import annotations

import argparse
import http.client
import multiprocessing
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import duckdb
import psutil
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue

FLOOR_SPANS_PER_SECOND = 20_000
AGENTS = ("zoho_data_scout", "memory_analyst", "recommendation_author", "compliance_checker")
TOOLS = ("fetch_account", "search_deals", "recall_history", "policy_lookup")
MODELS = ("gpt-4o", "gpt-4o-mini", "claude-sonnet-4")

NOOP = """
import socket, sys, uvicorn

async def app(scope, receive, send):
    if scope["type"] == "lifespan":
        while (await receive())["type"] != "lifespan.shutdown":
            await send({"type": "lifespan.startup.complete"})
        await send({"type": "lifespan.shutdown.complete"})
        return
    more = True
    while more:
        more = (await receive()).get("more_body", False)
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"application/x-protobuf")]})
    await send({"type": "http.response.body", "body": b""})

sock = socket.socket()
sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
sock.bind(("127.0.0.1", 0))
print(f"listening on http://127.0.0.1:{sock.getsockname()[1]}", flush=True)
uvicorn.Server(uvicorn.Config(app, log_config=None, access_log=False)).run(sockets=[sock])
"""


def _kv(key: str, value: str | int | float | bool | list[str]) -> KeyValue:
    any_value = AnyValue()
    if isinstance(value, bool):
        any_value.bool_value = value
    elif isinstance(value, int):
        any_value.int_value = value
    elif isinstance(value, float):
        any_value.double_value = value
    elif isinstance(value, list):
        any_value.array_value.values.extend(AnyValue(string_value=v) for v in value)
    else:
        any_value.string_value = value
    return KeyValue(key=key, value=any_value)


def _attributes(rng: random.Random, kind: str, agent: str, session: str) -> dict[str, object]:
    """About fifteen attributes, as the SDK writes them for each kind of span; a trace's
    spans share their conversation, as an app's do."""
    common: dict[str, object] = {
        "gen_ai.agent.name": agent,
        "gen_ai.conversation.id": session,
        "swarmscope.operation": "recommend",
        "account_id": f"acct-{rng.randrange(5000):05d}",
        "deployment.tier": rng.choice(("gold", "silver", "bronze")),
    }
    if kind == "chat":
        model = rng.choice(MODELS)
        return common | {
            "gen_ai.operation.name": "chat",
            "gen_ai.request.model": model,
            "gen_ai.response.model": f"{model}-2025-01-01",
            "gen_ai.provider.name": "openai",
            "gen_ai.system": "openai",
            "gen_ai.usage.input_tokens": rng.randrange(200, 4000),
            "gen_ai.usage.output_tokens": rng.randrange(20, 800),
            "gen_ai.request.temperature": 0.2,
            "gen_ai.response.finish_reasons": ["stop"],
            "gen_ai.response.id": f"chatcmpl-{rng.getrandbits(64):016x}",
            "swarmscope.llm.cost_usd": rng.random() / 100,
        }
    if kind == "tool":
        return common | {
            "gen_ai.operation.name": "execute_tool",
            "gen_ai.tool.name": rng.choice(TOOLS),
            "gen_ai.tool.type": "function",
            "gen_ai.tool.call.id": f"call_{rng.getrandbits(48):012x}",
            "swarmscope.tool.result_bytes": rng.randrange(100, 20_000),
            "swarmscope.tool.cache_hit": rng.random() < 0.3,
            "http.response.status_code": 200,
            "server.address": "crm.internal",
            "server.port": 443,
            "swarmscope.attempt": 1,
        }
    return common | {
        "gen_ai.operation.name": "invoke_agent",
        "gen_ai.agent.id": f"{agent}-1",
        "gen_ai.agent.description": "one of the demo's agents",
        "swarmscope.handoff.from_agent": rng.choice(AGENTS),
        "swarmscope.handoff.latency_ms": rng.random() * 50,
        "swarmscope.agent.steps": rng.randrange(1, 8),
        "input_keys": ["account_id", "deals", "tier"],
        "code.function": "run",
        "thread.name": "MainThread",
        "process.pid": 4242,
    }


def span_request(seed: int, spans: int) -> bytes:
    """One OTLP/HTTP protobuf body of ``spans`` spans: traces of an agent, tools and LLM calls."""
    rng = random.Random(seed)
    request = ExportTraceServiceRequest()
    group = request.resource_spans.add()
    for key, value in (
        ("service.name", "account-manager"),
        ("service.namespace", "swarmscope"),
        ("service.version", "1.4.2"),
        ("deployment.environment.name", "bench"),
        ("host.name", "bench-host"),
        ("telemetry.sdk.language", "python"),
    ):
        group.resource.attributes.append(_kv(key, value))
    scope = group.scope_spans.add()
    scope.scope.name = "swarmscope"
    now = time.time_ns()
    trace_id, root_id, session = b"", b"", ""
    for index in range(spans):
        kind = ("agent", "tool", "chat", "tool", "chat")[index % 5]
        if kind == "agent":
            trace_id, root_id = rng.randbytes(16), rng.randbytes(8)
            session = f"session-{rng.randrange(10_000)}"
        agent = AGENTS[(index // 5) % len(AGENTS)]
        span = scope.spans.add()
        span.trace_id = trace_id
        span.span_id = root_id if kind == "agent" else rng.randbytes(8)
        if kind != "agent":
            span.parent_span_id = root_id
        name = {"agent": "invoke_agent", "tool": "execute_tool", "chat": "chat"}[kind]
        span.name = f"{name} {agent if kind == 'agent' else rng.choice(TOOLS + MODELS)}"
        span.kind = 3 if kind == "chat" else 1
        start = now - rng.randrange(10**9, 60 * 10**9)
        span.start_time_unix_nano = start
        span.end_time_unix_nano = start + rng.randrange(10**6, 3 * 10**9)
        span.status.code = 2 if rng.random() < 0.02 else 1
        for key, value in _attributes(rng, kind, agent, session).items():
            span.attributes.append(_kv(key, value))  # type: ignore[arg-type]
    return request.SerializeToString()


@dataclass
class Tally:
    accepted: int = 0
    busy: int = 0
    failed: int = 0
    # Every 200, warm-up included: what the store must hold afterwards.
    total: int = 0


def _post_loop(url: str, bodies: list[bytes], start: float, stop: float, tally: Tally) -> None:
    """Post bodies back to back on one keep-alive connection; count answers inside the window."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
    headers = {"Content-Type": "application/x-protobuf"}
    index = random.randrange(len(bodies))
    while time.time() < stop:
        index = (index + 1) % len(bodies)
        try:
            connection.request("POST", "/v1/traces", bodies[index], headers)
            response = connection.getresponse()
            response.read()
            status = response.status
        except (OSError, http.client.HTTPException):
            connection.close()
            connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
            status = 0
        done = time.time()
        tally.total += status == 200
        if start <= done <= stop:
            if status == 200:
                tally.accepted += 1
            elif status == 503:
                tally.busy += 1
            else:
                tally.failed += 1
        if status == 503:
            time.sleep(0.05)
    connection.close()


def _client(
    url: str, bodies: list[bytes], threads: int, start: float, stop: float, results: object
) -> None:
    tallies = [Tally() for _ in range(threads)]
    workers = [
        threading.Thread(target=_post_loop, args=(url, bodies, start, stop, tally))
        for tally in tallies
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    fields = ("accepted", "busy", "failed", "total")
    results.put(  # type: ignore[attr-defined]
        tuple(sum(getattr(tally, field) for tally in tallies) for field in fields)
    )


@dataclass(frozen=True)
class Run:
    accepted: int
    busy: int
    failed: int
    total: int
    seconds: float
    batch: int
    peak_rss_mb: float
    cpu_seconds: float

    @property
    def spans_per_second(self) -> float:
        return self.accepted * self.batch / self.seconds


def load(url: str, process: psutil.Process, bodies: list[bytes], args: argparse.Namespace) -> Run:
    """Drive ``url`` from client processes for the warm-up plus the measured window."""
    context = multiprocessing.get_context("fork")
    results = context.Queue()
    start = time.time() + args.warmup
    stop = start + args.seconds
    cpu_before: float | None = None
    clients = [
        context.Process(target=_client, args=(url, bodies, args.threads, start, stop, results))
        for _ in range(args.clients)
    ]
    for client in clients:
        client.start()
    while time.time() < start:
        time.sleep(0.01)
    cpu_before = _cpu_seconds(process)
    while time.time() < stop:
        time.sleep(0.05)
    cpu = _cpu_seconds(process) - cpu_before
    totals = [results.get(timeout=120) for _ in clients]
    for client in clients:
        client.join(30)
    return Run(
        accepted=sum(t[0] for t in totals),
        busy=sum(t[1] for t in totals),
        failed=sum(t[2] for t in totals),
        total=sum(t[3] for t in totals),
        seconds=args.seconds,
        batch=args.batch,
        peak_rss_mb=peak_rss_mb(process),
        cpu_seconds=cpu,
    )


def _cpu_seconds(process: psutil.Process) -> float:
    """CPU used so far by the server and its children (the decode workers)."""
    processes = [process, *process.children(recursive=True)]
    return sum(sum(each.cpu_times()[:2]) for each in processes)


def peak_rss_mb(process: psutil.Process) -> float:
    """The process's high-water resident set (VmHWM), not a sample that may miss the peak."""
    for line in Path(f"/proc/{process.pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return process.memory_info().rss / 2**20


@contextmanager
def started(
    command: list[str], env: dict[str, str] | None = None
) -> Iterator[tuple[str, psutil.Process]]:
    """A server subprocess and the URL it printed; SIGTERM (a graceful stop) on exit."""
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=env)
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        if "http://" not in line:
            raise RuntimeError(f"{command[:4]} did not start: {line!r}")
        # The URL alone: the line may go on ("... and 127.0.0.1:4317 (OTLP/gRPC)").
        yield line[line.index("http://") :].split()[0], psutil.Process(process.pid)
    finally:
        process.terminate()
        process.wait(timeout=60)


def report(name: str, run: Run) -> None:
    print(
        f"{name:18s} {run.spans_per_second:10,.0f} spans/s accepted"
        f"  ({run.accepted} x {run.batch} in {run.seconds:.0f} s; 503: {run.busy},"
        f" other failures: {run.failed})"
        f"  peak RSS {run.peak_rss_mb:6.1f} MB, CPU {run.cpu_seconds:5.1f} s"
    )


def serve_and_load(
    bodies: list[bytes], args: argparse.Namespace, src: Path | None
) -> tuple[Run, int]:
    """Load a fresh server (from ``src`` when given) and count the spans it then holds."""
    return serve_and_load_together(bodies, args, [src])[0]


def serve_and_load_together(
    bodies: list[bytes], args: argparse.Namespace, sources: list[Path | None]
) -> list[tuple[Run, int]]:
    """Fresh servers, one per source tree (None: this one), loaded at the same time, each by
    its own clients; each one's run and the spans it then holds."""
    with ExitStack() as directories, ExitStack() as stack:
        servers = []
        for src in sources:
            env = dict(os.environ)
            if src is not None:
                env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(src), env.get("PYTHONPATH")]))
            folder = directories.enter_context(tempfile.TemporaryDirectory())
            serve = [sys.executable, "-m", "swarmscope", "serve", "--port", "0", "--data", folder]
            if _takes_grpc_port(env):
                serve += ["--grpc-port", "-1"]  # HTTP is measured; several runs may overlap
            if args.decode_processes is not None:
                serve += ["--decode-processes", str(args.decode_processes)]
            servers.append((Path(folder), stack.enter_context(started(serve, env))))
        runs: list[Run | None] = [None] * len(servers)

        def drive(at: int) -> None:
            url, process = servers[at][1]
            runs[at] = load(url, process, bodies, args)

        drivers = [threading.Thread(target=drive, args=(at,)) for at in range(len(servers))]
        for driver in drivers:
            driver.start()
        for driver in drivers:
            driver.join()
        stack.close()  # the servers stop, and commit what they acknowledged; data stays
        found = []
        for (data, _), run in zip(servers, runs, strict=True):
            if run is None:
                raise RuntimeError("a load did not finish; see its error above")
            found.append((run, stored_spans(data)))
    return found


def stored_spans(data: Path | str) -> int:
    """The spans a stopped server's ``--data`` directory holds."""
    with duckdb.connect(str(Path(data) / "swarmscope.duckdb"), read_only=True) as db:
        [(stored,)] = db.execute("SELECT count(*) FROM spans").fetchall()
    return int(stored)


def _median_run(runs: list[tuple[Run, int]]) -> tuple[Run, int]:
    """The run with the median spans/s (the lower middle one of an even count)."""
    ordered = sorted(runs, key=lambda found: found[0].spans_per_second)
    return ordered[(len(ordered) - 1) // 2]


def _takes_grpc_port(env: dict[str, str]) -> bool:
    """Whether the server's tree listens on OTLP/gRPC (a --compare-src tree may predate it)."""
    helped = subprocess.run(
        [sys.executable, "-m", "swarmscope", "serve", "--help"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    return "--grpc-port" in helped.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--clients", type=int, default=2, help="client processes")
    parser.add_argument("--threads", type=int, default=2, help="connections per client")
    parser.add_argument("--batch", type=int, default=512, help="spans per request")
    parser.add_argument("--requests", type=int, default=64, help="distinct prebuilt requests")
    parser.add_argument(
        "--decode-processes", type=int, help="passed to swarmscope serve (default: its own)"
    )
    parser.add_argument(
        "--compare-src",
        type=Path,
        help="also run the server from this source tree (another checkout's src/, built), "
        "same run, and print the ratio",
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=1,
        help="with --compare-src: runs of each tree, taking turns; the medians are compared "
        "(one run of each varies by 20%% on a shared machine)",
    )
    parser.add_argument(
        "--paired",
        action="store_true",
        help="with --compare-src: run both servers at once in each round (see above)",
    )
    args = parser.parse_args()
    bodies = [span_request(seed, args.batch) for seed in range(args.requests)]
    size = sum(len(body) for body in bodies) / len(bodies)
    print(
        f"{args.requests} prebuilt requests of {args.batch} spans, {size / 1024:.0f} KiB each;"
        f" {args.clients} client processes x {args.threads} connections, {os.cpu_count()} cores"
    )
    rounds: list[tuple[tuple[Run, int], tuple[Run, int] | None]] = []
    for turn in range(args.rounds if args.compare_src is not None else 1):
        if args.compare_src is not None and args.paired:
            first, second = (None, args.compare_src) if turn % 2 == 0 else (args.compare_src, None)
            together = serve_and_load_together(bodies, args, [first, second])
            rounds.append(
                (together[0], together[1]) if first is None else (together[1], together[0])
            )
            continue
        this_tree = serve_and_load(bodies, args, None)
        other = None if args.compare_src is None else serve_and_load(bodies, args, args.compare_src)
        rounds.append((this_tree, other))
    server, stored = _median_run([this for this, _ in rounds])
    compared = None
    if args.compare_src is not None:
        compared = _median_run([other for _, other in rounds if other is not None])
        if len(rounds) > 1:
            ratios = [
                this[0].spans_per_second / other[0].spans_per_second
                for this, other in rounds
                if other
            ]
            print("per round, this tree / --compare-src: " + ", ".join(f"{r:.2f}x" for r in ratios))
            print(f"median of the rounds' ratios: {sorted(ratios)[(len(ratios) - 1) // 2]:.2f}x")
    with started([sys.executable, "-c", NOOP]) as (url, process):
        noop = load(url, process, bodies, args)
    report("swarmscope serve", server)
    if compared is not None:
        report("  from --compare-src", compared[0])
    report("no-op endpoint", noop)
    if compared is not None:
        ratio = server.spans_per_second / compared[0].spans_per_second
        print(f"this tree / --compare-src: {ratio:.2f}x spans/s (median of {len(rounds)} each)")
        cpu = [run.cpu_seconds / (run.accepted * args.batch) for run in (server, compared[0])]
        print(f"server CPU per span, this tree / --compare-src: {cpu[0] / cpu[1]:.2f}x")
    # Paired, each server has half the cores: its spans/s says nothing of the floor.
    floor = (
        "not judged when paired"
        if args.paired and args.compare_src is not None
        else "met"
        if server.spans_per_second >= FLOOR_SPANS_PER_SECOND
        else "MISSED"
    )
    print(
        f"ratio to the no-op endpoint: {server.spans_per_second / noop.spans_per_second:.2f}x;"
        f" floor {FLOOR_SPANS_PER_SECOND:,} spans/s: {floor}"
    )
    print(
        f"server CPU per 10,000 spans: {server.cpu_seconds / (server.accepted * args.batch) * 1e4:.2f} s;"
        f" spans in the store after the run: {stored:,}"
        f" (all {server.total:,} accepted requests: {stored == server.total * args.batch})"
    )


if __name__ == "__main__":
    main()
