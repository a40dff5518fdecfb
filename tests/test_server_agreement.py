"""One definition, two engines: the server and a real Prometheus agree on the demo's panels.

``swarmscope demo`` runs with its embedded server (the SDK pushes every second) while a real
Prometheus scrapes the demo's /metrics every second. Once the demo has exited, the same
dashboard queries are asked of both at the instant of Prometheus's last scrape: the server
through ``evaluate_at`` over the store the demo left, Prometheus through /api/v1/query.

The windows are the run's, from three seconds after both engines' first samples: a series'
first sample in a window decides how Prometheus extrapolates (a counter seen at 1 is
stretched back to its zero, one seen at 7 a second later, mid-burst, is not), so windows
that start before the run would compare where each engine happened to sample the start-up
burst rather than the engines. Inside the run, push and scrape times still differ by up to
a second, so up to a tenth of a window's observations may be counted by one engine only:
rates must agree within 10%, shares within 2 points. A quantile is the same statistic:
with a tenth of the observations in doubt, the server's q-quantile (exact, from spans) must
lie between Prometheus's (q - 0.1)- and (q + 0.1)-quantiles, each widened by the width of
the bucket it is in (Prometheus interpolates inside a bucket). A tighter band would fail
whenever the slowest call of a model fell at a window's edge.
"""

from __future__ import annotations

import bisect
import dataclasses
import math
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from loopback import free_port
from swarmscope.conventions.catalog import METRICS_BY_NAME
from swarmscope.definitions.dashboards import DASHBOARDS_BY_UID, Panel
from swarmscope.definitions.query import Quantile, Query, Rate, Ratio
from swarmscope.server.query.evaluate import evaluate_at
from swarmscope.server.store.database import Store
from test_server_evaluate import prometheus

NS = "sergas"
DEMO_SECONDS = 30
# The share of a window's observations only one engine may count (see the docstring).
IN_DOUBT = 0.10
# Panels whose families only the demo's main service exports (the one Prometheus scrapes).
PANELS = [
    ("llm-usage-cost", "LLM Call Rate"),
    ("llm-usage-cost", "Token Usage by Type"),
    ("multi-agent-orchestration", "Orchestration Success Rate"),
    ("integration-health", "Integration Call Latency P95"),
    ("integration-health", "Integration Call Success Rate"),
    ("cache-database", "Cache Hit Rate"),
    ("llm-usage-cost", "LLM Call Latency"),
    ("hitl-workflow", "Approval Latency"),
]


def panel(uid: str, title: str) -> Panel:
    return next(p for p in DASHBOARDS_BY_UID[uid].panels if p.title == title)


def over(query: Query, window: str) -> Query:
    """The same query with every window set to ``window``."""
    changes: dict[str, Any] = {}
    for field in dataclasses.fields(query):  # type: ignore[arg-type]
        value = getattr(query, field.name)
        if field.name == "window":
            changes["window"] = window
        elif dataclasses.is_dataclass(value) and hasattr(value, "promql"):
            changes[field.name] = over(value, window)
    return dataclasses.replace(query, **changes)  # type: ignore[type-var]


def bucket_width(query: Quantile, value: float) -> float:
    """The width of the histogram bucket ``value`` falls in."""
    bounds = (0.0, *METRICS_BY_NAME[query.series.metric].buckets)
    index = min(bisect.bisect_left(bounds, value), len(bounds) - 1)
    return bounds[index] - bounds[max(index - 1, 0)]


def run_demo(tmp_path: Path, port: int) -> Path:
    """``swarmscope demo`` on ``port`` with its embedded server; returns the store's folder."""
    data = tmp_path / "data"
    options = {
        "--seed": "11",
        "--namespace": NS,
        "--duration": str(DEMO_SECONDS),
        "--rate": "5",
        "--port": str(port),
        "--server-port": "0",
        "--data": str(data),
        "--log-dir": str(tmp_path / "logs"),
    }
    # The demo starts its own server only when no OTLP endpoint is configured.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "SWARMSCOPE_"))}
    env["OTEL_METRIC_EXPORT_INTERVAL"] = "1000"
    demo = subprocess.run(
        [
            sys.executable,
            "-m",
            "swarmscope",
            "demo",
            *(x for pair in options.items() for x in pair),
        ],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=150,
    )
    assert demo.returncode == 0, demo.stderr[-2000:]
    return data


