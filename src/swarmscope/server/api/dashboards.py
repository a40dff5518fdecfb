"""``GET /api/dashboards`` and ``GET /api/dashboards/{id}``: the dashboards, computed.

The dashboards are swarmscope's and those of each app catalog ``serve --catalog`` registered.
The panels Grafana gets as PromQL (``definitions/dashboards.py``) are computed here from the
server's own metric points (``server/query/evaluate.py``), with Prometheus's semantics: the console and
Grafana show the same figures for the same definitions. A whole dashboard is one SQL
statement. Panel ids are Grafana's (position + 1); legends are Grafana's ``{{label}}``
templates filled in with each series' labels.

Non-finite values (``x/0``, a quantile without observations) are left out of the points:
JSON cannot carry them and Prometheus's NaN means "no data". Single-value panels (stat,
gauge, bar gauge, pie chart, table) give each series' last value, as Grafana's
``lastNotNull`` does; stat and gauge panels with one series also give it as the panel's
``value``. A target the server cannot compute is reported in the panel's ``note`` instead of
failing the dashboard.

Each panel says where its figures come from (``sources``): ``pushed`` when the families it
reads were pushed by the apps (our SDK, an OTel metrics exporter), ``spans`` when the server
counted them from the spans of apps that push none (``intake/span_metrics.py``), both when
some services do one and some the other; an app's run is never in both.

Quantiles. A quantile of a duration the server derives from spans (agent runs, tool calls,
LLM calls, handoffs, waits for a person, orchestrations) is the exact quantile of the stored spans'
durations in each window, not an interpolation in the histogram's buckets; a series says
which it is in ``quantile_from`` (``spans`` or ``buckets``). A quantile read from buckets
(``histogram_quantile``) is off by at most the width of the bucket it falls in; in the
lowest bucket (the truth is anywhere from 0 to its bound) or the +Inf bucket (anywhere
above the highest finite bound) it is only a bound, and the series has ``approximate``
true and ``bounds``: ``[time, "le" | "ge", bound]`` for each such point (``le``: the truth
is at most ``bound``, show "≤ bound"; ``ge``: at least). Single-value panels give the last
point's as ``bound`` (``{"op": "le", "value": 5}``), and stat and gauge panels with one
series as the panel's ``bound`` too.
"""

from __future__ import annotations

import asyncio
import dataclasses
import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, HTTPException, Query, Response

from swarmscope.app_catalog import every_dashboard
from swarmscope.definitions.dashboards import Dashboard, Panel
from swarmscope.definitions.query import Query as PanelQuery
from swarmscope.definitions.query import Up, is_query
from swarmscope.server.api.window import End, Start, Step, Window, parse_window
from swarmscope.server.context import Context
from swarmscope.server.namespaces import checked, serve_namespace
from swarmscope.server.query.evaluate import Batch, RangeSeries, Steps, instant, steps
from swarmscope.server.store.database import Store
from swarmscope.server.store.queries.series import family_sources

SINGLE_VALUE = ("stat", "gauge", "bargauge", "piechart", "table")
UP_NOTE = (
    "The server has no scrapes: a process is up (1) while its latest push is at most two of "
    "its push intervals old, down (0) after that; instance is its service.instance.id."
)
QUANTILE_FIELDS = (
    "Each panel's series with their points. A quantile's series say where the values come"
    " from: quantile_from 'spans' (the exact quantile of the stored spans' durations in each"
    " window, for the durations the server derives from spans) or 'buckets' (Prometheus's"
    " histogram_quantile, off by at most the width of the bucket the quantile falls in)."
    " approximate: true when some point is only a bucket bound (the quantile is in the"
    " lowest bucket or the +Inf bucket); bounds lists those points as [time, op, bound]:"
    " op 'le', the true quantile is at most bound (show '≤ bound'), 'ge', at least bound."
    " Single-value panels give the last point's as bound {op, value}, null when exact."
)
# How far before a window's start a panel's range functions read (its sources, too).
SOURCE_LOOKBACK_NS = 3600 * 10**9
_TEMPLATE = re.compile(r"\{\{\s*(.+?)\s*\}\}")


