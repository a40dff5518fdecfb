"""The server reads the namespace from what arrives, and says so when one asked for is empty.

Two apps push their metrics (the SDK's registry, encoded by the SDK's own OTLP push encoder)
under the namespaces ``shop`` and ``sergas``, with different cache hit rates, and a third
sends only spans under ``traced``: the server lists all three, each dashboard shows its own
namespace's figures, one asked for that holds no metrics gets a notice, not empty panels.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

import swarmscope as ss
from loopback import serve
from otlp_requests import PROTOBUF, span_request
from swarmscope.conventions.attributes import SERVICE_INSTANCE_ID, SERVICE_NAME, SERVICE_NAMESPACE
from swarmscope.definitions.alerts import ALERTS, AlertRule
from swarmscope.definitions.query import Current, Series
from swarmscope.exceptions import ConfigError
from swarmscope.server.alerting import Alerting
from swarmscope.server.alerting.rules import compile_rule
from swarmscope.server.app import create_app
from swarmscope.server.intake.otlp import MetricRow
from swarmscope.server.namespaces import (
    choose,
    family_namespace,
    metric_namespaces,
    stored_namespaces,
)
from swarmscope.server.settings import ServerSettings
from swarmscope.server.store.database import Store
from swarmscope.server.store.rows import ResourceRow
from swarmscope.telemetry.metric_push import encode

T0 = int(time.time()) - 600
# Shop's lookups hit 3 of 4 times, sergas's 1 of 2; sergas pushed last.
APPS = (("shop", 3, 1, 0), ("sergas", 1, 1, 5))


def push_app(url: str, namespace: str, hits: int, misses: int, later: int) -> None:
    """Seven pushes 10 s apart of an app's cache lookups, ``later`` seconds after T0."""
    ss.shutdown()
    runtime = ss.init(service_name=f"{namespace}-app", namespace=namespace, log_stream="none")
    resource = {
        SERVICE_NAME: f"{namespace}-app",
        SERVICE_INSTANCE_ID: "vm:1",
        SERVICE_NAMESPACE: namespace,
    }
    try:
        for push in range(7):
            for _ in range(hits * 10):
                ss.cache_lookup("sessions", True, 0.002)
            for _ in range(misses * 10):
                ss.cache_lookup("sessions", False, 0.010)
            at = int((T0 + later + push * 10) * 1e9)
            request = encode(runtime.metrics.registry.collect(), resource, at)
            answer = httpx.post(
                f"{url}/v1/metrics", content=request.SerializeToString(), headers=PROTOBUF
            )
            assert answer.status_code == 200
    finally:
        ss.shutdown()


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    """A store that received two apps' metrics and a third's spans, through a server that
    was told no namespace."""
    store = Store(tmp_path_factory.mktemp("namespaces") / "store.duckdb")
    try:
        with serve(create_app(store, ServerSettings())) as url:
            for app in APPS:
                push_app(url, *app)
            spans = span_request(1, 3, "tracer", namespace="traced")
            assert httpx.post(f"{url}/v1/traces", content=spans, headers=PROTOBUF).is_success
        yield store
    finally:
        store.close()


@pytest.fixture(scope="module")
def server(store: Store) -> Iterator[str]:
    with serve(create_app(store, ServerSettings())) as url:
        yield url


