"""Span intake of ``swarmscope serve`` over OTLP/HTTP and over OTLP/gRPC, in the same run.

Each round starts two fresh servers (``--data`` of their own, free ports) and loads them at
the same time, one over each transport, with the same prebuilt requests of 512 realistic
GenAI spans (``server_ingest.span_request``) from client processes of a few threads each:
over HTTP, one keep-alive connection per thread, protobuf bodies; over gRPC, one channel
per thread, the raw request bytes to ``TraceService/Export``. Which server starts first
alternates. Loaded at once, both write as much and share the machine's state; one server
taking the transports in turns, a checkpoint of its store falling in one window moved that
window's rate by up to a third and single rounds ranged 0.7-1.3x. Each server then reaches
about half its rate alone: the ratio is the figure. An answer of "retry later" (503,
UNAVAILABLE) is counted apart and retried after a short pause, as an exporter would.
Reported: spans/s accepted over each transport, each server's CPU seconds per 10,000 spans,
and the ratio gRPC / HTTP (the goal: at least 1).

    python benchmarks/intake_grpc_vs_http.py [--seconds 10] [--rounds 5] [--clients 2]
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
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from urllib.parse import urlsplit

import grpc
import psutil

from server_ingest import span_request, stored_spans

EXPORT_TRACES = "/opentelemetry.proto.collector.trace.v1.TraceService/Export"
READY = "swarmscope server listening on"


@dataclass
class Tally:
    accepted: int = 0
    busy: int = 0
    failed: int = 0


Send = Callable[[bytes], str]  # "ok", "busy" or "failed"


def http_sender(url: str) -> Send:
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
    headers = {"Content-Type": "application/x-protobuf"}

    def send(body: bytes) -> str:
        nonlocal connection
        try:
            connection.request("POST", "/v1/traces", body, headers)
            response = connection.getresponse()
            response.read()
        except (OSError, http.client.HTTPException):
            connection.close()
            connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
            return "failed"
        return {200: "ok", 503: "busy"}.get(response.status, "failed")

    return send


def grpc_sender(address: str) -> Send:
    channel = grpc.insecure_channel(address)
    export = channel.unary_unary(EXPORT_TRACES)

    def send(body: bytes) -> str:
        try:
            export(body, timeout=60)
        except grpc.RpcError as error:
            busy = error.code() == grpc.StatusCode.UNAVAILABLE  # type: ignore[attr-defined]
            return "busy" if busy else "failed"
        return "ok"

    return send


def _send_loop(
    make: Callable[[], Send], bodies: list[bytes], start: float, stop: float, tally: Tally
) -> None:
    send = make()
    index = random.randrange(len(bodies))
    while time.time() < stop:
        index = (index + 1) % len(bodies)
        outcome = send(bodies[index])
        if start <= time.time() <= stop:
            tally.accepted += outcome == "ok"
            tally.busy += outcome == "busy"
            tally.failed += outcome == "failed"
        if outcome == "busy":
            time.sleep(0.05)


def _client(
    transport: str,
    target: str,
    bodies: list[bytes],
    threads: int,
    start: float,
    stop: float,
    results: object,
) -> None:
    def make() -> Send:
        return http_sender(target) if transport == "http" else grpc_sender(target)

    tallies = [Tally() for _ in range(threads)]
    workers = [
        threading.Thread(target=_send_loop, args=(make, bodies, start, stop, tally))
        for tally in tallies
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    results.put(  # type: ignore[attr-defined]
        tuple(
            sum(getattr(tally, name) for tally in tallies)
            for name in ("accepted", "busy", "failed")
        )
    )


@dataclass
class Totals:
    accepted: int = 0
    busy: int = 0
    failed: int = 0
    seconds: float = 0.0
    cpu_seconds: float = 0.0


def window(
    transport: str,
    target: str,
    server: psutil.Process,
    bodies: list[bytes],
    args: argparse.Namespace,
    totals: Totals,
) -> float:
    """Drive one transport for a warm-up and a measured window; its spans/s."""
    context = multiprocessing.get_context("spawn")  # grpc does not survive a fork
    results = context.Queue()
    start = time.time() + args.warmup
    stop = start + args.seconds
    clients = [
        context.Process(
            target=_client,
            args=(transport, target, bodies, args.threads, start, stop, results),
        )
        for _ in range(args.clients)
    ]
    for client in clients:
        client.start()
    while time.time() < start:
        time.sleep(0.01)
    cpu_before = _cpu_seconds(server)
    while time.time() < stop:
        time.sleep(0.05)
    totals.cpu_seconds += _cpu_seconds(server) - cpu_before
    counts = [results.get(timeout=300) for _ in clients]
    for client in clients:
        client.join(60)
    accepted = sum(count[0] for count in counts)
    totals.accepted += accepted
    totals.busy += sum(count[1] for count in counts)
    totals.failed += sum(count[2] for count in counts)
    totals.seconds += args.seconds
    return accepted * args.batch / args.seconds


def _cpu_seconds(process: psutil.Process) -> float:
    """CPU used so far by the server and its children (the decode workers)."""
    processes = [process, *process.children(recursive=True)]
    return sum(sum(each.cpu_times()[:2]) for each in processes)


@contextmanager
def started(data: str, decode_processes: int | None) -> Iterator[tuple[str, str, psutil.Process]]:
    """``swarmscope serve`` on two free ports: its URL, its gRPC address, its process."""
    command = [sys.executable, "-m", "swarmscope", "serve", "--port", "0", "--grpc-port", "0"]
    command += ["--data", data]
    if decode_processes is not None:
        command += ["--decode-processes", str(decode_processes)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        if not line.startswith(READY):
            raise RuntimeError(f"swarmscope serve did not start: {line!r}")
        url, _, address, _ = line.removeprefix(READY).split()
        yield url, address, psutil.Process(process.pid)
    finally:
        process.terminate()
        process.wait(timeout=60)


def _drive(
    transport: str,
    server: tuple[str, str, psutil.Process],
    bodies: list[bytes],
    args: argparse.Namespace,
    totals: Totals,
    rates: dict[str, float],
) -> None:
    url, address, process = server
    target = url if transport == "http" else address
    rates[transport] = window(transport, target, process, bodies, args, totals)


def paired(bodies: list[bytes], args: argparse.Namespace, totals: dict[str, Totals]) -> int:
    """Each round, two fresh servers loaded at once, one per transport; the spans they hold."""
    stored = 0
    for number in range(args.rounds):
        transports = ("http", "grpc") if number % 2 == 0 else ("grpc", "http")
        with ExitStack() as folders:
            data = {t: folders.enter_context(tempfile.TemporaryDirectory()) for t in transports}
            rates: dict[str, float] = {}
            with ExitStack() as servers:
                running = {
                    t: servers.enter_context(started(data[t], args.decode_processes))
                    for t in transports
                }
                drivers = [
                    threading.Thread(
                        target=_drive, args=(t, running[t], bodies, args, totals[t], rates)
                    )
                    for t in transports
                ]
                for driver in drivers:
                    driver.start()
                for driver in drivers:
                    driver.join()
            stored += sum(stored_spans(folder) for folder in data.values())
        if set(rates) != set(transports):
            raise RuntimeError("a transport's load did not finish; see its error above")
        print(
            f"  round {number + 1}: http {rates['http']:8,.0f}, grpc {rates['grpc']:8,.0f}"
            f" spans/s, gRPC / HTTP {rates['grpc'] / rates['http']:.2f}x",
            flush=True,
        )
    return stored


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="each measured window")
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--rounds", type=int, default=5, help="pairs of fresh servers")
    parser.add_argument("--clients", type=int, default=2, help="client processes")
    parser.add_argument("--threads", type=int, default=2, help="connections per client")
    parser.add_argument("--batch", type=int, default=512, help="spans per request")
    parser.add_argument("--requests", type=int, default=64, help="distinct prebuilt requests")
    parser.add_argument(
        "--decode-processes", type=int, help="passed to swarmscope serve (default: its own)"
    )
    args = parser.parse_args()
    bodies = [span_request(seed, args.batch) for seed in range(args.requests)]
    size = sum(len(body) for body in bodies) / len(bodies)
    print(
        f"{args.requests} prebuilt requests of {args.batch} spans, {size / 1024:.0f} KiB each;"
        f" {args.clients} client processes x {args.threads} connections, {os.cpu_count()} cores;"
        f" {args.rounds} rounds of {args.seconds:.0f} s, two fresh servers at once, one per transport"
    )
    totals = {"http": Totals(), "grpc": Totals()}
    stored = paired(bodies, args, totals)
    rates = {}
    for transport, total in totals.items():
        spans = total.accepted * args.batch
        rates[transport] = spans / total.seconds
        print(
            f"{transport:4s} {rates[transport]:10,.0f} spans/s accepted"
            f"  (busy {total.busy}, failed {total.failed});"
            f" server CPU per 10,000 spans {total.cpu_seconds / max(spans, 1) * 1e4:.2f} s"
        )
    print(f"ratio gRPC / HTTP: {rates['grpc'] / rates['http']:.2f}x; spans stored: {stored:,}")


if __name__ == "__main__":
    main()