def routes(context: Context) -> APIRouter:
    router = APIRouter(tags=["dashboards"])

    @router.get("/api/dashboards", summary="Every dashboard of the ops bundle")
    async def list_dashboards() -> list[dict[str, Any]]:
        return [
            {
                "id": dashboard.uid,
                "title": dashboard.title,
                "description": dashboard.description,
                "tags": list(dashboard.tags),
                "panels": len(dashboard.panels),
            }
            for dashboard in every_dashboard()
        ]

    @router.get(
        "/api/dashboards/{dashboard_id}",
        summary="A dashboard's panels, computed",
        description=QUANTILE_FIELDS,
        response_class=Response,
        responses={200: {"content": {"application/json": {}}}},
    )
    async def get_dashboard(
        dashboard_id: str,
        start: Start = None,
        end: End = None,
        step: Step = None,
        namespace: Annotated[
            str | None,
            Query(
                description="the metric name prefix to read under; default the server's "
                "--namespace, else the stored one with the latest metrics (GET /api/namespaces)"
            ),
        ] = None,
    ) -> Response:
        dashboard = next((d for d in every_dashboard() if d.uid == dashboard_id), None)
        if dashboard is None:
            raise HTTPException(404, f"unknown dashboard {dashboard_id!r}")
        window = parse_window(start, end, step)
        asked = checked(namespace)

        def answer() -> bytes:
            # Thousands of points: encoded here, in the worker thread, by orjson, not by
            # FastAPI's encoder walking every number on the event loop.
            served = serve_namespace(context.store, context.settings.namespace, asked)
            body = render(context.store, dashboard, served.name, window)
            return orjson.dumps({**body, "namespace": served.answer()})

        return Response(await asyncio.to_thread(answer), media_type="application/json")

    return router


def render(store: Store, dashboard: Dashboard, namespace: str, window: Window) -> dict[str, Any]:
    """Every panel of the dashboard over ``window``, from one read of the store."""
    grid = steps(window.start_ns, window.end_ns, window.step_ns)
    wanted = [
        (target.query, instant(window.end_ns) if target.instant else grid)
        for panel in dashboard.panels
        for target in panel.queries
    ]
    families = {
        panel.title: {f"{namespace}_{name}" for t in panel.queries for name in t.query.metrics()}
        for panel in dashboard.panels
    }
    with ThreadPoolExecutor(1) as reader:  # each read on a cursor of its own, at once
        sources = reader.submit(
            family_sources,
            store,
            sorted(set().union(*families.values())),
            window.start_ns - SOURCE_LOOKBACK_NS,
            window.end_ns,
        )
        results = iter(computed(store, namespace, wanted))
        found = sources.result()
    return {
        "id": dashboard.uid,
        "title": dashboard.title,
        "description": dashboard.description,
        "start": window.start_ns / 1e9,
        "end": window.end_ns / 1e9,
        "step": window.step_ns / 1e9,
        "panels": [
            _sourced(
                _panel(index + 1, panel, [next(results) for _ in panel.queries], namespace),
                set().union(*(found.get(n, ()) for n in families[panel.title])),
            )
            for index, panel in enumerate(dashboard.panels)
        ],
    }


def _sourced(answer: dict[str, Any], families_from: set[str]) -> dict[str, Any]:
    """The panel with its ``sources``: where its families come from, and ``spans`` too when
    a quantile of it was read from the spans rather than the pushed buckets."""
    if any(one.get("quantile_from") == "spans" for one in answer.get("series", ())):
        families_from = families_from | {"spans"}
    return answer | {"sources": sorted(families_from)}


def computed(
    store: Store, namespace: str, wanted: list[tuple[PanelQuery, Steps]]
) -> list[list[RangeSeries] | str]:
    """Each query's series, or why the server cannot compute it: one read for them all, or,
    if the database refuses one of them, one read each so the others still answer."""
    batch = Batch(namespace)
    queued: list[int | str] = []
    for query, at in wanted:
        try:
            queued.append(batch.add(query, at))
        except ValueError as problem:
            queued.append(f"{query.promql(namespace)}: {problem}")
    try:
        series = batch.run(store)
    except ValueError as problem:
        if len(wanted) == 1:
            return [f"{wanted[0][0].promql(namespace)}: {problem}"]
        return [
            computed(store, namespace, [job])[0] if isinstance(item, int) else item
            for item, job in zip(queued, wanted, strict=True)
        ]
    return [series[item] if isinstance(item, int) else item for item in queued]


