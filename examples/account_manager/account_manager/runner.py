"""``swarmscope demo``: both services on loopback, simulated people, and a live view.

The account-manager service runs in this process; the compliance checker runs as a child
process with its own service name, so A2A calls cross a real process boundary. The live view
reads the same Prometheus families the app exports: what it shows is what ``/metrics`` shows.
In a terminal it is a Rich table; elsewhere (CI, a pipe) a line every few seconds.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import socket
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
from account_manager import load
from account_manager.api import build_services, create_app
from account_manager.catalog import CATALOG
from account_manager.integrations import CRM
from account_manager.serving import listen, start_server
from account_manager.webui import WebUi
from account_manager.world import DEMO_TIME_SCALE, HAND_WRITTEN, DemoConfig
from swarmscope.config import Settings
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
    framework: str = HAND_WRITTEN
    # Simulated approvers answer pending approvals; without them a person does (the web UI).
    approvers: bool = True
    # The embedded server's alert windows and `for` durations are this many times shorter.
    time_scale: float = DEMO_TIME_SCALE


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


def breaker_states(integration: str) -> list[int]:
    """The state of each of ``integration``'s circuit breakers in this process (the
    ``circuit_breaker_state`` gauge: 0 closed, 1 open, 2 half-open)."""
    rt = ss.current()
    name = rt.metrics["circuit_breaker_state"].spec.full_name(rt.metrics.namespace)
    return [
        int(sample.value)
        for metric in rt.metrics.registry.collect()
        for sample in metric.samples
        if sample.name == name and sample.labels.get("integration_name") == integration
    ]


def breaker_summary(states: list[int]) -> str:
    """Breakers' states in words, the one that needs attention first: "open (1 of 1)",
    "open (1 of 2), closed (1 of 2)"; "no calls yet" before any breaker reported."""
    if not states:
        return "no calls yet"
    shown = []
    for state in (ss.BreakerState.OPEN, ss.BreakerState.HALF_OPEN, ss.BreakerState.CLOSED):
        found = states.count(state)
        if found:
            word = state.name.lower().replace("_", "-")
            shown.append(f"{word} ({found} of {len(states)})")
    return ", ".join(shown)


Figures = dict[str, float | str]


def snapshot() -> Figures:
    finished = total("orchestration_requests_total")
    return {
        "runs finished": finished,
        # Failed for any reason: an error, a timeout, or cancelled at shutdown.
        "runs failed": finished - total("orchestration_requests_total", status="success"),
        "agents busy": total("agent_sessions_active"),
        "LLM tokens": total("llm_tokens_total"),
        "LLM cost (USD)": round(total("llm_cost_usd_total"), 4),
        "approvals pending": total("hitl_approvals_pending"),
        "approvals timed out": total("hitl_approval_timeouts_total"),
        "errors": total("errors_total"),
        "CRM breaker": breaker_summary(breaker_states(CRM)),
    }


def shown(value: float | str) -> str:
    return value if isinstance(value, str) else f"{value:g}"


def status_line(figures: Figures) -> str:
    """The figures on one line: "runs finished 12 · ... · CRM breaker: open (1 of 1)"."""
    return " · ".join(
        f"{key}: {value}" if isinstance(value, str) else f"{key} {value:g}"
        for key, value in figures.items()
    )


def _table(figures: Figures, elapsed: float, urls: dict[str, str]) -> Table:
    table = Table(title=f"swarmscope demo · {elapsed:.0f}s")
    table.add_column("signal")
    table.add_column("value", justify="right")
    finished = float(figures["runs finished"])
    rate = finished / elapsed if elapsed else 0.0
    table.add_row("runs per second", f"{rate:.2f}")
    for key, value in figures.items():
        table.add_row(key, shown(value))
    for name, url in urls.items():
        table.add_row(name, url)
    return table


def start_compliance(options: DemoOptions) -> tuple[subprocess.Popen[str], str]:
    """The compliance service in its own process; returns it and its base URL."""
    command = [
        sys.executable,
        "-m",
        "account_manager.compliance",
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
    # Its own process group, like the server's: a Ctrl-C in the terminal reaches only the demo,
    # which flushes its telemetry first and then stops its children in order.
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, text=True, env=dict(os.environ), process_group=0
    )
    port = _first_line(process)
    if not port.isdigit():
        process.kill()
        raise RuntimeError("the compliance service did not start; see its log file")
    return process, f"http://127.0.0.1:{port}"


def start_embedded_server(
    options: DemoOptions, ui_origin: str
) -> tuple[subprocess.Popen[str], str]:
    """``swarmscope serve`` as a child process; returns it and its base URL.

    A process of its own: the server's parsing and writes do not compete with the demo's
    event loop, and a crash of either leaves the other's state readable. It accepts the
    telemetry of the web UI's page, whose origin is ``ui_origin``.
    """
    command = [
        sys.executable,
        "-m",
        "swarmscope",
        "serve",
        "--port",
        str(options.server_port),
        # The demo's agents send over HTTP; no second port to find free.
        "--grpc-port",
        "-1",
        "--data",
        str(options.data_dir),
        "--namespace",
        options.namespace,
        "--cors-origins",
        ui_origin,
        "--alert-time-scale",
        repr(1 / options.time_scale),
    ]
    log = (options.log_dir / "server.log").open("a")
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=log, text=True, process_group=0
    )
    log.close()
    line = _first_line(process)
    if not line.startswith(READY):
        process.kill()
        reason = (options.log_dir / "server.log").read_text().strip().splitlines()[-1:]
        raise RuntimeError(f"the swarmscope server did not start: {' '.join(reason)}")
    return process, line.removeprefix(READY).strip()


def _first_line(process: subprocess.Popen[str]) -> str:
    """What a child prints once it is up; a Ctrl-C while waiting for it stops the child too."""
    assert process.stdout is not None
    try:
        return process.stdout.readline().strip()
    except BaseException:
        process.kill()
        raise


def stop(process: subprocess.Popen[str]) -> None:
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()


async def _serve(
    options: DemoOptions, console: Console, server_url: str | None, listener: socket.socket
) -> Figures:
    services = build_services(
        options.config, str(options.log_dir / "memory.sqlite3"), options.framework
    )
    ui = WebUi(server_url, options.namespace, os.environ.get("SWARMSCOPE_API_KEY") or None)
    try:
        server, serving, port = await start_server(
            create_app(services, ui), listener, handle_signals=False
        )
    except OSError as error:
        raise RuntimeError(f"the demo service {error}") from None  # reported by run_demo
    base = f"http://127.0.0.1:{port}"
    urls = {
        "web UI": f"{base}/ui/",
        "metrics": f"{base}/metrics",
        "health": f"{base}/health/ready",
        "approvals": f"{base}/api/approvals?status=pending",
        "logs": str(options.log_dir / "demo.log"),
    }
    for name, url in urls.items():
        console.print(f"{name:10s} {url}")
    if server_url is not None:
        urls["console"] = f"{server_url}/"
    stop = asyncio.Event()
    async with httpx.AsyncClient(base_url=base, timeout=15.0) as client:
        people = [
            asyncio.create_task(load.users(client, options.config, options.rate, stop)),
            asyncio.create_task(load.probes(client, stop)),
        ]
        if options.approvers:
            people.append(asyncio.create_task(load.approvers(client, options.config, stop)))
        # Ctrl-C or SIGTERM: stop starting runs and drain. A second one stops at once
        # (KeyboardInterrupt: the children are still stopped).
        interrupted = asyncio.Event()
        loop = asyncio.get_running_loop()

        def on_signal(number: int) -> None:
            interrupted.set()
            loop.remove_signal_handler(number)
            signal.signal(number, signal.default_int_handler)

        for number in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(number, on_signal, number)
        try:
            await _watch(options, console, urls, interrupted)
        finally:
            stop.set()
            await asyncio.gather(*people, return_exceptions=True)
            # Let runs already started finish (their approvals time out at worst); the few
            # still going after that are cancelled, so the figures count every run.
            if services.running:
                wait = options.config.approval_timeout + 5
                _, late = await asyncio.wait(set(services.running), timeout=wait)
                for task in late:
                    task.cancel()
                await asyncio.gather(*late, return_exceptions=True)
            server.should_exit = True
            await serving
            await services.http.aclose()
            services.memory.close()
    return snapshot()


async def _watch(
    options: DemoOptions, console: Console, urls: dict[str, str], interrupted: asyncio.Event
) -> None:
    started = time.monotonic()

    def running() -> bool:
        if interrupted.is_set():
            return False
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
            elapsed = time.monotonic() - started
            rate = float(figures["runs finished"]) / elapsed
            console.print(f"[{elapsed:5.1f}s] runs per second {rate:.2f} · {status_line(figures)}")
            next_line += 5.0
        await asyncio.sleep(0.2)


def run_demo(options: DemoOptions) -> int:
    console = Console(soft_wrap=True)
    options.log_dir.mkdir(parents=True, exist_ok=True)
    children: list[subprocess.Popen[str]] = []
    # SIGTERM (a service manager, a test harness) stops the demo as Ctrl-C does, children too.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        return _run(options, console, children)
    except KeyboardInterrupt:  # Ctrl-C before the services were up: nothing ran
        print("swarmscope demo: interrupted while starting", file=sys.stderr)
        return 130
    finally:
        ss.shutdown()  # the demo's telemetry first, while the server still receives it
        for child in reversed(children):  # then the compliance service, then the server
            stop(child)


def _run(options: DemoOptions, console: Console, children: list[subprocess.Popen[str]]) -> int:
    """Start the children (each added to ``children`` for the caller to stop), run, report."""
    server_url = None
    try:
        # Bound first: the telemetry server has to know the web UI's origin when it starts.
        listener = listen(options.port)
    except OSError as error:
        print(f"swarmscope demo: the demo service {error}", file=sys.stderr)
        return 1
    try:
        # With an OTLP endpoint in the environment (shared or for one signal), telemetry goes
        # there; otherwise to our own server.
        set_ = Settings.load()
        if not any(
            (set_.otlp_endpoint, set_.traces_endpoint, set_.logs_endpoint, set_.metrics_endpoint)
        ):
            origin = f"http://127.0.0.1:{listener.getsockname()[1]}"
            server, server_url = start_embedded_server(options, origin)
            children.append(server)
            # Set for this process and inherited by the compliance service.
            os.environ["OTEL_EXPORTER_OTLP_ENDPOINT"] = server_url
            interval = str(int(METRICS_PUSH_SECONDS * 1000))
            os.environ.setdefault("OTEL_METRIC_EXPORT_INTERVAL", interval)
            key = os.environ.get("SWARMSCOPE_API_KEY")
            if key:
                os.environ["OTEL_EXPORTER_OTLP_HEADERS"] = f"authorization=Bearer {key}"
            console.print(f"{'console':10s} {server_url}/")
            if options.time_scale != 1:
                console.print(
                    f"{'alerts':10s} windows and `for` scaled 1/{options.time_scale:g}"
                    " for the demo (--time-scale)"
                )
        compliance, options.config.compliance_url = start_compliance(options)
        children.append(compliance)
    except RuntimeError as error:
        listener.close()
        print(f"swarmscope demo: {error}", file=sys.stderr)
        return 1
    ss.init(
        catalog=CATALOG,
        service_name=SERVICE,
        namespace=options.namespace,
        log_stream="none",
        log_file=str(options.log_dir / "demo.log"),
    )
    # httpx logs each request it sends at INFO. The simulated people and the agents' A2A
    # calls send several a second (an approver polls for pending approvals): the logs would
    # be mostly those lines. The requests are in the traces already, as the server's spans.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    try:
        figures = asyncio.run(_serve(options, console, server_url, listener))
    except KeyboardInterrupt:
        figures = snapshot()
    except RuntimeError as error:
        print(f"swarmscope demo: {error}", file=sys.stderr)
        return 1
    finally:  # closing the loop reset SIGTERM to its default; keep it as Ctrl-C till the end
        signal.signal(signal.SIGTERM, signal.default_int_handler)
    console.print(f"final {status_line(figures)}")
    console.print(f"JSON logs with trace ids: {options.log_dir}")
    if server_url is not None:
        console.print(
            "browse what was stored: swarmscope serve"
            f" --data {options.data_dir} --namespace {options.namespace}"
        )
    if not figures.get("runs finished"):
        print("no run finished; see the log files", file=sys.stderr)
        return 1
    return 0
