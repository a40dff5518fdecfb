"""``docker-compose.yml``: the whole production stack from the exported bundle, one command.

``docker compose up -d`` in the bundle directory. The app stays outside compose: Prometheus
scrapes it on the host (``host.docker.internal``, mapped to the host gateway on Linux too),
it sends OTLP to the Collector's published ports 4317/4318, and it writes JSON log files
into ``$SWARMSCOPE_LOG_DIR`` (default ``./logs``), which Alloy tails. Service names are the
hosts the other configs point at; every path mounted here is a file of the bundle.
"""

from __future__ import annotations

from typing import Any

from swarmscope.stack import backends, collector, logship
from swarmscope.stack.grafana import DASHBOARDS_PATH

PROMETHEUS_IMAGE = "prom/prometheus:v3.5.0"
ALERTMANAGER_IMAGE = "prom/alertmanager:v0.28.1"
GRAFANA_IMAGE = "grafana/grafana:12.1.1"
LOG_DIR_VARIABLE = "SWARMSCOPE_LOG_DIR"
_HOST_GATEWAY = ["host.docker.internal:host-gateway"]


def compose_config(traces: backends.TraceStore = backends.TEMPO) -> dict[str, Any]:
    """The compose file as a dict (service name -> definition, plus named volumes); the
    trace store runs as the service ``traces.name``."""
    if traces.name == "tempo":
        trace_services, trace_volumes = (
            {"tempo-init": _tempo_init(), "tempo": _tempo()},
            ["tempo-data"],
        )
    else:
        trace_services, trace_volumes = {"jaeger": _jaeger()}, []
    return {
        "name": "swarmscope",
        "services": {
            "prometheus": _prometheus(),
            "alertmanager": _alertmanager(),
            "grafana": _grafana(traces),
            "loki": _loki(),
            **trace_services,
            "otel-collector": _collector(traces),
            "alloy": _alloy(),
        },
        "volumes": {name: {} for name in [*_VOLUMES, *trace_volumes]},
    }


_VOLUMES = (
    "prometheus-data",
    "alertmanager-data",
    "grafana-data",
    "loki-data",
    "alloy-data",
)
_RESTART = "unless-stopped"


def _prometheus() -> dict[str, Any]:
    return {
        "image": PROMETHEUS_IMAGE,
        "restart": _RESTART,
        "command": [
            "--config.file=/etc/prometheus/prometheus.yml",
            "--storage.tsdb.path=/prometheus",
            # The Collector's prometheusremotewrite exporter pushes span and service-graph
            # metrics here, with exemplars (trace ids) kept.
            "--web.enable-remote-write-receiver",
            "--enable-feature=exemplar-storage",
        ],
        "volumes": ["./prometheus:/etc/prometheus:ro", "prometheus-data:/prometheus"],
        "ports": ["9090:9090"],
        "extra_hosts": list(_HOST_GATEWAY),
    }


def _alertmanager() -> dict[str, Any]:
    # alertmanager.yml names its secrets ``secrets/<name>``, relative to the config's
    # directory, which is also the working directory.
    return {
        "image": ALERTMANAGER_IMAGE,
        "restart": _RESTART,
        "working_dir": "/etc/alertmanager",
        "command": [
            "--config.file=/etc/alertmanager/alertmanager.yml",
            "--storage.path=/alertmanager",
        ],
        "volumes": [
            "./alertmanager/alertmanager.yml:/etc/alertmanager/alertmanager.yml:ro",
            "./alertmanager/secrets:/etc/alertmanager/secrets:ro",
            "alertmanager-data:/alertmanager",
        ],
        "ports": ["9093:9093"],
        "extra_hosts": list(_HOST_GATEWAY),
    }


def _grafana(traces: backends.TraceStore) -> dict[str, Any]:
    return {
        "image": GRAFANA_IMAGE,
        "restart": _RESTART,
        "environment": {"GF_SECURITY_ADMIN_PASSWORD": "${GRAFANA_ADMIN_PASSWORD:-admin}"},
        "volumes": [
            "./grafana/provisioning:/etc/grafana/provisioning:ro",
            f"./grafana/dashboards:{DASHBOARDS_PATH}:ro",
            "grafana-data:/var/lib/grafana",
        ],
        "ports": ["3000:3000"],
        "depends_on": ["prometheus", "loki", traces.name],
    }