def ask(client: httpx.Client, query: Query, at: float) -> dict[Any, float]:
    """Prometheus's answer at ``at``, by label set; its NaN (a share of nothing) is no sample."""
    answer = client.get("/api/v1/query", params={"query": query.promql(NS), "time": at}).json()
    return {
        frozenset(item["metric"].items()): float(item["value"][1])
        for item in answer["data"]["result"]
        if math.isfinite(float(item["value"][1]))
    }


def quantile_band(
    client: httpx.Client, query: Quantile, at: float
) -> dict[Any, tuple[float, float]]:
    """Per label set, where the server's quantile may lie given the observations in doubt."""
    low = ask(client, dataclasses.replace(query, q=max(query.q - IN_DOUBT, 0.0)), at)
    high = ask(client, dataclasses.replace(query, q=min(query.q + IN_DOUBT, 1.0)), at)
    return {
        labels: (
            low[labels] - bucket_width(query, low[labels]),
            high[labels] + bucket_width(query, high[labels]),
        )
        for labels in low.keys() & high.keys()
    }


def assert_agree(
    client: httpx.Client, query: Query, at: float, ours: dict[Any, float], where: str
) -> int:
    """Asserts the server and Prometheus agree on ``query``; returns how many series compared."""
    theirs = ask(client, query, at)
    assert theirs and ours.keys() == theirs.keys(), where
    if isinstance(query, Quantile):
        band = quantile_band(client, query, at)
        for labels, value in theirs.items():
            low, high = band[labels]
            assert low <= value <= high, (where, labels)  # the band holds Prometheus's own
            assert low <= ours[labels] <= high, (where, labels, ours[labels], value)
    for labels, value in theirs.items():
        if isinstance(query, Ratio):
            assert ours[labels] == pytest.approx(value, abs=0.02), (where, labels)
        elif isinstance(query, Rate):
            assert ours[labels] == pytest.approx(value, rel=IN_DOUBT), (where, labels)
        else:
            assert isinstance(query, Quantile), where
    return len(theirs)


@pytest.mark.timeout(240)
def test_dashboard_queries_agree_with_prometheus(tmp_path: Path):
    port = free_port()
    config = tmp_path / "prometheus.yml"
    config.write_text(
        "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n"
        "scrape_configs:\n  - job_name: swarmscope-app\n"
        f"    static_configs:\n      - targets: ['127.0.0.1:{port}']\n"
    )
    with prometheus(tmp_path / "tsdb", config) as url, httpx.Client(base_url=url) as client:
        data = run_demo(tmp_path, port)
        up = client.get("/api/v1/query", params={"query": 'up{job="swarmscope-app"}[10m]'})
        scraped = [
            float(t) for t, value in up.json()["data"]["result"][0]["values"] if value == "1"
        ]
        assert len(scraped) >= DEMO_SECONDS, "Prometheus did not scrape the demo every second"
        at = max(scraped)
        store = Store(data / "swarmscope.duckdb")
        try:
            [first_push] = store.rows(
                "SELECT min(time_ns) / 1e9 AS t FROM metric_points "
                "WHERE service = 'swarmscope-demo'"
            )
            window = f"{math.floor(at - max(first_push['t'], min(scraped)) - 3)}s"
            compared = 0
            for uid, title in PANELS:
                for target in panel(uid, title).queries:
                    query = over(target.query, window)
                    ours = {
                        frozenset(s.labels.items()): s.value
                        for s in evaluate_at(store, query, NS, int(at * 1e9))
                    }
                    where = f"{title}: {query.promql(NS)}"
                    compared += assert_agree(client, query, at, ours, where)
        finally:
            store.close()
    assert compared >= 20
