"""An app's own catalog: validated like swarmscope's, exported on /metrics, in the stack's
alert and recording rules (which promtool accepts and unit-tests), in its dashboards, and
in the embedded server's dashboards, runbooks and alerts."""

from __future__ import annotations

import json
import re
import subprocess
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import httpx
import pytest
import typer
import yaml
from prometheus_client import generate_latest
from typer.testing import CliRunner

import swarmscope as ss
from loopback import serve
from swarmscope.app_catalog import (
    AppCatalog,
    RecordingRule,
    every_alert,
    load,
    register,
    registered,
    unregister,
)
from swarmscope.conventions.catalog import METRICS_BY_NAME, EventSpec, MetricSpec
from swarmscope.definitions.alerts import AlertRule
from swarmscope.definitions.dashboards import Dashboard, Panel, Target
from swarmscope.definitions.query import Quantile, Rate, Ratio, Series
from swarmscope.server.alerting import Alerting
from swarmscope.server.app import create_app
from swarmscope.server.settings import ServerSettings
from swarmscope.server.store.database import Store
from swarmscope.server.store.rows import MetricRow
from swarmscope.stack.bundle import export
from swarmscope.stack.rule_tests import TEST_FILES
from test_ops_bundle import tool

ORDERS = MetricSpec("orders_total", "counter", "Orders placed", ("region", "status"), group="shop")
CHECKOUT = MetricSpec(
    "checkout_duration_seconds",
    "histogram",
    "Checkout time",
    ("region",),
    (0.1, 0.5, 1, 5),
    group="shop",
)
PLACED = EventSpec("order_placed", "info", "shop", "An order was placed")
FAMILIES = AppCatalog("shop", metrics=(ORDERS, CHECKOUT), events=(PLACED,))


def shop_catalog() -> AppCatalog:
    """The whole catalog; its queries check their families, so these are registered first."""
    register(FAMILIES)
    failed = Ratio(
        Rate(Series("orders_total", (("status", "!=", "paid"),)), "5m", ("region",)),
        Rate(Series("orders_total"), "5m", ("region",)),
    )
    alert = AlertRule(
        "OrderFailuresHigh",
        failed,
        ">",
        0.2,
        "5m",
        "warning",
        "shop",
        "Many orders fail",
        "Orders in {{ $labels.region }} fail {{ $value | humanizePercentage }} of the time",
        "shop",
    )
    board = Dashboard(
        "shop",
        "Shop",
        ("shop",),
        (
            Panel(
                "Order Failure Rate",
                (Target(failed, "{{region}}"),),
                unit="percentunit",
                description="Orders not paid / all orders, by region.",
            ),
            Panel(
                "Checkout Time P95",
                (Target(Quantile(0.95, Series("checkout_duration_seconds"), "5m", ("region",))),),
                unit="s",
                description="95th percentile checkout time by region.",
            ),
        ),
        "Orders and checkout.",
    )
    paid = RecordingRule(
        "orders_paid_rate", 'sum(rate({ns}_orders_total{{status="paid"}}[5m]))', "paid orders/s"
    )
    catalog = replace(FAMILIES, alerts=(alert,), recording_rules=(paid,), dashboards=(board,))
    unregister(FAMILIES)  # the other tests of the run know swarmscope's catalog only
    return catalog


SHOP = shop_catalog()


@pytest.fixture(autouse=True)
def shop() -> Iterator[AppCatalog]:
    """Registered before ``telemetry`` starts swarmscope, forgotten after each test."""
    register(SHOP)
    try:
        yield SHOP
    finally:
        unregister(SHOP)


def test_the_app_families_are_on_metrics_and_its_events_in_the_logs(telemetry):
    ss.metric("orders_total").child("eu", "paid").inc()
    ss.metric("checkout_duration_seconds").child("eu").observe(0.3)
    ss.event("order_placed", region="eu")
    text = generate_latest(telemetry.rt.metrics.registry).decode()
    assert 'sergas_orders_total{region="eu",status="paid"} 1.0' in text
    assert 'sergas_checkout_duration_seconds_bucket{le="0.5",region="eu"} 1.0' in text
    [placed] = telemetry.events("order_placed")
    assert placed["region"] == "eu" and placed["level"] == "info"


def test_init_registers_the_catalog_it_is_given(tmp_path: Path, shop: AppCatalog):
    unregister(shop)
    ss.shutdown()
    try:
        rt = ss.init(catalog=shop, namespace="shop", log_stream="none")
        assert registered() == (shop,)
        ss.metric("orders_total").child("us", "failed").inc()
        assert 'shop_orders_total{region="us",status="failed"} 1.0' in (
            generate_latest(rt.metrics.registry).decode()
        )
    finally:
        ss.shutdown()


