"""``GET /metrics``: the Prometheus exposition, for one process or for all workers of a server.

A single process serves swarmscope's own registry (``current().metrics.registry``). Under a
pre-fork server (gunicorn with several workers) each worker only knows its own counts and
Prometheus reaches whichever worker accepts the scrape; with ``PROMETHEUS_MULTIPROC_DIR``
set, prometheus-client keeps every worker's values in files there and each scrape reads
them all into a fresh registry through ``MultiProcessCollector``, so any worker answers for
all of them. The directory must be empty when the server starts, and ``child_exit`` below
must run when a worker dies, or its in-progress gauges stay in the sum.

The format is negotiated as prometheus-client does: OpenMetrics when Prometheus asks for it
(exemplars, ``_created``), the classic text format otherwise; gzip when accepted; and
``?name[]=...`` restricts the output to those families. Rendering runs in a worker thread:
reading many workers' files must not stall the event loop.
"""

from __future__ import annotations

import gzip
from typing import Any
from urllib.parse import parse_qs

import anyio.to_thread
from prometheus_client import CollectorRegistry, multiprocess
from prometheus_client.exposition import choose_encoder, gzip_accepted
from starlette.types import Receive, Scope, Send

from swarmscope.telemetry.metrics import multiprocess_dir
from swarmscope.telemetry.runtime import current


def render(
    accept: str = "", accept_encoding: str = "", names: list[str] | None = None
) -> tuple[bytes, list[tuple[bytes, bytes]]]:
    """The exposition body and its headers for these request headers."""
    directory = multiprocess_dir()
    registry: Any
    if directory is not None:
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry, path=directory)
    else:
        registry = current().metrics.registry
    if names:
        registry = registry.restricted_registry(names)
    encoder, content_type = choose_encoder(accept)
    body = encoder(registry)
    headers = [(b"content-type", content_type.encode())]
    if gzip_accepted(accept_encoding):
        body = gzip.compress(body)
        headers.append((b"content-encoding", b"gzip"))
    return body, headers


class MetricsApp:
    """An ASGI app serving ``render()``: mount it at ``/metrics`` or run it on its own port.

    A class, not a function, so Starlette's ``Route`` treats it as an ASGI app rather than as
    a request handler.
    """

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        if scope["type"] != "http":
            await send({"type": "websocket.close", "code": 1008})
            return
        if scope.get("method") not in ("GET", "HEAD"):
            await _respond(send, 405, b"Method Not Allowed", [(b"allow", b"GET, HEAD")])
            return
        headers = {bytes(k).lower(): bytes(v).decode("latin-1") for k, v in scope["headers"]}
        query = parse_qs(bytes(scope.get("query_string", b"")).decode("latin-1"))
        body, response_headers = await anyio.to_thread.run_sync(
            render,
            headers.get(b"accept", ""),
            headers.get(b"accept-encoding", ""),
            query.get("name[]"),
        )
        if scope["method"] == "HEAD":
            response_headers.append((b"content-length", str(len(body)).encode()))
            body = b""
        await _respond(send, 200, body, response_headers)


async def _respond(
    send: Send, status: int, body: bytes, headers: list[tuple[bytes, bytes]]
) -> None:
    if not any(name == b"content-length" for name, _ in headers):
        headers = [*headers, (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


metrics_app = MetricsApp()


def child_exit(server: Any, worker: Any) -> None:
    """gunicorn's ``child_exit`` hook: drop a dead worker's live gauges from the sums.

    In ``gunicorn.conf.py``::

        from swarmscope.web import child_exit  # noqa: F401  (gunicorn looks the hook up by name)

    Does nothing outside multiprocess mode.
    """
    directory = multiprocess_dir()
    if directory is not None:
        multiprocess.mark_process_dead(worker.pid, directory)
