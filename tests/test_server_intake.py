"""The server's promises about what it accepted: backpressure, durability, retention, keys."""

from __future__ import annotations

import base64
import os
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import duckdb
import httpx
import psutil
import pytest

import swarmscope as ss
from loopback import serve, serve_command
from otlp_requests import PROTOBUF, span_request
from swarmscope.server.app import create_app
from swarmscope.server.intake.decoding import decode
from swarmscope.server.intake.otlp import SpanRow
from swarmscope.server.intake.queue import Intake
from swarmscope.server.settings import ServerSettings
from swarmscope.server.store.database import Store
from swarmscope.server.store.retention import Retention


def batch(first: int, size: int = 512) -> bytes:
    """An OTLP request of ``size`` spans with distinct ids starting at ``first``."""
    return span_request(first, size, "load")


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    store = Store(tmp_path / "store.duckdb")
    yield store
    store.close()


def test_a_full_queue_answers_503_with_retry_after_and_keeps_what_it_took(store: Store):
    app = create_app(store, ServerSettings(max_queued_rows=600))
    with serve(app) as url:
        answers: list[httpx.Response] = []
        # While the store is busy (a long query holds it), the first batch waits in the queue.
        with store._lock:
            first = threading.Thread(
                target=lambda: answers.append(
                    httpx.post(f"{url}/v1/traces", content=batch(0), headers=PROTOBUF, timeout=30)
                )
            )
            first.start()
            deadline = time.monotonic() + 10
            while app.state.intake.queued_rows < 512 and time.monotonic() < deadline:
                time.sleep(0.01)
            busy = httpx.post(f"{url}/v1/traces", content=batch(1000), headers=PROTOBUF)
        first.join(timeout=30)
    assert busy.status_code == 503 and busy.headers["retry-after"] == "2"
    assert "retry" in busy.json()["error"]
    assert [answer.status_code for answer in answers] == [200]
    [[stored]] = [tuple(row.values()) for row in store.rows("SELECT count(*) FROM spans")]
    assert stored == 512


def commit(intake: Intake, first: int) -> None:
    """Submit ``batch(first)`` straight to the intake and wait for its commit."""
    decoded = decode("traces", batch(first), PROTOBUF["content-type"], None, 1 << 30)
    intake.submit(decoded.batches).result(timeout=30)


def test_the_log_is_folded_beside_the_writer_whose_commits_go_on(
    store: Store, monkeypatch: pytest.MonkeyPatch
):
    folding, release = threading.Event(), threading.Event()
    fold = store.checkpoint

    def held() -> None:  # the fold waits until a request was committed meanwhile
        folding.set()
        # Longer than a commit is waited for below: a writer held by the fold fails it.
        assert release.wait(60), "the commit waited for the fold"
        fold()

    monkeypatch.setattr(store, "checkpoint", held)
    intake = Intake(store)
    intake.fold_bytes = 256 * 1024  # a fold every few requests

    try:
        requests = 0
        while not folding.is_set():
            assert requests < 50, f"no fold with {store.log_bytes()} bytes of log"
            commit(intake, requests * 1000)
            requests += 1
        commit(intake, requests * 1000)
        release.set()
        deadline = time.monotonic() + 30
        while store.log_bytes() >= intake.fold_bytes:
            assert time.monotonic() < deadline, "the log was not folded"
            time.sleep(0.05)
    finally:
        release.set()
        intake.close()
    [[stored]] = [tuple(row.values()) for row in store.rows("SELECT count(*) FROM spans")]
    assert stored == 512 * (requests + 1)


def test_a_refused_fold_is_tried_again_and_commits_go_on(
    store: Store, monkeypatch: pytest.MonkeyPatch
):
    fold, tries = store.checkpoint, []

    def refused_once() -> None:  # DuckDB refuses a checkpoint while a transaction is open
        tries.append(time.monotonic())
        if len(tries) == 1:
            raise duckdb.TransactionException("Cannot CHECKPOINT: there are other transactions")
        fold()

    monkeypatch.setattr(store, "checkpoint", refused_once)
    intake = Intake(store)
    intake.fold_bytes = 256 * 1024
    requests = 0
    try:
        deadline = time.monotonic() + 60
        while len(tries) < 2 or store.log_bytes() >= intake.fold_bytes:
            assert time.monotonic() < deadline, f"{len(tries)} folds tried"
            commit(intake, requests * 1000)
            requests += 1
            time.sleep(0.05)
    finally:
        intake.close()
    assert tries[1] - tries[0] >= 1.0  # not at every commit: a second later
    [[stored]] = [tuple(row.values()) for row in store.rows("SELECT count(*) FROM spans")]
    assert stored == 512 * requests


