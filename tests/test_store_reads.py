"""Reads of the store do not wait for the intake's commits, and stopping waits for reads.

A console page is a read; the writer holds the store through each commit. Reads run on
cursors of their own, so a page answers while a commit is in progress, and closing the
store (a server stopping) lets the reads in flight end instead of failing them.
"""

from __future__ import annotations

import threading
from pathlib import Path

import duckdb
import pytest

from swarmscope.server.store.database import Store


def test_a_read_answers_while_a_commit_holds_the_store(tmp_path: Path):
    store = Store(tmp_path / "store.duckdb")
    try:
        answered = threading.Event()
        found: list[int] = []

        def read() -> None:
            [row] = store.rows("SELECT count(*) AS spans FROM spans")
            found.append(row["spans"])
            answered.set()

        # What the writer holds from the start of a commit to its end.
        with store._lock:
            reader = threading.Thread(target=read)
            reader.start()
            assert answered.wait(30), "the read waited for the commit"
        reader.join(30)
        assert found == [0]
    finally:
        store.close()


def test_closing_lets_a_read_in_flight_end(tmp_path: Path):
    store = Store(tmp_path / "store.duckdb")
    started, results, errors = threading.Event(), [], []

    def long_read() -> None:
        started.set()
        try:
            # A few hundred ms of work: long enough to be running when close is called.
            results.extend(
                store.rows("SELECT sum(a * b) AS total FROM range(4000) r(a), range(4000) s(b)")
            )
        except Exception as error:  # the assertion below says what it was
            errors.append(error)

    reader = threading.Thread(target=long_read)
    reader.start()
    started.wait(30)
    store.close()
    reader.join(30)
    assert errors == []
    assert results and results[0]["total"] == sum(range(4000)) ** 2
    assert store.closed


def test_reads_at_once_answer_in_the_order_asked(tmp_path: Path):
    store = Store(tmp_path / "store.duckdb")
    try:
        slow = "SELECT sum(a * b) AS n, ? AS asked FROM range(3000) r(a), range(3000) s(b)"
        answers = store.rows_at_once(
            [
                (slow, ["first"]),
                *((f"SELECT {n} AS n, ? AS asked", [f"read {n}"]) for n in range(3)),
            ]
        )
        # The slow read ends last, and still answers first.
        assert answers == [
            [{"n": sum(range(3000)) ** 2, "asked": "first"}],
            *([{"n": n, "asked": f"read {n}"}] for n in range(3)),
        ]
    finally:
        store.close()


def test_a_failing_read_among_several_raises_its_own_error(tmp_path: Path):
    store = Store(tmp_path / "store.duckdb")
    try:
        with pytest.raises(duckdb.CatalogException, match="no_such_table"):
            store.rows_at_once([("SELECT 1 AS one", []), ("SELECT * FROM no_such_table", [])])
        assert store.rows_at_once([("SELECT 1 AS one", [])]) == [[{"one": 1}]]
    finally:
        store.close()
