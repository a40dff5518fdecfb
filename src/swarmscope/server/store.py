"""Spans and logs in one DuckDB file, and the queries the API answers from it."""

from __future__ import annotations

import dataclasses
import json
import threading
from pathlib import Path
from typing import Any

import duckdb

from swarmscope.server.otlp import LogRow, SpanRow

_SCHEMA = """
CREATE TABLE IF NOT EXISTS spans (
    trace_id VARCHAR, span_id VARCHAR, parent_span_id VARCHAR, name VARCHAR, kind VARCHAR,
    service VARCHAR, start_ns BIGINT, end_ns BIGINT, duration_ms DOUBLE, status VARCHAR,
    status_message VARCHAR, operation VARCHAR, agent VARCHAR, tool VARCHAR, model VARCHAR,
    input_tokens BIGINT, output_tokens BIGINT, attributes JSON, events JSON, links JSON,
    resource JSON
);
CREATE TABLE IF NOT EXISTS logs (
    time_ns BIGINT, trace_id VARCHAR, span_id VARCHAR, severity VARCHAR, event VARCHAR,
    body VARCHAR, service VARCHAR, attributes JSON
);
"""
_SPAN_COLUMNS = [field.name for field in dataclasses.fields(SpanRow)]
_LOG_COLUMNS = [field.name for field in dataclasses.fields(LogRow)]


class Store:
    """One DuckDB connection, used under a lock (DuckDB connections are not thread-safe)."""

    def __init__(self, path: Path | str) -> None:
        self._db = duckdb.connect(str(path))
        self._lock = threading.Lock()
        with self._lock:
            self._db.execute(_SCHEMA)

    def add_spans(self, rows: list[SpanRow]) -> None:
        self._insert("spans", _SPAN_COLUMNS, [dataclasses.astuple(row) for row in rows])

    def add_logs(self, rows: list[LogRow]) -> None:
        self._insert("logs", _LOG_COLUMNS, [dataclasses.astuple(row) for row in rows])

    def _insert(self, table: str, columns: list[str], rows: list[tuple[Any, ...]]) -> None:
        if not rows:
            return
        marks = ", ".join("?" for _ in columns)
        with self._lock:
            self._db.executemany(
                f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows
            )

    def trace(self, trace_id: str) -> list[dict[str, Any]]:
        """Every span of a trace, oldest first, with attributes, events and links decoded."""
        rows = self._rows("SELECT * FROM spans WHERE trace_id = ? ORDER BY start_ns", [trace_id])
        for row in rows:
            for key in ("attributes", "events", "links", "resource"):
                row[key] = json.loads(row[key]) if row[key] else None
        return rows

    def traces(
        self,
        service: str | None = None,
        agent: str | None = None,
        status: str | None = None,
        min_duration_ms: float | None = None,
        since_ns: int | None = None,
        until_ns: int | None = None,
        limit: int = 50,
    ) -> list[dict[str, Any]]:
        """One summary per trace, newest first; filters keep traces with a matching span."""
        conditions, params = [], []
        for column, wanted in (("service", service), ("agent", agent)):
            if wanted is not None:
                conditions.append(f"bool_or({column} = ?)")
                params.append(wanted)
        if status == "error":
            conditions.append("bool_or(status = 'error')")
        elif status == "ok":
            conditions.append("NOT bool_or(status = 'error')")
        if min_duration_ms is not None:
            conditions.append("(max(end_ns) - min(start_ns)) / 1e6 >= ?")
            params.append(min_duration_ms)
        if since_ns is not None:
            conditions.append("min(start_ns) >= ?")
            params.append(since_ns)
        if until_ns is not None:
            conditions.append("min(start_ns) <= ?")
            params.append(until_ns)
        having = f"HAVING {' AND '.join(conditions)}" if conditions else ""
        query = f"""
            SELECT trace_id,
                   arg_min(name, coalesce(parent_span_id IS NOT NULL, false)::INT * 1e18
                           + start_ns) AS root,
                   min(start_ns) AS start_ns,
                   (max(end_ns) - min(start_ns)) / 1e6 AS duration_ms,
                   count(*) AS spans,
                   count(*) FILTER (WHERE status = 'error') AS errors,
                   list(DISTINCT service ORDER BY service) AS services,
                   list(DISTINCT agent ORDER BY agent) FILTER (WHERE agent IS NOT NULL) AS agents
            FROM spans GROUP BY trace_id {having}
            ORDER BY start_ns DESC LIMIT ?
        """
        return self._rows(query, [*params, limit])

    def _rows(self, query: str, params: list[Any]) -> list[dict[str, Any]]:
        with self._lock:
            cursor = self._db.execute(query, params)
            names = [column[0] for column in cursor.description]
            return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def close(self) -> None:
        with self._lock:
            self._db.close()
