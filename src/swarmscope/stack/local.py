"""``swarmscope stack up DIR``: Prometheus and Alertmanager from an exported bundle, locally.

Uses the binaries installed on the machine (Debian's ``prometheus`` and
``prometheus-alertmanager`` packages); stops both when it is interrupted or terminated.
"""

from __future__ import annotations

import shutil
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

import httpx

from swarmscope.exceptions import StackError

ALERTMANAGER_BINARIES = ("prometheus-alertmanager", "alertmanager")


@dataclass(frozen=True)
class StackPorts:
    prometheus: int = 9090
    alertmanager: int = 9093


def binaries() -> tuple[str, str]:
    prometheus = shutil.which("prometheus")
    alertmanager = next(filter(None, map(shutil.which, ALERTMANAGER_BINARIES)), None)
    if prometheus is None or alertmanager is None:
        raise StackError(
            "prometheus and alertmanager are not installed: install Debian's `prometheus` and "
            "`prometheus-alertmanager` packages (or your distribution's), or run the whole "
            "stack in containers with `docker compose up -d` in the exported directory (its "
            "docker-compose.yml also starts Grafana, Loki, Tempo or Jaeger, the Collector and Alloy)"
        )
    return prometheus, alertmanager


def start(directory: Path, ports: StackPorts) -> list[subprocess.Popen[bytes]]:
    """Start both servers on 127.0.0.1 and wait until they answer ``/-/ready``."""
    for config in ("prometheus/prometheus.yml", "alertmanager/alertmanager.yml"):
        if not (directory / config).is_file():
            raise StackError(
                f"{directory / config} is missing: run `swarmscope stack export` first"
            )
    prometheus, alertmanager = binaries()
    data = directory / "data"
    commands = [
        [
            prometheus,
            f"--config.file={directory / 'prometheus/prometheus.yml'}",
            f"--storage.tsdb.path={data / 'prometheus'}",
            f"--web.listen-address=127.0.0.1:{ports.prometheus}",
            "--log.level=warn",
        ],
        [
            alertmanager,
            f"--config.file={directory / 'alertmanager/alertmanager.yml'}",
            f"--storage.path={data / 'alertmanager'}",
            f"--web.listen-address=127.0.0.1:{ports.alertmanager}",
            "--cluster.listen-address=",
            "--log.level=warn",
        ],
    ]
    processes = [subprocess.Popen(command) for command in commands]
    deadline = time.monotonic() + 30
    ready = zip(processes, commands, (ports.prometheus, ports.alertmanager), strict=True)
    for process, command, port in ready:
        name = Path(command[0]).name
        while True:
            if process.poll() is not None:
                stop(processes)
                raise StackError(f"{name} exited with {process.returncode}")
            try:
                if httpx.get(f"http://127.0.0.1:{port}/-/ready", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                stop(processes)
                raise StackError(f"{name} was not ready within 30 s")
            time.sleep(0.2)
    return processes


def stop(processes: list[subprocess.Popen[bytes]]) -> None:
    for process in processes:
        if process.poll() is None:
            process.terminate()
    for process in processes:
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


def run(directory: Path, ports: StackPorts) -> None:
    """Start the stack and keep it up until SIGINT or SIGTERM."""
    processes = start(directory, ports)
    print(f"prometheus    http://127.0.0.1:{ports.prometheus}", flush=True)
    print(f"alertmanager  http://127.0.0.1:{ports.alertmanager}", flush=True)

    def finish(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, finish)
    try:
        while all(process.poll() is None for process in processes):
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        stop(processes)
