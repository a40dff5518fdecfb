"""Spans, logs and metric points in one DuckDB file.

Writes arrive as Arrow tables (one ``INSERT ... SELECT`` per batch: row-at-a-time inserts
are a hundred times slower in DuckDB), several batches per transaction. Query modules read
through ``rows``; the connection is used under a lock because DuckDB connections are not
thread-safe.

A full disk is ``StoreFull`` with DuckDB's own reason, the failed transaction rolled back
and nothing of it kept. Writes go on failing while the disk stays full and succeed again
once there is room, without a restart: a checkpoint that could not write makes DuckDB
refuse every later statement, so the store then opens its file anew on the next use.
"""

from __future__ import annotations

import dataclasses
import errno
import logging
import os
import threading
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from swarmscope.exceptions import StoreError, StoreFull
from swarmscope.server.store.queries import agent_links
from swarmscope.server.store.rows import (
    LogRow,
    MetricFamilyRow,
    MetricRow,
    ResourceRow,
    SpanRow,
    arrow_batch,
)

log = logging.getLogger("swarmscope.server")

# Attribute JSON is most of a row. zstd keeps it at a third of the size DuckDB's own choice
# (FSST) gives, and costs a quarter less CPU to write (1M spans: 74 MB instead of 224 MB).
_SCHEMA = (
    """
CREATE TABLE IF NOT EXISTS spans (
    trace_id VARCHAR, span_id VARCHAR, parent_span_id VARCHAR, name VARCHAR, kind VARCHAR,
    service VARCHAR, start_ns BIGINT, end_ns BIGINT, duration_ms DOUBLE, status VARCHAR,
    status_message VARCHAR, operation VARCHAR, agent VARCHAR, tool VARCHAR, model VARCHAR,
    input_tokens BIGINT, output_tokens BIGINT, attributes JSON USING COMPRESSION zstd,
    events JSON, links JSON, resource_id VARCHAR, provider VARCHAR, cost_usd DOUBLE,
    session VARCHAR, cache_read_tokens BIGINT, cache_creation_tokens BIGINT,
    reasoning_tokens BIGINT, handoff_from VARCHAR, handoff_to VARCHAR, wait VARCHAR
);
CREATE TABLE IF NOT EXISTS resources (resource_id VARCHAR PRIMARY KEY, attributes JSON);
CREATE TABLE IF NOT EXISTS logs (
    time_ns BIGINT, trace_id VARCHAR, span_id VARCHAR, severity VARCHAR, event VARCHAR,
    body VARCHAR, service VARCHAR, agent VARCHAR, attributes JSON USING COMPRESSION zstd
);
CREATE TABLE IF NOT EXISTS metric_points (
    time_ns BIGINT, start_ns BIGINT, service VARCHAR, name VARCHAR, kind VARCHAR,
    series VARCHAR, labels MAP(VARCHAR, VARCHAR), value DOUBLE, count DOUBLE, sum DOUBLE,
    bounds DOUBLE[], buckets DOUBLE[], source VARCHAR
);
CREATE TABLE IF NOT EXISTS metric_families (
    name VARCHAR, service VARCHAR, kind VARCHAR, unit VARCHAR, help VARCHAR,
    PRIMARY KEY (name, service)
);
"""
    + agent_links.SCHEMA
)
# Columns added to a table after its first release, in order, with their SQL types: a store
# written before them gains them on opening (empty for the rows it held).
ADDED_COLUMNS = {
    "spans": (
        ("provider", "VARCHAR"),
        ("cost_usd", "DOUBLE"),
        ("session", "VARCHAR"),
        ("cache_read_tokens", "BIGINT"),
        ("cache_creation_tokens", "BIGINT"),
        ("reasoning_tokens", "BIGINT"),
        ("handoff_from", "VARCHAR"),
        ("handoff_to", "VARCHAR"),
        ("wait", "VARCHAR"),
    ),
}
TABLES: dict[str, type] = {
    "spans": SpanRow,
    "logs": LogRow,
    "metric_points": MetricRow,
    "resources": ResourceRow,
    "metric_families": MetricFamilyRow,
}
# Tables with a primary key in the schema.
KEYED_TABLES = frozenset({"resources", "metric_families"})
# The column each table's retention and time filters use.
TIME_COLUMNS = {
    "spans": "start_ns",
    "logs": "time_ns",
    "metric_points": "time_ns",
    "agent_links": "start_ns",
    "agent_waiting": "start_ns",
}