def hit_rate(url: str, **params: str) -> tuple[float | None, dict]:
    answer = httpx.get(
        f"{url}/api/dashboards/cache-database",
        params={"start": T0 + 30, "end": T0 + 60, "step": "30s", **params},
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    [panel] = [p for p in body["panels"] if p["title"] == "Cache Hit Rate"]
    return panel["value"], body["namespace"]


def test_every_namespace_that_arrived_is_listed(server: str):
    body = httpx.get(f"{server}/api/namespaces").json()
    listed = {n["name"]: n for n in body["namespaces"]}
    # Metrics first, the most recently pushed first; then the namespace of spans only.
    assert [n["name"] for n in body["namespaces"]] == ["sergas", "shop", "traced"]
    assert listed["shop"]["services"] == ["shop-app"]
    assert listed["traced"]["services"] == ["tracer"] and listed["traced"]["last_metric"] is None
    assert listed["sergas"]["last_metric"] == listed["sergas"]["last_seen"]
    assert listed["sergas"]["last_seen"].startswith(time.strftime("%Y-%m-%d", time.gmtime(T0)))
    assert (body["configured"], body["served"], body["notice"]) == (None, "sergas", None)


def test_each_namespace_dashboard_shows_its_own_figures(server: str):
    assert hit_rate(server, namespace="shop")[0] == pytest.approx(0.75)
    assert hit_rate(server, namespace="sergas")[0] == pytest.approx(0.5)
    # Not asked: the namespace with the latest metrics, said in the answer.
    value, namespace = hit_rate(server)
    assert value == pytest.approx(0.5)
    assert namespace == {
        "asked": None,
        "served": "sergas",
        "stored": ["sergas", "shop"],
        "notice": None,
    }


def test_a_namespace_without_metrics_gets_a_notice_not_an_error(server: str):
    value, namespace = hit_rate(server, namespace="traced")
    assert value is None
    assert namespace["notice"] == (
        "No metrics under traced_; this server holds sergas, shop. "
        "Start serve with --namespace sergas or choose it."
    )
    bad = httpx.get(f"{server}/api/dashboards/cache-database", params={"namespace": "a-b"})
    assert bad.status_code == 400 and "namespace" in bad.json()["error"]


def test_a_mismatched_serve_namespace_is_shown_and_a_request_may_choose(store: Store):
    with serve(create_app(store, ServerSettings(namespace="nowhere"))) as url:
        value, namespace = hit_rate(url)
        assert value is None
        assert namespace == {
            "asked": "nowhere",
            "served": "nowhere",
            "stored": ["sergas", "shop"],
            "notice": "No metrics under nowhere_; this server holds sergas, shop. "
            "Start serve with --namespace sergas or choose it.",
        }
        assert httpx.get(f"{url}/api/namespaces").json()["configured"] == "nowhere"
        assert hit_rate(url, namespace="shop")[0] == pytest.approx(0.75)


def test_one_namespace_stored_fills_the_dashboards_of_a_server_told_none(tmp_path: Path):
    store = Store(tmp_path / "store.duckdb")
    try:
        with serve(create_app(store, ServerSettings())) as url:
            assert hit_rate(url)[1]["notice"] == "No metrics have arrived yet."
            push_app(url, "sergas", 1, 1, 0)
            value, namespace = hit_rate(url)
            assert value == pytest.approx(0.5)
            assert (namespace["served"], namespace["notice"]) == ("sergas", None)
    finally:
        store.close()


def test_runbooks_name_the_namespace_served(server: str):
    name = ALERTS[0].runbook
    text = httpx.get(f"{server}/runbooks/{name}").text
    assert "sergas_" in text and "swarmscope_" not in text
    chosen = httpx.get(f"{server}/runbooks/{name}", params={"namespace": "shop"}).text
    assert "shop_" in chosen and "sergas_" not in chosen


# --- alerts, one evaluation per namespace ---


def gauge(store: Store, at: float, namespace: str, value: float) -> None:
    name = f"{namespace}_agent_queue_depth"
    labels = [("agent_type", "scout")]
    series = json.dumps(["svc", "", name, labels])
    point = MetricRow(
        int(at * 1e9), 0, "svc", name, "gauge", series, labels, value, None, None, None, None
    )
    store.add("metric_points", [point])


def queue_rule() -> AlertRule:
    query = Current(Series("agent_queue_depth"), "max", ("agent_type",))
    return AlertRule(
        name="QueueDeep",
        query=query,
        op=">",
        threshold=5,
        for_="1m",
        severity="warning",
        team="agents",
        summary="s",
        description="{{ $value }}",
        group="g",
    )


def test_a_server_told_no_namespace_alerts_for_each_with_its_label(tmp_path: Path):
    store = Store(tmp_path / "store.duckdb")
    clock = [1_700_000_000.0]
    try:
        # Rules compiled for no namespace in particular: the engine evaluates them under each.
        alerting = Alerting(
            store, ServerSettings(), lambda: clock[0], [compile_rule(queue_rule(), "x")]
        )
        for _ in range(2):
            gauge(store, clock[0] - 1, "alpha", 9)
            gauge(store, clock[0] - 1, "beta", 12)
            gauge(store, clock[0] - 1, "calm", 1)
            alerting.evaluate()
            clock[0] += 60
        firing = alerting.snapshot()["alerts"]
        assert [(a["state"], a["labels"]["namespace"], a["value"]) for a in firing] == [
            ("firing", "alpha", 9.0),
            ("firing", "beta", 12.0),
        ]
        assert firing[0]["labels"] == {
            "agent_type": "scout",
            "severity": "warning",
            "team": "agents",
            "alertname": "QueueDeep",
            "namespace": "alpha",
        }
        assert firing[1]["expr"] == "max by (agent_type) (beta_agent_queue_depth) > 5"
        assert firing[1]["annotations"]["runbook_url"] == "/runbooks/QueueDeep.md?namespace=beta"
    finally:
        store.close()


def test_a_server_told_a_namespace_alerts_for_that_one_only(tmp_path: Path):
    store = Store(tmp_path / "store.duckdb")
    clock = [1_700_000_000.0]
    try:
        rules = [compile_rule(queue_rule(), "beta")]
        alerting = Alerting(store, ServerSettings(namespace="beta"), lambda: clock[0], rules)
        for _ in range(2):
            gauge(store, clock[0] - 1, "alpha", 9)
            gauge(store, clock[0] - 1, "beta", 12)
            alerting.evaluate()
            clock[0] += 60
        [alert] = alerting.snapshot()["alerts"]
        assert alert["value"] == 12.0 and "namespace" not in alert["labels"]
    finally:
        store.close()


# --- the pieces ---


def test_a_metric_name_is_a_namespace_and_the_longest_family_that_fits():
    assert family_namespace("sergas_agent_errors_total") == "sergas"
    assert family_namespace("my_app_llm_cache_hits_total") == "my_app"
    assert family_namespace("agent_errors_total") is None
    assert family_namespace("http_server_duration") is None
    # An app catalog's families count as the built-in ones do.
    assert family_namespace("shop_orders_total", ("orders_total",)) == "shop"


def point(store: Store, name: str, service: str = "svc") -> None:
    series = json.dumps([service, "", name, []])
    row = MetricRow(T0 * 10**9, 0, service, name, "gauge", series, [], 1.0, *[None] * 4)
    store.add("metric_points", [row])


def test_a_family_unknown_here_does_not_make_a_namespace_of_its_own(tmp_path: Path):
    store = Store(tmp_path / "store.duckdb")
    try:
        # An app family ``zoho_circuit_breaker_state`` ends like the catalog's
        # ``circuit_breaker_state``: it reads as ``shop_zoho``, which extends ``shop``.
        point(store, "shop_agent_queue_depth")
        point(store, "shop_zoho_circuit_breaker_state")
        # Declared by a resource, ``shop_eu`` is a namespace of its own.
        point(store, "shop_eu_agent_queue_depth", "eu")
        resource = json.dumps({SERVICE_NAME: "eu", SERVICE_NAMESPACE: "shop_eu"})
        store.add("resources", [ResourceRow("r1", resource)])
        assert [n.name for n in stored_namespaces(store)] == ["shop", "shop_eu"]
        assert metric_namespaces(store) == ("shop", "shop_eu")
    finally:
        store.close()


def test_the_choice_of_namespace():
    assert choose((), None).notice == "No metrics have arrived yet."
    assert choose(("b", "a"), None).name == "b"
    assert choose(("b", "a"), "a").notice is None
    assert choose(("b", "a"), "a", "b").name == "b"
    assert choose((), "a").notice == "No metrics under a_; none have arrived yet."


def test_the_setting_is_optional_and_checked():
    assert ServerSettings.load(env={}).namespace is None
    assert ServerSettings.load(env={}, namespace="shop").namespace == "shop"
    with pytest.raises(ConfigError, match="namespace"):
        ServerSettings(namespace="not-a-prefix")
