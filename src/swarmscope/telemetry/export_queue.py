"""A bounded queue drained by one daemon thread: how telemetry leaves without blocking the app.

The OpenTelemetry batch processors drop silently when their queue is full, and logging's
``QueueHandler`` either grows without bound or raises. Here ``put`` is a deque append that
never blocks; when the queue is full the item is dropped and counted, and an export that
fails is counted too, so an unreachable backend shows up on ``/metrics`` instead of in
the app's latency.

Closing keeps to a deadline whatever the exporter does: an export can sit for its whole HTTP
timeout on an endpoint that accepts connections and never answers, and no Python call can
cut a blocked socket read short. So what is still queued or in flight at the deadline is
abandoned to the daemon worker and counted as dropped (reason ``shutdown``) at once; the
worker's late outcome for it is then ignored, so nothing is counted twice.
"""

from __future__ import annotations

import collections
import os
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

T = TypeVar("T")

# Set on export threads: telemetry produced while exporting (an SDK warning, say) must not
# be exported again, or a failing backend would feed itself.
_export_thread = threading.local()


def in_export_thread() -> bool:
    return getattr(_export_thread, "active", False)


def mark_export_thread() -> None:
    """Mark the calling thread as one that exports telemetry: what the HTTP stack logs on it
    (urllib3's line per request to ``/v1/...``) is the SDK's own traffic, not the app's."""
    _export_thread.active = True


def seconds_left(deadline: float) -> float:
    """What is left of a ``time.monotonic()`` deadline, never negative."""
    return max(deadline - time.monotonic(), 0.0)


def call_within(call: Callable[[], object], timeout: float, name: str) -> bool:
    """Run ``call`` on a daemon thread and wait for it at most ``timeout`` seconds.

    For shutdown steps that are not ours to bound (an exporter's ``shutdown``, the tracer
    provider's processors): past the timeout the thread is left to finish on its own, or to
    die with the process. True when ``call`` returned in time; its exceptions are swallowed,
    since shutting down must not raise.
    """
    done = threading.Event()

    def run() -> None:
        # Whatever the call logs must not be queued for export again.
        mark_export_thread()
        try:
            call()
        except Exception:
            pass
        finally:
            done.set()

    try:
        threading.Thread(target=run, name=f"swarmscope-{name}", daemon=True).start()
    except RuntimeError:  # the interpreter is finalizing and starts no more threads
        return False
    return done.wait(max(timeout, 0.0))


class ExporterTimeout:
    """An OTLP/HTTP exporter's own per-export timeout, lowered to what a close has left.

    The exporters read ``OTEL_EXPORTER_OTLP_*_TIMEOUT`` (10 s by default) and spend up to
    that on one export, retries included; an export started while closing must not outlive
    the close's deadline. The value sits on the exporter's HTTP client (1.40 and later) or on
    the exporter itself (earlier); an exporter with neither (a console or in-memory one, an
    app's own) is left as it is.
    """

    def __init__(self, exporter: object) -> None:
        client = getattr(exporter, "_client", None)
        self._holder: Any = None
        for holder in (client, exporter):
            value = getattr(holder, "_timeout", None)
            if isinstance(value, int | float) and not isinstance(value, bool):
                self._holder = holder
                break
        self.configured: float | None = None if self._holder is None else self._holder._timeout

    def limit(self, left: float | None) -> None:
        """Cap the exporter's timeout at ``left`` seconds (None: back to its configured one)."""
        if self._holder is None or self.configured is None:
            return
        self._holder._timeout = self.configured if left is None else min(self.configured, left)