def test_kill_9_after_200_loses_nothing(tmp_path: Path):
    data = tmp_path / "data"
    server = subprocess.Popen(
        serve_command(data),
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert server.stdout is not None
        url = server.stdout.readline().split()[-1]
        with httpx.Client(base_url=url, headers=PROTOBUF) as client:
            for number in range(20):
                answer = client.post("/v1/traces", content=batch(number * 512))
                assert answer.status_code == 200
        workers = psutil.Process(server.pid).children(recursive=True)
    finally:
        os.kill(server.pid, signal.SIGKILL)
        server.wait(timeout=10)
    # The decode workers the server started go too, instead of lingering without a parent.
    assert workers, "the server decodes in worker processes"
    _, alive = psutil.wait_procs(workers, timeout=10)
    assert not alive
    with duckdb.connect(str(data / "swarmscope.duckdb"), read_only=True) as db:
        [[spans, distinct]] = db.execute(
            "SELECT count(*), count(DISTINCT trace_id) FROM spans"
        ).fetchall()
    assert spans == distinct == 20 * 512


def span_at(start_ns: int, number: int) -> SpanRow:
    return SpanRow(
        trace_id=f"{number:032x}",
        span_id=f"{number:016x}",
        parent_span_id=None,
        name="chat gpt-4o",
        kind="client",
        service="agents",
        start_ns=start_ns,
        end_ns=start_ns + 1_000_000,
        duration_ms=1.0,
        status="ok",
        status_message="",
        operation="chat",
        agent="memory_analyst",
        tool=None,
        model="gpt-4o",
        input_tokens=10,
        output_tokens=5,
        attributes='{"padding": "' + "x" * 400 + f"{number}" + '"}',
        events="[]",
        links="[]",
        resource_id="",
    )


def test_retention_drops_what_is_too_old_then_the_oldest_until_small_enough(store: Store):
    now = time.time_ns()
    hour = 3600 * 10**9
    store.add("spans", [span_at(now - 48 * hour, n) for n in range(10)])
    store.add("spans", [span_at(now - hour + n * 1000, 100 + n) for n in range(20_000)])
    Retention(max_age_seconds=24 * 3600, max_bytes=None).apply(store, now)
    [row] = store.rows("SELECT count(*) AS n, min(start_ns) AS oldest FROM spans")
    assert row["n"] == 20_000 and row["oldest"] >= now - hour

    store.execute("CHECKPOINT")  # the log folded into the file: its size is the data's
    limit = store.used_bytes() // 2
    Retention(max_age_seconds=None, max_bytes=limit).apply(store, now)
    assert store.used_bytes() <= limit
    [row] = store.rows("SELECT count(*) AS n, max(start_ns) AS newest FROM spans")
    assert 0 < row["n"] < 20_000
    assert row["newest"] == now - hour + 19_999 * 1000, "the newest spans are kept"


def test_with_an_api_key_every_route_needs_it(store: Store, monkeypatch: pytest.MonkeyPatch):
    key = "s3cret-key"
    with serve(create_app(store, ServerSettings(api_key=key))) as url:
        for method, path in (("POST", "/v1/traces"), ("GET", "/api/traces"), ("GET", "/")):
            refused = httpx.request(method, f"{url}{path}", content=batch(0, 1), headers=PROTOBUF)
            assert refused.status_code == 401, path
            assert refused.headers["www-authenticate"].startswith("Basic")
            assert refused.json() == {"error": "missing or wrong API key", "status": 401}
        wrong = httpx.get(f"{url}/api/traces", headers={"authorization": "Bearer nope"})
        assert wrong.status_code == 401
        basic = base64.b64encode(f"anyone:{key}".encode()).decode()
        for headers in (
            {"authorization": f"Bearer {key}"},
            {"x-api-key": key},
            {"authorization": f"Basic {basic}"},
        ):
            assert httpx.get(f"{url}/api/traces", headers=headers).status_code == 200

        # The SDK sends the key the way every OTLP exporter does: OTEL_EXPORTER_OTLP_HEADERS.
        monkeypatch.setenv("OTEL_EXPORTER_OTLP_HEADERS", f"authorization=Bearer {key}")
        ss.shutdown()
        ss.init(service_name="keyed", otlp_endpoint=url, log_stream="none")
        try:
            with ss.agent_run("memory_analyst"):
                pass
        finally:
            ss.shutdown()
        listing = httpx.get(f"{url}/api/traces", headers={"x-api-key": key}).json()
    assert [trace["services"] for trace in listing["traces"]] == [["keyed"]]
    [[points]] = [tuple(row.values()) for row in store.rows("SELECT count(*) FROM metric_points")]
    assert points > 0, "metrics were pushed with the key too"


def test_the_api_is_documented_at_openapi_json(store: Store):
    with serve(create_app(store)) as url:
        document = httpx.get(f"{url}/openapi.json").json()
    assert {"/v1/traces", "/v1/logs", "/v1/metrics", "/api/traces", "/api/traces/{trace_id}"} <= (
        set(document["paths"])
    )
    parameters = {p["name"] for p in document["paths"]["/api/traces"]["get"]["parameters"]}
    assert {"service", "agent", "status", "min_duration_ms", "start", "end", "attribute"} <= (
        parameters
    )
    intake = document["paths"]["/v1/traces"]["post"]
    assert set(intake["requestBody"]["content"]) == {"application/x-protobuf", "application/json"}
    assert {"400", "413", "415", "503"} <= set(intake["responses"])


def test_a_store_failure_is_a_json_500_not_a_traceback(tmp_path: Path):
    store = Store(tmp_path / "store.duckdb")
    with serve(create_app(store)) as url:
        store.close()  # the database is gone from under the API
        answer = httpx.get(f"{url}/api/traces")
    assert answer.status_code == 500
    body = answer.json()
    assert body["status"] == 500 and body["error"].startswith("internal error: ")
    assert "Traceback" not in answer.text


def test_a_resource_is_stored_once_and_comes_back_with_each_span(store: Store):
    with serve(create_app(store)) as url:
        for first in (0, 512):
            answer = httpx.post(f"{url}/v1/traces", content=batch(first), headers=PROTOBUF)
            assert answer.status_code == 200
        tree = httpx.get(f"{url}/api/traces/{600:032x}").json()["tree"]
    assert [row["n"] for row in store.rows("SELECT count(*) AS n FROM resources")] == [1]
    assert tree[0]["resource"] == {"service.name": "load"}


def test_a_dead_decode_worker_costs_one_retry_not_the_intake(tmp_path: Path):
    store = Store(tmp_path / "store.duckdb")
    app = create_app(store, ServerSettings(decode_processes=1))
    try:
        with (
            serve(app) as url,
            httpx.Client(base_url=url, headers=PROTOBUF, timeout=30) as client,
        ):
            assert client.post("/v1/traces", content=batch(0)).status_code == 200
            # The pool's worker, not multiprocessing's resource tracker (also a child).
            [worker] = [
                child
                for child in psutil.Process().children()
                if "spawn_main" in " ".join(child.cmdline())
            ]
            worker.kill()
            worker.wait(10)
            lost = client.post("/v1/traces", content=batch(512))
            assert lost.status_code == 503 and lost.headers["Retry-After"]
            assert "decode worker died" in lost.json()["error"]
            retried = client.post("/v1/traces", content=batch(512))
            assert retried.status_code == 200
            # The lost request's bytes were given back with its 503.
            assert app.state.intake.inflight_bytes == 0
        [[stored]] = [tuple(row.values()) for row in store.rows("SELECT count(*) FROM spans")]
        assert stored == 1024
    finally:
        store.close()
