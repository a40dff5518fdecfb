"""Retention: the store keeps data for a while and within a size, dropping the oldest first."""

from __future__ import annotations

import time
from dataclasses import dataclass

from swarmscope.server.store.database import TIME_COLUMNS, Store
from swarmscope.server.store.queries.housekeeping import (
    checkpoint,
    delete_before,
    delete_unused_resources,
    time_span,
)


@dataclass(frozen=True)
class Retention:
    max_age_seconds: float | None = 7 * 24 * 3600
    max_bytes: int | None = 2 * 1024**3

    def apply(self, store: Store, now_ns: int | None = None) -> None:
        """Delete rows past ``max_age_seconds``, then the oldest tenth until under ``max_bytes``;
        then the resources no span refers to any more."""
        now_ns = time.time_ns() if now_ns is None else now_ns
        if self.max_age_seconds is not None:
            delete_before(store, now_ns - int(self.max_age_seconds * 1e9))
        if self.max_bytes is not None:
            self._shrink(store, self.max_bytes)
        delete_unused_resources(store)

    @staticmethod
    def _shrink(store: Store, max_bytes: int) -> None:
        checkpoint(store)
        # Each pass drops the oldest tenth of the time span held; a few passes always suffice.
        for _ in range(20):
            before = store.used_bytes()
            if before <= max_bytes:
                return
            oldest, newest = time_span(store)
            if oldest is None or newest is None:
                return
            delete_before(store, oldest + max((newest - oldest) // 10, 1))
            checkpoint(store)
            if store.used_bytes() >= before:
                for table in TIME_COLUMNS:
                    store.compact(table)
