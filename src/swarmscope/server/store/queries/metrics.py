"""Metric families and points as the metrics API and the delta accumulator read them."""

from __future__ import annotations

from typing import Any

from swarmscope.server.store.database import Store

_LAST_POINTS = """
    SELECT series, time_ns, start_ns, value, count, sum, bounds, buckets
    FROM metric_points
    WHERE name IN (SELECT unnest(?::VARCHAR[])) AND series IN (SELECT unnest(?::VARCHAR[]))
    QUALIFY row_number() OVER (PARTITION BY series ORDER BY time_ns DESC) = 1
"""


def last_points(store: Store, names: list[str], series: list[str]) -> dict[str, dict[str, Any]]:
    """The latest stored point of each series (keys of ``series``, of metrics ``names``)."""
    if not series:
        return {}
    return {row["series"]: row for row in store.rows(_LAST_POINTS, [names, series])}


_FAMILIES = """
    WITH seen AS (
        SELECT name, any_value(kind) AS stored_kind, min(time_ns) AS first_ns,
               max(time_ns) AS last_ns, count(DISTINCT series) AS series,
               list(DISTINCT service ORDER BY service) AS services,
               list_sort(list_distinct(flatten(list(DISTINCT map_keys(labels))))) AS labels
        FROM metric_points GROUP BY name
    )
    SELECT seen.*, described.kind, described.unit, described.help
    FROM seen LEFT JOIN (
        SELECT name, any_value(kind) AS kind, max(unit) AS unit, max(help) AS help
        FROM metric_families GROUP BY name
    ) AS described USING (name)
    ORDER BY name
"""


def families(store: Store) -> list[dict[str, Any]]:
    """Every stored metric name: its type, unit and description as its senders declared
    them (the stored kind when none did), the services that sent it, its label names, how
    many series it has and when it was first and last seen (ns)."""
    rows = store.rows(_FAMILIES)
    for row in rows:
        row["kind"] = row["kind"] or row.pop("stored_kind")
        row.pop("stored_kind", None)
        row["unit"] = row["unit"] or ""
        row["help"] = row["help"] or ""
    return rows


_FAMILY = """
    SELECT any_value(kind) AS kind, min(time_ns) AS first_ns, max(time_ns) AS last_ns
    FROM metric_points WHERE name = ?
"""
_DESCRIBED = "SELECT kind, unit, help FROM metric_families WHERE name = ? LIMIT 1"


def family(store: Store, name: str) -> dict[str, Any] | None:
    """One metric's kind, unit and description, or None if no point of it is stored."""
    [seen] = store.rows(_FAMILY, [name])
    if seen["kind"] is None:
        return None
    described = store.rows(_DESCRIBED, [name])
    if described:
        return {**seen, **described[0]}
    return {**seen, "unit": "", "help": ""}
