"""Dashboards over HTTP, computed from what the SDK pushed.

The SDK records cache lookups and database queries; its registry is encoded by the SDK's own
OTLP push encoder at chosen times, 10 s apart, and posted to the server's /v1/metrics, so
every expected figure can be worked out by hand. Each series starts at 100 s worth of its
growth: a counter's zero point is then 100 s back, farther than Prometheus extrapolates, so
every window is stretched by half a push interval (5 s) before its first sample and rates
are ``growth * (sampled + 5) / sampled / 300`` over the 5-minute windows.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

import swarmscope as ss
from loopback import serve
from swarmscope.definitions.dashboards import DASHBOARDS, Dashboard, Panel, Target
from swarmscope.definitions.query import Rate, Series
from swarmscope.server.api.dashboards import render
from swarmscope.server.api.window import Window
from swarmscope.server.app import create_app
from swarmscope.server.intake.otlp import MetricRow
from swarmscope.server.settings import ServerSettings
from swarmscope.server.store.database import Store
from swarmscope.telemetry.metric_push import encode
from test_server_evaluate import row

NS = "sergas"
# Whole seconds, ten minutes ago: inside the default hour, clear of "now".
T0 = int(time.time()) - 600
PROCESS = {"service.name": "shop", "service.instance.id": "vm:1"}


def activity(hits: int, misses: int, selects: int, failed: int, inserts: int) -> None:
    for _ in range(hits):
        ss.cache_lookup("sessions", True, 0.002)
    for _ in range(misses):
        ss.cache_lookup("sessions", False, 0.010)
    for _ in range(selects):
        with ss.db_query("select"):
            pass
    for _ in range(failed):
        with pytest.raises(RuntimeError), ss.db_query("select"):
            raise RuntimeError("deadlock")
    for _ in range(inserts):
        with ss.db_query("insert"):
            pass


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One server for the module's tests: they only read."""
    store = Store(tmp_path_factory.mktemp("dashboards") / "store.duckdb")
    try:
        with serve(create_app(store, ServerSettings(namespace=NS))) as url:
            ss.shutdown()
            runtime = ss.init(service_name="shop", namespace=NS, log_stream="none")
            try:
                # Before the first push: 100 s of the growth that follows (see above).
                activity(hits=30, misses=10, selects=40, failed=10, inserts=20)
                for push in range(7):
                    if push:
                        activity(hits=3, misses=1, selects=4, failed=1, inserts=2)
                    request = encode(runtime.metrics.registry.collect(), PROCESS, _ns(push * 10))
                    answer = httpx.post(
                        f"{url}/v1/metrics",
                        content=request.SerializeToString(),
                        headers={"content-type": "application/x-protobuf"},
                    )
                    assert answer.status_code == 200
            finally:
                ss.shutdown()
            yield url
    finally:
        store.close()


def _ns(seconds: float) -> int:
    return int((T0 + seconds) * 1e9)


