"""``GET /api/metrics`` and ``GET /api/metrics/{name}``: every stored metric, and one over
a range.

Any OpenTelemetry client's metrics, named as Prometheus names them
(``intake/metric_names.py``), not only the catalog's families the dashboards read: the list
says what each is (type, unit, description as its senders declared them), its label names,
who sent it and when; a metric's points are computed by the dashboards' engine (rates with
Prometheus's extrapolation and reset handling, ``histogram_quantile``), over the window the
dashboards API takes. The list also carries the points the server refused since it started,
by reason (the intake logs each reason on the ``swarmscope.server`` logger too).
"""

from __future__ import annotations

import asyncio
import re
from typing import Annotated

from fastapi import APIRouter, HTTPException, Query
from pydantic import BaseModel, Field

from swarmscope.api_words import iso
from swarmscope.exceptions import BadParameter
from swarmscope.server.api.window import End, Start, Step, parse_window
from swarmscope.server.context import Context
from swarmscope.server.intake.metric_delta import Refusals
from swarmscope.server.namespaces import family_namespace
from swarmscope.server.query.evaluate import steps
from swarmscope.server.query.promql import duration_ms
from swarmscope.server.query.stored import FUNCTIONS, StoredQuery, evaluate_stored
from swarmscope.server.store.queries.metrics import families, family

_MATCHER = re.compile(r'^\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"\s*$')
_LABEL = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")
# What each kind is shown as when no function is asked for.
_DEFAULT_FUNCTION = {"counter": "rate", "gauge": "value", "histogram": "quantile"}


class MetricInfo(BaseModel):
    name: str = Field(description="Prometheus name, as stored and as queries name it")
    type: str = Field(description="counter, gauge, histogram or summary")
    unit: str = Field(description="the sender's unit (UCUM, e.g. s, By, 1), '' if none")
    help: str = Field(description="the sender's description")
    labels: list[str] = Field(description="label names of its series (plus job and instance)")
    services: list[str] = Field(description="services (job) that sent it")
    namespace: str | None = Field(description="swarmscope namespace of a catalog family")
    series: int = Field(description="how many series are stored")
    first_seen: str = Field(description="ISO 8601 time of its oldest stored point")
    last_seen: str = Field(description="ISO 8601 time of its newest stored point")


class MetricList(BaseModel):
    metrics: list[MetricInfo]
    refused: dict[str, int] = Field(
        description="data points the server refused since it started, by reason"
    )


class Series(BaseModel):
    labels: dict[str, str] = Field(description="the group's values of the `by` labels")
    points: list[tuple[float, float]] = Field(description="[epoch seconds, value] pairs")
    approximate: bool = Field(
        False,
        description="a histogram quantile (off by at most the width of the bucket it falls"
        " in) with some points that are only a bucket bound: in the lowest bucket or the +Inf"
        " one (see bounds)",
    )
    bounds: list[tuple[float, str, float]] = Field(
        default_factory=list,
        description="[epoch seconds, op, bound] for each point that is only a bound: op 'le',"
        " the true quantile is at most bound (show '≤ bound'); 'ge', at least bound",
    )


class MetricPoints(BaseModel):
    name: str
    type: str
    unit: str
    help: str
    function: str = Field(description="value, rate, increase or quantile")
    promql: str = Field(description="the same query in PromQL, for Prometheus or Grafana")
    start: float
    end: float
    step: float
    series: list[Series]


