"""Memory of ``swarmscope serve`` under many clients posting large OTLP bodies at once.

* server: ``swarmscope serve`` with its default settings (decode workers: one per CPU),
  started as a subprocess on a free port with a fresh ``--data`` directory.
* load: ``--clients`` threads (80 by default), each posting one prebuilt OTLP/HTTP protobuf
  traces body of about ``--body-mib`` MiB (14 by default: spans with large attribute values,
  as an agent's prompts and tool results make them) back to back for ``--seconds``. A 503
  is retried after its ``Retry-After`` (capped by the time left), as an exporter would.
* measured: the server's RSS (its own process plus its decode workers, summed) sampled
  every 100 ms, its peak, the answers by status, and the latency of each request.

The audit (issue 10) saw 1.9 GiB at 40 clients and 3.1 GiB at 80 before the byte budget;
the floor is a peak under 1 GiB with 80 clients.

    python benchmarks/server_memory.py [--seconds 20] [--clients 80] [--body-mib 14]
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import httpx
import psutil
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

from server_ingest import started

FLOOR_BYTES = 1024**3
HEADERS = {"content-type": "application/x-protobuf"}
# One span's large attribute: a prompt-sized text, a little different in every span.
PROMPT = "You are the account manager's memory analyst. Summarise the history below. " * 100


def large_body(mib: float) -> tuple[bytes, int]:
    """An OTLP traces request of about ``mib`` MiB and its span count: each span carries a
    prompt and a completion of several KiB, so the body is mostly attribute values."""
    request = ExportTraceServiceRequest()
    group = request.resource_spans.add()
    group.resource.attributes.add(key="service.name").value.string_value = "memory-bench"
    spans = group.scope_spans.add().spans
    now = time.time_ns()
    number = 0
    while request.ByteSize() < mib * 1024**2:
        for _ in range(100):  # ByteSize walks the whole message: check it now and then
            number += 1
            span = spans.add(name="chat gpt-4o", kind=3, start_time_unix_nano=now)
            span.end_time_unix_nano = now + 1_000_000
            span.trace_id = number.to_bytes(16, "big")
            span.span_id = number.to_bytes(8, "big")
            span.attributes.add(key="gen_ai.prompt").value.string_value = f"{number} {PROMPT}"
            span.attributes.add(key="gen_ai.completion").value.string_value = PROMPT[number % 97 :]
    return request.SerializeToString(), number


@dataclass
class Answers:
    """What the clients saw; each thread appends, the GIL keeps the list whole."""

    statuses: Counter[int] = field(default_factory=Counter)
    latencies: list[float] = field(default_factory=list)
    accepted_latencies: list[float] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, status: int, seconds: float) -> None:
        with self.lock:
            self.statuses[status] += 1
            self.latencies.append(seconds)
            if status == 200:
                self.accepted_latencies.append(seconds)


def client(url: str, body: bytes, stop: float, answers: Answers) -> None:
    """Post ``body`` until ``stop`` on one keep-alive connection; 0 counts a lost connection."""
    with httpx.Client(base_url=url, headers=HEADERS, timeout=120) as http:
        while time.monotonic() < stop:
            began = time.monotonic()
            try:
                answer = http.post("/v1/traces", content=body)
                status, retry = answer.status_code, answer.headers.get("retry-after")
            except httpx.HTTPError:
                status, retry = 0, None
            answers.add(status, time.monotonic() - began)
            if status == 503:
                wait = float(retry) if retry and retry.isdigit() else 1.0
                time.sleep(max(0.0, min(wait, stop - time.monotonic())))


def rss_bytes(server: psutil.Process) -> int:
    """The server's resident memory: its own process plus every child (the decode workers)."""
    total = 0
    for process in (server, *server.children(recursive=True)):
        # A worker may end between the listing and the reading: it holds nothing then.
        with contextlib.suppress(psutil.NoSuchProcess):
            total += process.memory_info().rss
    return total


def sample_peak(server: psutil.Process, done: threading.Event, peak: list[int]) -> None:
    """Every 100 ms until ``done``: keep the highest RSS seen in ``peak[0]``."""
    while not done.wait(0.1):
        try:
            peak[0] = max(peak[0], rss_bytes(server))
        except psutil.NoSuchProcess:
            return


def run(
    url: str, server: psutil.Process, body: bytes, args: argparse.Namespace
) -> tuple[Answers, int]:
    """Drive the server with the clients for ``args.seconds``; the answers and the peak RSS."""
    answers, peak, done = Answers(), [rss_bytes(server)], threading.Event()
    sampler = threading.Thread(target=sample_peak, args=(server, done, peak), daemon=True)
    sampler.start()
    stop = time.monotonic() + args.seconds
    clients = [
        threading.Thread(target=client, args=(url, body, stop, answers), daemon=True)
        for _ in range(args.clients)
    ]
    for thread in clients:
        thread.start()
    for thread in clients:
        # A request started just before ``stop`` may still take a while; bounded all the same.
        thread.join(timeout=args.seconds + 180)
    done.set()
    sampler.join(timeout=5)
    return answers, peak[0]


def report(answers: Answers, peak: int, spans_per_body: int, stored: int) -> None:
    mib = 1024**2
    statuses = answers.statuses
    others = sum(count for status, count in statuses.items() if status not in (200, 503, 413))
    p50 = statistics.median(answers.latencies) if answers.latencies else float("nan")
    p50_ok = statistics.median(answers.accepted_latencies) if answers.accepted_latencies else 0.0
    rows = (
        ("peak RSS (server + workers)", f"{peak / mib:,.0f} MiB"),
        ("under 1 GiB", "yes" if peak < FLOOR_BYTES else "NO"),
        ("200 (stored)", f"{statuses[200]}"),
        ("503 (retry later)", f"{statuses[503]}"),
        ("413 (never fits)", f"{statuses[413]}"),
        ("other / lost connection", f"{others} {dict(statuses)}" if others else "0"),
        ("p50 latency, all answers", f"{p50:.2f} s"),
        ("p50 latency, 200s", f"{p50_ok:.2f} s"),
        ("spans stored / 200s x spans", f"{stored:,} / {statuses[200] * spans_per_body:,}"),
    )
    for name, value in rows:
        print(f"  {name:30s} {value}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--clients", type=int, default=80)
    parser.add_argument("--body-mib", type=float, default=14.0)
    args = parser.parse_args()
    body, spans = large_body(args.body_mib)
    print(
        f"{args.clients} clients posting one {len(body) / 1024**2:.1f} MiB body of {spans:,}"
        f" spans for {args.seconds:.0f} s; {psutil.cpu_count()} cores"
    )
    with tempfile.TemporaryDirectory() as data:
        command = [sys.executable, "-m", "swarmscope", "serve", "--port", "0", "--grpc-port", "-1"]
        command += ["--data", data]
        with started(command) as (url, server):
            answers, peak = run(url, server, body, args)
        with duckdb.connect(str(Path(data) / "swarmscope.duckdb"), read_only=True) as db:
            [(stored,)] = db.execute("SELECT count(*) FROM spans").fetchall()
    report(answers, peak, spans, stored)


if __name__ == "__main__":
    main()