def test_unregistering_forgets_the_families(shop: AppCatalog):
    unregister(shop)
    assert "orders_total" not in METRICS_BY_NAME and registered() == ()
    assert "OrderFailuresHigh" not in {rule.name for rule in every_alert()}


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (MetricSpec("agent_sessions_total", "counter", "x", group="g"), "clashes with swarmscope"),
        # prometheus-client exposes a counter without its _total: the same family.
        (MetricSpec("agent_sessions", "counter", "x", group="g"), "clashes with swarmscope"),
        (MetricSpec("orders-total", "counter", "x", group="g"), "must match"),
        (MetricSpec("__orders", "counter", "x", group="g"), "must match"),
        (MetricSpec("waits", "histogram", "x", ("le",), group="g"), "'le' cannot be a label"),
        (MetricSpec("waits", "gauge", "x", ("a", "a"), group="g"), "named twice"),
        (MetricSpec("waits", "gauge", "x", ("bad-label",), group="g"), "cannot be a label"),
        (MetricSpec("waits", "histogram", "x", (), (1, 0.5), group="g"), "strictly increasing"),
        (MetricSpec("waits", "counter", "x", (), (1, 2), group="g"), "only a histogram"),
        (MetricSpec("waits", "meter", "x", group="g"), "kind 'meter'"),  # type: ignore[arg-type]
    ],
)
def test_families_are_validated_like_the_built_in_ones(spec: MetricSpec, message: str):
    with pytest.raises(ss.ConfigError, match=message):
        register(AppCatalog("other", metrics=(spec,)))
    assert "other" not in {app.name for app in registered()}


def test_events_names_and_clashes_are_validated():
    with pytest.raises(ss.ConfigError, match="level 'loud'"):
        register(AppCatalog("other", events=(EventSpec("x", "loud", "g", "d"),)))
    with pytest.raises(ss.ConfigError, match="declared already"):
        register(AppCatalog("other", events=(EventSpec("agent_handoff", "info", "g", "d"),)))
    with pytest.raises(ss.ConfigError, match="declared already"):
        register(AppCatalog("other", events=(PLACED,)))  # the shop's
    with pytest.raises(ss.ConfigError, match="clashes with another declared family"):
        register(AppCatalog("other", metrics=(ORDERS,)))
    with pytest.raises(ss.ConfigError, match="named 'shop' is registered already"):
        register(AppCatalog("shop", metrics=(CHECKOUT,)))


def test_load_takes_module_and_attribute():
    assert load("test_app_catalog:FAMILIES").name == "shop"
    for target, message in [
        ("test_app_catalog", "expected module:ATTRIBUTE"),
        ("no_such_module:X", "No module named"),
        ("test_app_catalog:ORDERS", "not an AppCatalog"),
    ]:
        with pytest.raises(ss.ConfigError, match=message):
            load(target)


@pytest.fixture
def bundle(tmp_path: Path) -> Path:
    export(tmp_path, namespace="shop", app_target="127.0.0.1:8000")
    return tmp_path


