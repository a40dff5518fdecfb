"""`swarmscope demo` end to end: both services, real HTTP, real OTLP export, a fixed seed.

The demo runs as a user runs it (a subprocess) with its OTLP endpoint pointed at a receiver
in this test; /metrics is scraped while it runs. One run with ``crm-outage`` shows the
circuit breaker open and close again, every metric family of the demo's groups filled
(workflow and routing, MCP, A2A, HTTP with its rate limit, errors with the unhandled ones,
security) and an AG-UI stream read live; another is stopped with Ctrl-C as a terminal sends it.
"""

from __future__ import annotations

import gzip
import http.server
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from test_demo_api import EVENTS, assert_valid_run

from account_manager.catalog import METRICS as APP_METRICS
from swarmscope.conventions.catalog import METRICS

NAMESPACE = "sergas"
GROUPS = (
    "agent",
    "handoff",
    "tool",
    "hitl",
    "llm",
    "orchestration",
    "recommendation",
    "integration",
    "ui",
    "workflow",
    "mcp",
    "a2a",
    "security",
    "http",
    "error",
)
# Families only a page sends (the browser package, as OTLP to the server): the service's
# /metrics never has them; test_demo_web_ui finds them in the server, sent by the web UI.
PAGE_ONLY = ("frontend_errors_total", "frontend_backend_latency_seconds")


