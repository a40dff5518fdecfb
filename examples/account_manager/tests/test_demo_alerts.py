"""A short demo with a fault fires alerts: the embedded server runs the production rules
time-scaled (``--time-scale``, 60 by default), so a CRM outage of a few seconds is seen by
five-minute windows shrunk to five seconds. The demo runs as a user runs it, with its own
embedded server and that server's real alert engine; the test reads its alerts API.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from account_manager.runner import breaker_summary, status_line
from account_manager.world import DEMO_TIME_SCALE


def _lines(process: subprocess.Popen[str], into: list[str]) -> None:
    assert process.stdout is not None
    for line in process.stdout:
        into.append(line.rstrip("\n"))


def _console(printed: list[str], process: subprocess.Popen[str], deadline: float) -> str:
    while time.monotonic() < deadline:
        for line in list(printed):
            if line.startswith("console "):
                return line.split()[1].rstrip("/")
        assert process.poll() is None, "the demo ended before starting its server"
        time.sleep(0.2)
    pytest.fail(f"the demo printed no console URL: {printed}")


def _about_the_outage(alert: dict[str, Any]) -> bool:
    """The CRM's breaker open, or the agent that calls the CRM failing."""
    labels = alert["labels"]
    if alert["name"] == "CircuitBreakerOpen":
        return labels.get("integration_name") == "zoho"
    return (
        alert["name"] == "AgentExecutionFailureSpike"
        and labels.get("agent_type") == "zoho_data_scout"
    )


@pytest.mark.timeout(300)  # a demo on a loaded machine: starting, firing, draining
def test_a_short_demo_with_a_crm_outage_fires_alerts_in_its_embedded_server(tmp_path: Path):
    command = [sys.executable, "-m", "swarmscope", "demo", "--faults", "crm-outage"]
    command += ["--duration", "300", "--rate", "4", "--port", "0", "--server-port", "0"]
    command += ["--approval-timeout", "1", "--seed", "11", "--namespace", "sergas"]
    command += ["--log-dir", str(tmp_path / "logs"), "--data", str(tmp_path / "data")]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "SWARMSCOPE_"))}
    demo = subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    )
    printed: list[str] = []
    threading.Thread(target=_lines, args=(demo, printed), daemon=True).start()
    try:
        # Starting takes seconds; the first outage begins 2 s in, windows are 5 s, the
        # `for` of the failure spike 5 s: on a loaded machine, well within the minute.
        console = _console(printed, demo, time.monotonic() + 60)
        assert f"windows and `for` scaled 1/{DEMO_TIME_SCALE:g} for the demo" in "\n".join(printed)
        seen: set[str] = set()
        outage: list[dict[str, Any]] = []
        counted = 0  # firing alerts in the overview (one outage's resolve; the next fire)
        deadline = time.monotonic() + 150
        while not (outage and counted) and time.monotonic() < deadline:
            assert demo.poll() is None, "the demo ended before an alert fired"
            answer = httpx.get(f"{console}/api/alerts", params={"state": "firing"}, timeout=10)
            firing = answer.json()["alerts"]
            seen |= {alert["name"] for alert in firing}
            outage = outage or [alert for alert in firing if _about_the_outage(alert)]
            overview = httpx.get(f"{console}/api/overview", timeout=10).json()
            counted = counted or overview["trends"]["alerts_firing"]["now"]
            time.sleep(1)
        assert outage, f"no alert about the CRM outage fired (fired: {sorted(seen)})"
        assert counted >= 1, "the overview counted no firing alert"
        assert answer.json()["time_scale"] == pytest.approx(1 / DEMO_TIME_SCALE)
        # The live line says the breaker's state in words.
        live = [line for line in printed if "runs per second" in line]
        assert live and all(
            re.search(r"CRM breaker: (open|closed|half-open) \(1 of 1\)", line) for line in live
        ), live
    finally:
        demo.send_signal(signal.SIGINT)
        try:
            demo.wait(timeout=60)
        except subprocess.TimeoutExpired:
            demo.kill()
            demo.wait()


def test_the_live_line_says_what_state_the_crm_breaker_is_in():
    assert breaker_summary([]) == "no calls yet"
    assert breaker_summary([1]) == "open (1 of 1)"
    assert breaker_summary([0]) == "closed (1 of 1)"
    assert breaker_summary([2]) == "half-open (1 of 1)"
    assert breaker_summary([0, 1, 2, 1]) == "open (2 of 4), half-open (1 of 4), closed (1 of 4)"
    line = status_line({"runs finished": 12.0, "errors": 3.0, "CRM breaker": "open (1 of 1)"})
    assert line == "runs finished 12 · errors 3 · CRM breaker: open (1 of 1)"
