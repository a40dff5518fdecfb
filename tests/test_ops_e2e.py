"""The whole alert path with real binaries: demo -> Prometheus -> Alertmanager -> webhook.

The demo runs with a CRM outage; the exported bundle (time-scaled, so a five-minute window is
six seconds) runs under `swarmscope stack up`; Alertmanager's webhook receiver is a server in
this test. The critical alert for the failing agent must arrive with its labels and
annotations, and arrive resolved once the outage is over.
"""

from __future__ import annotations

import http.server
import json
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from loopback import free_port
from swarmscope.stack.bundle import export


@pytest.fixture
def webhook() -> Iterator[tuple[str, list[dict]]]:
    received: list[dict] = []

    class Hook(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            received.append(json.loads(body))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            return None

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hook", received
    finally:
        server.shutdown()
        server.server_close()


def alerts(received: list[dict], name: str, status: str) -> list[dict]:
    return [
        alert
        for notification in received
        for alert in notification["alerts"]
        if alert["labels"]["alertname"] == name and alert["status"] == status
    ]


def scout_alerts(received: list[dict], status: str) -> list[dict]:
    return [
        alert
        for alert in alerts(received, "AgentExecutionFailureSpike", status)
        if alert["labels"]["agent_type"] == "zoho_data_scout"
    ]


def test_outage_alert_fires_and_resolves(tmp_path: Path, webhook: tuple[str, list[dict]]):
    url, received = webhook
    app_port, prometheus_port, alertmanager_port = free_port(), free_port(), free_port()
    bundle = tmp_path / "stack"
    export(
        bundle,
        namespace="sergas",
        app_target=f"127.0.0.1:{app_port}",
        alertmanager_target=f"127.0.0.1:{alertmanager_port}",
        webhook_url=url,
        time_scale=0.02,
    )
    swarmscope = [sys.executable, "-m", "swarmscope"]
    # The stack first: the outage starts 2 s into the demo and must be scraped while it lasts.
    stack = subprocess.Popen(
        [
            *swarmscope,
            "stack",
            "up",
            str(bundle),
            "--prometheus-port",
            str(prometheus_port),
            "--alertmanager-port",
            str(alertmanager_port),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
    )
    assert stack.stdout is not None
    ready = [stack.stdout.readline() for _ in range(2)]
    assert all(line.split()[0] in ("prometheus", "alertmanager") for line in ready), (
        ready,
        stack.stderr.read() if stack.poll() is not None and stack.stderr else "",
    )
    demo = subprocess.Popen(
        [
            *swarmscope,
            "demo",
            "--port",
            str(app_port),
            "--faults",
            "crm-outage",
            "--duration",
            "100",
            "--rate",
            "5",
            "--seed",
            "11",
            "--namespace",
            "sergas",
            "--log-dir",
            str(tmp_path / "logs"),
            "--server-port",
            "0",
            "--data",
            str(tmp_path / "data"),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
    )
    try:
        # About 40 s on an idle 2-core machine; close to 60 s with a benchmark running.
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if scout_alerts(received, "resolved"):
                break
            assert stack.poll() is None, stack.stderr.read() if stack.stderr else ""
            time.sleep(0.5)
    finally:
        for process in (stack, demo):
            process.terminate()
        for process in (stack, demo):
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()

    # The simulated LLM fails 2% of calls, so another agent may cross the threshold briefly
    # in the scaled windows; the outage must fire (and resolve) the scout's alert.
    firing = scout_alerts(received, "firing")
    assert firing, f"no firing alert for the scout; got {[n['alerts'] for n in received]}"
    alert = firing[0]
    assert alert["labels"]["severity"] == "critical"
    assert alert["labels"]["team"] == "agents"
    assert alert["annotations"]["summary"] == "High agent execution failure rate"
    assert alert["annotations"]["description"].startswith("Agent zoho_data_scout fails ")
    assert alert["annotations"]["runbook_url"].endswith("/AgentExecutionFailureSpike.md")
    assert scout_alerts(received, "resolved"), "the alert did not resolve after the outage"