@dataclass
class Receiver:
    """An OTLP/HTTP endpoint that keeps every span it is sent, by service."""

    port: int = 0
    spans: list[tuple[str, object]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    store = Receiver()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            if self.headers.get("Content-Encoding") == "gzip":
                body = gzip.decompress(body)
            if self.path == "/v1/traces":
                request = ExportTraceServiceRequest.FromString(body)
                with store.lock:
                    for resource_spans in request.resource_spans:
                        service = next(
                            a.value.string_value
                            for a in resource_spans.resource.attributes
                            if a.key == "service.name"
                        )
                        for scope_spans in resource_spans.scope_spans:
                            store.spans.extend((service, span) for span in scope_spans.spans)
            self.send_response(200)
            self.send_header("Content-Type", "application/x-protobuf")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            return None

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    store.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield store
    finally:
        server.shutdown()
        server.server_close()


def parse(text: str) -> dict[str, list[tuple[dict[str, str], float]]]:
    samples: dict[str, list[tuple[dict[str, str], float]]] = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        match = re.match(r"^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$", line)
        if match:
            labels = dict(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', match.group(2) or ""))
            samples.setdefault(match.group(1), []).append((labels, float(match.group(3))))
    return samples


def launch(command: list[str], env: dict[str, str], **options: Any) -> subprocess.Popen[str]:
    """The demo as a user runs it, with no terminal: the test reads its output."""
    return subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        stdin=subprocess.DEVNULL,
        **options,
    )


def read_one_run(base: str, seen: dict[str, Any]) -> None:
    """Start one analysis and follow its AG-UI stream as the page does, parsing every event
    with ag-ui's models (run in a thread while the test scrapes /metrics)."""
    try:
        with httpx.Client(base_url=base, timeout=30) as client:
            seen["run_id"] = client.post("/api/accounts/ACC-00001/analyze").json()["run_id"]
            with client.stream("GET", f"/api/runs/{seen['run_id']}/events") as response:
                seen["content_type"] = response.headers["content-type"]
                seen["events"] = [
                    EVENTS.validate_json(line.removeprefix("data: "))
                    for line in response.iter_lines()
                    if line
                ]
    except Exception as error:  # reported by the test
        seen["error"] = error


def test_demo_with_a_crm_outage(receiver: Receiver, tmp_path: Path) -> None:
    env = {
        **os.environ,
        "OTEL_EXPORTER_OTLP_ENDPOINT": f"http://127.0.0.1:{receiver.port}",
        "SWARMSCOPE_LOGS_EXPORTER": "none",
    }
    command = [
        sys.executable,
        "-m",
        "swarmscope",
        "demo",
        "--duration",
        "11",
        "--port",
        "0",
        "--rate",
        "5",
        "--seed",
        "11",
        "--approval-timeout",
        "0.8",
        "--faults",
        "crm-outage",
        "--namespace",
        NAMESPACE,
        "--log-dir",
        str(tmp_path),
    ]
    demo = launch(command, env)
    breaker_seen: list[float] = []
    last_scrape = ""
    try:
        assert demo.stdout is not None
        # Read up to the last address it prints: communicate() below reads the pipe itself,
        # so lines this file object has buffered beyond the one returned would be lost.
        head = []
        for line in demo.stdout:
            head.append(line.rstrip("\n"))
            if line.startswith("logs"):
                break
        metrics_url = next((ln.split()[1] for ln in head if ln.startswith("metrics")), None)
        assert metrics_url, "the demo did not print its /metrics URL"
        stream: dict[str, Any] = {}
        reader = threading.Thread(
            target=read_one_run, args=(metrics_url.removesuffix("/metrics"), stream)
        )
        reader.start()
        # Scrape until the service goes away (it drains its runs first).
        deadline = time.monotonic() + 40
        while time.monotonic() < deadline:
            try:
                last_scrape = httpx.get(metrics_url, timeout=2).text
            except httpx.HTTPError:
                break
            for labels, value in parse(last_scrape).get(f"{NAMESPACE}_circuit_breaker_state", []):
                if labels.get("integration_name") == "zoho":
                    breaker_seen.append(value)
            time.sleep(0.25)
        out, err = demo.communicate(timeout=60)
        reader.join(timeout=30)
    finally:
        if demo.poll() is None:
            demo.kill()
    assert demo.returncode == 0, err

    # Not a terminal: a line of figures every few seconds, and the log file named.
    assert f"logs       {tmp_path / 'demo.log'}" in head, head
    lines = out.splitlines()
    assert any(line.startswith("[") and "runs per second" in line for line in lines), out

    # A run streamed live: every line an AG-UI event, in an order clients can follow.
    assert "error" not in stream, stream.get("error")
    assert stream["content_type"].startswith("text/event-stream")
    assert_valid_run(stream["events"])
    assert stream["events"][0].run_id == stream["run_id"]

    # The breaker opened during the outage and closed after it.
    assert 1.0 in breaker_seen, breaker_seen
    opened = breaker_seen.index(1.0)
    assert 0.0 in breaker_seen[opened:], breaker_seen
    events = [
        json.loads(line)["event"] for line in (tmp_path / "demo.log").read_text().splitlines()
    ]
    assert events.index("zoho_circuit_breaker_opened") < events.index("zoho_circuit_breaker_closed")

    # Every family of the demo's groups has samples.
    samples = parse(last_scrape)
    empty = []
    for spec in (*METRICS, *APP_METRICS):
        if spec.group not in GROUPS or spec.name in PAGE_ONLY:
            continue
        name = spec.full_name(NAMESPACE)
        names = {name, f"{name}_total", f"{name}_count", f"{name}_sum"}
        if not any(samples.get(n) for n in names):
            empty.append(spec.name)
    assert not empty, f"families with no samples: {empty}"
    # The simulated people's mistakes reach the API: a bad token, a user over the analysis
    # limit, an analyst deciding an approval without the role.
    statuses = {
        (labels["endpoint"], labels["status"])
        for labels, value in samples[f"{NAMESPACE}_http_requests_total"]
        if value
    }
    for expected in (
        ("/api/accounts/{account_id}/analyze", "401"),
        ("/api/accounts/{account_id}/analyze", "429"),
        ("/api/approvals/{approval_id}", "403"),
    ):
        assert expected in statuses, sorted(statuses)

    # Approvals nobody answered timed out; when the demo stopped none was left pending.
    final = next(line for line in out.splitlines() if line.startswith("final"))
    figures = dict(part.rsplit(" ", 1) for part in final.removeprefix("final ").split(" · "))
    assert float(figures["approvals timed out"]) > 0, final
    # The figures shown are the runs the log tells of (failed: by an error or a timeout).
    assert float(figures["runs failed"]) == events.count("orchestration_failed"), final
    assert float(figures["runs finished"]) == float(figures["runs failed"]) + events.count(
        "orchestration_completed"
    )
    assert float(figures["approvals pending"]) == 0, final
    assert sum(v for _, v in samples[f"{NAMESPACE}_hitl_approval_timeouts_total"]) > 0

    # One trace holds the whole tree, across both services.
    by_trace: dict[bytes, list[tuple[str, object]]] = {}
    for service, span in receiver.spans:
        by_trace.setdefault(span.trace_id, []).append((service, span))
    complete = []
    for spans in by_trace.values():
        names = {span.name for _, span in spans}
        wanted = {
            "POST /api/accounts/{account_id}/analyze",
            "orchestrate account_analysis",
            "workflow account_analysis",
            "workflow_node memory_analyst",
            "invoke_agent zoho_data_scout",
            "invoke_agent memory_analyst",
            "invoke_agent recommendation_author",
            "execute_tool fetch_account",
            "chat gpt-4o",
            "hitl_approval recommendation",
            "invoke_agent compliance_checker",
        }
        if wanted <= names:
            complete.append(spans)
    assert complete, "no trace holds the whole tree"
    spans = complete[0]
    by_id = {span.span_id: (service, span) for service, span in spans}
    [(server_service, server)] = [
        (service, span) for service, span in spans if span.name == "POST /a2a/tasks"
    ]
    assert server_service == "swarmscope-compliance"
    client_service, client = by_id[server.parent_span_id]
    assert client_service == "swarmscope-demo"
    assert client.name == "invoke_agent compliance_checker" and client.kind == 3  # CLIENT
    [remote_agent] = [
        s
        for svc, s in spans
        if svc == "swarmscope-compliance" and s.name == "invoke_agent compliance_checker"
    ]
    assert remote_agent.parent_span_id == server.span_id
    orchestration = next(s for _, s in spans if s.name == "orchestrate account_analysis")
    ancestor = orchestration
    while ancestor.parent_span_id in by_id:
        ancestor = by_id[ancestor.parent_span_id][1]
    assert ancestor.name == "POST /api/accounts/{account_id}/analyze"


def children_of_test(tmp_path: Path) -> list[str]:
    """Command lines of running processes started for this test (they name its directory)."""
    found = []
    for proc in Path("/proc").iterdir():
        try:
            argv = (proc / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if proc.name.isdigit() and any(str(tmp_path).encode() in arg for arg in argv):
            found.append(b" ".join(argv).decode(errors="replace"))
    return found


@pytest.mark.parametrize(
    "how", ["ctrl-c", "sigterm"], ids=["ctrl-c to the process group", "sigterm to the demo"]
)
def test_demo_without_duration_stops_cleanly(how: str, receiver: Receiver, tmp_path: Path) -> None:
    """Ctrl-C in a terminal signals the whole foreground process group, a service manager
    sends SIGTERM to the demo; either way the demo alone handles it: it drains its runs,
    flushes both services' telemetry, then stops its children."""
    # One variant names the collector by the shared endpoint, the other by the traces
    # endpoint alone: either way the demo sends there and starts no server of its own.
    endpoint = f"http://127.0.0.1:{receiver.port}"
    env = {**os.environ, "SWARMSCOPE_LOGS_EXPORTER": "none"}
    if how == "ctrl-c":
        env["OTEL_EXPORTER_OTLP_ENDPOINT"] = endpoint
    else:
        env["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"] = f"{endpoint}/v1/traces"
    command = [
        sys.executable,
        "-m",
        "swarmscope",
        "demo",
        "--port",
        "0",
        "--rate",
        "5",
        "--approval-timeout",
        "0.5",
        "--log-dir",
        str(tmp_path),
    ]
    demo = launch(command, env, start_new_session=True)
    try:
        assert demo.stdout is not None
        metrics_url = next(line.split()[1] for line in demo.stdout if line.startswith("metrics"))
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            text = httpx.get(metrics_url, timeout=2).text
            finished = parse(text).get("swarmscope_a2a_delegations_total", [])
            if sum(value for _, value in finished) >= 3:
                break
            time.sleep(0.2)
        if how == "ctrl-c":
            os.killpg(demo.pid, signal.SIGINT)
        else:
            demo.terminate()
        out, err = demo.communicate(timeout=30)
    finally:
        if demo.poll() is None:
            os.killpg(demo.pid, signal.SIGKILL)
    assert demo.returncode == 0, err
    assert "Traceback" not in err, err  # the compliance service shares our stderr
    final = next(line for line in out.splitlines() if line.startswith("final"))
    assert "runs finished 0 " not in final
    assert not [line for line in out.splitlines() if line.startswith("console")]
    assert children_of_test(tmp_path) == []  # the compliance service went with it

    # Flushed: each run the demo logged as done has its spans at the collector, and each
    # compliance check it delegated has the compliance service's side too.
    logged = [json.loads(line) for line in (tmp_path / "demo.log").read_text().splitlines()]
    done = {r["trace_id"] for r in logged if r["event"] == "orchestration_completed"}
    delegated = {r["trace_id"] for r in logged if r["event"] == "a2a_delegation_completed"}
    assert done and delegated
    with receiver.lock:
        spans = list(receiver.spans)
    orchestrated = {
        s.trace_id.hex()
        for svc, s in spans
        if svc == "swarmscope-demo" and s.name == "orchestrate account_analysis"
    }
    checked = {
        s.trace_id.hex()
        for svc, s in spans
        if svc == "swarmscope-compliance" and s.name == "POST /a2a/tasks"
    }
    assert done <= orchestrated, sorted(done - orchestrated)
    assert delegated <= checked, sorted(delegated - checked)


def test_compliance_service_flushes_its_spans_when_the_demo_stops_it(
    receiver: Receiver, tmp_path: Path
) -> None:
    """The demo stops the compliance service with SIGTERM right after its last runs: the spans
    of a check answered a moment before must still reach the collector."""
    env = {**os.environ, "OTEL_EXPORTER_OTLP_ENDPOINT": f"http://127.0.0.1:{receiver.port}"}
    command = [sys.executable, "-m", "account_manager.compliance", "--port", "0"]
    command += ["--log-file", str(tmp_path / "compliance.log")]
    service = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    )
    try:
        assert service.stdout is not None
        port = service.stdout.readline().strip()
        task = {"account_id": "ACC-00001", "recommendations": [{"id": "rec_0", "type": "upsell"}]}
        answer = httpx.post(f"http://127.0.0.1:{port}/a2a/tasks", json=task, timeout=10)
        assert answer.status_code == 200 and set(answer.json()["verdicts"]) == {"rec_0"}
        service.terminate()
        _, err = service.communicate(timeout=30)
    finally:
        if service.poll() is None:
            service.kill()
    assert service.returncode == 0, err
    with receiver.lock:
        names = {span.name for _, span in receiver.spans}
    expected = {"POST /a2a/tasks", "invoke_agent compliance_checker", "execute_tool policy_lookup"}
    assert expected <= names, names
