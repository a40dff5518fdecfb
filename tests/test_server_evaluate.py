"""The server's query engine: hand-computed figures, then the same data through real Prometheus.

Points go straight into a store as ``MetricRow``s (what the OTLP intake writes), at known
millisecond times; every expected number below is worked out from Prometheus's rules in the
comment next to it.
"""

from __future__ import annotations

import json
import math
import random
import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from loopback import free_port
from swarmscope.definitions.query import (
    Buckets,
    Change,
    Current,
    Difference,
    Increase,
    Mean,
    Offset,
    Quantile,
    Query,
    Rate,
    RateOfSum,
    Ratio,
    Scaled,
    Series,
    Sum,
    TopK,
    Up,
)
from swarmscope.server.intake.otlp import MetricRow
from swarmscope.server.query.evaluate import Batch, Sample, evaluate_at, evaluate_range
from swarmscope.server.query.promql import format_le
from swarmscope.server.store.database import Store

NS = "sergas"
MS = 1_000_000
# A recent minute (Prometheus deletes blocks past its retention), in ms.
T0 = (time.time_ns() // MS - 3_600_000) // 60_000 * 60_000
DURATION_BOUNDS = [0.01, 0.05, 0.1, 0.5, 1.0, 2.0, 5.0]
# The process of each service (its service.instance.id, the series' ``instance``).
PROCESS = {"agents": "vm:101", "billing": "vm:202"}


def row(
    metric: str,
    kind: str,
    time_ms: int,
    labels: dict[str, str] | None = None,
    service: str = "agents",
    value: float | None = None,
    count: float | None = None,
    total: float | None = None,
    bounds: list[float] | None = None,
    buckets: list[float] | None = None,
    started_ms: int = T0,
    keyed_by_process: bool = True,
) -> MetricRow:
    """One stored point, named and keyed as the intake writes it (namespace, ``_total`` on
    counters, the process in the series key unless it is a key from before processes)."""
    name = Series(metric).selector(NS)
    pairs = sorted((labels or {}).items())
    key = [service, PROCESS[service], name, pairs] if keyed_by_process else [service, name, pairs]
    return MetricRow(
        time_ns=time_ms * MS,
        start_ns=started_ms * MS,
        service=service,
        name=name,
        kind=kind,
        series=json.dumps(key),
        labels=pairs,
        value=value,
        count=count,
        sum=total,
        bounds=bounds,
        buckets=buckets,
    )


def counter(
    metric: str,
    points: list[tuple[int, float]],
    service: str = "agents",
    started: int = 0,
    **labels: str,
) -> list[MetricRow]:
    """A counter's points given as (seconds after T0, value), counting from ``started``."""
    return [
        row(metric, "counter", T0 + s * 1000, labels, service, v, started_ms=T0 + started * 1000)
        for s, v in points
    ]


def gauge(metric: str, points: list[tuple[int, float]], **labels: str) -> list[MetricRow]:
    return [row(metric, "gauge", T0 + s * 1000, labels, value=v) for s, v in points]


def values(samples: list[Sample], label: str | None = None) -> dict[str | None, float]:
    return {(s.labels.get(label) if label else None): s.value for s in samples}


def at(store: Store, query: Query, seconds: float) -> list[Sample]:
    return evaluate_at(store, query, NS, (T0 + int(seconds * 1000)) * MS)


# Four samples 10 s apart at T0+10..40 s; evaluated at T0+60 s over [1m]: the first sample is
# 10 s after the window's start, the last 20 s before its end; average interval 10 s.
EVERY_TEN = (10, 20, 30, 40)


def test_rate_extrapolates_to_the_window_but_not_past_zero(store: Store):
    store.add(
        "metric_points",
        counter(
            "http_requests_total", list(zip(EVERY_TEN, (5, 15, 25, 35), strict=True)), status="200"
        )
        + counter(
            "http_requests_total",
            list(zip(EVERY_TEN, (100, 110, 120, 130), strict=True)),
            status="500",
        ),
    )
    rate = Rate(Series("http_requests_total"), "1m", ("status",))
    # 200: grew 30 over 30 s. Back to zero is 30 * 5/30 = 5 s (< 10 s to the start): +5 s.
    # The end is 20 s away, more than 1.1 * 10 s: +half an interval, 5 s. 30 * 40/30 = 40.
    # 500: zero is 100 s back, so the whole 10 s to the start counts: 30 * 45/30 = 45.
    assert values(at(store, rate, 60), "status") == pytest.approx({"200": 40 / 60, "500": 0.75})
    increase = Increase(Series("http_requests_total", (("status", "=", "200"),)), "1m")
    assert values(at(store, increase, 60)) == pytest.approx({None: 40.0})


def test_a_counter_reset_adds_the_value_before_the_drop(store: Store):
    # Both processes restarted at 25 s: from then on their points count from there (OTLP's
    # start time). One's counter dropped (20 -> 5), the other's did not (20 -> 25).
    store.add(
        "metric_points",
        counter("http_requests_total", [(10, 10), (20, 20)], status="200")
        + counter("http_requests_total", [(30, 5), (40, 15)], started=25, status="200")
        + counter("http_requests_total", [(10, 10), (20, 20)], status="500")
        + counter("http_requests_total", [(30, 25), (40, 35)], started=25, status="500"),
    )
    increase = Increase(Series("http_requests_total"), "1m", ("status",))
    # 200: 15 - 10 = 5, plus the 20 lost at the drop = 25; zero point 30 * 10/25 = 12 s back,
    # more than the 10 s to the start, so extrapolate 10 s back and 5 s forward: 25 * 45/30.
    # 500: no drop, so nothing is added, as in Prometheus: 25 * 45/30 as well.
    assert values(at(store, increase, 60), "status") == pytest.approx({"200": 37.5, "500": 37.5})
    # One sample in the window is no rate at all.
    assert at(store, Rate(Series("http_requests_total"), "5s"), 40) == []


def test_ratio_matches_on_the_by_labels(store: Store):
    points = []
    for endpoint, status, first, last in (
        ("/a", "200", 1000, 1030),
        ("/a", "500", 1000, 1010),
        ("/b", "200", 1000, 1040),
    ):
        points += counter(
            "http_requests_total",
            [(10, first), (40, last)],
            endpoint=endpoint,
            status=status,
        )
    store.add("metric_points", points)
    failed = Series("http_requests_total", (("status", "=~", "5.."),))
    share = Ratio(
        Rate(failed, "1m", ("endpoint",)), Rate(Series("http_requests_total"), "1m", ("endpoint",))
    )
    # Same times, so the same extrapolation on both sides: 10 / (30 + 10). /b has no 5xx
    # series, so no match and no sample (not 0).
    assert values(at(store, share, 50), "endpoint") == pytest.approx({"/a": 0.25})
    assert values(at(store, Scaled(share, 100.0), 50), "endpoint") == pytest.approx({"/a": 25.0})


def histogram(seconds: int, per_bucket: list[float], service: str = "agents", **labels: str):
    counts = [float(c) for c in per_bucket]
    return row(
        "http_request_duration_seconds",
        "histogram",
        T0 + seconds * 1000,
        labels,
        service,
        count=sum(counts),
        total=0.25 * sum(counts),
        bounds=DURATION_BOUNDS,
        buckets=counts,
    )


def test_quantile_interpolates_inside_its_bucket(store: Store):
    store.add(
        "metric_points",
        [
            histogram(10, [0] * 8, endpoint="/a"),
            histogram(40, [0, 10, 30, 40, 20, 0, 0, 0], endpoint="/a"),
            histogram(10, [0] * 8, endpoint="/b"),
            histogram(40, [0, 0, 0, 0, 0, 0, 0, 7], endpoint="/b"),
            histogram(10, [0] * 8, endpoint="/c"),
            histogram(40, [0] * 8, endpoint="/c"),
        ],
    )

    def quantile(q: float) -> dict[str | None, float]:
        query = Quantile(q, Series("http_request_duration_seconds"), "1m", ("endpoint",))
        return values(at(store, query, 50), "endpoint")

    # /a cumulative: 0, 10, 40, 80, 100 (le 1), 100... The median's rank 50 lies in (0.1, 0.5]
    # which holds 40 of them, 10 past its start: 0.1 + 0.4 * 10/40. p95: rank 95 in (0.5, 1]
    # (20 of them, 15 in): 0.5 + 0.5 * 15/20. /b only has +Inf observations: the highest
    # finite bound. /c has none: no sample.
    assert quantile(0.5) == pytest.approx({"/a": 0.2, "/b": 5.0})
    assert quantile(0.95) == pytest.approx({"/a": 0.875, "/b": 5.0})
    rates = at(store, Buckets(Series("http_request_duration_seconds"), "1m"), 50)
    le = {s.labels["le"]: s.value for s in rates}
    assert list(le) == sorted(le) and set(le) == {*map(format_le, DURATION_BOUNDS), "+Inf"}
    # 30 s of samples in a 1 m window ending 10 s after the last (< 1.1 * 30 s: extrapolated
    # all the way) and, every bucket starting at zero, none before the first: count * 40/30
    # per 60 s. +Inf holds all 107.
    assert le["0.5"] == pytest.approx(80 * 40 / 30 / 60) and le["1.0"] == le["5.0"]
    assert le["+Inf"] == pytest.approx(107 * 40 / 30 / 60)
    mean = Mean(Series("http_request_duration_seconds"), "1m", ("endpoint",))
    assert values(at(store, mean, 50), "endpoint") == pytest.approx({"/a": 0.25, "/b": 0.25})


def test_sum_by_merges_services_and_groups_by_label(store: Store):
    store.add(
        "metric_points",
        counter("agent_errors_total", [(10, 0), (40, 30)], "agents", agent_type="scout")
        + counter("agent_errors_total", [(10, 0), (40, 60)], "billing", agent_type="scout")
        + counter("agent_errors_total", [(10, 0), (40, 90)], "billing", agent_type="writer"),
    )
    # Each grew from 0 over 30 s, the end 10 s past: x * 40/30 over 60 s.
    by_agent = Rate(Series("agent_errors_total"), "1m", ("agent_type",))
    assert values(at(store, by_agent, 50), "agent_type") == pytest.approx(
        {"scout": 90 * 40 / 30 / 60, "writer": 90 * 40 / 30 / 60}
    )
    # job is the service, instance the process that pushed, as a scrape's target labels.
    by_service = Rate(Series("agent_errors_total"), "1m", ("job",))
    assert values(at(store, by_service, 50), "job") == pytest.approx(
        {"agents": 30 * 40 / 30 / 60, "billing": 150 * 40 / 30 / 60}
    )
    by_process = Rate(Series("agent_errors_total"), "1m", ("instance",))
    assert values(at(store, by_process, 50), "instance") == pytest.approx(
        {"vm:101": 30 * 40 / 30 / 60, "vm:202": 150 * 40 / 30 / 60}
    )
    top = TopK(1, Rate(Series("agent_errors_total"), "1m", ("job", "agent_type")))
    assert [s.labels for s in at(store, top, 50)] == [{"job": "billing", "agent_type": "writer"}]


def test_gauges_current_change_and_lookback(store: Store):
    store.add(
        "metric_points",
        gauge("agent_sessions_active", [(0, 2), (120, 5), (240, 3)], agent_type="scout")
        + gauge("agent_sessions_active", [(0, 7)], agent_type="writer")
        + gauge("db_connections_total", [(200, 10)])
        + gauge("db_connections_active", [(200, 4)]),
    )
    current = Current(Series("agent_sessions_active"), "max", ("agent_type",))
    # The writer's only sample is 4 min old at 240 s: still seen; at 301 s it is past the
    # five-minute lookback and gone.
    assert values(at(store, current, 240), "agent_type") == {"scout": 3.0, "writer": 7.0}
    assert values(at(store, current, 301), "agent_type") == {"scout": 3.0}
    assert values(at(store, Current(Series("agent_sessions_active"), "sum"), 240)) == {None: 10.0}
    assert values(at(store, Current(Series("agent_sessions_active"), "min"), 240)) == {None: 3.0}
    # delta over [0, 300]: 3 - 2 = 1 over 240 s of samples; the start is 0 s away, the end
    # 60 s (< 1.1 * 120 s): extrapolated to 300 s, 1 * 300/240. A gauge may go below zero.
    change = Change(Series("agent_sessions_active"), "5m", ("agent_type",))
    assert values(at(store, change, 300), "agent_type") == pytest.approx({"scout": 1.25})
    idle = Difference(
        Current(Series("db_connections_total"), "sum"),
        Current(Series("db_connections_active"), "sum"),
    )
    assert values(at(store, idle, 240)) == {None: 6.0}


def test_max_and_min_pass_over_nan_and_a_nan_sum_is_no_value(store: Store):
    # Two series in one group; one of them reports NaN (nothing measured).
    store.add(
        "metric_points",
        gauge("agent_queue_depth", [(0, 4), (60, 6)], agent_type="scout")
        + gauge(
            "agent_queue_depth", [(0, math.nan), (60, math.nan)], agent_type="scout", priority="low"
        ),
    )
    largest = Current(Series("agent_queue_depth"), "max", ("agent_type",))
    smallest = Current(Series("agent_queue_depth"), "min", ("agent_type",))
    assert values(at(store, largest, 90), "agent_type") == {"scout": 6.0}
    assert values(at(store, smallest, 90), "agent_type") == {"scout": 6.0}
    # Prometheus's sum is NaN, which is left out, as every non-finite value is.
    assert values(at(store, Current(Series("agent_queue_depth"), "sum"), 90)) == {}
    # A group whose only series is NaN has no value either.
    only_nan = Current(Series("agent_queue_depth", (("priority", "=", "low"),)), "max")
    assert values(at(store, only_nan, 90)) == {}


def test_offset_topk_matchers_and_sums(store: Store):
    rows = []
    for status, step in (("200", 1), ("404", 2), ("500", 3), ("503", 4)):
        rows += counter(
            "http_requests_total",
            [(s, 1000 + step * s) for s in range(0, 1201, 15)],
            status=status,
        )
    rows += counter("cache_hits_total", [(s, 1000 + 3 * s) for s in range(0, 1201, 15)])
    rows += counter("cache_misses_total", [(s, 1000 + s) for s in range(0, 1201, 15)])
    store.add("metric_points", rows)

    def statuses(*where: tuple[str, str, str]) -> dict[str | None, float]:
        query = Rate(Series("http_requests_total", where), "1m", ("status",))
        return values(at(store, query, 1200), "status")

    # Samples every 15 s and on the window's edges: rates are exactly the slopes.
    assert statuses() == pytest.approx({"200": 1, "404": 2, "500": 3, "503": 4})
    assert statuses(("status", "=", "404")) == pytest.approx({"404": 2})
    assert statuses(("status", "!=", "404")) == pytest.approx({"200": 1, "500": 3, "503": 4})
    assert statuses(("status", "=~", "5..")) == pytest.approx({"500": 3, "503": 4})
    assert statuses(("status", "!~", "5..|200")) == pytest.approx({"404": 2})
    # Regexes are anchored at both ends: "5" is not "500".
    assert statuses(("status", "=~", "5")) == {}
    top = TopK(2, Rate(Series("http_requests_total"), "1m", ("status",)))
    assert values(at(store, top, 1200), "status") == pytest.approx({"500": 3, "503": 4})
    lookups = Sum(Rate(Series("cache_hits_total"), "1m"), Rate(Series("cache_misses_total"), "1m"))
    assert values(at(store, lookups, 1200)) == pytest.approx({None: 4.0})
    # Offset moves the window before the data: nothing.
    increase = Increase(Series("http_requests_total", (("status", "=", "500"),)), "5m")
    assert at(store, Offset(increase, "1h"), 1200) == []


def test_one_batch_reads_a_family_over_every_window_its_queries_need(store: Store):
    store.add(
        "metric_points",
        counter("http_requests_total", [(s, 1000 + 3 * s) for s in range(0, 1201, 15)]),
    )
    increase = Increase(Series("http_requests_total"), "5m")
    batch = Batch(NS)
    at_ns = (T0 + 1_200_000) * MS
    now = batch.add(increase, [at_ns])
    before = batch.add(Offset(increase, "18m"), [at_ns])
    results = batch.run(store)
    # Now: samples on both edges of [900 s, 1200 s], 3 a second.
    assert results[now][0].points == [pytest.approx((at_ns / 1e9, 900.0))]
    # 18 minutes earlier, [-180 s, 120 s] holds the samples from 0 to 120 s (360 more); the
    # start is 180 s away and the zero point 120 * 1000/360 s, both farther than 1.1
    # intervals: half an interval (7.5 s) is added, 360 * 127.5/120.
    assert results[before][0].points == [pytest.approx((at_ns / 1e9, 382.5))]
    with pytest.raises(ValueError, match="evenly spaced"):
        batch.add(increase, [at_ns, at_ns + 10**10, at_ns + 3 * 10**10])


def test_range_evaluation_gives_points_where_defined(store: Store):
    store.add(
        "metric_points",
        counter("http_requests_total", [(s, 2 * s) for s in range(60, 181, 15)]),
    )
    series = evaluate_range(
        store,
        Rate(Series("http_requests_total"), "30s"),
        NS,
        T0 * MS,
        (T0 + 240_000) * MS,
        60_000 * MS,
    )
    # At 0 s no samples, at 60 s one (no rate), at 240 s the last is 60 s old: nothing.
    [only] = series
    assert only.labels == {}
    assert only.points == [
        pytest.approx(((T0 + 120_000) / 1000, 2.0)),
        pytest.approx(((T0 + 180_000) / 1000, 2.0)),
    ]


def test_up_follows_push_freshness(store: Store):
    store.add(
        "metric_points",
        counter("http_requests_total", [(s, s) for s in range(0, 101, 10)], "agents")
        # Keys written before the process was recorded: the instance is the service.
        + [
            row(
                "http_requests_total",
                "counter",
                T0 + s * 1000,
                None,
                "billing",
                s,
                keyed_by_process=False,
            )
            for s in range(0, 31, 10)
        ],
    )
    # Both push every 10 s: up while the last push is at most 20 s old.
    assert values(at(store, Up(), 100), "instance") == {"vm:101": 1.0, "billing": 0.0}
    assert values(at(store, Up(), 50), "instance") == {"vm:101": 1.0, "billing": 1.0}
    assert values(at(store, Up(), 121), "instance") == {"vm:101": 0.0, "billing": 0.0}


def test_what_cannot_be_evaluated_is_a_value_error(store: Store):
    with pytest.raises(ValueError, match="not a Prometheus duration"):
        at(store, Rate(Series("http_requests_total"), "5 minutes"), 0)
    with pytest.raises(ValueError, match="bad regex"):
        at(store, Rate(Series("http_requests_total", (("status", "=~", "5(("),))), 0)
    with pytest.raises(ValueError, match="step"):
        evaluate_range(store, Rate(Series("http_requests_total")), NS, 0, 10, 0)
    with pytest.raises(ValueError, match="more than 11000"):
        evaluate_range(store, Rate(Series("http_requests_total")), NS, 0, 10**13, 10**6)


# --- the same data through the real Prometheus ---


@contextmanager
def prometheus(data: Path, config: Path) -> Iterator[str]:
    """Prometheus over ``data`` with ``config``, on a free loopback port, until exit."""
    binary = shutil.which("prometheus")
    assert binary, "install Debian's prometheus package (tasks.py test does)"
    port = free_port()
    process = subprocess.Popen(
        [
            binary,
            f"--config.file={config}",
            f"--storage.tsdb.path={data}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--storage.tsdb.retention.time=30d",
            "--log.level=warn",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            assert process.poll() is None, process.stderr.read().decode() if process.stderr else ""
            try:
                if httpx.get(f"{url}/-/ready", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "prometheus was not ready within 30 s"
            time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def instant(prometheus: httpx.Client, promql: str, time_s: float) -> dict[frozenset, float]:
    """Prometheus's answer as {label set: value}, non-finite values left out as we do."""
    answer = prometheus.get("/api/v1/query", params={"query": promql, "time": time_s}).json()
    assert answer["status"] == "success", answer
    out = {}
    for item in answer["data"]["result"]:
        value = float(item["value"][1])
        if math.isfinite(value):
            out[frozenset(item["metric"].items())] = value
    return out


def irregular_data(rng: random.Random) -> list[MetricRow]:
    """20 minutes of two services' pushes, 12-18 s apart with ms jitter, a counter reset."""
    rows = []
    for service in ("agents", "billing"):
        seconds = 0.0
        totals: dict[tuple[str, str], float] = {}
        started: dict[tuple[str, str], int] = {}
        per_bucket = {endpoint: [0.0] * 8 for endpoint in ("/a", "/b")}
        steps = {"plan": [0.0, 0.0]}
        while seconds < 1200:
            time_ms = T0 + int(seconds * 1000)
            for endpoint in ("/a", "/b"):
                for status in ("200", "404", "500", "503"):
                    key = (endpoint, status)
                    totals[key] = totals.get(key, rng.randint(0, 50)) + rng.randint(0, 9)
                    if service == "billing" and key == ("/a", "200") and 600 <= seconds < 616:
                        totals[key] = rng.randint(0, 5)  # the process restarted
                        started[key] = time_ms - 100
                    labels = {"method": "GET", "endpoint": endpoint, "status": status}
                    rows.append(
                        row(
                            "http_requests_total",
                            "counter",
                            time_ms,
                            labels,
                            service,
                            totals[key],
                            started_ms=started.get(key, T0),
                        )
                    )
                buckets = per_bucket[endpoint]
                for index in range(8):
                    buckets[index] += rng.choice((0, 0, 1, 2, 5))
                rows.append(
                    row(
                        "http_request_duration_seconds",
                        "histogram",
                        time_ms,
                        {"method": "GET", "endpoint": endpoint},
                        service,
                        count=sum(buckets),
                        total=0.3 * sum(buckets),
                        bounds=DURATION_BOUNDS,
                        buckets=list(buckets),
                    )
                )
            if seconds < 700 or service == "agents":
                for agent in ("scout", "writer"):
                    rows.append(
                        row(
                            "agent_sessions_active",
                            "gauge",
                            time_ms,
                            {"agent_type": agent},
                            service,
                            float(rng.randint(0, 12)),
                        )
                    )
            steps["plan"][0] += rng.randint(1, 3)
            steps["plan"][1] += rng.randint(1, 30)
            rows.append(
                row(
                    "orchestration_steps_total",
                    "summary",
                    time_ms,
                    {"operation": "plan"},
                    service,
                    count=steps["plan"][0],
                    total=steps["plan"][1],
                )
            )
            seconds += rng.uniform(12, 18)
    return rows


def openmetrics(rows: list[MetricRow]) -> str:
    """The rows as Prometheus would have scraped them: ``_count``/``_sum``/``_bucket`` series,
    ``job`` and ``instance`` labels, one family's samples together, in time order."""
    families: dict[str, dict[str, list[str]]] = {}

    def sample(name: str, labels: dict[str, str], time_ms: int, value: float) -> None:
        text = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
        line = f"{name}{{{text}}} {value!r} {time_ms / 1000:.3f}"
        families.setdefault(name, {}).setdefault(text, []).append(line)

    for point in sorted(rows, key=lambda r: r.time_ns):
        labels = {"job": point.service, "instance": PROCESS[point.service], **dict(point.labels)}
        time_ms = point.time_ns // MS
        if point.kind in ("counter", "gauge"):
            sample(point.name, labels, time_ms, point.value)
            continue
        sample(f"{point.name}_count", labels, time_ms, point.count)
        sample(f"{point.name}_sum", labels, time_ms, point.sum)
        if point.kind == "histogram":
            cumulative = 0.0
            for bound, count in zip([*point.bounds, math.inf], point.buckets, strict=True):
                cumulative += count
                sample(
                    f"{point.name}_bucket", {**labels, "le": format_le(bound)}, time_ms, cumulative
                )
    lines = [line for series in families.values() for lines in series.values() for line in lines]
    return "\n".join([*lines, "# EOF", ""])


AGREEMENT_QUERIES: list[Query] = [
    Rate(Series("http_requests_total"), "5m", ("endpoint",)),
    Rate(Series("http_requests_total", (("status", "=~", "5.."),)), "1m", ("instance", "status")),
    Increase(Series("http_requests_total", (("status", "!=", "200"),)), "10m"),
    Increase(
        Series("http_requests_total", (("endpoint", "=", "/a"),)), "3m", ("instance", "status")
    ),
    Rate(Series("http_requests_total", (("status", "!~", "5..|404"),)), "2m"),
    Ratio(
        Rate(Series("http_requests_total", (("status", "=~", "5.."),)), "5m", ("endpoint",)),
        Rate(Series("http_requests_total"), "5m", ("endpoint",)),
    ),
    Scaled(
        Ratio(
            Rate(Series("http_requests_total", (("status", "=", "404"),)), "5m"),
            Rate(Series("http_requests_total"), "5m"),
        ),
        100.0,
    ),
    Quantile(0.5, Series("http_request_duration_seconds"), "5m", ("endpoint",)),
    Quantile(0.9, Series("http_request_duration_seconds"), "2m"),
    Quantile(0.99, Series("http_request_duration_seconds"), "5m", ("instance", "endpoint")),
    Buckets(Series("http_request_duration_seconds"), "5m"),
    Mean(Series("http_request_duration_seconds"), "5m", ("endpoint",)),
    Mean(Series("orchestration_steps_total"), "5m", ("operation",)),
    RateOfSum(Series("http_request_duration_seconds"), "3m"),
    Current(Series("agent_sessions_active"), "max", ("agent_type",)),
    Current(Series("agent_sessions_active"), "sum"),
    Current(Series("agent_sessions_active"), "min", ("instance",)),
    Change(Series("agent_sessions_active"), "5m", ("agent_type",)),
    Offset(Rate(Series("http_requests_total"), "5m", ("status",)), "4m"),
    TopK(3, Rate(Series("http_requests_total"), "5m", ("endpoint", "status"))),
    Sum(
        Rate(Series("http_requests_total", (("status", "=", "200"),)), "5m", ("endpoint",)),
        Rate(Series("http_requests_total", (("status", "=", "404"),)), "5m", ("endpoint",)),
    ),
    Difference(
        Current(Series("agent_sessions_active"), "sum", ("agent_type",)),
        Current(Series("agent_sessions_active"), "min", ("agent_type",)),
    ),
]


# Range queries whose windows slide over the counter reset one step after another.
RANGE_QUERIES: list[Query] = [
    Rate(Series("http_requests_total", (("endpoint", "=", "/a"),)), "2m", ("instance", "status")),
    Increase(Series("http_requests_total"), "1m", ("endpoint",)),
    Current(Series("agent_sessions_active"), "max", ("agent_type",)),
    Quantile(0.9, Series("http_request_duration_seconds"), "2m", ("endpoint",)),
]


def ranged(
    prometheus: httpx.Client, promql: str, start_ms: int, end_ms: int, step_ms: int
) -> dict[frozenset, list[tuple[float, float]]]:
    """Prometheus's range answer as {label set: [(time s, value)]}, non-finite values left
    out as we do."""
    answer = prometheus.get(
        "/api/v1/query_range",
        params={
            "query": promql,
            "start": start_ms / 1000,
            "end": end_ms / 1000,
            "step": step_ms / 1000,
        },
    ).json()
    assert answer["status"] == "success", answer
    out = {}
    for item in answer["data"]["result"]:
        points = [(float(t), float(v)) for t, v in item["values"] if math.isfinite(float(v))]
        if points:
            out[frozenset(item["metric"].items())] = points
    return out


def test_every_query_shape_agrees_with_prometheus(store: Store, tmp_path: Path):
    rows = irregular_data(random.Random(7))
    store.add("metric_points", rows)
    source = tmp_path / "data.om"
    source.write_text(openmetrics(rows))
    promtool = shutil.which("promtool")
    assert promtool, "install Debian's prometheus package (tasks.py test does)"
    subprocess.run(
        [
            promtool,
            "tsdb",
            "create-blocks-from",
            "openmetrics",
            str(source),
            str(tmp_path / "tsdb"),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    config = tmp_path / "prometheus.yml"
    config.write_text("global:\n  scrape_interval: 1m\n")
    # Past the gauges' stop (700 s) by less and by more than the lookback; between samples.
    instants = (T0 + 617_321, T0 + 1_003_000, T0 + 1_151_777)
    with prometheus(tmp_path / "tsdb", config) as url, httpx.Client(base_url=url) as client:
        for query in AGREEMENT_QUERIES:
            for time_ms in instants:
                ours = {
                    frozenset(s.labels.items()): s.value
                    for s in evaluate_at(store, query, NS, time_ms * MS)
                }
                theirs = instant(client, query.promql(NS), time_ms / 1000)
                assert theirs, f"prometheus has no data for {query.promql(NS)}"
                assert ours.keys() == theirs.keys(), query.promql(NS)
                for labels, value in theirs.items():
                    assert ours[labels] == pytest.approx(value, rel=1e-9), (
                        query.promql(NS),
                        labels,
                    )
        # Every step of a range across the counter reset (600-616 s), against query_range.
        start_ms, end_ms, step_ms = T0 + 480_000, T0 + 780_000, 20_000
        for query in RANGE_QUERIES:
            ours_range = {
                frozenset(s.labels.items()): s.points
                for s in evaluate_range(store, query, NS, start_ms * MS, end_ms * MS, step_ms * MS)
            }
            theirs_range = ranged(client, query.promql(NS), start_ms, end_ms, step_ms)
            assert theirs_range, f"prometheus has no data for {query.promql(NS)}"
            assert ours_range.keys() == theirs_range.keys(), query.promql(NS)
            for labels, points in theirs_range.items():
                assert [time for time, _ in ours_range[labels]] == [t for t, _ in points]
                for (_, mine), (_, value) in zip(ours_range[labels], points, strict=True):
                    assert mine == pytest.approx(value, rel=1e-9), (query.promql(NS), labels)
