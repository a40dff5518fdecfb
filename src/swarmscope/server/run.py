"""Running the server as a process: ``swarmscope serve``, and the demo's child process."""

from __future__ import annotations

import dataclasses
import socket
from collections.abc import Callable
from pathlib import Path

import uvicorn

from swarmscope.server.app import create_app
from swarmscope.server.intake.decoding import give_large_blocks_back
from swarmscope.server.settings import ServerSettings
from swarmscope.server.store.database import Store

STORE_FILE = "swarmscope.duckdb"
READY = "swarmscope server listening on"


def listen(host: str, port: int) -> socket.socket:
    """A listening socket, so a taken port is an ``OSError`` here and port 0 is reportable."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    listener = socket.socket(family, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # Connections inherit it: no Nagle stall between a response's head and body.
    listener.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        listener.bind((host, port))
        listener.listen(2048)
    except OSError as error:
        listener.close()
        raise OSError(f"cannot listen on {host}:{port}: {error.strerror}") from None
    return listener


def serve(
    listener: socket.socket,
    data_dir: Path,
    settings: ServerSettings,
    ready: Callable[[str], None],
) -> None:
    """Serve until SIGINT/SIGTERM; queued writes are committed before the store closes."""
    # This process is the server's alone: its freed request bodies may go back to the OS.
    give_large_blocks_back()
    data_dir.mkdir(parents=True, exist_ok=True)
    store = Store(data_dir / STORE_FILE)  # StoreError for another version's file
    try:
        host, port = listener.getsockname()[:2]
        url = f"http://{host}:{port}"
        if settings.external_url is None:
            settings = dataclasses.replace(settings, external_url=url)
        config = uvicorn.Config(
            create_app(store, settings),
            log_config=None,
            access_log=False,
            lifespan="on",
            timeout_graceful_shutdown=10,
        )
        ready(f"{READY} {url}")
        uvicorn.Server(config).run(sockets=[listener])
    finally:
        store.close()