def _loki() -> dict[str, Any]:
    return {
        "image": backends.LOKI_IMAGE,
        "restart": _RESTART,
        "command": [f"-config.file={backends.LOKI_CONFIG_PATH}"],
        "volumes": [
            f"./loki/loki-config.yaml:{backends.LOKI_CONFIG_PATH}:ro",
            f"loki-data:{backends.LOKI_DATA}",
        ],
        "ports": [f"{backends.LOKI_HTTP_PORT}:{backends.LOKI_HTTP_PORT}"],
    }


def _tempo_init() -> dict[str, Any]:
    """Tempo runs as uid 10001 and its image has no data directory: hand the volume over."""
    return {
        "image": backends.TEMPO_IMAGE,
        "user": "root",
        "entrypoint": ["chown", "10001:10001", backends.TEMPO_DATA],
        "volumes": [f"tempo-data:{backends.TEMPO_DATA}"],
    }


def _tempo() -> dict[str, Any]:
    return {
        "image": backends.TEMPO_IMAGE,
        "restart": _RESTART,
        "command": [f"-config.file={backends.TEMPO_CONFIG_PATH}"],
        "volumes": [
            f"./tempo/tempo.yaml:{backends.TEMPO_CONFIG_PATH}:ro",
            f"tempo-data:{backends.TEMPO_DATA}",
        ],
        "ports": [f"{backends.TEMPO_HTTP_PORT}:{backends.TEMPO_HTTP_PORT}"],
        # OTLP from the Collector only: not published, the Collector owns 4317/4318 on the host.
        "expose": [str(backends.TEMPO_OTLP_GRPC_PORT), str(backends.TEMPO_OTLP_HTTP_PORT)],
        "depends_on": {
            "tempo-init": {"condition": "service_completed_successfully"},
            "prometheus": {"condition": "service_started"},
        },
    }


def _jaeger() -> dict[str, Any]:
    """Jaeger 2's all-in-one (the image's built-in config, traces in memory)."""
    return {
        "image": backends.JAEGER_IMAGE,
        "restart": _RESTART,
        # The built-in config binds localhost unless this is set (the image sets it too).
        "environment": {"JAEGER_LISTEN_HOST": "0.0.0.0"},
        # The UI, and the query API Grafana's Jaeger data source reads.
        "ports": [f"{backends.JAEGER_UI_PORT}:{backends.JAEGER_UI_PORT}"],
        # OTLP from the Collector only: not published, the Collector owns 4317/4318 on the host.
        "expose": [str(backends.JAEGER_OTLP_GRPC_PORT), str(backends.JAEGER_OTLP_HTTP_PORT)],
    }


def _collector(traces: backends.TraceStore) -> dict[str, Any]:
    return {
        "image": collector.IMAGE,
        "restart": _RESTART,
        "command": [f"--config={collector.CONFIG_PATH}"],
        "volumes": [f"./otel-collector/config.yaml:{collector.CONFIG_PATH}:ro"],
        "ports": [
            f"{collector.OTLP_GRPC_PORT}:{collector.OTLP_GRPC_PORT}",
            f"{collector.OTLP_HTTP_PORT}:{collector.OTLP_HTTP_PORT}",
        ],
        "depends_on": [traces.name, "loki", "prometheus"],
    }


def _alloy() -> dict[str, Any]:
    return {
        "image": logship.IMAGE,
        "restart": _RESTART,
        "command": [
            "run",
            f"--server.http.listen-addr=0.0.0.0:{logship.HTTP_PORT}",
            f"--storage.path={logship.STORAGE_PATH}",
            logship.CONFIG_PATH,
        ],
        "volumes": [
            f"./alloy/config.alloy:{logship.CONFIG_PATH}:ro",
            f"${{{LOG_DIR_VARIABLE}:-./logs}}:{logship.LOG_DIR}:ro",
            # Read positions survive restarts, so lines are neither lost nor sent twice.
            f"alloy-data:{logship.STORAGE_PATH}",
        ],
        "ports": [f"{logship.HTTP_PORT}:{logship.HTTP_PORT}"],
        "depends_on": ["loki"],
    }
