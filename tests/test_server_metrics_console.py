"""The console's Metrics page in Chromium: pick a metric any OpenTelemetry SDK sent, group it
by a label, and see one charted series per value, as the metrics API computes them."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader
from opentelemetry.sdk.resources import Resource
from playwright.sync_api import Browser, expect

from loopback import serve
from swarmscope.server.app import create_app
from swarmscope.server.settings import ServerSettings
from swarmscope.server.store.database import Store
from test_server_console import CHART_DRAWN_MS, browser, watch

__all__ = ["browser"]  # the Chromium fixture, shared with the console's other tests


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    """A server holding two exports of an OpenTelemetry SDK's counter, over two routes."""
    store = Store(tmp_path / "store.duckdb")
    with serve(create_app(store, ServerSettings(api_key=None))) as url:
        reader = PeriodicExportingMetricReader(
            OTLPMetricExporter(f"{url}/v1/metrics"), export_interval_millis=3_600_000
        )
        meters = MeterProvider(
            resource=Resource.create({"service.name": "shop"}), metric_readers=[reader]
        )
        meter = meters.get_meter("shop")
        requests = meter.create_counter("http.requests", unit="{request}", description="Requests")
        meter.create_up_down_counter("http.active", unit="{request}").add(1)
        for amount in (3, 5):
            requests.add(amount, {"route": "/a"})
            requests.add(1, {"route": "/b"})
            meters.force_flush()
        meters.shutdown()
        yield url
    store.close()


def test_pick_a_metric_group_it_by_a_label_and_see_its_series(browser: Browser, server: str):
    console = watch(browser, base_url=server)
    page = console.page
    try:
        page.goto("/#/metrics")
        names = page.locator(".metric-list li")
        expect(names.filter(has_text="http_requests_total")).to_be_visible()
        page.fill("input[name=search]", "active")
        expect(names.filter(has_text="http_requests_total")).to_be_hidden()
        expect(names.filter(has_text="http_active")).to_be_visible()
        page.fill("input[name=search]", "requests")
        page.click("a.metric:text-is('http_requests_total')")

        detail = page.locator(".metric-detail")
        expect(detail.locator("dd.type")).to_have_text("counter")
        expect(detail.locator("dd.unit")).to_have_text("{request}")
        expect(detail.locator("p.help")).to_have_text("Requests")
        expect(detail.locator("select[name=fn]")).to_have_value("rate")
        # Ungrouped: one series, the sum over both routes.
        expect(detail.locator("table.series tbody tr")).to_have_count(1)

        page.check(".group-by input[value=route]")
        # The choice is in the URL: the chart can be linked and reloaded.
        expect(page).to_have_url(re.compile(r"#/metrics\?name=http_requests_total&.*by=route"))
        rows = page.locator(".metric-detail table.series tbody tr")
        expect(rows).to_have_count(2)
        assert sorted(rows.locator("td:first-child").all_text_contents()) == [
            '{route="/a"}',
            '{route="/b"}',
        ]
        # Drawn, with a legend naming both series (after the time row) and their rates.
        chart = page.locator(".metric-detail .chart")
        expect(chart.locator("canvas").first).to_be_visible(timeout=CHART_DRAWN_MS)
        legend = chart.locator(".u-legend tr.u-series")
        expect(legend).to_have_count(3)
        assert legend.locator("th .u-label").all_text_contents()[1:] == [
            '{route="/a"}',
            '{route="/b"}',
        ]
        expect(legend.nth(1).locator("td.u-value")).to_have_text(re.compile(r" /s$"))
        expect(page.locator(".metric-detail .promql")).to_have_text(
            "sum by (route) (rate(http_requests_total[5m]))"
        )
        # The rates drawn are the API's.
        api = httpx.get(
            f"{server}/api/metrics/http_requests_total", params={"by": "route"}, timeout=30
        ).json()
        assert {tuple(one["labels"].items()) for one in api["series"]} == {
            (("route", "/a"),),
            (("route", "/b"),),
        }
        console.shot("metrics")
        console.assert_clean()
    finally:
        page.context.close()
