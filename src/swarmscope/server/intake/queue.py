"""The write path: a bounded queue of batches and one writer thread that commits them.

A request is answered only once its rows are committed, so a ``kill -9`` after a 200 loses
nothing. The writer takes every batch waiting and commits them together (group commit):
under load, one transaction serves many requests. The queue is bounded by rows, and the
requests by bytes from their arrival to their answer (``ByteBudget``: bodies being read,
waiting for a decode worker, decoded, queued), so a burst gets 503 and a ``Retry-After``
instead of growing the server's memory. A request larger than either bound as a whole gets ``NeverFits``: retrying it
cannot help, and it is answered 413.

Two things run beside the writer, each on a thread of its own, because every request
waiting for a commit waited for them when the writer did them: counting the families
derived from stored spans (under load, a count of 32k spans takes some 30 ms of wall time:
each of its Arrow calls waits for the GIL again), and folding the write-ahead log into the
file (``Store.checkpoint``, tenths of a second each 100 MB; with it beside the writer, the
intake took 1.06x the spans a second, median of 10 paired rounds of ``server_ingest.py``).
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

import pyarrow as pa

from swarmscope.exceptions import Full, NeverFits
from swarmscope.server.intake.metric_delta import MetricWriter
from swarmscope.server.intake.span_metrics import Counts, SpanMetrics
from swarmscope.server.store.database import FOLD_BYTES, Store

log = logging.getLogger("swarmscope.server")


class ByteBudget:
    """Bytes of requests the server holds at once, reserved before they are read.

    Rows alone do not bound memory: bodies are read, wait for a decode worker and are
    decoded before they are rows, and 80 clients posting 14 MiB bodies held 3 GiB that way.
    Each request reserves its bytes (by ``Content-Length`` before reading, as it grows
    without one, and its inflated size before a gzip body is decoded) and releases them
    once answered. Reservations are made on the event loop; a lock keeps the count exact
    from any thread all the same.
    """

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._used = 0
        self._lock = threading.Lock()

    @property
    def used(self) -> int:
        return self._used

    def reservation(self) -> Reservation:
        """An empty reservation for one request; ``release`` (or ``with``) gives it back."""
        return Reservation(self)

    def _take(self, held: int, more: int) -> None:
        if held + more > self.limit:
            raise NeverFits(
                f"the request needs {held + more} bytes (its body, and inflated if it is"
                f" compressed) but the server holds at most {self.limit} bytes of requests"
                " at once; send smaller batches"
            )
        with self._lock:
            if self._used + more > self.limit:
                raise Full(
                    f"{self._used} bytes of requests are being received, decoded or written"
                    f" (at most {self.limit}); retry later"
                )
            self._used += more

    def _give_back(self, size: int) -> None:
        with self._lock:
            self._used -= size


class Reservation:
    """One request's share of a ``ByteBudget``: it only grows, and goes back whole."""

    def __init__(self, budget: ByteBudget) -> None:
        self._budget = budget
        self.held = 0

    def cover(self, size: int) -> None:
        """Hold at least ``size`` bytes in all. Raises ``Full`` (retry later) or
        ``NeverFits`` (more than the whole budget); what is held already stays held."""
        if size > self.held:
            self._budget._take(self.held, size - self.held)
            self.held = size

    def release(self) -> None:
        """Give every byte back; a second call gives nothing."""
        held, self.held = self.held, 0
        if held:
            self._budget._give_back(held)

    def __enter__(self) -> Reservation:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.release()


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
        max_bytes: int = 32 * 1024 * 1024,
        housekeeping: Callable[[], None] | None = None,
        housekeeping_interval: float = 60.0,
    ) -> None:
        self.store = store
        self.max_rows = max_rows
        self.budget = ByteBudget(max_bytes)
        # Delta metrics to cumulative, refused points counted: in commit order, here.
        self.metrics = MetricWriter(store)
        # The catalog's families counted from spans, for apps that push no metrics.
        self.span_metrics = SpanMetrics()
        self._counter = ThreadPoolExecutor(1, thread_name_prefix="swarmscope-span-metrics")
        self._counting: Future[tuple[pa.Table, Counts] | None] | None = None
        self.fold_bytes = FOLD_BYTES
        self._folder = ThreadPoolExecutor(1, thread_name_prefix="swarmscope-checkpoint")
        self._folding: Future[None] | None = None
        self._fold_after = 0.0
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

    @property
    def inflight_bytes(self) -> int:
        """Bytes of requests reserved right now: 0 whenever no request is being handled."""
        return self.budget.used

    def has_room(self, rows: int = 1) -> bool:
        return self._queued_rows + rows <= self.max_rows

    def submit(self, batches: Sequence[tuple[str, pa.Table]]) -> Future[None]:
        """Queue ``(table, rows)`` batches that go in together; the future completes once
        they are committed (or with the error).

        Raises ``Full`` while the queue has no room for them, ``NeverFits`` if it never can.
        """
        done: Future[None] = Future()
        rows = sum(batch.num_rows for _, batch in batches)
        if rows > self.max_rows:
            raise NeverFits(
                f"the request makes {rows} rows to store (its items and their resources) and"
                f" the server queues at most {self.max_rows} at once: send smaller batches"
            )
        with self._cond:
            if self._stopping:
                raise Full("the server is stopping; retry later")
            if not self.has_room(rows):
                raise Full(f"{self._queued_rows} rows are waiting to be written; retry later")
            self._queue.append(_Pending(batches, rows, done))
            self._queued_rows += rows
            self._cond.notify()
        return done

    def _run(self) -> None:
        last_housekeeping = time.monotonic()
        while True:
            with self._cond:
                while not self._queue and not self._stopping and not self._counted():
                    timeout = self._housekeeping_interval - (time.monotonic() - last_housekeeping)
                    if self.span_metrics.pending and self._counting is None:
                        timeout = min(timeout, self.span_metrics.seconds_to_flush())
                    if timeout <= 0 or not self._cond.wait(timeout):
                        break
                taken = list(self._queue)
                self._queue.clear()
                stopping = self._stopping
            if self.store.closed and not taken:
                return
            if taken:
                self._commit(taken)
                self._fold_log()
            self._write_span_metrics(force=stopping and not taken)
            if self._housekeeping and time.monotonic() - last_housekeeping >= (
                self._housekeeping_interval
            ):
                last_housekeeping = time.monotonic()
                self._wait_for_fold()  # housekeeping checkpoints too, and one runs at a time
                try:
                    self._housekeeping()
                except Exception:
                    log.exception("housekeeping failed; writes go on")
            if stopping and not taken:
                return

    def _commit(self, taken: list[_Pending]) -> None:
        try:
            batches = [batch for pending in taken for batch in pending.batches]
            spans = self._select_spans(batches)
            self.store.write(self.metrics.prepare(batches))
        except Exception as error:
            self.metrics.forget()
            for pending in taken:
                pending.done.set_exception(error)
        else:
            self.span_metrics.keep(spans)
            for pending in taken:
                pending.done.set_result(None)
        finally:
            with self._cond:
                self._queued_rows -= sum(pending.rows for pending in taken)

    def _select_spans(self, batches: list[tuple[str, pa.Table]]) -> list[pa.Table]:
        """The spans the families counted from them will read; none, and a log line, if
        that fails: the spans are stored all the same."""
        try:
            return self.span_metrics.select(batches)
        except Exception:
            log.exception("the spans of a commit could not be kept for counting")
            return []

    def _fold_log(self) -> None:
        """Fold the write-ahead log into the file beside the writer once it holds
        ``fold_bytes``, unless a fold runs. DuckDB refuses one while a transaction is open
        (a commit, a read): it is tried again a second later."""
        if self._folding is not None:
            if not self._folding.done():
                return
            self._wait_for_fold()
        if time.monotonic() >= self._fold_after and self.store.log_bytes() >= self.fold_bytes:
            self._folding = self._folder.submit(self.store.checkpoint)

    def _wait_for_fold(self) -> None:
        """Wait for the fold under way, if any."""
        folding, self._folding = self._folding, None
        if folding is None:
            return
        try:
            folding.result()
        except Exception:
            log.debug("the write-ahead log could not be folded yet", exc_info=True)
            self._fold_after = time.monotonic() + 1.0

    def _counted(self) -> bool:
        return self._counting is not None and self._counting.done()

    def _write_span_metrics(self, force: bool) -> None:
        """Store the last count once it is done, and start the next once it is due (at a
        stop: wait for both). A count still under way holds the next one back; the writer
        waits for it only once a flush's worth of spans is kept again, which bounds them.
        A failure to count loses those counts and is logged; a failure to store keeps them
        for the next flush."""
        if self._counting is not None:
            if not (self._counting.done() or force or self.span_metrics.full):
                return
            counting, self._counting = self._counting, None
            self._store_counted(counting)
        detached = self.span_metrics.detach(force)
        if detached is None:
            return
        counting = self._counter.submit(self.span_metrics.count, detached)
        if force:
            self._store_counted(counting)
        else:
            self._counting = counting
            counting.add_done_callback(self._wake)

    def _wake(self, _: object) -> None:
        with self._cond:
            self._cond.notify()

    def _store_counted(self, counting: Future[tuple[pa.Table, Counts] | None]) -> None:
        try:
            counted = counting.result()
        except Exception:
            log.exception("the metrics of the stored spans could not be counted")
            return
        if counted is None:
            return
        points, counts = counted
        try:
            self.store.write(self.metrics.prepare([("metric_deltas", points)]))
        except Exception:
            self.metrics.forget()
            self.span_metrics.restore(counts)
            log.exception("the metrics counted from spans could not be stored; retrying")

    def close(self, timeout: float = 30.0) -> None:
        """Write what is queued, then stop the writer."""
        with self._cond:
            self._stopping = True
            self._cond.notify()
        self._thread.join(timeout)
        if not self._thread.is_alive():
            self._counter.shutdown()
            self._folder.shutdown()