class ExportQueue(Generic[T]):
    """Bounded FIFO with a worker that hands batches to ``export``; counts drops by reason."""

    def __init__(
        self,
        name: str,
        export: Callable[[Sequence[T]], bool],
        on_drop: Callable[[str, int], None],
        on_export: Callable[[int], None] = lambda count: None,
        max_size: int = 4096,
        batch_size: int = 512,
        interval: float = 1.0,
    ) -> None:
        self.name = name
        self._export = export
        self._on_drop = on_drop
        self._on_export = on_export
        self._max_size = max_size
        self._batch_size = batch_size
        self._interval = interval
        self._items: collections.deque[T] = collections.deque()
        self._wake = threading.Event()
        self._idle = threading.Condition()
        self._busy = False
        self._closed = False
        # monotonic time by which close() gives up on what is left; None until closing
        self._deadline: float | None = None
        # Who counts a batch: the worker when its export returns, or close() when it gives
        # up first. Decided under this lock, so a batch is counted once.
        self._settle = threading.Lock()
        self._in_flight = 0
        self._abandoned = False
        self._thread = self._start()
        # Pre-fork servers (gunicorn) fork after import: the child needs its own worker.
        os.register_at_fork(after_in_child=self._restart_in_child)

    def _restart_in_child(self) -> None:
        self._items.clear()
        self._wake = threading.Event()
        self._idle = threading.Condition()
        self._busy = False
        # A lock some parent thread held at fork time would stay held in the child.
        self._settle = threading.Lock()
        self._in_flight = 0
        if not self._closed:
            self._thread = self._start()

    def _start(self) -> threading.Thread:
        thread = threading.Thread(target=self._run, name=f"swarmscope-{self.name}", daemon=True)
        thread.start()
        return thread

    def put(self, item: T) -> None:
        """Queue one item; never blocks, never raises."""
        items = self._items
        size = len(items)
        if size >= self._max_size or self._closed:
            self._on_drop("shutdown" if self._closed else "queue_full", 1)
            return
        items.append(item)
        if size + 1 == self._batch_size:
            self._wake.set()

    @property
    def closed(self) -> bool:
        return self._closed

    def seconds_left(self) -> float | None:
        """Time left before a close gives up on the queue; None while it is not closing."""
        return None if self._deadline is None else seconds_left(self._deadline)

    def __len__(self) -> int:
        return len(self._items)

    def _run(self) -> None:
        mark_export_thread()
        while True:
            self._wake.wait(self._interval)
            self._wake.clear()
            self._drain()
            if self._closed:
                self._drain()
                return

    def _drain(self) -> None:
        with self._idle:
            self._busy = True
        try:
            while batch := self._take():
                try:
                    ok = self._export(batch)
                except Exception:
                    ok = False
                with self._settle:
                    counted_already = self._abandoned
                    self._in_flight = 0
                if counted_already:
                    return
                if ok:
                    self._on_export(len(batch))
                else:
                    self._on_drop("export_failed", len(batch))
        finally:
            with self._idle:
                self._busy = False
                self._idle.notify_all()

    def _take(self) -> list[T]:
        """The next batch, now in flight; none once the close's deadline has passed (what is
        left is then counted by ``finish_close``, not sent late)."""
        with self._settle:
            if self._abandoned or (
                self._deadline is not None and time.monotonic() >= self._deadline
            ):
                return []
            items, popleft = self._items, self._items.popleft
            batch = [popleft() for _ in range(min(len(items), self._batch_size))]
            self._in_flight = len(batch)
            return batch

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until everything queued so far has been handed to the exporter."""
        deadline = time.monotonic() + timeout
        while self._items or self._busy:
            if not self._thread.is_alive():
                return not self._items
            self._wake.set()
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            with self._idle:
                self._idle.wait(min(remaining, 0.05))
        return True

    def begin_close(self, deadline: float) -> None:
        """Take no more items and let the worker export what is queued, without waiting.

        ``deadline`` is a ``time.monotonic()`` time; exporters can read what is left of it
        from ``seconds_left``. Later ``put`` calls are counted as dropped.
        """
        self._deadline = deadline
        self._closed = True
        self._wake.set()

    def wait_closed(self, until: float) -> bool:
        """Wait, at most until ``until`` (``time.monotonic()``), for a closing worker to be done."""
        self._thread.join(seconds_left(until))
        return not self._thread.is_alive()

    def finish_close(self) -> bool:
        """Wait for the worker until the deadline; then abandon what is left, counted as dropped.

        True when everything queued was handed to the exporter in time.
        """
        deadline = self._deadline
        if deadline is None:
            raise RuntimeError("finish_close() before begin_close()")
        self._thread.join(seconds_left(deadline))
        if not self._thread.is_alive() and not self._items:
            return True
        with self._settle:
            self._abandoned = True
            count = self._in_flight + len(self._items)
            self._in_flight = 0
            self._items.clear()
        if count:
            self._on_drop("shutdown", count)
        return False

    def close(self, timeout: float = 10.0) -> bool:
        """Export what is queued for at most ``timeout`` seconds, then stop the worker.

        What could not be exported by then (an exporter stuck on a dead endpoint) is counted
        as dropped; the worker, a daemon thread, is left to return from it on its own.
        """
        self.begin_close(time.monotonic() + timeout)
        return self.finish_close()
