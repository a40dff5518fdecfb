"""Small formatting pieces the commands' Rich tables and trees share.

Values from the server (span names, log messages) are user data: they are put in ``Text``
objects, never into markup strings, so a ``[`` in a span name prints as itself.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from rich.table import Table
from rich.text import Text

LEVEL_STYLES = {"warning": "yellow", "warn": "yellow", "error": "red", "critical": "bold red"}


def ms(value: float | None) -> str:
    """A duration for a person: 0.42 ms, 37 ms, 1.25 s."""
    if value is None:
        return "-"
    if value < 10:
        return f"{value:.2f} ms"
    if value < 1000:
        return f"{value:.0f} ms"
    return f"{value / 1000:.2f} s"


def when(ns: int | None) -> str:
    """An instant as UTC date and time to the millisecond."""
    if ns is None:
        return "-"
    return datetime.fromtimestamp(ns / 1e9, UTC).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]


def clock(ns: int | None) -> str:
    """An instant as UTC time of day to the millisecond (inside one trace, the date repeats)."""
    return when(ns)[11:] if ns is not None else "-"


def percent(ratio: float | None) -> str:
    return "-" if ratio is None else f"{ratio * 100:.1f}%"


def number(value: float | None, digits: int = 0) -> str:
    if value is None:
        return "-"
    return f"{value:,.{digits}f}"


def usd(value: float | None) -> str:
    return "-" if value is None else f"${value:.6f}".rstrip("0").rstrip(".")


def level(severity: str | None) -> Text:
    name = (severity or "info").lower()
    return Text(name, style=LEVEL_STYLES.get(name, ""))


def table(title: str | None, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> Table:
    """A table whose cells are plain text unless they are already Rich ``Text``."""
    grid = Table(title=title, title_justify="left", title_style="bold")
    for column in columns:
        grid.add_column(column)
    for row in rows:
        grid.add_row(*(cell if isinstance(cell, Text) else Text(str(cell)) for cell in row))
    return grid


def message(record: dict[str, Any]) -> str:
    """What a log record says: its event and the body when the body says more."""
    event, body = record.get("event") or "", record.get("body") or ""
    if body and body != event:
        return f"{event}: {body}" if event else body
    return event


def details(attributes: dict[str, Any], skip: Iterable[str] = ()) -> str:
    """A record's own fields as ``key=value``, without the ones every record has."""
    common = {
        "event",
        "level",
        "logger",
        "timestamp",
        "service",
        "environment",
        "hostname",
        "version",
        "trace_id",
        "span_id",
        *skip,
    }
    return " ".join(f"{key}={value}" for key, value in attributes.items() if key not in common)
