"""The write path: a bounded queue of batches and one writer thread that commits them.

A request is answered only once its rows are committed, so a ``kill -9`` after a 200 loses
nothing. The writer takes every batch waiting and commits them together (group commit):
under load, one transaction serves many requests. The queue is bounded by rows, so a burst
gets 503 and a ``Retry-After`` instead of growing the server's memory.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass

import pyarrow as pa

from swarmscope.server.store import Store

log = logging.getLogger("swarmscope.server")


class Full(Exception):
    """The queue holds as many rows as it may; the client should retry later."""


@dataclass
class _Pending:
    batches: Sequence[tuple[str, pa.Table]]
    rows: int
    done: Future[None]


class Intake:
    def __init__(
        self,
        store: Store,
        max_rows: int = 200_000,
        housekeeping: Callable[[], None] | None = None,
        housekeeping_interval: float = 60.0,
    ) -> None:
        self.store = store
        self.max_rows = max_rows
        self._queue: deque[_Pending] = deque()
        self._queued_rows = 0
        self._cond = threading.Condition()
        self._stopping = False
        self._housekeeping = housekeeping
        self._housekeeping_interval = housekeeping_interval
        self._thread = threading.Thread(target=self._run, name="swarmscope-writer", daemon=True)
        self._thread.start()

    @property
    def queued_rows(self) -> int:
        return self._queued_rows

    def has_room(self, rows: int = 1) -> bool:
        return self._queued_rows + rows <= self.max_rows

    def submit(self, batches: Sequence[tuple[str, pa.Table]]) -> Future[None]:
        """Queue ``(table, rows)`` batches that go in together; the future completes once
        they are committed (or with the error)."""
        done: Future[None] = Future()
        rows = sum(batch.num_rows for _, batch in batches)
        with self._cond:
            if self._stopping:
                raise Full("the server is stopping")
            if not self.has_room(rows):
                raise Full(f"{self._queued_rows} rows are waiting to be written")
            self._queue.append(_Pending(batches, rows, done))
            self._queued_rows += rows
            self._cond.notify()
        return done

    def _run(self) -> None:
        last_housekeeping = time.monotonic()
        while True:
            with self._cond:
                while not self._queue and not self._stopping:
                    timeout = self._housekeeping_interval - (time.monotonic() - last_housekeeping)
                    if timeout <= 0 or not self._cond.wait(timeout):
                        break
                taken = list(self._queue)
                self._queue.clear()
                stopping = self._stopping
            if taken:
                self._commit(taken)
            if self._housekeeping and time.monotonic() - last_housekeeping >= (
                self._housekeeping_interval
            ):
                last_housekeeping = time.monotonic()
                try:
                    self._housekeeping()
                except Exception:
                    log.exception("housekeeping failed; writes go on")
            if stopping and not taken:
                return

    def _commit(self, taken: list[_Pending]) -> None:
        try:
            self.store.write([batch for pending in taken for batch in pending.batches])
        except Exception as error:
            for pending in taken:
                pending.done.set_exception(error)
        else:
            for pending in taken:
                pending.done.set_result(None)
        finally:
            with self._cond:
                self._queued_rows -= sum(pending.rows for pending in taken)

    def close(self, timeout: float = 30.0) -> None:
        """Write what is queued, then stop the writer."""
        with self._cond:
            self._stopping = True
            self._cond.notify()
        self._thread.join(timeout)
