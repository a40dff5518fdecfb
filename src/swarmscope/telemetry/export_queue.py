"""A bounded queue drained by one daemon thread: how telemetry leaves without blocking the app.

The OpenTelemetry batch processors drop silently when their queue is full, and logging's
``QueueHandler`` either grows without bound or raises. Here ``put`` is a deque append that
never blocks; when the queue is full the item is dropped and counted, and an export that
fails is counted too, so an unreachable backend shows up on ``/metrics`` instead of in
the app's latency.
"""

from __future__ import annotations

import collections
import os
import threading
import time
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

T = TypeVar("T")

# Set on export threads: telemetry produced while exporting (an SDK warning, say) must not
# be exported again, or a failing backend would feed itself.
_export_thread = threading.local()


def in_export_thread() -> bool:
    return getattr(_export_thread, "active", False)


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
        self._thread = self._start()
        # Pre-fork servers (gunicorn) fork after import: the child needs its own worker.
        os.register_at_fork(after_in_child=self._restart_in_child)

    def _restart_in_child(self) -> None:
        self._items.clear()
        self._wake = threading.Event()
        self._idle = threading.Condition()
        self._busy = False
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

    def __len__(self) -> int:
        return len(self._items)

    def _run(self) -> None:
        _export_thread.active = True
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
            items, popleft = self._items, self._items.popleft
            while items:
                batch = [popleft() for _ in range(min(len(items), self._batch_size))]
                try:
                    ok = self._export(batch)
                except Exception:
                    ok = False
                if ok:
                    self._on_export(len(batch))
                else:
                    self._on_drop("export_failed", len(batch))
        finally:
            with self._idle:
                self._busy = False
                self._idle.notify_all()

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

    def close(self, timeout: float = 10.0, interrupt: Callable[[], None] | None = None) -> bool:
        """Flush for at most ``timeout`` seconds, then stop the worker.

        When the flush runs out of time (an exporter stuck retrying a dead endpoint),
        ``interrupt`` is called to abort the export in progress, so closing keeps to its
        deadline. Later ``put`` calls are counted as dropped.
        """
        deadline = time.monotonic() + timeout
        flushed = self.flush(timeout)
        self._closed = True
        self._wake.set()
        if not flushed and interrupt is not None:
            interrupt()
        self._thread.join(max(deadline - time.monotonic(), 0.1))
        return flushed