def routes(context: Context, refusals: Refusals) -> APIRouter:
    router = APIRouter(tags=["metrics"])

    @router.get(
        "/api/metrics",
        summary="Every stored metric: type, unit, help, labels, senders, first/last seen",
        response_model=MetricList,
    )
    async def list_metrics() -> MetricList:
        rows = await asyncio.to_thread(families, context.store)
        return MetricList(
            metrics=[
                MetricInfo(
                    name=row["name"],
                    type=row["kind"],
                    unit=row["unit"],
                    help=row["help"],
                    labels=sorted({*row["labels"], "job", "instance"}),
                    services=row["services"],
                    namespace=family_namespace(row["name"]),
                    series=row["series"],
                    first_seen=iso(row["first_ns"]),
                    last_seen=iso(row["last_ns"]),
                )
                for row in rows
            ],
            refused=refusals.counts(),
        )

    @router.get(
        "/api/metrics/{name}",
        summary="One metric over a range: values, rates or quantiles, grouped and filtered",
        response_model=MetricPoints,
        responses={
            400: {"description": "Bad parameter (matcher, label, window, q, function)"},
            404: {"description": "No metric of that name is stored"},
        },
    )
    async def get_metric(
        name: str,
        function: Annotated[
            str | None,
            Query(
                alias="fn",
                description="value (latest sample; a histogram's or summary's count), rate"
                " or increase (counters, histograms, summaries), quantile (histograms,"
                " summaries); default rate for counters, value for gauges, quantile for"
                " histograms and summaries",
            ),
        ] = None,
        q: Annotated[float, Query(description="the quantile, 0 to 1", ge=0, le=1)] = 0.9,
        window: Annotated[
            str, Query(description="range of rate, increase and quantile, e.g. 5m")
        ] = "5m",
        by: Annotated[
            str, Query(description="comma-separated labels to group (sum) by, e.g. job,route")
        ] = "",
        match: Annotated[
            list[str] | None,
            Query(
                description='label matchers as in PromQL, repeatable: route="/a",'
                ' code=~"5..", method!="GET"'
            ),
        ] = None,
        start: Start = None,
        end: End = None,
        step: Step = None,
    ) -> MetricPoints:
        window_of = parse_window(start, end, step)
        where = tuple(_matcher(text) for text in match or ())
        grouped = tuple(label.strip() for label in by.split(",") if label.strip())
        for label in grouped:
            if not _LABEL.match(label):
                raise BadParameter(f"by: {label!r} is not a label name")
        try:
            range_ms = duration_ms(window)
        except ValueError as problem:
            raise BadParameter(f"window: {problem}") from None
        if function is not None and function not in FUNCTIONS:
            raise BadParameter(f"fn: {function!r} is not one of {', '.join(FUNCTIONS)}")

        def answer() -> MetricPoints:
            found = family(context.store, name)
            if found is None:
                raise HTTPException(404, f"no metric {name!r} is stored (GET /api/metrics)")
            kind = found["kind"]
            query = StoredQuery(
                name,
                kind,
                function or _DEFAULT_FUNCTION.get(kind, "quantile"),
                where,
                grouped,
                range_ms,
                q,
            )
            at = steps(window_of.start_ns, window_of.end_ns, window_of.step_ns)
            try:
                series = evaluate_stored(context.store, query, at)
            except ValueError as problem:
                raise BadParameter(str(problem)) from None
            return MetricPoints(
                name=name,
                type=kind,
                unit=found["unit"],
                help=found["help"],
                function=query.function,
                promql=query.promql(window),
                start=window_of.start_ns / 1e9,
                end=window_of.end_ns / 1e9,
                step=window_of.step_ns / 1e9,
                series=[
                    Series(
                        labels=item.labels,
                        points=item.points,
                        approximate=bool(item.bounds),
                        bounds=item.bound_points(),
                    )
                    for item in series
                ],
            )

        return await asyncio.to_thread(answer)

    return router


def _matcher(text: str) -> tuple[str, str, str]:
    """``label op "value"`` as PromQL writes a matcher; ``BadParameter`` otherwise."""
    found = _MATCHER.match(text)
    if found is None:
        raise BadParameter(
            f'match: {text!r} is not a matcher like route="/a", code=~"5..", method!="GET"'
        )
    label, op, quoted = found.groups()
    return label, op, re.sub(r"\\(.)", r"\1", quoted)