def test_the_bundle_carries_the_apps_rules_and_dashboard_and_promtool_accepts_them(bundle: Path):
    alerts = yaml.safe_load((bundle / "prometheus/rules/alerts.yml").read_text())
    [group] = [g for g in alerts["groups"] if g["name"] == "shop_shop"]
    [rule] = group["rules"]
    assert rule["alert"] == "OrderFailuresHigh"
    assert rule["expr"] == "shop:order_failures_high:value > 0.2"
    recording = yaml.safe_load((bundle / "prometheus/rules/recording.yml").read_text())
    records = {r["record"]: r["expr"] for g in recording["groups"] for r in g["rules"]}
    assert records["shop_orders_paid_rate"] == 'sum(rate(shop_orders_total{status="paid"}[5m]))'
    assert "shop_orders_total" in records["shop:order_failures_high:value"]
    board = json.loads((bundle / "grafana/dashboards/shop.json").read_text())
    [panel] = [p for p in board["panels"] if p["title"] == "Checkout Time P95"]
    assert "shop_checkout_duration_seconds_bucket" in panel["targets"][0]["expr"]
    runbook = (bundle / "runbooks/OrderFailuresHigh.md").read_text()
    assert "- Shop: `grafana/dashboards/shop.json`" in runbook

    rules = sorted(str(p) for p in (bundle / "prometheus/rules").glob("*.yml"))
    checked = subprocess.run(
        (tool("promtool"), "check", "rules", *rules), capture_output=True, text=True, timeout=60
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    # The app's alert has its unit tests beside swarmscope's, and they pass.
    files = [f"tests/{name}" for name in TEST_FILES]
    written = "".join((bundle / "prometheus" / f).read_text() for f in files)
    assert re.search(r"name: OrderFailuresHigh fires", written)
    tested = subprocess.run(
        (tool("promtool"), "test", "rules", *files),
        capture_output=True,
        text=True,
        cwd=bundle / "prometheus",
        timeout=300,
    )
    assert tested.returncode == 0, tested.stdout + tested.stderr


def test_stack_export_loads_catalogs_and_says_which_one_is_wrong(tmp_path: Path, shop: AppCatalog):
    from swarmscope.commands.stack import stack

    unregister(shop)
    runner = CliRunner()
    for target, message in [
        ("test_app_catalog:NOTHING", "has no attribute"),
        ("test_app_catalog:ORDERS", "not an AppCatalog"),
    ]:
        result = runner.invoke(stack, ["export", str(tmp_path), "--catalog", target])
        assert result.exit_code == 2 and message in result.output, result.output
    result = runner.invoke(stack, ["export", str(tmp_path), "--catalog", "test_app_catalog:SHOP"])
    assert result.exit_code == 0, result.output
    assert registered() == (shop,)
    assert (tmp_path / "grafana/dashboards/shop.json").is_file()
    assert (tmp_path / "runbooks/OrderFailuresHigh.md").is_file()


def test_the_catalog_command_lists_an_apps_families_and_events(shop: AppCatalog):
    from swarmscope.commands.catalog import catalog

    unregister(shop)
    app = typer.Typer()
    app.command()(catalog)
    listed = CliRunner().invoke(
        app, ["--namespace", "myapp", "--json", "--catalog", "test_app_catalog:SHOP"]
    )
    assert listed.exit_code == 0, listed.output
    rows = {row["name"]: row for row in json.loads(listed.output)}
    assert rows["myapp_checkout_duration_seconds"]["buckets"] == [0.1, 0.5, 1, 5]
    assert "myapp_agent_sessions_total" in rows
    events = CliRunner().invoke(app, ["--events", "--json", "--catalog", "test_app_catalog:SHOP"])
    assert "order_placed" in {row["event"] for row in json.loads(events.output)}


# --- the embedded server, told of the catalog by ``serve --catalog`` ---


def orders(store: Store, at: float, region: str, status: str, total: float) -> None:
    name = "shop_orders_total"
    labels = [("region", region), ("status", status)]
    series = json.dumps(["svc", "", name, labels])
    point = MetricRow(
        int(at * 1e9), 0, "svc", name, "counter", series, labels, total, None, None, None, None
    )
    store.add("metric_points", [point])


def test_the_server_computes_the_apps_dashboard_serves_its_runbook_and_alerts(tmp_path: Path):
    store = Store(tmp_path / "store.duckdb")
    clock = [float(int(time.time()) - 600)]
    try:
        # Two minutes of orders in eu: 30 paid and 10 failed a minute, a quarter failing.
        for minute in range(3):
            orders(store, clock[0] + 60 * minute, "eu", "paid", 30.0 * minute)
            orders(store, clock[0] + 60 * minute, "eu", "failed", 10.0 * minute)
        with serve(create_app(store, ServerSettings(namespace="shop"))) as url:
            listed = {d["id"] for d in httpx.get(f"{url}/api/dashboards").json()}
            assert {"shop", "a2a-delegation"} <= listed
            board = httpx.get(
                f"{url}/api/dashboards/shop",
                params={"start": clock[0], "end": clock[0] + 120, "step": "60s"},
            ).json()
            [failing] = [p for p in board["panels"] if p["title"] == "Order Failure Rate"]
            assert failing["series"][0]["labels"] == {"region": "eu"}
            assert failing["series"][0]["points"][-1][1] == pytest.approx(0.25)
            runbook = httpx.get(f"{url}/runbooks/OrderFailuresHigh.md")
            assert runbook.status_code == 200 and "shop_orders_total" in runbook.text
        alerting = Alerting(store, ServerSettings(namespace="shop"), lambda: clock[0] + 120)
        alerting.evaluate()
        [entry] = [a for a in alerting.snapshot()["alerts"] if a["name"] == "OrderFailuresHigh"]
        assert (entry["state"], entry["labels"]["region"], entry["value"]) == (
            "pending",
            "eu",
            pytest.approx(0.25),
        )
    finally:
        store.close()


def test_serve_says_which_catalog_it_cannot_load(shop: AppCatalog):
    from swarmscope.commands.serve import serve as serve_command

    unregister(shop)
    app = typer.Typer()
    app.command()(serve_command)
    result = CliRunner().invoke(app, ["--catalog", "test_app_catalog:ORDERS"])
    assert result.exit_code == 2 and "not an AppCatalog" in result.output, result.output
