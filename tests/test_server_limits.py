"""The server's limits: bytes of requests in flight, a queue a request can never fit, a full
disk. Each is answered (503 with ``Retry-After``, or 413 when retrying cannot help), never
a 500, and nothing the server said 200 to is missing afterwards."""

from __future__ import annotations

import gzip
import os
import shutil
import socket
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from loopback import serve
from otlp_requests import PROTOBUF, span_request
from swarmscope.server.app import create_app
from swarmscope.server.settings import ServerSettings
from swarmscope.server.store.database import Store

GZIP = {**PROTOBUF, "content-encoding": "gzip"}


def spans(first: int, count: int, padding: int = 0) -> bytes:
    return span_request(first, count, "limits", padding)


def stored_trace_ids(store: Store) -> set[int]:
    return {int(row["trace_id"], 16) for row in store.rows("SELECT trace_id FROM spans")}


def wait_for(condition: Callable[[], bool], what: str, seconds: float = 60.0) -> None:
    """Poll until ``condition`` holds; a bounded wait, failing with ``what`` if it never does."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"gave up waiting: {what}"
        time.sleep(0.01)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    store = Store(tmp_path / "store.duckdb")
    yield store
    store.close()


def test_past_the_byte_budget_requests_get_503_and_what_got_200_is_stored(store: Store):
    bodies = [spans(number * 100, 100, padding=2000) for number in range(6)]
    size = max(len(body) for body in bodies)
    # Room for two bodies in flight, not three.
    app = create_app(store, ServerSettings(max_inflight_bytes=size * 5 // 2))
    answers: dict[int, httpx.Response] = {}

    def post(index: int) -> None:
        answers[index] = httpx.post(
            f"{url}/v1/traces", content=bodies[index], headers=PROTOBUF, timeout=60
        )

    with serve(app) as url:
        # While the store is busy (a long query holds it), the first two requests stay in
        # flight holding their bytes, so the other four find no room: deterministically.
        with store._lock:
            posts = [threading.Thread(target=post, args=(index,)) for index in range(6)]
            for thread in posts:
                thread.start()
            wait_for(lambda: len(answers) >= 4, "four requests answered")
            assert app.state.intake.inflight_bytes >= 2 * min(len(body) for body in bodies)
        for thread in posts:
            thread.join(timeout=60)
        assert app.state.intake.inflight_bytes == 0, "every reservation was given back"
    assert Counter(answer.status_code for answer in answers.values()) == {200: 2, 503: 4}
    accepted = set()
    for index, answer in answers.items():
        if answer.status_code == 503:
            assert answer.headers["retry-after"] == "2"
            assert (
                "bytes of requests are being received, decoded or written" in answer.json()["error"]
            )
        else:
            accepted |= set(range(index * 100, index * 100 + 100))
    assert stored_trace_ids(store) == accepted


def test_a_gzip_body_counts_inflated_and_one_that_never_fits_is_413(store: Store):
    raw = spans(0, 50, padding=4000)  # about 200 kB that gzip makes a few kB
    budget = 256 * 1024
    app = create_app(store, ServerSettings(max_inflight_bytes=budget))
    with serve(app) as url, httpx.Client(base_url=url, timeout=60) as client:
        compressed = gzip.compress(raw)
        answers: list[httpx.Response] = []
        # Parked before the commit, the request holds its body and what it inflated to.
        with store._lock:
            parked = threading.Thread(
                target=lambda: answers.append(
                    client.post("/v1/traces", content=compressed, headers=GZIP)
                )
            )
            parked.start()
            # 50 spans and the resource they name.
            wait_for(lambda: app.state.intake.queued_rows == 51, "the gzip request queued")
            assert app.state.intake.inflight_bytes == len(compressed) + len(raw)
        parked.join(timeout=60)
        assert [answer.status_code for answer in answers] == [200]

        # Inflated, this one is larger than the whole budget: no retry can help it.
        bomb = gzip.compress(spans(1000, 100, padding=4000))
        assert len(bomb) < budget
        never = client.post("/v1/traces", content=bomb, headers=GZIP)
        assert never.status_code == 413 and "retry-after" not in never.headers
        assert f"at most {budget} bytes of requests" in never.json()["error"]

        # A trailer declaring less than the body inflates to is a broken stream, held to it.
        lying = compressed[:-4] + (100).to_bytes(4, "little")
        broken = client.post("/v1/traces", content=lying, headers=GZIP)
        assert broken.status_code == 400 and "gzip trailer" in broken.json()["error"]
        assert app.state.intake.inflight_bytes == 0
    assert stored_trace_ids(store) == set(range(50))


def test_a_body_without_content_length_is_counted_as_it_grows(store: Store):
    budget = 256 * 1024
    app = create_app(store, ServerSettings(max_inflight_bytes=budget))
    small = spans(0, 20, padding=1000)
    large = spans(100, 100, padding=4000)
    assert len(small) < budget < len(large)

    def chunked(body: bytes) -> Iterator[bytes]:
        # A generator body: httpx sends it chunked, with no Content-Length.
        for start in range(0, len(body), 16 * 1024):
            yield body[start : start + 16 * 1024]

    with serve(app) as url, httpx.Client(base_url=url, headers=PROTOBUF, timeout=60) as client:
        assert client.post("/v1/traces", content=chunked(small)).status_code == 200
        too_large = client.post("/v1/traces", content=chunked(large))
        assert too_large.status_code == 413
        assert f"at most {budget} bytes" in too_large.json()["error"]
        assert app.state.intake.inflight_bytes == 0
    assert stored_trace_ids(store) == set(range(20))


def test_content_length_is_reserved_before_the_body_and_released_if_the_client_leaves(
    store: Store,
):
    app = create_app(store, ServerSettings(max_inflight_bytes=1024 * 1024))
    with serve(app) as url:
        address = urlsplit(url)
        with socket.create_connection((address.hostname, address.port), timeout=30) as client:
            client.sendall(
                b"POST /v1/traces HTTP/1.1\r\nHost: test\r\n"
                b"Content-Type: application/x-protobuf\r\nContent-Length: 500000\r\n\r\n"
                + b"\x00"
                * 1000
            )
            wait_for(
                lambda: app.state.intake.inflight_bytes == 500_000,
                "the declared length reserved while the body is still coming",
            )
        # The client went away mid-body: its bytes come back.
        wait_for(lambda: app.state.intake.inflight_bytes == 0, "the reservation released")
        answer = httpx.post(f"{url}/v1/traces", content=spans(0, 10), headers=PROTOBUF)
        assert answer.status_code == 200


def test_a_request_larger_than_the_whole_queue_is_413_not_503(store: Store):
    app = create_app(store, ServerSettings(max_queued_rows=1000))
    with serve(app) as url, httpx.Client(base_url=url, headers=PROTOBUF, timeout=60) as client:
        never = client.post("/v1/traces", content=spans(0, 1500))
        fits = client.post("/v1/traces", content=spans(5000, 999))  # and a resource
        assert app.state.intake.inflight_bytes == 0
    assert never.status_code == 413 and "retry-after" not in never.headers
    assert never.json()["error"] == (
        "the request makes 1501 rows to store (its items and their resources) and the server"
        " queues at most 1000 at once: send smaller batches"
    )
    assert fits.status_code == 200
    assert stored_trace_ids(store) == set(range(5000, 5999))


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A tmpfs of 8 MB, mounted for the test (root only) and unmounted after it."""
    mount_point = tmp_path / "disk"
    mount_point.mkdir()
    if shutil.which("mount") is None:
        pytest.skip("no mount command to make a small disk with")
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", str(mount_point)],
        capture_output=True,
        text=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs to fill (needs root): {mounted.stderr.strip()}")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", str(mount_point)], check=True)