def _panel(
    panel_id: int, panel: Panel, results: list[list[RangeSeries] | str], namespace: str
) -> dict[str, Any]:
    series: list[dict[str, Any]] = []
    notes: list[str] = []
    for ref, (target, result) in enumerate(zip(panel.queries, results, strict=True)):
        if isinstance(result, str):
            notes.append(f"cannot be computed by the server: {result}")
            continue
        if any(isinstance(node, Up) for node in _nodes(target.query)):
            notes.append(UP_NOTE)
        for item in sorted(result, key=_order):
            entry: dict[str, Any] = {
                "label": legend(target.legend, item.labels, panel.title),
                "labels": item.labels,
                "target": chr(ord("A") + ref),
                "points": [[t, v] for t, v in item.points],
            }
            if panel.kind in SINGLE_VALUE:
                entry["value"] = item.points[-1][1]
            if item.quantile_from is not None:
                entry |= _quantile_fields(item, panel.kind in SINGLE_VALUE)
            series.append(entry)
    out: dict[str, Any] = {
        "id": panel_id,
        "title": panel.title,
        "description": panel.description,
        "kind": panel.kind,
        "unit": panel.unit,
        "stacked": panel.stacked,
        "thresholds": [
            {"value": None if i == 0 else value, "color": color}
            for i, (value, color) in enumerate(panel.thresholds)
        ],
        "mappings": [{"value": value, "text": text} for value, text in panel.mappings],
        "queries": [
            {
                "target": chr(ord("A") + ref),
                "promql": target.query.promql(namespace),
                "legend": target.legend,
                "instant": target.instant,
            }
            for ref, target in enumerate(panel.queries)
        ],
        "series": series,
    }
    if panel.kind in ("stat", "gauge"):
        out["value"] = series[0]["value"] if len(series) == 1 else None
        out["bound"] = series[0].get("bound") if len(series) == 1 else None
    if notes:
        out["note"] = " ".join(dict.fromkeys(notes))
    return out


def _quantile_fields(item: RangeSeries, single_value: bool) -> dict[str, Any]:
    """Where a quantile's values come from, and which are only bucket bounds (see the
    module's docstring)."""
    fields: dict[str, Any] = {
        "quantile_from": item.quantile_from,
        "approximate": bool(item.bounds),
        "bounds": [list(point) for point in item.bound_points()],
    }
    if single_value:
        last = item.bounds.get(item.points[-1][0])
        fields["bound"] = None if last is None else {"op": last[0], "value": last[1]}
    return fields


def legend(template: str, labels: dict[str, str], fallback: str) -> str:
    """Grafana's legend: ``{{label}}`` filled in (missing labels are empty); without a
    template, the labels as ``{k="v"}``, or ``fallback`` when the series has none."""
    if template and template != "__auto":
        return _TEMPLATE.sub(lambda match: labels.get(match.group(1), ""), template)
    if labels:
        return "{" + ", ".join(f'{k}="{v}"' for k, v in sorted(labels.items())) + "}"
    return fallback


def _order(item: RangeSeries) -> tuple[Any, ...]:
    """Series by their labels, buckets by their bound (``le`` sorts as a number)."""
    rest = sorted((k, v) for k, v in item.labels.items() if k != "le")
    le = item.labels.get("le")
    return (rest, float(le) if le is not None else 0.0)


def _nodes(query: PanelQuery) -> Iterator[PanelQuery]:
    """The query and every query inside it (each kind of query is a dataclass)."""
    yield query
    if not dataclasses.is_dataclass(query):
        return
    for field in dataclasses.fields(query):
        value = getattr(query, field.name)
        if is_query(value):
            yield from _nodes(value)
