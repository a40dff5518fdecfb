"""``swarmscope demo``: both services on loopback, simulated people, and a live view.

The account-manager service runs in this process; the compliance checker runs as a child
process with its own service name, so A2A calls cross a real process boundary. The live view
reads the same Prometheus families the app exports: what it shows is what ``/metrics`` shows.
In a terminal it is a Rich table; elsewhere (CI, a pipe) a line every few seconds.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
from rich.console import Console
from rich.live import Live
from rich.table import Table

import swarmscope as ss
from swarmscope.config import Settings
from swarmscope.demo import load
from swarmscope.demo.api import build_services, create_app
from swarmscope.demo.serving import start_server
from swarmscope.demo.world import DemoConfig
from swarmscope.server.run import READY

SERVICE = "swarmscope-demo"
# Pushed as often as Prometheus would scrape a demo: panels move while you watch.
METRICS_PUSH_SECONDS = 2.0


@dataclass(frozen=True)
class DemoOptions:
    duration: float | None
    rate: float
    port: int
    namespace: str
    log_dir: Path
    config: DemoConfig
    server_port: int = 4318
    data_dir: Path = Path("swarmscope-data")


def total(family: str, **labels: str) -> float:
    """Sum of a catalog family's samples in this process (all series matching ``labels``)."""
    rt = ss.current()
    spec = rt.metrics[family].spec
    name = spec.full_name(rt.metrics.namespace)
    wanted = {name, f"{name}_total"} if spec.kind in ("counter", "gauge") else {f"{name}_count"}
    value = 0.0
    for metric in rt.metrics.registry.collect():
        for sample in metric.samples:
            if sample.name in wanted and all(sample.labels.get(k) == v for k, v in labels.items()):
                value += sample.value
    return value


def snapshot() -> dict[str, float]:
    return {
        "runs finished": total("orchestration_requests_total"),
        "runs failed": total("orchestration_requests_total", status="failure"),
        "agents busy": total("agent_sessions_active"),
        "LLM tokens": total("llm_tokens_total"),
        "LLM cost (USD)": round(total("llm_cost_usd_total"), 4),
        "approvals pending": total("hitl_approvals_pending"),
        "approvals timed out": total("hitl_approval_timeouts_total"),
        "errors": total("errors_total"),
        "CRM breaker (0 closed, 1 open)": total("circuit_breaker_state"),
    }


def _table(figures: dict[str, float], elapsed: float, urls: dict[str, str]) -> Table:
    table = Table(title=f"swarmscope demo · {elapsed:.0f}s")
    table.add_column("signal")
    table.add_column("value", justify="right")
    rate = figures["runs finished"] / elapsed if elapsed else 0.0
    table.add_row("runs per second", f"{rate:.2f}")
    for key, value in figures.items():
        table.add_row(key, f"{value:g}")
    for name, url in urls.items():
        table.add_row(name, url)
    return table


def start_compliance(options: DemoOptions) -> tuple[subprocess.Popen[str], str]:
    """The compliance service in its own process; returns it and its base URL."""
    command = [
        sys.executable,
        "-m",
        "swarmscope.demo.compliance",
        "--port",
        "0",
        "--namespace",
        options.namespace,
        "--seed",
        str(options.config.seed),
        "--log-file",
        str(options.log_dir / "compliance.log"),
    ]
    if options.config.has("compliance-down"):
        command.append("--down")
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=dict(os.environ))
    assert process.stdout is not None
    port = process.stdout.readline().strip()
    if not port.isdigit():
        process.kill()
        raise RuntimeError("the compliance service did not start; see its log file")
    return process, f"http://127.0.0.1:{port}"


def start_embedded_server(options: DemoOptions) -> tuple[subprocess.Popen[str], str]:
    """``swarmscope serve`` as a child process; returns it and its base URL.

    A process of its own: the server's parsing and writes do not compete with the demo's
    event loop, and a crash of either leaves the other's state readable.
    """
    command = [
        sys.executable,
        "-m",
        "swarmscope",
        "serve",
        "--port",
        str(options.server_port),
        "--data",
        str(options.data_dir),
        "--namespace",
        options.namespace,
    ]
    log = (options.log_dir / "server.log").open("a")
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=log, text=True)
    log.close()
    assert process.stdout is not None
    line = process.stdout.readline().strip()
    if not line.startswith(READY):
        process.kill()
        reason = (options.log_dir / "server.log").read_text().strip().splitlines()[-1:]
        raise RuntimeError(f"the swarmscope server did not start: {' '.join(reason)}")
    return process, line.removeprefix(READY).strip()


