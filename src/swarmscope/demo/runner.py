"""Runs the quickstart service on loopback and drives it with simulated users.

The live view reads the same Prometheus families the app exports, so what it shows is what
``/metrics`` shows. In a terminal it is a Rich table; elsewhere (CI, a pipe) a line every few
seconds.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import uvicorn
from rich.console import Console
from rich.live import Live
from rich.table import Table

import swarmscope as ss
from swarmscope.demo.quickstart import World, build_app


@dataclass(frozen=True)
class DemoOptions:
    duration: float | None
    rate: float
    seed: int
    port: int
    namespace: str
    log_file: Path


def _total(family: str) -> float:
    """Sum of a catalog family's samples (all label sets) in the running app."""
    rt = ss.current()
    name = rt.metrics[family].spec.full_name(rt.metrics.namespace)
    total = 0.0
    for metric in rt.metrics.registry.collect():
        for sample in metric.samples:
            if sample.name in (name, f"{name}_total") or (
                sample.name == f"{name}_count" and metric.type == "histogram"
            ):
                total += sample.value
    return total


def snapshot() -> dict[str, float]:
    return {
        "orchestrations": _total("orchestration_requests_total"),
        "agents busy": _total("agent_sessions_active"),
        "tool calls": _total("agent_tool_calls_total"),
        "LLM tokens": _total("llm_tokens_total"),
        "LLM cost (USD)": round(_total("llm_cost_usd_total"), 4),
        "approvals pending": _total("hitl_approvals_pending"),
        "approval timeouts": _total("hitl_approval_timeouts_total"),
        "errors": _total("errors_total"),
    }


def _table(figures: dict[str, float], elapsed: float, base: str) -> Table:
    table = Table(title=f"swarmscope demo · {elapsed:.0f}s · {base}")
    table.add_column("signal")
    table.add_column("value", justify="right")
    rate = figures["orchestrations"] / elapsed if elapsed else 0.0
    table.add_row("runs per second", f"{rate:.2f}")
    for key, value in figures.items():
        table.add_row(key, f"{value:g}")
    return table


async def _load(base: str, options: DemoOptions, stop: asyncio.Event) -> None:
    rng = random.Random(options.seed + 1)
    async with httpx.AsyncClient(base_url=base, timeout=10.0) as client:
        pending: set[asyncio.Task[httpx.Response]] = set()
        while not stop.is_set():
            account = f"ACC-{rng.randint(1, 500):05d}"
            task = asyncio.create_task(client.post(f"/api/accounts/{account}/analyze"))
            pending.add(task)
            task.add_done_callback(pending.discard)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), rng.expovariate(options.rate))
        if pending:
            await asyncio.wait(pending, timeout=5.0)


async def _run(options: DemoOptions, console: Console) -> dict[str, float]:
    world = World(rng=random.Random(options.seed))
    config = uvicorn.Config(
        build_app(world),
        host="127.0.0.1",
        port=options.port,
        log_config=None,
        access_log=False,
        lifespan="off",
    )
    server = uvicorn.Server(config)
    serving = asyncio.create_task(server.serve())
    while not server.started:
        if serving.done():
            serving.result()
            raise RuntimeError("the demo server stopped before it started")
        await asyncio.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    base = f"http://127.0.0.1:{port}"
    console.print(
        f"metrics  {base}/metrics\nhealth   {base}/health/ready\nlogs     {options.log_file}"
    )
    stop = asyncio.Event()
    load = asyncio.create_task(_load(base, options, stop))
    started = time.monotonic()
    try:
        if console.is_terminal:
            with Live(_table(snapshot(), 0, base), console=console, refresh_per_second=2) as live:
                while options.duration is None or time.monotonic() - started < options.duration:
                    await asyncio.sleep(0.5)
                    live.update(_table(snapshot(), time.monotonic() - started, base))
        else:
            next_line = started
            while options.duration is None or time.monotonic() - started < options.duration:
                if time.monotonic() >= next_line:
                    figures = snapshot()
                    console.print(
                        f"[{time.monotonic() - started:5.1f}s] "
                        + " · ".join(f"{key} {value:g}" for key, value in figures.items())
                    )
                    next_line += 5.0
                await asyncio.sleep(0.2)
    finally:
        stop.set()
        await load
        server.should_exit = True
        await serving
    return snapshot()


def run_demo(options: DemoOptions) -> int:
    console = Console(soft_wrap=True)
    options.log_file.parent.mkdir(parents=True, exist_ok=True)
    ss.init(
        service_name="swarmscope-demo",
        namespace=options.namespace,
        log_stream="none",
        log_file=str(options.log_file),
    )
    try:
        figures = asyncio.run(_run(options, console))
    except KeyboardInterrupt:
        figures = snapshot()
    finally:
        ss.shutdown()
    console.print("final " + " · ".join(f"{key} {value:g}" for key, value in figures.items()))
    console.print(f"JSON logs with trace ids: {options.log_file}")
    if figures["orchestrations"] == 0:
        print("no orchestration completed; see the log file", file=sys.stderr)
        return 1
    return 0