def panels(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {panel["title"]: panel for panel in body["panels"]}


def by_label(panel: dict[str, Any]) -> dict[str, list[list[float]]]:
    return {series["label"]: series["points"] for series in panel["series"]}


def test_cache_and_database_panels_have_the_figures_worked_out_by_hand(server: str):
    answer = httpx.get(
        f"{server}/api/dashboards/cache-database",
        params={"start": T0 + 30, "end": T0 + 60, "step": "30s"},
    )
    assert answer.status_code == 200
    body = answer.json()
    assert (body["id"], body["title"]) == ("cache-database", "Cache and Database")
    assert (body["start"], body["end"], body["step"]) == (T0 + 30, T0 + 60, 30)
    shown = panels(body)
    assert [panel["id"] for panel in body["panels"]] == [1, 2, 3, 4, 5, 6]
    at = [T0 + 30, T0 + 60]

    # A stat: hits / (hits + misses); both stretched alike, so 3 of every 4 lookups.
    hit_rate = shown["Cache Hit Rate"]
    assert (hit_rate["kind"], hit_rate["unit"]) == ("stat", "percentunit")
    assert hit_rate["thresholds"][0] == {"value": None, "color": "red"}
    [series] = hit_rate["series"]
    assert series["label"] == "hit rate" and series["labels"] == {}
    assert series["points"] == [[at[0], pytest.approx(0.75)], [at[1], pytest.approx(0.75)]]
    assert hit_rate["value"] == pytest.approx(0.75) == series["value"]

    # A rate by label: at +30 s four samples 30 s apart, growth 9 hits and 3 misses, window
    # stretched to 35 s; at +60 s seven samples, growth 18 and 6, stretched to 65 s.
    operations = by_label(shown["Cache Operations"])
    assert operations == {
        "sessions hits": [
            [at[0], pytest.approx(9 * 35 / 30 / 300)],
            [at[1], pytest.approx(18 * 65 / 60 / 300)],
        ],
        "sessions misses": [
            [at[0], pytest.approx(3 * 35 / 30 / 300)],
            [at[1], pytest.approx(6 * 65 / 60 / 300)],
        ],
    }
    assert {s["labels"]["cache_name"] for s in shown["Cache Operations"]["series"]} == {"sessions"}
    # Mean lookup time: rate of the sum over rate of the count, the durations recorded.
    latency = by_label(shown["Average Cache Latency"])
    assert [v for _, v in latency["hit"]] == [pytest.approx(0.002)] * 2
    assert [v for _, v in latency["miss"]] == [pytest.approx(0.010)] * 2
    queries = by_label(shown["Database Query Rate"])
    assert queries["select"][1] == [at[1], pytest.approx((24 + 6) * 65 / 60 / 300)]
    assert queries["insert"][1] == [at[1], pytest.approx(12 * 65 / 60 / 300)]

    # A ratio by label: failed selects are 1 in 5; inserts never failed, so their failure
    # series does not exist and the ratio has no insert sample (not 0), as in Prometheus.
    errors = by_label(shown["Database Query Error Rate"])
    assert errors == {"select": [[at[0], pytest.approx(0.2)], [at[1], pytest.approx(0.2)]]}
    assert shown["Database Query Error Rate"]["queries"][0]["promql"] == (
        '(sum by (operation) (rate(sergas_db_queries_total{status!~"success|interrupted"}[5m])))'
        ' / (sum by (operation) (rate(sergas_db_queries_total{status!="interrupted"}[5m])))'
    )
    assert set(by_label(shown["Database Query Latency P95"])) == {"select", "insert"}
    assert all("note" not in panel for panel in body["panels"])


def test_up_comes_from_push_freshness_and_says_so(server: str):
    body = httpx.get(
        f"{server}/api/dashboards/system-resources",
        params={"start": T0 + 30, "end": T0 + 90, "step": 30},
    ).json()
    up = panels(body)["Instances Up"]
    # Pushed every 10 s until +60 s: up at +30 and +60, down 30 s after the last push.
    [series] = up["series"]
    assert series["label"] == "vm:1" and series["labels"] == {"instance": "vm:1"}
    assert series["points"] == [[T0 + 30, 1.0], [T0 + 60, 1.0], [T0 + 90, 0.0]]
    assert up["value"] == 0.0
    assert "push" in up["note"] and up["mappings"][1] == {"value": 1, "text": "healthy"}


def test_the_default_window_is_the_last_hour_in_about_120_points(server: str):
    before = time.time()
    body = httpx.get(f"{server}/api/dashboards/cache-database").json()
    assert body["step"] == 30 and before - 1 <= body["end"] <= time.time()
    assert body["end"] - body["start"] == 3600
    [series] = panels(body)["Cache Hit Rate"]["series"]
    # Defined from the first push until five minutes after the last one.
    assert all(v == pytest.approx(0.75) for _, v in series["points"])
    assert T0 + 10 <= series["points"][0][0] < T0 + 40
    assert T0 + 300 <= series["points"][-1][0] <= T0 + 360


def test_the_list_names_every_dashboard(server: str):
    listing = httpx.get(f"{server}/api/dashboards").json()
    assert [entry["id"] for entry in listing] == [d.uid for d in DASHBOARDS]
    cache = next(entry for entry in listing if entry["id"] == "cache-database")
    assert cache["title"] == "Cache and Database" and cache["panels"] == 6


@pytest.mark.parametrize(
    ("params", "reason"),
    [
        ({"step": "0"}, "step must be at least"),
        ({"step": "soon"}, "step must be seconds or a duration"),
        ({"step": "1s"}, "at most 1000"),
        ({"start": "yesterday"}, "start must be epoch seconds"),
        ({"start": "10m", "end": "20m"}, "end must be after start"),
    ],
)
def test_bad_windows_are_400(server: str, params: dict[str, str], reason: str):
    answer = httpx.get(f"{server}/api/dashboards/cache-database", params=params)
    assert answer.status_code == 400
    assert answer.json()["status"] == 400 and reason in answer.json()["error"]


def test_an_unknown_dashboard_is_404(server: str):
    answer = httpx.get(f"{server}/api/dashboards/no-such-board")
    assert answer.status_code == 404
    assert answer.json() == {"error": "unknown dashboard 'no-such-board'", "status": 404}


def miss(seconds: int, total: float) -> MetricRow:
    """A point of a cache-miss counter, as the intake stores it."""
    labels = {"cache_name": "sessions"}
    return row("cache_misses_total", "counter", (T0 + seconds) * 1000, labels, value=total)


def test_what_the_server_cannot_compute_is_a_note(tmp_path: Path):
    store = Store(tmp_path / "store.duckdb")
    try:
        # A window Prometheus would not parse, and a lookahead that Python's re reads but
        # RE2 (DuckDB's and Prometheus's regexes) refuses: each is the note of its panel.
        unparsable = Target(Rate(Series("cache_hits_total"), "5 minutes"), "hits")
        lookahead = Series("db_queries_total", (("status", "=~", "(?=f)failure"),))
        fine = Target(Rate(Series("cache_misses_total"), "5m"), "misses")
        dashboard = Dashboard(
            "mixed",
            "Mixed",
            (),
            (Panel("Lookups", (unparsable, fine)), Panel("Queries", (Target(Rate(lookahead)),))),
        )
        store.add("metric_points", [miss(0, 1.0), miss(30, 4.0)])
        body = render(store, dashboard, NS, Window(_ns(0), _ns(60), 30 * 10**9))
    finally:
        store.close()
    lookups, queries = body["panels"]
    assert lookups["note"] == (
        "cannot be computed by the server: sum (rate(sergas_cache_hits_total[5 minutes])): "
        "'5 minutes' is not a Prometheus duration (like 30s, 5m, 1h or 1d)"
    )
    # The target beside it still answers: 3 misses in 30 s, stretched to 70 s (the zero point
    # 10 s before the first sample, the end 30 s after the last: both within 1.1 intervals).
    [misses] = lookups["series"]
    assert misses["label"] == "misses"
    assert misses["points"][-1] == [T0 + 60, pytest.approx(3 * 70 / 30 / 300)]
    assert queries["series"] == [] and "invalid perl operator" in queries["note"]
