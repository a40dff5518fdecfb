"""A gRPC server on a thread and event loop of its own, for the OTLP/gRPC intake.

Why a thread of its own: the HTTP side runs on uvicorn's loop, which is uvloop when it is
installed, and grpc's asyncio server is built and tested on asyncio's own loop; its own
loop also keeps gRPC's calls from waiting behind HTTP's callbacks. The intake it feeds is
shared safely across loops: ``Intake.submit`` answers with a thread-safe future, the byte
budget takes a lock, and decoding runs on a thread or in the worker processes.

Why bind apart from start: ``swarmscope serve`` binds both ports before it opens the
store, so a taken port is an error at start (as the HTTP port's is) and port 0 has a
number to print in the ready line; the handlers, which need the store's intake, are added
once it exists. ``grpc.so_reuseport`` is off: with it on, grpc would share a port another
server holds instead of failing, and exporters would reach either at random.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Coroutine, Sequence
from concurrent.futures import Future
from typing import Any

import grpc

# How long a start or a stop may take before the caller stops waiting for it.
_WAIT_SECONDS = 30.0


class GrpcServer:
    def __init__(self, host: str, port: int, max_message_bytes: int) -> None:
        """Bind ``host:port`` (0: any free port) on a new thread; ``OSError`` if it cannot."""
        self.host = host
        self._loop = asyncio.new_event_loop()
        bound: Future[grpc.aio.Server] = Future()
        self._thread = threading.Thread(
            target=self._run, args=(host, port, max_message_bytes, bound), name="swarmscope-grpc"
        )
        self._thread.daemon = True
        self._thread.start()
        self._server = bound.result(_WAIT_SECONDS)
        self._stopped = False

    @property
    def address(self) -> str:
        """``host:port`` as an OTLP/gRPC exporter's endpoint names it (IPv6 in brackets)."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"

    def _run(
        self, host: str, port: int, max_message_bytes: int, bound: Future[grpc.aio.Server]
    ) -> None:
        asyncio.set_event_loop(self._loop)
        try:
            server = grpc.aio.server(
                options=(
                    ("grpc.so_reuseport", 0),
                    # Over this, grpc answers RESOURCE_EXHAUSTED without reading the rest,
                    # compressed or not: the HTTP side's max body bytes.
                    ("grpc.max_receive_message_length", max_message_bytes),
                )
            )
            target = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
            try:
                self.port = server.add_insecure_port(target)
            except RuntimeError as error:
                raise OSError(f"cannot listen on {target} (OTLP/gRPC): {error}") from None
        except BaseException as error:
            bound.set_exception(error)
            self._loop.close()
            return
        bound.set_result(server)
        self._loop.run_forever()
        self._loop.close()

    def _call(self, work: Callable[[], Coroutine[Any, Any, None]]) -> None:
        """Run ``work()`` on the server's loop and wait for it."""
        asyncio.run_coroutine_threadsafe(work(), self._loop).result(_WAIT_SECONDS)

    def start(self, handlers: Sequence[grpc.GenericRpcHandler]) -> None:
        """Serve ``handlers`` from now on."""

        async def start() -> None:
            self._server.add_generic_rpc_handlers(tuple(handlers))
            await self._server.start()

        self._call(start)

    def stop(self, grace: float = 10.0) -> None:
        """Refuse new calls, give those under way ``grace`` seconds, then end the thread.
        A second call does nothing."""
        if self._stopped:
            return
        self._stopped = True

        async def stop() -> None:
            await self._server.stop(grace)

        try:
            asyncio.run_coroutine_threadsafe(stop(), self._loop).result(grace + _WAIT_SECONDS)
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(_WAIT_SECONDS)
