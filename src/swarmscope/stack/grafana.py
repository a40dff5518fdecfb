"""Grafana files: dashboard JSON models and the provisioning that wires the three signals.

Dashboards read Prometheus through a ``datasource`` template variable, so an imported
dashboard works against any Prometheus the user picks. The provisioned data sources link the
signals the SDK correlates by trace id: a log line's ``trace_id`` opens the trace in Tempo or
Jaeger; a span opens its logs in Loki (filtered by trace id) and its metrics in Prometheus; an
exemplar of a span metric opens its trace.
"""

from __future__ import annotations

from typing import Any

from swarmscope.app_catalog import every_dashboard
from swarmscope.conventions.attributes import GEN_AI_AGENT_NAME, SERVICE_NAME
from swarmscope.definitions.dashboards import Dashboard, Panel, Target
from swarmscope.definitions.query import Buckets
from swarmscope.stack.backends import TEMPO, TraceStore

SCHEMA_VERSION = 39
DASHBOARDS_PATH = "/var/lib/grafana/dashboards"
PROMETHEUS_UID = "prometheus"
LOKI_UID = "loki"

GRID_WIDTH = 24
# Single numbers are narrow; graphs, tables and heatmaps take half a row.
_WIDTH = {"stat": 6, "gauge": 6}
_HEIGHT = 8
_DATASOURCE = {"type": "prometheus", "uid": "${datasource}"}

# Where a log line's trace id is in Loki, whichever way the line came: Loki's OTLP ingest
# stores LogRecord.TraceId as the structured metadata field ``trace_id``, and Alloy copies the
# JSON line's ``trace_id`` into structured metadata of that name (logship.STRUCTURED_METADATA).
# Not the line's text: an OTLP line's body is its message alone.
TRACE_ID_FIELD = "trace_id"


def dashboard_json(dashboard: Dashboard, namespace: str) -> dict[str, Any]:
    """The dashboard's Grafana JSON model (what the file provider and the import API read)."""
    return {
        "uid": dashboard.uid,
        "title": dashboard.title,
        "description": dashboard.description,
        "tags": list(dashboard.tags),
        "timezone": "browser",
        "editable": True,
        "graphTooltip": 1,
        "schemaVersion": SCHEMA_VERSION,
        "version": 1,
        "time": {"from": "now-1h", "to": "now"},
        "refresh": "10s",
        "templating": {"list": [_datasource_variable()]},
        "annotations": {"list": []},
        "links": [],
        "panels": [
            _panel(panel, index + 1, grid, namespace)
            for index, (panel, grid) in enumerate(
                zip(dashboard.panels, _layout(dashboard.panels), strict=True)
            )
        ],
    }


def dashboard_files(namespace: str) -> dict[str, dict[str, Any]]:
    """``grafana/dashboards/<uid>.json`` for every dashboard, keyed by bundle-relative path."""
    return {
        f"grafana/dashboards/{d.uid}.json": dashboard_json(d, namespace) for d in every_dashboard()
    }


def _datasource_variable() -> dict[str, Any]:
    return {
        "name": "datasource",
        "label": "Prometheus",
        "type": "datasource",
        "query": "prometheus",
        "current": {"text": "Prometheus", "value": PROMETHEUS_UID},
        "hide": 0,
        "refresh": 1,
        "regex": "",
        "options": [],
    }


def _layout(panels: tuple[Panel, ...]) -> list[dict[str, int]]:
    """Left to right, wrapping at the grid's 24 columns; every panel is 8 rows high."""
    grid, x, y = [], 0, 0
    for panel in panels:
        width = _WIDTH.get(panel.kind, 12)
        if x + width > GRID_WIDTH:
            x, y = 0, y + _HEIGHT
        grid.append({"h": _HEIGHT, "w": width, "x": x, "y": y})
        x += width
    return grid


def _panel(panel: Panel, panel_id: int, grid: dict[str, int], namespace: str) -> dict[str, Any]:
    defaults: dict[str, Any] = {}
    if panel.unit is not None:
        defaults["unit"] = panel.unit
    if panel.stacked:
        defaults["custom"] = {"stacking": {"mode": "normal", "group": "A"}, "fillOpacity": 30}
    if panel.mappings:
        defaults["mappings"] = [
            {
                "type": "value",
                "options": {
                    str(value): {"text": text, "index": i}
                    for i, (value, text) in enumerate(panel.mappings)
                },
            }
        ]
    if panel.thresholds:
        defaults["thresholds"] = {
            "mode": "absolute",
            "steps": [
                {"color": color, "value": None if i == 0 else value}
                for i, (value, color) in enumerate(panel.thresholds)
            ],
        }
    return {
        "id": panel_id,
        "type": panel.kind,
        "title": panel.title,
        "description": panel.description,
        "datasource": dict(_DATASOURCE),
        "gridPos": grid,
        "fieldConfig": {"defaults": defaults, "overrides": []},
        "options": _options(panel),
        "targets": [
            _target(target, panel, chr(ord("A") + i), namespace)
            for i, target in enumerate(panel.queries)
        ],
    }


def _options(panel: Panel) -> dict[str, Any]:
    """The few options that make each kind read right; Grafana fills in the rest."""
    reduce = {"reduceOptions": {"calcs": ["lastNotNull"], "fields": "", "values": False}}
    if panel.kind == "stat":
        return {**reduce, "graphMode": "area", "colorMode": "value"}
    if panel.kind in ("gauge", "bargauge"):
        return {**reduce, "orientation": "horizontal" if panel.kind == "bargauge" else "auto"}
    if panel.kind == "piechart":
        return {
            **reduce,
            "pieType": "pie",
            "legend": {"displayMode": "table", "placement": "right"},
        }
    if panel.kind == "heatmap":
        return {"calculate": False, "yAxis": {"unit": panel.unit or "short"}}
    if panel.kind == "timeseries":
        return {"legend": {"displayMode": "list", "placement": "bottom", "showLegend": True}}
    return {}


