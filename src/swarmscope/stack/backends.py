"""The log and trace stores of the exported compose stack: Loki 3, and Tempo 2 or Jaeger 2.

Loki and Tempo are minimal single binaries keeping data on a local volume: enough for one
host, and the shape a team replaces with object storage when it outgrows one. Loki accepts
OTLP logs from the Collector and pushes from Alloy; Tempo accepts OTLP spans. Span and
service-graph metrics come from the Collector's connectors (Tempo's own generator stays off),
which Grafana's service map reads.

Jaeger 2 (``--traces-backend jaeger``) runs as its image's built-in all-in-one: OTLP in on
4317 (gRPC) and 4318 (HTTP), the UI and the query API Grafana reads on 16686, traces kept in
memory (100,000 of them, lost on restart); a team that keeps Jaeger gives it a config file
with a persistent store (Badger on one host, Elasticsearch, OpenSearch or Cassandra).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from swarmscope.conventions.attributes import (
    DEPLOYMENT_ENVIRONMENT_NAME,
    SERVICE_NAME,
    SERVICE_NAMESPACE,
)

LOKI_IMAGE = "grafana/loki:3.5.3"
LOKI_CONFIG_PATH = "/etc/loki/loki-config.yaml"
LOKI_DATA = "/loki"
LOKI_HTTP_PORT = 3100

TEMPO_IMAGE = "grafana/tempo:2.8.2"
TEMPO_CONFIG_PATH = "/etc/tempo/tempo.yaml"
TEMPO_DATA = "/var/tempo"
TEMPO_HTTP_PORT = 3200
TEMPO_OTLP_GRPC_PORT = 4317
TEMPO_OTLP_HTTP_PORT = 4318

JAEGER_IMAGE = "jaegertracing/jaeger:2.9.0"
JAEGER_UI_PORT = 16686
JAEGER_OTLP_GRPC_PORT = 4317
JAEGER_OTLP_HTTP_PORT = 4318


@dataclass(frozen=True)
class TraceStore:
    """Where the Collector sends spans and Grafana reads them.

    ``name`` is at once the compose service, the Collector exporter's suffix, and the type and
    uid of Grafana's data source (both backends have a core Grafana data source of their name).
    """

    name: str
    title: str
    otlp_grpc_port: int
    query_port: int

    @property
    def otlp_endpoint(self) -> str:
        return f"{self.name}:{self.otlp_grpc_port}"

    @property
    def query_url(self) -> str:
        return f"http://{self.name}:{self.query_port}"


# ``stack export --traces-backend``: the one switch between the two.
TRACE_STORES = {
    "tempo": TraceStore("tempo", "Tempo", TEMPO_OTLP_GRPC_PORT, TEMPO_HTTP_PORT),
    "jaeger": TraceStore("jaeger", "Jaeger", JAEGER_OTLP_GRPC_PORT, JAEGER_UI_PORT),
}
TEMPO = TRACE_STORES["tempo"]


def loki_config(retention: str = "744h") -> dict[str, Any]:
    """Loki 3: filesystem chunks, TSDB index (schema v13), structured metadata, retention.

    Structured metadata must be allowed: OTLP ingest stores log attributes there, and the
    Alloy pipeline puts trace and agent ids there rather than in labels.
    """
    return {
        "auth_enabled": False,
        "server": {"http_listen_port": LOKI_HTTP_PORT, "grpc_listen_port": 9096},
        "common": {
            "instance_addr": "127.0.0.1",
            "path_prefix": LOKI_DATA,
            "storage": {
                "filesystem": {
                    "chunks_directory": f"{LOKI_DATA}/chunks",
                    "rules_directory": f"{LOKI_DATA}/rules",
                }
            },
            "replication_factor": 1,
            "ring": {"kvstore": {"store": "inmemory"}},
        },
        "schema_config": {
            "configs": [
                {
                    "from": "2024-04-01",
                    "store": "tsdb",
                    "object_store": "filesystem",
                    "schema": "v13",
                    "index": {"prefix": "index_", "period": "24h"},
                }
            ]
        },
        "limits_config": {
            "allow_structured_metadata": True,
            "volume_enabled": True,
            "retention_period": retention,
            # OTLP ingest (/otlp/v1/logs): the bounded resource attributes the SDK sets index
            # streams; other resource and log attributes (agent and trace ids) are structured
            # metadata.
            "otlp_config": {
                "resource_attributes": {
                    "attributes_config": [
                        {
                            "action": "index_label",
                            "attributes": [
                                SERVICE_NAME,
                                SERVICE_NAMESPACE,
                                DEPLOYMENT_ENVIRONMENT_NAME,
                            ],
                        }
                    ]
                }
            },
        },
        "compactor": {
            "working_directory": f"{LOKI_DATA}/compactor",
            "retention_enabled": True,
            "delete_request_store": "filesystem",
        },
    }


def tempo_config(retention: str = "336h") -> dict[str, Any]:
    """Tempo 2.x: OTLP in, local blocks.

    Span metrics and the service graph come from the Collector's connectors, so Tempo's
    metrics generator stays off: two generators would write every service-graph series
    twice. Receivers bind 0.0.0.0 explicitly: since 2.7 they default to localhost, which the
    Collector in another container cannot reach.
    """
    return {
        "stream_over_http_enabled": True,
        "server": {"http_listen_port": TEMPO_HTTP_PORT, "log_level": "info"},
        "distributor": {
            "receivers": {
                "otlp": {
                    "protocols": {
                        "grpc": {"endpoint": f"0.0.0.0:{TEMPO_OTLP_GRPC_PORT}"},
                        "http": {"endpoint": f"0.0.0.0:{TEMPO_OTLP_HTTP_PORT}"},
                    }
                }
            }
        },
        "ingester": {"max_block_duration": "5m"},
        "compactor": {"compaction": {"block_retention": retention}},
        "storage": {
            "trace": {
                "backend": "local",
                "wal": {"path": f"{TEMPO_DATA}/wal"},
                "local": {"path": f"{TEMPO_DATA}/blocks"},
            }
        },
    }
