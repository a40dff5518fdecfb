"""Running the server as a process: ``swarmscope serve``, and the demo's child process."""

from __future__ import annotations

import asyncio
import dataclasses
import socket
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import uvicorn
from fastapi import FastAPI

from swarmscope.server.app import create_app
from swarmscope.server.intake.decoding import give_large_blocks_back
from swarmscope.server.intake.grpc_receiver import otlp_services
from swarmscope.server.intake.grpc_server import GrpcServer
from swarmscope.server.settings import ServerSettings
from swarmscope.server.store.database import Store

STORE_FILE = "swarmscope.duckdb"
READY = "swarmscope server listening on"
# What the ready line says after the gRPC address; the URL stays the line's first word.
GRPC_READY = "(OTLP/gRPC)"


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


def listen_grpc(host: str, port: int, settings: ServerSettings) -> GrpcServer:
    """The OTLP/gRPC port bound (0: any free one), not yet serving; ``OSError`` if taken."""
    return GrpcServer(host, port, settings.max_body_bytes)


def add_grpc(app: FastAPI, settings: ServerSettings, server: GrpcServer) -> None:
    """Serve OTLP/gRPC into ``app``'s intake through ``server`` from now on.

    The app's shutdown stops it first, calls under way answered, so no call finds the
    intake closed; the HTTP side has stopped taking requests by then too.
    """
    state = app.state
    server.start(
        otlp_services(state.intake, state.decoder, settings.max_body_bytes, settings.api_key)
    )
    inner = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(app: Any) -> AsyncIterator[Any]:
        async with inner(app) as value:
            try:
                yield value
            finally:
                await asyncio.to_thread(server.stop)

    app.router.lifespan_context = lifespan


def ready_line(url: str, grpc: GrpcServer | None) -> str:
    """``swarmscope server listening on URL [and HOST:PORT (OTLP/gRPC)]``."""
    return f"{READY} {url}" if grpc is None else f"{READY} {url} and {grpc.address} {GRPC_READY}"


def serve(
    listener: socket.socket,
    data_dir: Path,
    settings: ServerSettings,
    ready: Callable[[str], None],
    grpc: GrpcServer | None = None,
) -> None:
    """Serve until SIGINT/SIGTERM; queued writes are committed before the store closes."""
    # This process is the server's alone: its freed request bodies may go back to the OS.
    give_large_blocks_back()
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        store = Store(data_dir / STORE_FILE)  # StoreError for another version's file
    except BaseException:
        if grpc is not None:
            grpc.stop(0)
        raise
    try:
        host, port = listener.getsockname()[:2]
        url = f"http://{host}:{port}"
        if settings.external_url is None:
            settings = dataclasses.replace(settings, external_url=url)
        app = create_app(store, settings)
        if grpc is not None:
            add_grpc(app, settings, grpc)
        config = uvicorn.Config(
            app,
            log_config=None,
            access_log=False,
            lifespan="on",
            timeout_graceful_shutdown=10,
        )
        ready(ready_line(url, grpc))
        uvicorn.Server(config).run(sockets=[listener])
    finally:
        if grpc is not None:
            grpc.stop()
        store.close()
