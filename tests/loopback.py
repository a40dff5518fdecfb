"""Servers the tests start on 127.0.0.1: a free port, and an ASGI app under uvicorn."""

from __future__ import annotations

import socket
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import uvicorn


def free_port() -> int:
    """A port nothing listens on right now (the caller binds it soon after)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def serve_command(data: Path, *options: str, grpc_port: str = "-1") -> list[str]:
    """``swarmscope serve`` on a free HTTP port with its store under ``data``, gRPC off
    unless a port is asked for (4317 would clash between tests), and ``options``."""
    return [
        sys.executable,
        "-m",
        "swarmscope",
        "serve",
        "--port",
        "0",
        "--grpc-port",
        grpc_port,
        "--data",
        str(data),
        *options,
    ]


@contextmanager
def serve(app: Any, timeout: float = 10.0) -> Iterator[str]:
    """Run ``app`` under uvicorn on a free loopback port in a thread; stop it on exit."""
    sock = socket.socket()
    # Accepted connections inherit it: no 40 ms Nagle/delayed-ACK stall per keep-alive request.
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(app, log_config=None, log_level="warning", access_log=False, lifespan="auto")
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + timeout
        while not server.started:
            assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.005)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=timeout)
        sock.close()
    assert not thread.is_alive(), "uvicorn did not stop"


@contextmanager
def serve_store(path: Path) -> Iterator[str]:
    """A swarmscope server in this process over a new store at ``path``; its base URL."""
    from swarmscope.server.app import create_app
    from swarmscope.server.store.database import Store

    store = Store(path)
    try:
        with serve(create_app(store)) as url:
            yield url
    finally:
        store.close()