def fill(disk: Path) -> Path:
    """Write a file until the disk has no room left; the file, to free the room again."""
    filler = disk / "filler"
    descriptor = os.open(filler, os.O_WRONLY | os.O_CREAT)
    try:
        for _ in range(10_000):  # 8 MB in 4 kB writes is 2,048 of them
            os.write(descriptor, b"x" * 4096)
    except OSError as error:
        assert error.strerror == "No space left on device"
    else:
        pytest.fail("the disk never filled up")
    finally:
        os.close(descriptor)
    return filler


def test_a_full_disk_is_503_with_the_reason_until_there_is_room_again(small_disk: Path):
    store = Store(small_disk / "store.duckdb")
    try:
        with (
            serve(create_app(store)) as url,
            httpx.Client(base_url=url, headers=PROTOBUF, timeout=60) as client,
        ):
            assert client.post("/v1/traces", content=spans(0, 200)).status_code == 200
            filler = fill(small_disk)
            refused = [client.post("/v1/traces", content=spans(1000 * n, 200)) for n in range(1, 4)]
            # A checkpoint with no room (retention runs them) makes DuckDB give up the
            # connection: the store must open its file again, not answer 500 for ever.
            with pytest.raises(Exception, match="No space left on device"):
                store.execute("CHECKPOINT")
            refused.append(client.post("/v1/traces", content=spans(4000, 200)))
            for answer in refused:
                assert answer.status_code == 503, answer.text
                assert answer.headers["retry-after"] == "30"
                reason = answer.json()["error"]
                assert reason.startswith("the store's disk is full: ")
                assert "No space left on device" in reason and "rollback" not in reason
            filler.unlink()
            assert client.post("/v1/traces", content=spans(5000, 200)).status_code == 200
            listing = client.get("/api/traces", params={"limit": 1000}).json()
        assert stored_trace_ids(store) == set(range(200)) | set(range(5000, 5200))
        assert listing["count"] == 400
    finally:
        store.close()
