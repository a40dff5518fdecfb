"""Serving an ASGI app on loopback from inside a running event loop."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import Iterator
from typing import Any

import uvicorn


class _QuietServer(uvicorn.Server):
    """uvicorn without its SIGINT/SIGTERM handlers: the program decides when it stops."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def listen(port: int) -> socket.socket:
    """A socket bound to 127.0.0.1:``port`` (0 picks one), so a taken port is an ``OSError``
    the caller can report (uvicorn itself would exit the process). Bound before serving when
    the address must be known first (the telemetry server allows the web UI's origin)."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        listener.bind(("127.0.0.1", port))
    except OSError as error:
        listener.close()
        raise OSError(f"cannot listen on 127.0.0.1:{port}: {error.strerror}") from None
    return listener


async def start_server(
    app: Any, port: int | socket.socket, handle_signals: bool = True
) -> tuple[uvicorn.Server, asyncio.Task[None], int]:
    """Start uvicorn on 127.0.0.1:``port`` (0 picks one) or on a socket ``listen`` bound;
    return it, its task and its port.

    With ``handle_signals`` uvicorn stops on SIGINT/SIGTERM and raises the signal again once
    stopped; without, the caller handles them.
    """
    listener = listen(port) if isinstance(port, int) else port
    port = listener.getsockname()[1]
    config = uvicorn.Config(app, log_config=None, access_log=False, lifespan="off")
    server = uvicorn.Server(config) if handle_signals else _QuietServer(config)
    serving = asyncio.create_task(server.serve(sockets=[listener]))
    while not server.started:
        if serving.done():
            serving.result()
            raise OSError(f"the server on 127.0.0.1:{port} stopped while starting")
        await asyncio.sleep(0.02)
    return server, serving, listener.getsockname()[1]