_COLUMNS_QUERY = (
    "SELECT table_name, list(column_name ORDER BY ordinal_position) AS columns"
    " FROM information_schema.columns GROUP BY table_name"
)


def _field_names(row_type: type) -> list[str]:
    return [field.name for field in dataclasses.fields(row_type)]


# How long closing the store waits for the reads in progress to end.
_READS_WAIT_S = 30.0
# The size of write-ahead log DuckDB folds into the file, in the commit that takes the log
# past it; the server's intake folds it sooner, at ``FOLD_BYTES``, beside its writer
# (``Store.checkpoint``), so that its commits seldom have to.
CHECKPOINT_BYTES = 128 * 1024 * 1024
FOLD_BYTES = CHECKPOINT_BYTES * 3 // 4
# How many statements of one page run at once: DuckDB spreads each over the cores already.
_READS_AT_ONCE = 4
# The OS's words for "no room", as DuckDB quotes them in its errors.
_NO_ROOM = tuple(os.strerror(code) for code in (errno.ENOSPC, errno.EDQUOT))


def _no_room(problem: BaseException) -> bool:
    return any(words in str(problem) for words in _NO_ROOM)


class Store:
    def __init__(self, path: Path | str, memory_limit: str = "256MB") -> None:
        self.path = Path(path)
        # DuckDB caches up to 80% of RAM by default; a local server must stay small, and
        # queries larger than the limit spill to disk instead. The write-ahead log is folded
        # into the file every 128 MB rather than DuckDB's 16 MB: each fold recompresses the
        # row groups it touches, and folding less often cut the insert's CPU by 40%. The
        # price is a longer log to replay after a crash.
        self._config: dict[str, str | bool | int | float | list[str]] = {
            "memory_limit": memory_limit,
            "checkpoint_threshold": f"{CHECKPOINT_BYTES}B",
        }
        self._db = self._connect()
        # Set when DuckDB refuses the connection for good after a fatal error.
        self._invalidated = False
        self._lock = threading.Lock()
        # Reads take cursors of their own from a connection of their own, under a lock of
        # their own (``_reading``): the writer's connection is busy through each commit, and
        # DuckDB refuses a second call on a busy connection rather than wait. It refuses to
        # close a connection while one of its cursors runs, too: closing waits for reads.
        self._readers = self._db.cursor()
        self._reads = threading.Condition()
        self._reading_now = 0
        # Set by ``close``: what still runs beside the store (an intake whose app never
        # started or stopped) then stops instead of failing on every statement.
        self.closed = False
        with self._lock:
            self._db.execute(_SCHEMA)
            for table, added in ADDED_COLUMNS.items():
                for column, sql_type in added:
                    self._db.execute(
                        f"ALTER TABLE {table} ADD COLUMN IF NOT EXISTS {column} {sql_type}"
                    )
        # Writes insert Arrow columns by position: each table must have its row's fields, in
        # their order. A file from another version may not.
        found = {row["table_name"]: row["columns"] for row in self.rows(_COLUMNS_QUERY)}
        if any(found.get(table) != _field_names(row) for table, row in TABLES.items()):
            self._readers.close()
            self._db.close()
            raise StoreError(
                f"{self.path} was written by an earlier swarmscope; move it away or use"
                " another --data directory"
            )
        with self._lock:
            agent_links.rebuild_if_missing(self._db)
            # The earliest start of the spans written but not linked (``link_written``).
            self._unlinked_since_ns = agent_links.unlinked_since(self._db)

    def _connect(self) -> duckdb.DuckDBPyConnection:
        db = duckdb.connect(str(self.path), config=self._config)
        # A long statement (a table rebuilt on opening) must not draw its progress on stdout.
        db.execute("SET enable_progress_bar = false")
        return db

    @contextmanager
    def _connection(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """The connection, under the lock: opened anew if DuckDB gave it up, and its errors
        of a full disk raised as ``StoreFull``."""
        with self._lock:
            if self._invalidated:
                self._reopen()
            with self._errors():
                yield self._db

    @contextmanager
    def _errors(self) -> Iterator[None]:
        """DuckDB's errors, a full disk raised as ``StoreFull``; after a fatal one, the
        file is opened again before the next statement."""
        try:
            yield
        except duckdb.Error as problem:
            if isinstance(problem, duckdb.FatalException):
                # DuckDB refuses every statement after this one until the file is
                # opened again (a checkpoint that found no room, say).
                self._invalidated = True
            if _no_room(problem):
                raise StoreFull(f"the store's disk is full: {problem}") from problem
            raise

    def _reopen(self) -> None:
        """Open the file again after a fatal error: DuckDB replays its write-ahead log, so
        everything committed is there. Raises (``StoreFull`` too) while it cannot be opened."""
        self._wait_for_reads()
        try:
            self._readers.close()
            self._db.close()
        except duckdb.Error:
            log.debug("closing the invalidated store failed", exc_info=True)
        try:
            self._db = self._connect()
        except duckdb.Error as problem:
            if _no_room(problem):
                raise StoreFull(f"the store's disk is full: {problem}") from problem
            raise
        self._readers = self._db.cursor()
        self._invalidated = False
        log.warning("reopened the store %s after a fatal error", self.path)

    @staticmethod
    def _rollback(db: duckdb.DuckDBPyConnection) -> None:
        """Roll back after a statement failed; a rollback that fails too must not hide the
        first error (the reason the client is told), so it is only logged."""
        try:
            db.rollback()
        except duckdb.Error:
            log.warning("rollback after a failed write failed too", exc_info=True)

    def write(self, batches: Sequence[tuple[str, pa.Table]]) -> None:
        """Insert every ``(table, arrow batch)`` in one transaction: all of them, or none.

        Raises ``StoreFull`` when the disk has no room, with nothing of them kept.
        """
        if not batches:
            return
        # One insert per table: DuckDB's cost is per statement as much as per row.
        by_table: dict[str, list[pa.Table]] = {}
        for table, batch in batches:
            by_table.setdefault(table, []).append(batch)
        with self._connection() as db:
            db.begin()
            committing = False
            try:
                for table, parts in by_table.items():
                    batch = parts[0] if len(parts) == 1 else pa.concat_tables(parts)
                    if table in KEYED_TABLES:
                        # A keyed table keeps each row once: most batches repeat resources.
                        db.register("incoming", batch)
                        db.execute(f"INSERT OR IGNORE INTO {table} SELECT * FROM incoming")
                        db.unregister("incoming")
                    else:
                        # The relation API plans no query: a third cheaper than INSERT SELECT.
                        db.from_arrow(batch).insert_into(table)
                committing = True
                db.commit()
                for batch in by_table.get("spans", ()):
                    self._unlinked_since_ns = agent_links.earliest(self._unlinked_since_ns, batch)
            except BaseException:
                # A commit that fails (no room for the write-ahead log, say) has ended its
                # transaction already: rolling back again only raises "no transaction is
                # active" over the real reason.
                if not committing:
                    self._rollback(db)
                raise

    def link_written(self) -> None:
        """Make the agent graph's links of the spans written since the last time, before a
        read of the links. Links are made when read, not as spans are written: the intake
        stays as fast without them, and a read pays only for what arrived since the last."""
        with self._connection() as db:
            if self._unlinked_since_ns is None:
                return
            db.begin()
            try:
                agent_links.link_since(db, self._unlinked_since_ns)
                db.commit()
            except BaseException:
                self._rollback(db)
                raise
            self._unlinked_since_ns = None

    def add(self, table: str, rows: Sequence[Any]) -> None:
        """Insert rows straight away (tests, tools); the server goes through its intake."""
        if rows:
            self.write([(table, arrow_batch(TABLES[table], rows))])

    def rows(self, query: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        """The result of a read query as dicts by column name."""
        with self._reading() as db:
            cursor = db.execute(query, list(params))
            names = [column[0] for column in cursor.description]
            return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def rows_at_once(
        self, reads: Sequence[tuple[str, Sequence[Any]]]
    ) -> list[list[dict[str, Any]]]:
        """The results of independent read queries, run beside each other (each on a cursor
        of its own): a page of several statements waits for its slowest, not their sum."""
        if len(reads) < 2:
            return [self.rows(query, params) for query, params in reads]
        with ThreadPoolExecutor(min(len(reads), _READS_AT_ONCE)) as readers:
            running = [readers.submit(self.rows, query, params) for query, params in reads]
            return [read.result() for read in running]

    @contextmanager
    def _reading(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A cursor of its own for a read, used outside the lock: reads run beside each
        other and beside the writer's transaction (each sees what was committed when it
        began), so a dashboard's statements can run together and a page never waits for
        a commit."""
        if self._invalidated:
            with self._lock:
                if self._invalidated:
                    self._reopen()
        with self._reads:
            cursor = self._readers.cursor()
            self._reading_now += 1
        try:
            with self._errors():
                yield cursor
        finally:
            cursor.close()
            with self._reads:
                self._reading_now -= 1
                self._reads.notify_all()

    def _wait_for_reads(self) -> None:
        """Under the lock: until no read runs (bounded: a stuck read must not hang a stop)."""
        with self._reads:
            if not self._reads.wait_for(lambda: self._reading_now == 0, timeout=_READS_WAIT_S):
                log.warning("closing the store while %d reads still run", self._reading_now)

    def execute(self, statement: str, params: Sequence[Any] = ()) -> None:
        with self._connection() as db:
            db.execute(statement, list(params))

    def used_bytes(self) -> int:
        """Bytes in use: the file's used blocks (freed ones are reused) plus the write-ahead log."""
        [size] = self.rows("SELECT used_blocks * block_size AS used FROM pragma_database_size()")
        return int(size["used"] or 0) + self.log_bytes()

    def log_bytes(self) -> int:
        """The size of the write-ahead log: what the next checkpoint folds into the file."""
        try:
            return self.path.with_name(self.path.name + ".wal").stat().st_size
        except FileNotFoundError:
            return 0

    def checkpoint(self) -> None:
        """Fold the write-ahead log into the file on a cursor of its own, as reads run: the
        writer's commits go on meanwhile, where a fold in a commit held that commit (and every
        request waiting for it) for the tenths of a second a fold of 100 MB takes. DuckDB refuses
        it while another checkpoint runs, and may while a transaction is open: raises then."""
        with self._reading() as db:
            db.execute("CHECKPOINT")

    def compact(self, table: str) -> None:
        """Rewrite ``table`` so the blocks of deleted rows are freed for reuse.

        DuckDB frees a block only when all its row groups go; after scattered deletes a
        table keeps its size until rewritten.
        """
        with self._connection() as db:
            db.begin()
            committing = False
            try:
                # The schema makes the table anew, with its columns' compression and keys.
                db.execute(f"ALTER TABLE {table} RENAME TO {table}_before")
                db.execute(_SCHEMA)  # every table, the agent graph's links too
                db.execute(f"INSERT INTO {table} SELECT * FROM {table}_before")
                db.execute(f"DROP TABLE {table}_before")
                committing = True
                db.commit()
            except BaseException:
                if not committing:  # as in ``write``: a failed commit has rolled back
                    self._rollback(db)
                raise
            db.execute("CHECKPOINT")

    def close(self) -> None:
        with self._lock:
            self.closed = True
            self._wait_for_reads()
            with self._reads:
                self._readers.close()
                self._db.close()
