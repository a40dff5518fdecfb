"""Dashboards and Grafana provisioning: catalog-only PromQL (parsed by the real promtool) and
a round trip through the Grafana Foundation SDK's models."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from swarmscope.conventions.catalog import METRICS
from swarmscope.definitions.dashboards import DASHBOARDS, Dashboard
from swarmscope.stack.backends import TRACE_STORES
from swarmscope.stack.grafana import SCHEMA_VERSION, dashboard_files, dashboard_json, provisioning
from swarmscope.stack.logship import LABELS, STRUCTURED_METADATA

NAMESPACE = "sergas"


# Every metric name a panel may write: catalog families of the namespace and their series.
KINDS = {spec.full_name(NAMESPACE): spec.kind for spec in METRICS}
SERIES = {
    name + suffix
    for name, kind in KINDS.items()
    for suffix in (
        ("_bucket", "_count", "_sum", "") if kind == "histogram" else ("", "_count", "_sum")
    )
    if kind in ("histogram", "summary") or suffix == ""
}
PROMQL_WORDS = {
    "sum",
    "max",
    "min",
    "rate",
    "increase",
    "delta",
    "histogram_quantile",
    "topk",
    "offset",
    "by",
}
# Prometheus's own scrape-health series, the one non-catalog name a panel may read.
SCRAPE_SERIES = {"up"}


def all_exprs() -> list[tuple[str, str, str]]:
    """(dashboard uid, panel title, expr) for every target of every dashboard."""
    return [
        (board["uid"], panel["title"], target["expr"])
        for board in (dashboard_json(d, NAMESPACE) for d in DASHBOARDS)
        for panel in board["panels"]
        for target in panel["targets"]
    ]


def metric_names(expr: str) -> set[str]:
    """The identifiers of an expr that are neither label names, values, windows nor functions."""
    bare = re.sub(r'"[^"]*"', "", expr)
    bare = re.sub(r"\{[^}]*\}|\[[^\]]*\]|\bby \([^)]*\)", "", bare)
    words = set(re.findall(r"[A-Za-z_:][A-Za-z0-9_:]*", bare))
    return words - PROMQL_WORDS


@pytest.mark.parametrize("dashboard", DASHBOARDS, ids=lambda d: d.uid)
def test_every_dashboard_renders(dashboard: Dashboard):
    model = json.loads(json.dumps(dashboard_json(dashboard, NAMESPACE)))
    assert model["schemaVersion"] == SCHEMA_VERSION
    assert model["uid"] == dashboard.uid and 1 <= len(model["uid"]) <= 40
    assert model["refresh"] == "10s"
    [variable] = model["templating"]["list"]
    assert (variable["name"], variable["type"], variable["query"]) == (
        "datasource",
        "datasource",
        "prometheus",
    )
    assert len({p["id"] for p in model["panels"]}) == len(model["panels"])
    occupied: set[tuple[int, int]] = set()
    for panel in model["panels"]:
        grid = panel["gridPos"]
        assert grid["x"] >= 0 and grid["x"] + grid["w"] <= 24, panel["title"]
        cells = {
            (x, y)
            for x in range(grid["x"], grid["x"] + grid["w"])
            for y in range(grid["y"], grid["y"] + grid["h"])
        }
        assert not cells & occupied, f"{panel['title']} overlaps another panel"
        occupied |= cells
        assert panel["datasource"]["uid"] == "${datasource}"
        assert panel["targets"], panel["title"]
        assert [t["refId"] for t in panel["targets"]] == [
            chr(ord("A") + i) for i in range(len(panel["targets"]))
        ]
        assert all(t["expr"] and t["legendFormat"] for t in panel["targets"])


def test_dashboards_have_unique_uids_and_titles():
    assert len({d.uid for d in DASHBOARDS}) == len(DASHBOARDS)
    assert len({d.title for d in DASHBOARDS}) == len(DASHBOARDS)
    for dashboard in DASHBOARDS:
        titles = [p.title for p in dashboard.panels]
        assert len(set(titles)) == len(titles), dashboard.title
    assert set(dashboard_files(NAMESPACE)) == {
        f"grafana/dashboards/{d.uid}.json" for d in DASHBOARDS
    }


@pytest.mark.parametrize(("uid", "title", "expr"), all_exprs(), ids=lambda v: str(v)[:40])
def test_exprs_name_only_catalog_series(uid: str, title: str, expr: str):
    names = metric_names(expr)
    assert names, f"{uid}/{title}: no metric in {expr}"
    unknown = names - SERIES - SCRAPE_SERIES
    assert not unknown, f"{uid}/{title}: not catalog series {unknown}"
    # rate()/increase()/delta() see the series they apply to: counters and histogram
    # series only for rate and increase, gauges only for delta.
    for function, name in re.findall(r"\b(rate|increase|delta)\((\w+)", expr):
        family = re.sub(r"_(bucket|count|sum)$", "", name) if name not in KINDS else name
        kind = KINDS[family]
        if function == "delta":
            assert kind == "gauge", f"{uid}/{title}: delta of {kind} {name}"
        else:
            assert kind != "gauge", f"{uid}/{title}: {function} of gauge {name}"


def test_every_catalog_family_is_on_a_dashboard():
    """A family nobody can see is a gap: every metric the SDK exports has a panel."""
    shown = {name for _, _, expr in all_exprs() for name in metric_names(expr)}
    hidden = [
        spec.name
        for spec in METRICS
        if not {spec.full_name(NAMESPACE) + s for s in ("", "_bucket", "_count", "_sum")} & shown
    ]
    assert not hidden, f"families on no dashboard: {hidden}"


def test_promtool_parses_every_expr(tmp_path: Path):
    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.fail("promtool is not installed: `python3 tasks.py test` installs it (Debian)")
    exprs = [expr for _, _, expr in all_exprs()]
    datasources = provisioning(NAMESPACE)["grafana/provisioning/datasources/datasources.yml"]
    tempo = next(d for d in datasources["datasources"] if d["type"] == "tempo")
    # Trace-to-metrics queries, with Grafana's tag macro filled in as it would be.
    exprs += [
        q["query"].replace("$$__tags", 'agent_type="triage"')
        for q in tempo["jsonData"]["tracesToMetrics"]["queries"]
    ]
    rules = {
        "groups": [
            {
                "name": "panels",
                "rules": [{"record": f"panel:{n}", "expr": e} for n, e in enumerate(exprs)],
            }
        ]
    }
    path = tmp_path / "panels.yml"
    path.write_text(yaml.safe_dump(rules, sort_keys=False, width=1000))
    checked = subprocess.run(
        [promtool, "check", "rules", str(path)], capture_output=True, text=True, timeout=60
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert f"SUCCESS: {len(exprs)} rules found" in checked.stdout


@pytest.mark.parametrize("store", sorted(TRACE_STORES))
def test_provisioning_links_traces_logs_and_metrics(store: str):
    files = provisioning(
        NAMESPACE, traces=TRACE_STORES[store], dashboards_path="/var/lib/grafana/dashboards"
    )
    loaded = {path: yaml.safe_load(yaml.safe_dump(data)) for path, data in files.items()}
    sources = {
        d["uid"]: d
        for d in loaded["grafana/provisioning/datasources/datasources.yml"]["datasources"]
    }
    assert {uid: d["type"] for uid, d in sources.items()} == {
        "prometheus": "prometheus",
        "loki": "loki",
        store: store,
    }
    assert sources["prometheus"]["isDefault"] is True

    # A log line opens its trace, whichever way it reached Loki: the link reads the
    # structured metadata field trace_id, where Loki's OTLP ingest puts LogRecord.TraceId and
    # where Alloy puts the JSON line's trace_id. A regex over the line's text would miss OTLP
    # lines, whose text is the message alone.
    [derived] = sources["loki"]["jsonData"]["derivedFields"]
    assert derived == {
        "name": "trace_id",
        "matcherType": "label",
        "matcherRegex": "trace_id",
        "url": "$${__value.raw}",  # $$: a literal $ in provisioning files
        "datasourceUid": store,
        "urlDisplayLabel": "Open trace",
    }
    assert STRUCTURED_METADATA[derived["matcherRegex"]] == "trace_id"

    # A span opens its logs by the same field, in the stream of its service.
    traces = sources[store]["jsonData"]
    logs = traces["tracesToLogsV2"]
    assert logs["datasourceUid"] == "loki" and logs["customQuery"] is True
    assert not logs["filterByTraceID"], "a line filter on the id misses OTLP lines"
    [tag] = logs["tags"]
    assert tag == {"key": "service.name", "value": "service_name"} and tag["value"] in LABELS
    trace_id = "4bf92f3577b34da6a3ce929d0e0e4736"
    expanded = (
        logs["query"]
        .replace("$$", "$")
        .replace("${__tags}", 'service_name="checkout"')
        .replace("${__span.traceId}", trace_id)
    )
    assert expanded == f'{{service_name="checkout"}} | trace_id="{trace_id}"'

    assert traces["tracesToMetrics"]["datasourceUid"] == "prometheus"
    assert traces["tracesToMetrics"]["queries"]
    # Only Tempo's data source draws a service map from Prometheus.
    assert traces.get("serviceMap") == (
        {"datasourceUid": "prometheus"} if store == "tempo" else None
    )

    [provider] = loaded["grafana/provisioning/dashboards/dashboards.yml"]["providers"]
    assert provider["type"] == "file"
    assert provider["options"]["path"] == "/var/lib/grafana/dashboards"


@pytest.fixture(scope="module")
def foundation_sdk() -> Any:
    try:
        from grafana_foundation_sdk.cog.plugins import register_default_plugins
        from grafana_foundation_sdk.models import dashboard
    except ImportError:
        pytest.fail("grafana-foundation-sdk is not installed: pip install -e '.[test]'")
    register_default_plugins()
    return dashboard


def significant(model: dict[str, Any]) -> dict[str, Any]:
    """What a Grafana user sees of a dashboard: titles, queries, units, legends, layout."""
    return {
        "uid": model["uid"],
        "title": model["title"],
        "tags": model["tags"],
        "schemaVersion": model["schemaVersion"],
        "panels": [
            {
                "title": p["title"],
                "type": p["type"],
                "gridPos": p["gridPos"],
                "unit": p["fieldConfig"]["defaults"].get("unit"),
                "targets": [(t["refId"], t["expr"], t["legendFormat"]) for t in p["targets"]],
            }
            for p in model["panels"]
        ],
    }


@pytest.mark.parametrize("dashboard", DASHBOARDS, ids=lambda d: d.uid)
def test_round_trip_through_grafana_foundation_sdk(foundation_sdk: Any, dashboard: Dashboard):
    from grafana_foundation_sdk.cog.encoder import JSONEncoder
    from grafana_foundation_sdk.models.prometheus import Dataquery

    original = dashboard_json(dashboard, NAMESPACE)
    model = foundation_sdk.Dashboard.from_json(json.loads(json.dumps(original)))
    assert (model.uid, model.title, model.schema_version) == (
        dashboard.uid,
        dashboard.title,
        SCHEMA_VERSION,
    )
    assert [p.title for p in model.panels] == [p.title for p in dashboard.panels]
    for panel in model.panels:
        # The SDK decoded each target as a Prometheus query, not an unknown bag.
        assert all(isinstance(t, Dataquery) for t in panel.targets), panel.title
    again = json.loads(JSONEncoder().encode(model))
    assert significant(again) == significant(original)
