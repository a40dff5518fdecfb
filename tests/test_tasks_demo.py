"""The README's demo command, stopped with Ctrl-C as from a terminal: it leaves no process
behind (the embedded server held its port after the command had exited)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent


def running(processes: list[psutil.Process]) -> list[psutil.Process]:
    alive = []
    for process in processes:
        try:
            if process.is_running() and process.status() != psutil.STATUS_ZOMBIE:
                alive.append(process)
        except psutil.NoSuchProcess:
            continue
    return alive


def test_ctrl_c_on_the_demo_command_stops_the_demo_and_what_it_started(tmp_path: Path):
    command = [sys.executable, "tasks.py", "demo", "--port", "0", "--server-port", "0"]
    command += ["--data", str(tmp_path / "data"), "--log-dir", str(tmp_path / "logs")]
    # Its own process group, as a terminal's job: Ctrl-C is a SIGINT to the whole group.
    demo = subprocess.Popen(
        command,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    started: list[psutil.Process] = []
    try:
        assert demo.stdout is not None
        deadline = time.monotonic() + 240  # the first run installs the demo's extras
        seen = []
        # The demo's first progress line: the server, the service and the load all run.
        while not any("runs per second" in line for line in seen):
            assert time.monotonic() < deadline, "".join(seen[-20:])
            line = demo.stdout.readline()
            assert line or demo.poll() is None, "".join(seen[-20:])
            seen.append(line)
        started += psutil.Process(demo.pid).children(recursive=True)
        # The demo, its server (with its decode workers) and its compliance service.
        assert len(started) >= 3, started
        os.killpg(demo.pid, signal.SIGINT)
        demo.wait(timeout=120)
        deadline = time.monotonic() + 30
        while left := running(started):
            assert time.monotonic() < deadline, f"left running: {[p.cmdline() for p in left]}"
            time.sleep(0.2)
    finally:
        for process in running(started):
            process.kill()
        if demo.poll() is None:
            os.killpg(demo.pid, signal.SIGKILL)
        demo.wait(timeout=30)
