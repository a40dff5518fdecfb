"""Each alert on the console's Alerts page leads somewhere: its runbook (served by this
server), and each series its query reads, opened in the Metrics view with the rule's
matchers. Time-scaled rules (a demo's) say so on the page. Read in Debian's Chromium.
"""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlencode

import httpx
import pytest
from playwright.sync_api import expect

from loopback import serve
from swarmscope.definitions.alerts import ALERTS
from swarmscope.server.app import create_app
from swarmscope.server.settings import ServerSettings
from swarmscope.server.store.database import Store
from test_server_console import Watched, browser, console

# The Chromium fixtures, shared with the console's tests (`console` opens this module's server).
__all__ = ["browser", "console"]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    store = Store(tmp_path_factory.mktemp("alert-links") / "store.duckdb")
    settings = ServerSettings(namespace="sergas", alert_time_scale=1 / 60)
    try:
        with serve(create_app(store, settings)) as url:
            yield url
    finally:
        store.close()


def test_every_alert_names_its_runbook_and_the_series_it_reads(server: str):
    answer = httpx.get(f"{server}/api/alerts", timeout=10).json()
    assert answer["time_scale"] == pytest.approx(1 / 60)
    by_name = {alert["name"]: alert for alert in answer["alerts"]}
    assert set(by_name) >= {rule.name for rule in ALERTS}
    for name, alert in by_name.items():
        assert alert["annotations"]["runbook_url"] == f"/runbooks/{name}.md"
        # ServiceDown reads Prometheus's own `up`, no catalog series.
        assert bool(alert["metrics"]) == (name != "ServiceDown"), name
        for series in alert["metrics"]:
            assert series["name"].startswith("sergas_") and series["name"] in alert["expr"]
    failures = by_name["AgentHandoffFailure"]["metrics"]
    assert failures == [{"name": "sergas_agent_handoffs_total", "match": 'status="failure"'}]


def test_the_alerts_page_links_runbooks_and_queries_and_says_windows_are_scaled(
    console: Watched, server: str
):
    page = console.page
    page.goto("/#/alerts")
    expect(page.locator(".notice.time-scale")).to_contain_text(
        "Alert windows and `for` durations scaled 1/60 for the demo"
    )
    row = page.locator("table.grid").first.locator("tr", has_text="AgentHandoffFailure")
    expect(row.locator("code.expr")).to_contain_text(
        'sum by (from_agent, to_agent) (rate(sergas_agent_handoffs_total{status="failure"}[5s]))'
    )
    runbook = row.locator("a.runbook")
    expect(runbook).to_have_attribute("href", "/runbooks/AgentHandoffFailure.md")
    served = httpx.get(f"{server}/runbooks/AgentHandoffFailure.md", timeout=10)
    assert served.status_code == 200 and served.text.startswith("# AgentHandoffFailure\n")
    chart = row.locator("a.metric-link")
    query = urlencode({"name": "sergas_agent_handoffs_total", "match": 'status="failure"'})
    expect(chart).to_have_attribute("href", f"#/metrics?{query}")
    console.shot("alerts-links")
    chart.click()
    expect(page).to_have_url(f"{server}/#/metrics?{query}")
    expect(page.locator("#nav a[data-tab=metrics]")).to_have_class("active")
    console.assert_clean()