def _target(target: Target, panel: Panel, ref_id: str, namespace: str) -> dict[str, Any]:
    if isinstance(target.query, Buckets):
        fmt = "heatmap"
    elif panel.kind == "table":
        fmt = "table"
    else:
        fmt = "time_series"
    return {
        "refId": ref_id,
        "datasource": dict(_DATASOURCE),
        "expr": target.query.promql(namespace),
        "legendFormat": target.legend or "__auto",
        "format": fmt,
        "instant": target.instant,
        "range": not target.instant,
    }


def provisioning(
    namespace: str = "swarmscope",
    prometheus_url: str = "http://prometheus:9090",
    loki_url: str = "http://loki:3100",
    traces: TraceStore = TEMPO,
    dashboards_path: str = DASHBOARDS_PATH,
) -> dict[str, dict[str, Any]]:
    """The provisioning files, keyed by bundle-relative path (YAML content as dicts); the
    trace data source is Tempo's or Jaeger's, as ``traces`` says."""
    return {
        "grafana/provisioning/datasources/datasources.yml": {
            "apiVersion": 1,
            "datasources": [
                _prometheus(prometheus_url, traces.name),
                _loki(loki_url, traces.name),
                _traces(traces, namespace),
            ],
        },
        "grafana/provisioning/dashboards/dashboards.yml": {
            "apiVersion": 1,
            "providers": [
                {
                    "name": "swarmscope",
                    "orgId": 1,
                    "folder": "swarmscope",
                    "type": "file",
                    "disableDeletion": False,
                    "allowUiUpdates": False,
                    "updateIntervalSeconds": 30,
                    "options": {"path": dashboards_path, "foldersFromFilesStructure": False},
                }
            ],
        },
    }


# Grafana expands ``$VAR`` in provisioning files; ``$$`` keeps a literal ``$`` for its macros.


def _prometheus(url: str, traces_uid: str) -> dict[str, Any]:
    return {
        "name": "Prometheus",
        "type": "prometheus",
        "uid": PROMETHEUS_UID,
        "access": "proxy",
        "url": url,
        "isDefault": True,
        "editable": False,
        "jsonData": {
            "httpMethod": "POST",
            "timeInterval": "15s",
            # Exemplars (the Collector's span metrics carry them) link a point to its trace.
            "exemplarTraceIdDestinations": [{"name": "trace_id", "datasourceUid": traces_uid}],
        },
    }


def _loki(url: str, traces_uid: str) -> dict[str, Any]:
    return {
        "name": "Loki",
        "type": "loki",
        "uid": LOKI_UID,
        "access": "proxy",
        "url": url,
        "editable": False,
        "jsonData": {
            "maxLines": 1000,
            # matcherType "label" reads a label or structured metadata field by name (recent
            # Grafana, such as the 12.1 compose runs); "regex", the default, searches the text.
            "derivedFields": [
                {
                    "name": "trace_id",
                    "matcherType": "label",
                    "matcherRegex": TRACE_ID_FIELD,
                    "url": "$${__value.raw}",
                    "datasourceUid": traces_uid,
                    "urlDisplayLabel": "Open trace",
                }
            ],
        },
    }


def _traces(traces: TraceStore, namespace: str) -> dict[str, Any]:
    """Tempo's or Jaeger's data source: both link a span to its logs and metrics; Tempo also
    draws the service map from the Collector's service-graph metrics and searches Loki."""
    links: dict[str, Any] = {
        # The trace id is matched in structured metadata, where both shipping paths put it;
        # filterByTraceID would search the line's text, which OTLP lines do not hold it in.
        "tracesToLogsV2": {
            "datasourceUid": LOKI_UID,
            "spanStartTimeShift": "-5m",
            "spanEndTimeShift": "5m",
            "filterByTraceID": False,
            "filterBySpanID": False,
            "tags": [{"key": SERVICE_NAME, "value": "service_name"}],
            "customQuery": True,
            "query": f'{{$${{__tags}}}} | {TRACE_ID_FIELD}="$${{__span.traceId}}"',
        },
        "tracesToMetrics": {
            "datasourceUid": PROMETHEUS_UID,
            "spanStartTimeShift": "-5m",
            "spanEndTimeShift": "5m",
            "tags": [{"key": GEN_AI_AGENT_NAME, "value": "agent_type"}],
            "queries": [
                {
                    "name": "Agent sessions per second",
                    "query": f"sum(rate({namespace}_agent_sessions_total{{$$__tags}}[5m]))",
                },
                {
                    "name": "Agent session p95",
                    "query": "histogram_quantile(0.95, sum by (le) (rate("
                    f"{namespace}_agent_session_duration_seconds_bucket{{$$__tags}}[5m])))",
                },
            ],
        },
        "nodeGraph": {"enabled": True},
    }
    if traces.name == "tempo":
        links |= {
            # Service graph metrics come from the Collector's servicegraph connector,
            # remote-written to this Prometheus.
            "serviceMap": {"datasourceUid": PROMETHEUS_UID},
            "lokiSearch": {"datasourceUid": LOKI_UID},
            "search": {"hide": False},
        }
    return {
        "name": traces.title,
        "type": traces.name,
        "uid": traces.name,
        "access": "proxy",
        "url": traces.query_url,
        "editable": False,
        "jsonData": links,
    }
