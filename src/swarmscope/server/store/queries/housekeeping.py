"""Housekeeping statements: deleting old rows and orphaned resources, and the time the
store spans, for retention."""

from __future__ import annotations

from swarmscope.server.store.database import TIME_COLUMNS, Store


def checkpoint(store: Store) -> None:
    """Write the WAL into the file, so its size is what the data takes."""
    store.execute("CHECKPOINT")


def delete_before(store: Store, cutoff_ns: int) -> None:
    """Every row of every table older than ``cutoff_ns``."""
    for table, column in TIME_COLUMNS.items():
        store.execute(f"DELETE FROM {table} WHERE {column} < ?", [cutoff_ns])


def delete_unused_resources(store: Store) -> None:
    """The resources no span refers to any more."""
    store.execute("DELETE FROM resources WHERE resource_id NOT IN (SELECT resource_id FROM spans)")


def time_span(store: Store) -> tuple[int | None, int | None]:
    """The oldest and newest instants held, over every table."""
    parts = " UNION ALL ".join(
        f"SELECT min({column}) AS lo, max({column}) AS hi FROM {table}"
        for table, column in TIME_COLUMNS.items()
    )
    [row] = store.rows(f"SELECT min(lo) AS lo, max(hi) AS hi FROM ({parts})")
    return row["lo"], row["hi"]
