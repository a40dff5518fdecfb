"""The memory analyst's store: account history in SQLite, with a small read cache."""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections import OrderedDict
from pathlib import Path
from typing import Any

import swarmscope as ss


class MemoryStore:
    """Insights per account, newest last; every query is an instrumented database query."""

    def __init__(self, path: Path | str = ":memory:", cache_size: int = 128) -> None:
        self._db = sqlite3.connect(str(path), check_same_thread=False)
        self._lock = threading.Lock()
        self._cache: OrderedDict[str, list[dict[str, Any]]] = OrderedDict()
        self._cache_size = cache_size
        with self._lock, self._db:
            self._db.execute(
                "CREATE TABLE IF NOT EXISTS insights (account_id TEXT NOT NULL, "
                "created REAL NOT NULL, body TEXT NOT NULL)"
            )
            self._db.execute("CREATE INDEX IF NOT EXISTS by_account ON insights(account_id)")
        ss.db_pool(active=0, total=1)

    def history(self, account_id: str) -> list[dict[str, Any]]:
        started = time.perf_counter()
        cached = self._cache.get(account_id)
        if cached is not None:
            self._cache.move_to_end(account_id)
            ss.cache_lookup("account_history", hit=True, duration=time.perf_counter() - started)
            return cached
        ss.cache_lookup("account_history", hit=False, duration=time.perf_counter() - started)
        with ss.db_query("select", system="sqlite"), self._lock:
            rows = self._db.execute(
                "SELECT body FROM insights WHERE account_id = ? ORDER BY created", (account_id,)
            ).fetchall()
        history = [json.loads(body) for (body,) in rows]
        ss.memory_event("retrieved", account_id=account_id, items=len(history))
        self._remember(account_id, history)
        return history

    def store(self, account_id: str, insight: dict[str, Any]) -> None:
        with ss.db_query("insert", system="sqlite"), self._lock, self._db:
            ss.db_pool(active=1, total=1)
            self._db.execute(
                "INSERT INTO insights VALUES (?, ?, ?)",
                (account_id, time.time(), json.dumps(insight)),
            )
        ss.db_pool(active=0, total=1)
        self._cache.pop(account_id, None)
        ss.memory_event("stored", account_id=account_id, keys=sorted(insight))

    def _remember(self, account_id: str, history: list[dict[str, Any]]) -> None:
        self._cache[account_id] = history
        while len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)

    def close(self) -> None:
        self._db.close()
