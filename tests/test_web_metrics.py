"""``/metrics``: content negotiation in one process, and the sum of all gunicorn workers."""

from __future__ import annotations

import asyncio
import gzip
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from prometheus_client.parser import text_string_to_metric_families

from swarmscope.web import child_exit, instrument_app, metrics_app

TESTS = Path(__file__).parent
GUNICORN = Path(sys.executable).parent / "gunicorn"


def scrape(app: Any, method: str = "GET", path: str = "/metrics", **kwargs: Any) -> httpx.Response:
    async def send() -> httpx.Response:
        transport = httpx.ASGITransport(app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            await client.get("/items/1")
            return await client.request(method, path, **kwargs)

    return asyncio.run(send())


def samples(text: str) -> list[Any]:
    return [s for family in text_string_to_metric_families(text) for s in family.samples]


def items_app() -> FastAPI:
    app = FastAPI()

    @app.get("/items/{item_id}")
    async def get_item(item_id: int) -> dict[str, int]:
        return {"id": item_id}

    return instrument_app(app)


def test_metrics_serves_the_prometheus_text_format(telemetry):
    response = scrape(items_app())

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    assert "version=" in response.headers["content-type"]
    assert "sergas_http_requests_total" in response.text
    [sample] = [
        s
        for s in samples(response.text)
        if s.name == "sergas_http_requests_total" and s.labels["endpoint"] == "/items/{item_id}"
    ]
    assert sample.labels == {"method": "GET", "endpoint": "/items/{item_id}", "status": "200"}
    assert sample.value == 1


def test_metrics_speaks_openmetrics_when_asked(telemetry):
    response = scrape(
        items_app(), headers={"Accept": "application/openmetrics-text; version=1.0.0"}
    )

    assert response.headers["content-type"].startswith("application/openmetrics-text")
    assert response.text.endswith("# EOF\n")
    assert "sergas_http_requests_total" in response.text


def test_metrics_is_gzipped_when_accepted(telemetry):
    async def send() -> bytes:
        transport = httpx.ASGITransport(metrics_app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            request = client.build_request("GET", "/", headers={"Accept-Encoding": "gzip"})
            response = await client.send(request, stream=True)
            assert response.headers["content-encoding"] == "gzip"
            return b"".join([chunk async for chunk in response.aiter_raw()])

    body = gzip.decompress(asyncio.run(send())).decode()

    assert "sergas_http_requests_in_progress" in body


def test_metrics_can_be_restricted_to_some_families(telemetry):
    response = scrape(items_app(), path="/metrics?name[]=sergas_http_requests_total")

    assert {s.name for s in samples(response.text)} == {"sergas_http_requests_total"}


def test_metrics_answers_head_and_refuses_other_methods(telemetry):
    head = scrape(items_app(), method="HEAD")
    post = scrape(items_app(), method="POST")

    assert head.status_code == 200 and head.content == b""
    assert int(head.headers["content-length"]) > 0
    assert post.status_code == 405


def test_child_exit_drops_a_dead_workers_live_gauges(tmp_path, monkeypatch):
    for name in ("gauge_livesum_4242.db", "gauge_liveall_4242.db", "counter_4242.db"):
        (tmp_path / name).write_bytes(b"")
    worker = SimpleNamespace(pid=4242)

    monkeypatch.delenv("PROMETHEUS_MULTIPROC_DIR", raising=False)
    child_exit(None, worker)  # not in multiprocess mode: nothing to do
    assert len(list(tmp_path.iterdir())) == 3

    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    child_exit(None, worker)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["counter_4242.db"]


# -- multiprocess: gunicorn with two uvicorn workers -------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def worker_class() -> str:
    try:
        import uvicorn_worker  # noqa: F401

        return "uvicorn_worker.UvicornWorker"
    except ImportError:
        return "uvicorn.workers.UvicornWorker"


@pytest.fixture
def gunicorn(tmp_path: Path) -> Iterator[str]:
    """``tests/web_app.py`` under gunicorn, two workers, multiprocess metrics in ``tmp_path``."""
    if not GUNICORN.exists():
        pytest.skip("gunicorn is not installed")
    port = free_port()
    metrics_dir = tmp_path / "prometheus"
    metrics_dir.mkdir()
    config = tmp_path / "gunicorn_conf.py"
    config.write_text("from swarmscope.web import child_exit  # noqa: F401\n")
    env = {
        **os.environ,
        "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
        "PYTHONWARNINGS": "ignore::DeprecationWarning",
    }
    command = [
        str(GUNICORN),
        "web_app:app",
        f"--config={config}",
        f"--pythonpath={TESTS}",
        f"--worker-class={worker_class()}",
        "--workers=2",
        f"--bind=127.0.0.1:{port}",
        "--graceful-timeout=5",
        "--log-level=warning",
    ]
    log = tmp_path / "gunicorn.log"
    with log.open("wb") as output:
        process = subprocess.Popen(command, env=env, stdout=output, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            assert process.poll() is None, f"gunicorn exited:\n{log.read_text()}"
            try:
                if httpx.get(f"{base}/health/live", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, f"gunicorn not ready:\n{log.read_text()}"
            time.sleep(0.05)
        yield base
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


def test_multiprocess_metrics_add_up_across_gunicorn_workers(gunicorn):
    # No keep-alive: a fresh connection per request, so the kernel spreads them over workers.
    no_reuse = httpx.Limits(max_keepalive_connections=0)
    client = httpx.Client(base_url=gunicorn, timeout=5, limits=no_reuse)

    def fetch(item_id: int) -> int:
        response = client.get(f"/items/{item_id}")
        assert response.status_code == 200
        return int(response.json()["pid"])

    pids: set[int] = set()
    sent = 0
    with client, ThreadPoolExecutor(max_workers=8) as pool:
        # At least 20 requests, and more (bounded) until both workers have served some.
        while sent < 20 or (len(pids) < 2 and sent < 400):
            pids.update(pool.map(fetch, range(sent, sent + 20)))
            sent += 20

    response = httpx.get(f"{gunicorn}/metrics", timeout=5)

    assert response.status_code == 200
    assert len(pids) == 2, "the requests should have reached both workers"
    scraped = [
        s
        for s in samples(response.text)
        if s.labels.get("endpoint") == "/items/{item_id}" and s.labels.get("method") == "GET"
    ]
    assert sum(s.value for s in scraped if s.name == "sergas_http_requests_total") == sent
    assert sum(s.value for s in scraped if s.name == "sergas_http_requests_in_progress") == 0
