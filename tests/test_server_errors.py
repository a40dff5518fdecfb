"""An error answer costs the client one request, never its connection, and a client that
hangs up costs the server no traceback.

Clients keep connections open (OTLP exporters, the console, httpx): if a 500 closed the
connection, the request sent next on it would fail as well. The internal error is real: a
store method raises, as a broken disk or database would make it.
"""

from __future__ import annotations

import http.client
import logging
import socket
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import orjson
import pytest

from loopback import serve
from swarmscope.server.app import create_app
from swarmscope.server.store.database import Store, StoreFull

BROKEN = "b" * 32
# Loggers a traceback of the server's would go to: its own, and uvicorn's.
LOGGERS = ("swarmscope.server", "uvicorn.error")


class Recorder(logging.Handler):
    """Every record of the watched loggers, whatever logging configuration ran before."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def errors(self) -> list[str]:
        return [
            f"{record.name}: {record.getMessage()}"
            for record in self.records
            if record.levelno >= logging.ERROR or record.exc_info
        ]


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    store = Store(tmp_path / "store.duckdb")
    yield store
    store.close()


@pytest.fixture
def logs() -> Iterator[Recorder]:
    recorder = Recorder()
    for name in LOGGERS:
        logging.getLogger(name).addHandler(recorder)
    try:
        yield recorder
    finally:
        for name in LOGGERS:
            logging.getLogger(name).removeHandler(recorder)


@pytest.fixture
def failing_store(store: Store, monkeypatch: pytest.MonkeyPatch) -> Store:
    """The store, whose reads of trace ``BROKEN`` raise as a failing database would."""
    real_rows = store.rows

    def rows(query: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        if BROKEN in params:
            raise RuntimeError("the disk is on fire")
        return real_rows(query, params)

    monkeypatch.setattr(store, "rows", rows)
    return store


def test_a_500_leaves_the_keep_alive_connection_usable(failing_store: Store, logs: Recorder):
    with serve(create_app(failing_store)) as url:
        address = urlsplit(url)
        connection = http.client.HTTPConnection(address.hostname, address.port, timeout=30)
        answers = []
        try:
            for number in range(20):
                failing = number % 2 == 0
                connection.request("GET", f"/api/traces/{BROKEN}" if failing else "/api/overview")
                # http.client reconnects by itself after a close: the local port tells.
                local_port = connection.sock.getsockname()[1]
                answer = connection.getresponse()
                answers.append((failing, answer.status, orjson.loads(answer.read()), local_port))
        finally:
            connection.close()

    assert len(answers) == 20
    for failing, status, body, _ in answers:
        if failing:
            assert status == 500
            assert body == {
                "error": "internal error: RuntimeError: the disk is on fire",
                "status": 500,
            }
        else:
            assert status == 200 and "traces" in body
    assert len({port for *_, port in answers}) == 1, "the connection was opened again"

    # One traceback per failure, in the server's own log, and none from uvicorn.
    failures = [record for record in logs.records if record.exc_info]
    assert len(failures) == 10
    assert {record.name for record in failures} == {"swarmscope.server"}
    assert all(record.exc_info[0] is RuntimeError for record in failures)
    assert f"GET /api/traces/{BROKEN}" in failures[0].getMessage()


def _connect(url: str) -> socket.socket:
    address = urlsplit(url)
    return socket.create_connection((address.hostname, address.port), timeout=30)


def test_clients_that_hang_up_mid_request_or_mid_response_leave_no_traceback(
    store: Store, logs: Recorder
):
    with serve(create_app(store)) as url:
        # Mid-request: the OTLP body is announced at 100 kB and the client leaves after 100 B.
        with _connect(url) as client:
            client.sendall(
                b"POST /v1/traces HTTP/1.1\r\nHost: test\r\n"
                b"Content-Type: application/x-protobuf\r\nContent-Length: 100000\r\n\r\n"
                + b"\0"
                * 100
            )

        # Mid-response: Swagger UI's script is megabytes; the client reads its first bytes only.
        with _connect(url) as client:
            client.sendall(b"GET /api/docs HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n")
            page = b""
            for _ in range(1000):
                chunk = client.recv(65536)
                if not chunk:
                    break
                page += chunk
            script = page.split(b'<script src="')[1].split(b'"')[0]
            assert script.endswith(b"swagger-ui-bundle.js")
        with _connect(url) as client:
            client.sendall(b"GET " + script + b" HTTP/1.1\r\nHost: test\r\n\r\n")
            assert client.recv(1024).startswith(b"HTTP/1.1 200 ")

        # The server goes on answering; stopping it waits for every request it took.
        with _connect(url) as client:
            client.sendall(b"GET /api/overview HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n")
            assert client.recv(1024).startswith(b"HTTP/1.1 200 ")
    assert logs.errors() == []


def test_a_full_disk_under_a_query_is_503_with_its_reason(store, monkeypatch, logs):
    """While DuckDB cannot reopen its file on a full disk, reads fail too: the client gets
    the cause and when to retry, as the OTLP intake answers, not an internal error."""

    def full(query: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        raise StoreFull("the store's disk is full: No space left on device")

    monkeypatch.setattr(store, "rows", full)
    with serve(create_app(store)) as url:
        parts = urlsplit(url)
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
        try:
            connection.request("GET", f"/api/traces/{BROKEN}")
            answer = connection.getresponse()
            body = orjson.loads(answer.read())
        finally:
            connection.close()
    assert answer.status == 503
    assert answer.getheader("Retry-After") == "30"
    assert body == {"error": "the store's disk is full: No space left on device", "status": 503}
    assert logs.errors() == []