def stop(process: subprocess.Popen[str]) -> None:
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()


async def _serve(options: DemoOptions, console: Console) -> dict[str, float]:
    services = build_services(options.config, str(options.log_dir / "memory.sqlite3"))
    try:
        server, serving, port = await start_server(create_app(services), options.port)
    except OSError as error:
        raise RuntimeError(f"the demo service {error}") from None  # reported by run_demo
    base = f"http://127.0.0.1:{port}"
    urls = {
        "metrics": f"{base}/metrics",
        "health": f"{base}/health/ready",
        "approvals": f"{base}/api/approvals?status=pending",
        "logs": str(options.log_dir / "demo.log"),
    }
    for name, url in urls.items():
        console.print(f"{name:10s} {url}")
    stop = asyncio.Event()
    async with httpx.AsyncClient(base_url=base, timeout=15.0) as client:
        people = [
            asyncio.create_task(load.users(client, options.config, options.rate, stop)),
            asyncio.create_task(load.approvers(client, options.config, stop)),
            asyncio.create_task(load.probes(client, stop)),
        ]
        try:
            await _watch(options, console, urls)
        finally:
            stop.set()
            await asyncio.gather(*people, return_exceptions=True)
            # Let runs already started finish (their approvals time out at worst).
            deadline = time.monotonic() + options.config.approval_timeout + 5
            while total("orchestration_parallel_executions") and time.monotonic() < deadline:
                await asyncio.sleep(0.1)
            server.should_exit = True
            await serving
            await services.http.aclose()
            services.memory.close()
    return snapshot()


async def _watch(options: DemoOptions, console: Console, urls: dict[str, str]) -> None:
    started = time.monotonic()

    def running() -> bool:
        return options.duration is None or time.monotonic() - started < options.duration

    if console.is_terminal:
        with Live(_table(snapshot(), 0, urls), console=console, refresh_per_second=2) as live:
            while running():
                await asyncio.sleep(0.5)
                live.update(_table(snapshot(), time.monotonic() - started, urls))
        return
    next_line = started + 5.0
    while running():
        if time.monotonic() >= next_line:
            figures = snapshot()
            console.print(
                f"[{time.monotonic() - started:5.1f}s] "
                + " · ".join(f"{key} {value:g}" for key, value in figures.items())
            )
            next_line += 5.0
        await asyncio.sleep(0.2)


def run_demo(options: DemoOptions) -> int:
    console = Console(soft_wrap=True)
    options.log_dir.mkdir(parents=True, exist_ok=True)
    server = None
    # With an OTLP endpoint in the environment, telemetry goes there; otherwise to our own.
    if not Settings.load().otlp_endpoint:
        try:
            server, server_url = start_embedded_server(options)
        except RuntimeError as error:
            print(f"swarmscope demo: {error}", file=sys.stderr)
            return 1
        # Set for this process and inherited by the compliance service.
        os.environ["OTEL_EXPORTER_OTLP_ENDPOINT"] = server_url
        os.environ.setdefault("OTEL_METRIC_EXPORT_INTERVAL", str(int(METRICS_PUSH_SECONDS * 1000)))
        key = os.environ.get("SWARMSCOPE_API_KEY")
        if key:
            os.environ["OTEL_EXPORTER_OTLP_HEADERS"] = f"authorization=Bearer {key}"
        console.print(f"{'console':10s} {server_url}/")
    compliance, compliance_url = start_compliance(options)
    options.config.compliance_url = compliance_url
    ss.init(
        service_name=SERVICE,
        namespace=options.namespace,
        log_stream="none",
        log_file=str(options.log_dir / "demo.log"),
    )
    figures: dict[str, float] = {}
    try:
        figures = asyncio.run(_serve(options, console))
    except KeyboardInterrupt:
        figures = snapshot()
    except RuntimeError as error:
        print(f"swarmscope demo: {error}", file=sys.stderr)
        return 1
    finally:
        ss.shutdown()
        stop(compliance)
        if server is not None:
            stop(server)
    console.print("final " + " · ".join(f"{key} {value:g}" for key, value in figures.items()))
    console.print(f"JSON logs with trace ids: {options.log_dir}")
    if server is not None:
        console.print(
            "browse what was stored: swarmscope serve"
            f" --data {options.data_dir} --namespace {options.namespace}"
        )
    if not figures.get("runs finished"):
        print("no run finished; see the log files", file=sys.stderr)
        return 1
    return 0
