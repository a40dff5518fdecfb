"""``otel-collector/config.yaml``: one OTLP entry point that fans spans and logs out.

The app sends OTLP/HTTP (``SWARMSCOPE_OTLP_ENDPOINT=http://localhost:4318``) to the
Collector only, so moving a backend never means reconfiguring the app. Spans go over OTLP
to Tempo or Jaeger (both take OTLP natively) and through the ``spanmetrics`` and
``servicegraph`` connectors, whose R.E.D. and edge metrics are remote-written to Prometheus;
logs go to Loki's native OTLP endpoint, which keeps resource attributes as labels and log
attributes (trace and agent ids) as structured metadata instead of labels.

Component names follow the Collector since v0.144: ``otlp_grpc`` and ``otlp_http`` (the
old ``otlp``/``otlphttp`` are deprecated aliases). The image is pinned because the batch
processor is on its way out in favour of exporter-side batching; moving the pin past its
removal means replacing ``batch`` with each exporter's ``sending_queue.batch``.
"""

from __future__ import annotations

from typing import Any

from swarmscope.conventions.attributes import GEN_AI_AGENT_NAME, GEN_AI_OPERATION_NAME
from swarmscope.stack.backends import TEMPO, TraceStore

IMAGE = "otel/opentelemetry-collector-contrib:0.150.0"
CONFIG_PATH = "/etc/otelcol-contrib/config.yaml"
OTLP_GRPC_PORT = 4317
OTLP_HTTP_PORT = 4318

# Agent runs and LLM calls take seconds to minutes; the default buckets stop at 15 s.
DURATION_BUCKETS = [
    "50ms",
    "100ms",
    "250ms",
    "500ms",
    "1s",
    "2500ms",
    "5s",
    "10s",
    "30s",
    "60s",
    "120s",
]
# Span attributes that become metric labels: bounded vocabularies only (never ids).
SPAN_METRIC_DIMENSIONS = (GEN_AI_OPERATION_NAME, GEN_AI_AGENT_NAME)


def collector_config(
    traces: TraceStore = TEMPO,
    loki_otlp: str = "http://loki:3100/otlp",
    prometheus_write: str = "http://prometheus:9090/api/v1/write",
) -> dict[str, Any]:
    """The Collector config; hosts are compose service names."""
    trace_exporter = f"otlp_grpc/{traces.name}"
    return {
        "receivers": {
            "otlp": {
                "protocols": {
                    "grpc": {"endpoint": f"0.0.0.0:{OTLP_GRPC_PORT}"},
                    "http": {"endpoint": f"0.0.0.0:{OTLP_HTTP_PORT}"},
                }
            }
        },
        "processors": {
            # First in every pipeline that receives: refuse data before the container is
            # OOM-killed, so the app's exporter retries instead of losing a whole batch.
            "memory_limiter": {
                "check_interval": "1s",
                "limit_percentage": 80,
                "spike_limit_percentage": 25,
            },
            "batch": {"timeout": "5s", "send_batch_size": 8192},
        },
        "connectors": {
            "spanmetrics": {
                "namespace": "traces.span.metrics",
                "histogram": {"unit": "s", "explicit": {"buckets": list(DURATION_BUCKETS)}},
                "dimensions": [{"name": name} for name in SPAN_METRIC_DIMENSIONS],
                "metrics_flush_interval": "15s",
                # Series of agents that stopped running disappear instead of flat-lining.
                "metrics_expiration": "5m",
                # A trace id per data point, remote-written as the exemplar's trace_id label:
                # Grafana opens the trace from a point of a span-metrics graph.
                "exemplars": {"enabled": True},
            },
            "servicegraph": {
                "latency_histogram_buckets": list(DURATION_BUCKETS),
                "store": {"ttl": "10s", "max_items": 10000},
                "metrics_flush_interval": "15s",
            },
        },
        "exporters": {
            trace_exporter: {"endpoint": traces.otlp_endpoint, "tls": {"insecure": True}},
            "otlp_http/loki": {"endpoint": loki_otlp},
            "prometheusremotewrite": {
                "endpoint": prometheus_write,
                "tls": {"insecure": True},
                # Marks what the Collector wrote, apart from what Prometheus scraped.
                "external_labels": {"source": "otel-collector"},
            },
        },
        "service": {
            "pipelines": {
                "traces": {
                    "receivers": ["otlp"],
                    "processors": ["memory_limiter", "batch"],
                    "exporters": [trace_exporter, "spanmetrics", "servicegraph"],
                },
                "metrics": {
                    "receivers": ["spanmetrics", "servicegraph"],
                    "processors": ["batch"],
                    "exporters": ["prometheusremotewrite"],
                },
                "logs": {
                    "receivers": ["otlp"],
                    "processors": ["memory_limiter", "batch"],
                    "exporters": ["otlp_http/loki"],
                },
            }
        },
    }
