"""OTLP request bodies to Arrow batches, in worker processes when the server has them.

Decoding is the intake's heaviest step and mostly Python (the span reader is compiled, the
rows it feeds are not), so one process decodes on one core at most. ``Decoder(processes=N)`` spreads it over N worker processes (the request body goes
in, an Arrow table comes back); the server process keeps the HTTP side and the writes.
With ``processes=0`` bodies are decoded on a thread of the server process, which is what
tests and small installs want: no workers to start.
"""

from __future__ import annotations

import asyncio
import ctypes
import multiprocessing
import os
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from swarmscope.exceptions import WorkerLost
from swarmscope.server.intake import otlp
from swarmscope.server.intake.metric_points import metric_batch
from swarmscope.server.store.rows import (
    DeltaRow,
    LogRow,
    MetricFamilyRow,
    MetricRow,
    RefusalRow,
    ResourceRow,
    arrow_batch,
)

REJECTED_FIELDS = {
    "traces": "rejected_spans",
    "logs": "rejected_log_records",
    "metrics": "rejected_data_points",
}


@dataclass(frozen=True)
class Decoded:
    # (table, rows) pairs, written together: spans come with the resources they refer to.
    batches: tuple[tuple[str, pa.Table], ...]
    rejected: int
    reason: str

    @property
    def rows(self) -> int:
        return sum(batch.num_rows for _, batch in self.batches)


def decode(
    signal: str, body: bytes, content_type: str, encoding: str | None, limit: int
) -> Decoded:
    """One request body, inflated, parsed and turned into the rows of its table.

    Raises ``otlp.TooLarge``, ``otlp.UnsupportedMediaType`` or ``otlp.BadPayload``.
    """
    raw = otlp.decompress(body, encoding, limit)
    if signal == "traces":
        rows, resources, rejected = otlp.read_span_rows(raw, content_type)
        spans = otlp.span_table(rows)
        reason = "spans need a 16-byte trace id and an 8-byte span id" if rejected else ""
        known = [ResourceRow(key, attributes) for key, attributes in resources.items()]
        batches = (("spans", spans), ("resources", arrow_batch(ResourceRow, known)))
        return Decoded(batches if spans.num_rows else (), rejected, reason)
    message = otlp.parse(otlp.new_request(signal), raw, content_type)
    if signal == "logs":
        return Decoded((("logs", arrow_batch(LogRow, otlp.log_rows(message))),), 0, "")
    return _metrics(message)


def _metrics(message: Any) -> Decoded:
    """Stored rows, and for the writer (``metric_delta.MetricWriter``) the deltas to
    accumulate and the refusals to count: neither is a table of the store."""
    found = metric_batch(message)
    batches = [("metric_points", arrow_batch(MetricRow, found.rows))]
    if found.deltas:
        batches.append(("metric_deltas", arrow_batch(DeltaRow, found.deltas)))
    if found.families:
        batches.append(
            ("metric_families", arrow_batch(MetricFamilyRow, list(found.families.values())))
        )
    if found.refused:
        refusals = [
            RefusalRow(reason, points, found.details[reason])
            for reason, points in sorted(found.refused.items())
        ]
        batches.append(("metric_refusals", arrow_batch(RefusalRow, refusals)))
    return Decoded(tuple(batches), found.rejected, found.reason())


# glibc's mallopt parameter for the size from which a block gets its own mmap.
_M_MMAP_THRESHOLD = -3


def give_large_blocks_back() -> None:
    """Serve every allocation of 1 MiB or more (request bodies, their copies to and from the
    workers) from its own mmap, so freeing it returns it to the OS at once.

    By default glibc raises that threshold to the size of each large block freed, up to 32
    MiB: after the first 14 MiB body, bodies come from the heap, whose freed memory stays
    with the process, and its RSS stays at the peak of every body it ever held at once (200
    MiB more under 80 clients posting 14 MiB bodies). A fixed threshold turns that off.
    Elsewhere than glibc (musl, macOS) there is no ``mallopt``, and nothing to do.
    """
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return
    mallopt(_M_MMAP_THRESHOLD, 1024 * 1024)


def _start_worker(parent: int) -> None:
    """In each worker: large blocks go back to the OS once freed (see
    ``give_large_blocks_back``), and the worker exits once the server is gone."""
    give_large_blocks_back()
    _exit_with_parent(parent)


def _exit_with_parent(parent: int) -> None:
    """Exit once the server is gone. A server killed with -9 cannot stop its pool, and its
    workers would otherwise wait on their queue for ever."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(0)

    threading.Thread(target=watch, name="swarmscope-parent-watch", daemon=True).start()


class Decoder:
    def __init__(self, processes: int = 0) -> None:
        self._processes = processes
        self._pool = self._new_pool() if processes > 0 else None

    def _new_pool(self) -> ProcessPoolExecutor:
        # Spawned, not forked: the server process has threads (the writer, the event loop).
        return ProcessPoolExecutor(
            self._processes,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_start_worker,
            initargs=(os.getpid(),),
        )

    async def decode(self, *args: Any) -> Decoded:
        """Raises ``WorkerLost`` when a worker died under the request (the next one gets a
        new pool), or what ``decode`` raises."""
        pool = self._pool
        if pool is None:
            return await asyncio.to_thread(decode, *args)
        try:
            return await asyncio.get_running_loop().run_in_executor(pool, decode, *args)
        except BrokenProcessPool:
            # A dead worker (the OS killed it, say) breaks its whole pool for good.
            if self._pool is pool:
                pool.shutdown(wait=False, cancel_futures=True)
                self._pool = self._new_pool()
            raise WorkerLost("a decode worker died; retry the request") from None

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
