"""The Collector, Alloy, Loki, Tempo and compose files of the bundle, checked by contract.

None of those programs runs here, so each file is checked for what breaks a deployment:
it parses, its pipelines name only components it defines (and use all of them), its keys
are documented ones, the hosts it points at are compose services listening on those ports,
no log label is an id, and a real swarmscope log line survives the Alloy stages.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import structlog
import yaml

import swarmscope as ss
from swarmscope.stack.bundle import export
from swarmscope.telemetry.logs import LEVELS

ID_FIELDS = {"trace_id", "span_id", "agent_id", "request_id", "session_id"}
# Go's time.RFC3339Nano as a parse layout: fraction optional, 1 to 9 digits, Z or offset.
RFC3339_NANO = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})")
# The hosts other configs reach; each must be a compose service (and the trace store).
BACKEND_SERVICES = {"prometheus", "alertmanager", "loki", "otel-collector"}
# Where Grafana reads each trace store: Tempo's HTTP API, Jaeger's query service (its UI port).
TRACE_QUERY_PORTS = {"tempo": 3200, "jaeger": 16686}


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("bundle")
    export(directory)
    return directory


@pytest.fixture(scope="module")
def jaeger_bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("jaeger-bundle")
    export(directory, traces_backend="jaeger")
    return directory


@pytest.fixture(params=["tempo", "jaeger"])
def each_bundle(request: pytest.FixtureRequest) -> tuple[str, Path]:
    """(trace store, bundle) for the checks both backends must pass."""
    fixture = "bundle" if request.param == "tempo" else "jaeger_bundle"
    return request.param, request.getfixturevalue(fixture)


def load(bundle: Path, relative: str) -> Any:
    return yaml.safe_load((bundle / relative).read_text())


# -- the OpenTelemetry Collector ------------------------------------------------------------

_TLS = {
    "insecure",
    "insecure_skip_verify",
    "ca_file",
    "ca_pem",
    "cert_file",
    "cert_pem",
    "key_file",
    "key_pem",
    "server_name_override",
    "min_version",
    "max_version",
    "reload_interval",
}
_EXPORTER_HELPER = {"timeout", "sending_queue", "retry_on_failure"}
_HTTP_CLIENT = {
    "endpoint",
    "tls",
    "headers",
    "compression",
    "auth",
    "proxy_url",
    "read_buffer_size",
    "write_buffer_size",
    "max_idle_conns",
    "idle_conn_timeout",
}
_DURATION_BUCKETS = {"buckets"}

# Documented top-level keys per component type (nested dicts: a (keys, children) pair).
# Sources, collector-contrib and collector-core READMEs and config.go files:
# receiver/otlpreceiver/README.md, processor/memorylimiterprocessor/README.md,
# processor/batchprocessor/README.md, exporter/otlpexporter/README.md (type otlp_grpc
# since v0.144, open-telemetry/opentelemetry-collector#14403), exporter/otlphttpexporter/
# README.md (otlp_http, #14397), config/configtls/README.md,
# https://github.com/open-telemetry/opentelemetry-collector-contrib/blob/main/connector/spanmetricsconnector/README.md#configurations
# https://github.com/open-telemetry/opentelemetry-collector-contrib/blob/main/connector/servicegraphconnector/config.go
# https://github.com/open-telemetry/opentelemetry-collector-contrib/blob/main/exporter/prometheusremotewriteexporter/README.md
Schema = dict[str, Any]
DOCUMENTED: dict[str, Schema] = {
    "receivers/otlp": {
        "protocols": {
            "grpc": {
                "endpoint": None,
                "transport": None,
                "tls": _TLS,
                "max_recv_msg_size_mib": None,
                "max_concurrent_streams": None,
                "read_buffer_size": None,
                "write_buffer_size": None,
                "keepalive": None,
                "auth": None,
                "include_metadata": None,
            },
            "http": {
                "endpoint": None,
                "tls": _TLS,
                "cors": None,
                "auth": None,
                "include_metadata": None,
                "max_request_body_size": None,
                "traces_url_path": None,
                "metrics_url_path": None,
                "logs_url_path": None,
            },
        }
    },
    "processors/memory_limiter": {
        "check_interval",
        "limit_mib",
        "spike_limit_mib",
        "limit_percentage",
        "spike_limit_percentage",
    },
    "processors/batch": {
        "timeout",
        "send_batch_size",
        "send_batch_max_size",
        "metadata_keys",
        "metadata_cardinality_limit",
    },
    "connectors/spanmetrics": {
        "histogram": {
            "disable": None,
            "unit": None,
            "explicit": _DURATION_BUCKETS,
            "exponential": {"max_size"},
        },
        "dimensions": [{"name", "default"}],
        "exemplars": {"enabled", "max_per_data_point"},
        **dict.fromkeys(
            [
                "exclude_dimensions",
                "dimensions_cache_size",
                "resource_metrics_cache_size",
                "aggregation_temporality",
                "namespace",
                "metrics_flush_interval",
                "metrics_expiration",
                "events",
                "resource_metrics_key_attributes",
                "delta_temporality",
            ]
        ),
    },
    "connectors/servicegraph": {
        "store": {"ttl", "max_items"},
        **dict.fromkeys(
            [
                "latency_histogram_buckets",
                "exponential_histogram_max_size",
                "dimensions",
                "cache_loop",
                "store_expiration_loop",
                "virtual_node_peer_attributes",
                "virtual_node_extra_label",
                "metrics_flush_interval",
                "database_name_attributes",
            ]
        ),
    },
    "exporters/otlp_grpc": {
        "tls": _TLS,
        **dict.fromkeys(
            {"endpoint", "headers", "compression", "balancer_name", "keepalive", "auth"}
            | {"authority", "read_buffer_size", "write_buffer_size", "wait_for_ready"}
            | _EXPORTER_HELPER
        ),
    },
    "exporters/otlp_http": {
        "tls": _TLS,
        **dict.fromkeys(
            (_HTTP_CLIENT - {"tls"})
            | {"traces_endpoint", "metrics_endpoint", "logs_endpoint", "encoding"}
            | _EXPORTER_HELPER
        ),
    },
    "exporters/prometheusremotewrite": {
        "tls": _TLS,
        **dict.fromkeys(
            (_HTTP_CLIENT - {"tls"})
            | {"external_labels", "namespace", "add_metric_suffixes", "remote_write_queue"}
            | {"resource_to_telemetry_conversion", "target_info", "export_created_metric"}
            | {"wal", "timeout", "retry_on_failure", "send_metadata", "max_batch_size_bytes"}
        ),
    },
}


def undocumented(config: Any, schema: Any, where: str) -> list[str]:
    """Keys of ``config`` the schema does not list, as dotted paths."""
    if schema is None:
        return []
    if isinstance(schema, list):
        return [
            problem
            for i, item in enumerate(config)
            for problem in undocumented(item, schema[0], f"{where}[{i}]")
        ]
    if isinstance(schema, set):
        schema = dict.fromkeys(schema)
    problems = []
    for key, value in config.items():
        if key not in schema:
            problems.append(f"{where}.{key}")
        else:
            problems += undocumented(value, schema[key], f"{where}.{key}")
    return problems


def test_collector_component_keys_are_documented(each_bundle: tuple[str, Path]):
    config = load(each_bundle[1], "otel-collector/config.yaml")
    problems = []
    for kind in ("receivers", "processors", "connectors", "exporters"):
        for name, settings in config[kind].items():
            component = f"{kind}/{name.split('/')[0]}"
            assert component in DOCUMENTED, f"{component} is not a documented component here"
            problems += undocumented(settings or {}, DOCUMENTED[component], f"{kind}.{name}")
    assert problems == []


def test_collector_pipelines_use_defined_components_and_every_component_is_used(
    each_bundle: tuple[str, Path],
):
    traces, bundle = each_bundle
    config = load(bundle, "otel-collector/config.yaml")
    receivers, processors = set(config["receivers"]), set(config["processors"])
    exporters, connectors = set(config["exporters"]), set(config["connectors"])
    pipelines = config["service"]["pipelines"]
    used: dict[str, set[str]] = {"receivers": set(), "processors": set(), "exporters": set()}
    for name, pipeline in pipelines.items():
        assert name.split("/")[0] in ("traces", "metrics", "logs")
        assert set(pipeline["receivers"]) <= receivers | connectors, name
        assert set(pipeline.get("processors", [])) <= processors, name
        assert set(pipeline["exporters"]) <= exporters | connectors, name
        for part in used:
            used[part] |= set(pipeline.get(part, []))
    assert used["receivers"] >= receivers
    assert used["processors"] == processors
    assert used["exporters"] >= exporters
    # A connector is an exporter of one pipeline and a receiver of another.
    assert connectors <= used["receivers"] & used["exporters"]
    exporters = pipelines["traces"]["exporters"]
    assert exporters == [f"otlp_grpc/{traces}", "spanmetrics", "servicegraph"]
    assert pipelines["metrics"]["receivers"] == ["spanmetrics", "servicegraph"]
    assert pipelines["metrics"]["exporters"] == ["prometheusremotewrite"]
    assert pipelines["logs"]["exporters"] == ["otlp_http/loki"]
    for pipeline in pipelines.values():
        if "memory_limiter" in pipeline.get("processors", []):
            assert pipeline["processors"][0] == "memory_limiter"


def test_collector_metric_labels_are_not_ids(bundle: Path):
    spanmetrics = load(bundle, "otel-collector/config.yaml")["connectors"]["spanmetrics"]
    for dimension in spanmetrics["dimensions"]:
        assert not ID_FIELDS & {dimension["name"], dimension["name"].rsplit(".", 1)[-1]}
        assert not dimension["name"].endswith((".id", "_id"))


def test_span_metric_exemplars_open_their_trace_in_grafana(bundle: Path):
    """Collector (exemplars on span metrics) -> remote write -> Prometheus (exemplar storage)
    -> Grafana's Prometheus source, whose exemplar link opens the Tempo source."""
    spanmetrics = load(bundle, "otel-collector/config.yaml")["connectors"]["spanmetrics"]
    assert spanmetrics["exemplars"]["enabled"] is True
    command = load(bundle, "docker-compose.yml")["services"]["prometheus"]["command"]
    assert {"--enable-feature=exemplar-storage", "--web.enable-remote-write-receiver"} <= set(
        command
    )
    sources = load(bundle, "grafana/provisioning/datasources/datasources.yml")["datasources"]
    by_type = {source["type"]: source for source in sources}
    [link] = by_type["prometheus"]["jsonData"]["exemplarTraceIdDestinations"]
    # prometheusremotewrite names an exemplar's trace id label trace_id.
    assert link == {"name": "trace_id", "datasourceUid": by_type["tempo"]["uid"]}


# -- Grafana Alloy --------------------------------------------------------------------------


@dataclass
class Block:
    name: str
    label: str | None
    attributes: dict[str, str] = field(default_factory=dict)
    blocks: list[Block] = field(default_factory=list)

    def children(self, name: str) -> list[Block]:
        return [block for block in self.blocks if block.name == name]


_BLOCK = re.compile(r'([a-z_][\w.]*)\s*(?:"([^"]*)"\s*)?\{')
_ATTRIBUTE = re.compile(r"([a-z_]\w*)\s*=\s*")


def parse_alloy(text: str) -> list[Block]:
    """A small parser for Alloy syntax: blocks, attributes (values kept as text), comments.

    Enough to check structure, not a full implementation; it fails on unbalanced braces.
    """
    text = re.sub(r"(?m)^\s*//.*$", "", text)
    root = Block("<root>", None)
    end = _parse_body(text, 0, root)
    assert text[end:].strip() == "", f"unparsed text: {text[end:][:80]!r}"
    return root.blocks


def _parse_body(text: str, i: int, parent: Block) -> int:
    while True:
        while i < len(text) and text[i].isspace():
            i += 1
        if i >= len(text) or text[i] == "}":
            return i
        if attribute := _ATTRIBUTE.match(text, i):
            i = _value_end(text, attribute.end())
            parent.attributes[attribute.group(1)] = text[attribute.end() : i].strip()
        elif block := _BLOCK.match(text, i):
            child = Block(block.group(1), block.group(2))
            i = _parse_body(text, block.end(), child)
            assert i < len(text) and text[i] == "}", f"{child.name} is not closed"
            parent.blocks.append(child)
            i += 1
        else:
            raise AssertionError(f"neither a block nor an attribute: {text[i : i + 60]!r}")


def _value_end(text: str, i: int) -> int:
    """Where an attribute value ends: the first newline outside brackets and strings."""
    depth, in_string = 0, False
    while i < len(text):
        char = text[i]
        if in_string:
            if char == "\\":
                i += 1
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{(":
            depth += 1
        elif char in "]})":
            depth -= 1
            assert depth >= 0, "unbalanced brackets in a value"
        elif char == "\n" and depth == 0:
            return i
        i += 1
    assert depth == 0 and not in_string, "unterminated value"
    return i


def alloy_map(value: str) -> dict[str, str]:
    """An Alloy object literal of strings, ``{ key = "value", "k" = "v" }``, as a dict."""
    assert value.startswith("{") and value.endswith("}"), value
    return dict(re.findall(r'"?([\w.]+)"?\s*=\s*"([^"]*)"', value))


# Required arguments (and blocks) per component/stage, from the Alloy reference:
# https://grafana.com/docs/alloy/latest/reference/components/local/local.file_match/
# https://grafana.com/docs/alloy/latest/reference/components/loki/loki.source.file/
# https://grafana.com/docs/alloy/latest/reference/components/loki/loki.process/
# https://grafana.com/docs/alloy/latest/reference/components/loki/loki.write/
ALLOY_REQUIRED = {
    "local.file_match": {"path_targets"},
    "loki.source.file": {"targets", "forward_to"},
    "loki.process": {"forward_to"},
    "loki.write": set(),
    "stage.json": {"expressions"},
    "stage.labels": {"values"},
    "stage.structured_metadata": {"values"},
    "stage.timestamp": {"source", "format"},
    "stage.drop": set(),
}
_REFERENCE = re.compile(r"\b((?:local\.file_match|loki\.[a-z_.]+?)\.(\w+))\.(targets|receiver)\b")


@pytest.fixture(scope="module")
def alloy(bundle: Path) -> dict[str, Block]:
    text = (bundle / "alloy/config.alloy").read_text()
    code = re.sub(r'"[^"]*"', '""', re.sub(r"(?m)^\s*//.*$", "", text))
    assert code.count("{") == code.count("}") and code.count("[") == code.count("]")
    blocks = parse_alloy(text)
    components = {f"{block.name}.{block.label}": block for block in blocks}
    assert len(components) == len(blocks), "two components share a name and label"
    return components


def test_alloy_components_and_their_required_arguments(alloy: dict[str, Block]):
    assert {name.rsplit(".", 1)[0] for name in alloy} == {
        "local.file_match",
        "loki.source.file",
        "loki.process",
        "loki.write",
    }
    for component in alloy.values():
        assert ALLOY_REQUIRED[component.name] <= set(component.attributes), component.name
        for stage in component.blocks:
            if component.name == "loki.process":
                assert ALLOY_REQUIRED[stage.name] <= set(stage.attributes), stage.name
    [write] = [c for c in alloy.values() if c.name == "loki.write"]
    [endpoint] = write.children("endpoint")
    assert endpoint.attributes["url"] == '"http://loki:3100/loki/api/v1/push"'
    [match] = [c for c in alloy.values() if c.name == "local.file_match"]
    targets = match.attributes["path_targets"]
    assert '"__path__" = "/var/log/swarmscope/*.log"' in targets
    # The SDK's app.error.log repeats the error lines of app.log.
    assert '"__path_exclude__" = "/var/log/swarmscope/*.error.log"' in targets


def test_alloy_references_resolve_and_every_component_is_used(alloy: dict[str, Block]):
    referenced = set()
    for name, component in alloy.items():
        for value in component.attributes.values():
            for reference, _label, export_name in _REFERENCE.findall(value):
                assert reference in alloy, f"{name} points at undefined {reference}"
                expected = "targets" if reference.startswith("local.") else "receiver"
                assert export_name == expected, f"{name}: {reference}.{export_name}"
                referenced.add(reference)
    sources = {name for name in alloy if name.startswith("loki.source.")}
    assert set(alloy) - sources == referenced
    # A source forwards somewhere, and the chain ends at loki.write.
    for name in sources | {n for n in alloy if n.startswith("loki.process.")}:
        assert "forward_to" in alloy[name].attributes


def test_no_log_label_is_an_id(alloy: dict[str, Block]):
    stages = [stage for c in alloy.values() for stage in c.blocks if c.name == "loki.process"]
    for stage in stages:
        if stage.name == "stage.labels":
            labels = alloy_map(stage.attributes["values"])
            names = set(labels) | {source or label for label, source in labels.items()}
            assert not names & ID_FIELDS, f"id as a label: {names & ID_FIELDS}"
            assert {source or label for label, source in labels.items()} == {"level", "service"}
        if stage.name == "stage.structured_metadata":
            metadata = alloy_map(stage.attributes["values"])
            assert {"trace_id", "agent_id"} <= set(metadata)
    assert [s.name for s in stages].count("stage.labels") == 1


def test_a_real_log_line_survives_the_alloy_stages(
    alloy: dict[str, Block], bundle: Path, telemetry: Any
):
    """A line the SDK wrote, read raw from its file, run through the json, drop, labels,
    structured metadata and timestamp stages as Alloy would apply them."""
    with ss.agent_run("zoho_data_scout", operation="account_analysis"):
        with ss.tool_call("fetch_accounts"):
            structlog.get_logger("app").debug("cache_probe")
    [span] = [s for s in telemetry.spans() if s.name.startswith("execute_tool")]
    raw = {json.loads(line)["event"]: line for line in telemetry.log_file.read_text().splitlines()}
    [process] = [c for c in alloy.values() if c.name == "loki.process"]
    stages = {stage.name: stage for stage in process.blocks}

    expressions = alloy_map(stages["stage.json"].attributes["expressions"])
    tool_line = json.loads(raw["tool_call_completed"])
    extracted = {}
    for name, path in expressions.items():
        path = path or name
        assert re.fullmatch(r"[a-z_]+", path), f"{path}: only top-level keys are checked here"
        if path in tool_line:
            extracted[name] = tool_line[path]

    drop = stages["stage.drop"].attributes
    source, dropped = drop["source"].strip('"'), drop["value"].strip('"')
    assert dropped in LEVELS
    assert extracted[source] != dropped
    assert json.loads(raw["cache_probe"])[source] == dropped, "debug lines are dropped"

    labels = alloy_map(stages["stage.labels"].attributes["values"])
    assert {label: extracted[source or label] for label, source in labels.items()} == {
        "level": "info",
        "service_name": "test-service",
    }
    metadata = alloy_map(stages["stage.structured_metadata"].attributes["values"])
    values = {key: extracted[source or key] for key, source in metadata.items()}
    assert values["trace_id"] == f"{span.context.trace_id:032x}"
    assert values["agent_id"] == "zoho_data_scout"
    # Grafana's trace link on a Loki line reads the structured metadata field Alloy wrote.
    sources = load(bundle, "grafana/provisioning/datasources/datasources.yml")["datasources"]
    [derived] = next(s for s in sources if s["type"] == "loki")["jsonData"]["derivedFields"]
    assert derived["matcherType"] == "label"
    assert values[derived["matcherRegex"]] == f"{span.context.trace_id:032x}"

    timestamp = stages["stage.timestamp"].attributes
    assert timestamp["format"] == '"RFC3339Nano"'
    written = extracted[timestamp["source"].strip('"')]
    assert RFC3339_NANO.fullmatch(written), written


# -- Loki and Tempo ------------------------------------------------------------------------


def test_loki_is_single_binary_tsdb_v13_with_structured_metadata_and_retention(bundle: Path):
    config = load(bundle, "loki/loki-config.yaml")
    [schema] = config["schema_config"]["configs"]
    assert (schema["store"], schema["schema"], schema["object_store"]) == (
        "tsdb",
        "v13",
        "filesystem",
    )
    limits = config["limits_config"]
    assert limits["allow_structured_metadata"] is True
    assert limits["retention_period"]
    assert config["compactor"]["retention_enabled"] is True
    assert config["compactor"]["delete_request_store"] == "filesystem"
    indexed = limits["otlp_config"]["resource_attributes"]["attributes_config"][0]
    assert indexed["action"] == "index_label"
    assert not any(a.endswith((".id", "_id")) for a in indexed["attributes"])
    # Log records keep Loki's default: their fields, trace_id among them, are structured
    # metadata, which Grafana's trace link on a Loki line reads.
    assert set(limits["otlp_config"]) == {"resource_attributes"}
    assert config["server"]["http_listen_port"] == 3100


def test_tempo_receives_otlp_and_leaves_span_metrics_to_the_collector(bundle: Path):
    """One generator of service-graph and span metrics (the Collector's connectors): with
    Tempo's generator on too, every service-graph series would reach Prometheus twice."""
    config = load(bundle, "tempo/tempo.yaml")
    protocols = config["distributor"]["receivers"]["otlp"]["protocols"]
    assert protocols["grpc"]["endpoint"] == "0.0.0.0:4317"
    assert config["storage"]["trace"]["backend"] == "local"
    assert "metrics_generator" not in config and "overrides" not in config
    collector = load(bundle, "otel-collector/config.yaml")
    assert {"spanmetrics", "servicegraph"} <= set(collector["connectors"])


# Grafana's Jaeger data source, from its provisioning example and settings:
# https://grafana.com/docs/grafana/latest/datasources/jaeger/configure/#provision-the-data-source
TRACES_TO_LOGS = {
    "datasourceUid",
    "spanStartTimeShift",
    "spanEndTimeShift",
    "tags",
    "filterByTraceID",
    "filterBySpanID",
    "customQuery",
    "query",
}
JAEGER_JSON_DATA: Schema = {
    "tracesToLogsV2": TRACES_TO_LOGS,
    "tracesToMetrics": {
        "datasourceUid": None,
        "spanStartTimeShift": None,
        "spanEndTimeShift": None,
        "tags": [{"key", "value"}],
        "queries": [{"name", "query"}],
    },
    "nodeGraph": {"enabled"},
    "traceIdTimeParams": {"enabled"},
    "spanBar": {"type", "tag"},
}


def test_jaeger_takes_the_collectors_otlp_and_grafana_reads_it_instead_of_tempo(
    jaeger_bundle: Path,
):
    services = load(jaeger_bundle, "docker-compose.yml")
    jaeger = services["services"]["jaeger"]
    # Jaeger 2's image runs the all-in-one: OTLP on 4317/4318, UI and query API on 16686.
    assert jaeger["image"].startswith("jaegertracing/jaeger:2.")
    assert jaeger["environment"] == {"JAEGER_LISTEN_HOST": "0.0.0.0"}
    assert "4317" in jaeger["expose"] and jaeger["ports"] == ["16686:16686"]
    assert not {"tempo", "tempo-init"} & set(services["services"])
    assert "tempo-data" not in services["volumes"] and not (jaeger_bundle / "tempo").exists()
    assert services["services"]["grafana"]["depends_on"] == ["prometheus", "loki", "jaeger"]

    exporters = load(jaeger_bundle, "otel-collector/config.yaml")["exporters"]
    assert exporters["otlp_grpc/jaeger"] == {"endpoint": "jaeger:4317", "tls": {"insecure": True}}
    assert not any(name.endswith("/tempo") for name in exporters)

    sources = load(jaeger_bundle, "grafana/provisioning/datasources/datasources.yml")
    by_type = {source["type"]: source for source in sources["datasources"]}
    assert set(by_type) == {"prometheus", "loki", "jaeger"}
    source = by_type["jaeger"]
    assert (source["uid"], source["url"]) == ("jaeger", "http://jaeger:16686")
    assert undocumented(source["jsonData"], JAEGER_JSON_DATA, "jaeger.jsonData") == []
    # A span opens its logs and its metrics; logs and exemplars open the trace in Jaeger.
    links = source["jsonData"]
    assert links["tracesToLogsV2"]["datasourceUid"] == by_type["loki"]["uid"]
    assert links["tracesToMetrics"]["datasourceUid"] == by_type["prometheus"]["uid"]
    [derived] = by_type["loki"]["jsonData"]["derivedFields"]
    assert derived["datasourceUid"] == "jaeger"
    [exemplar] = by_type["prometheus"]["jsonData"]["exemplarTraceIdDestinations"]
    assert exemplar["datasourceUid"] == "jaeger"


# -- docker compose -------------------------------------------------------------------------


def host_port(address: str) -> tuple[str, int]:
    if "://" in address:
        parts = urlsplit(address)
        assert parts.hostname is not None and parts.port is not None, address
        return parts.hostname, parts.port
    host, port = address.rsplit(":", 1)
    return host, int(port)


def referenced_endpoints(bundle: Path) -> dict[str, tuple[str, int]]:
    """Every host:port another file of the bundle sends to, by where it is written."""
    collector = load(bundle, "otel-collector/config.yaml")["exporters"]
    prometheus = load(bundle, "prometheus/prometheus.yml")
    datasources = load(bundle, "grafana/provisioning/datasources/datasources.yml")
    alloy = re.findall(r'url\s*=\s*"([^"]+)"', (bundle / "alloy/config.alloy").read_text())
    found = {f"collector {name}": host_port(e["endpoint"]) for name, e in collector.items()}
    for manager in prometheus["alerting"]["alertmanagers"]:
        for target in manager["static_configs"][0]["targets"]:
            found[f"prometheus alerting {target}"] = host_port(target)
    for source in datasources["datasources"]:
        found[f"grafana datasource {source['name']}"] = host_port(source["url"])
    for url in alloy:
        found[f"alloy {url}"] = host_port(url)
    return found


def container_ports(service: dict[str, Any]) -> set[int]:
    published = {int(str(p).split(":")[-1].split("/")[0]) for p in service.get("ports", [])}
    return published | {int(p) for p in service.get("expose", [])}


def test_compose_services_are_the_hosts_the_configs_point_at(each_bundle: tuple[str, Path]):
    traces, bundle = each_bundle
    services = load(bundle, "docker-compose.yml")["services"]
    assert BACKEND_SERVICES | {traces, "grafana", "alloy"} <= set(services)
    assert not ({"tempo", "jaeger"} - {traces}) & set(services), "one trace store runs"
    endpoints = referenced_endpoints(bundle)
    assert {host for host, _ in endpoints.values()} >= {"prometheus", "loki", traces}
    for where, (host, port) in endpoints.items():
        assert host in services, f"{where}: {host} is not a compose service"
        assert port in container_ports(services[host]), f"{where}: {host} has no port {port}"
    # Grafana's provisioned sources: one per backend, at its service's HTTP port.
    grafana = {k: v for k, v in endpoints.items() if k.startswith("grafana")}
    assert sorted(grafana.values()) == sorted(
        [("loki", 3100), ("prometheus", 9090), (traces, TRACE_QUERY_PORTS[traces])]
    )
    # The Collector sends spans to the trace store's OTLP gRPC port.
    assert endpoints[f"collector otlp_grpc/{traces}"] == (traces, 4317)


def test_compose_mounts_only_files_of_the_bundle(each_bundle: tuple[str, Path]):
    bundle = each_bundle[1]
    compose = load(bundle, "docker-compose.yml")
    named = set(compose["volumes"])
    used_volumes = set()
    for name, service in compose["services"].items():
        for mount in service.get("volumes", []):
            # ${VAR:-default}: the default is what runs unless the user overrides it.
            source = re.sub(r"\$\{\w+:-([^}]*)\}", r"\1", mount).split(":")[0]
            if source.startswith("."):
                assert (bundle / source).exists(), f"{name} mounts missing {source}"
            else:
                assert source in named, f"{name} mounts undeclared volume {source}"
                used_volumes.add(source)
    assert used_volumes == named


def test_compose_wires_prometheus_alertmanager_grafana_and_the_collector(bundle: Path):
    services = load(bundle, "docker-compose.yml")["services"]
    prometheus = services["prometheus"]
    assert "--web.enable-remote-write-receiver" in prometheus["command"]
    assert "./prometheus:/etc/prometheus:ro" in prometheus["volumes"]
    # The app runs on the host: Prometheus scrapes it through the host gateway.
    app = load(bundle, "prometheus/prometheus.yml")["scrape_configs"][0]
    assert app["static_configs"][0]["targets"] == ["host.docker.internal:8000"]
    assert "host.docker.internal:host-gateway" in prometheus["extra_hosts"]
    alertmanager = services["alertmanager"]
    assert "./alertmanager/secrets:/etc/alertmanager/secrets:ro" in alertmanager["volumes"]
    secrets = load(bundle, "alertmanager/alertmanager.yml")["global"]["slack_api_url_file"]
    assert Path(alertmanager["working_dir"], secrets).parent.as_posix() == (
        "/etc/alertmanager/secrets"
    )
    grafana_mounts = dict(v.split(":")[:2] for v in services["grafana"]["volumes"])
    provider = load(bundle, "grafana/provisioning/dashboards/dashboards.yml")["providers"][0]
    assert grafana_mounts["./grafana/dashboards"] == provider["options"]["path"]
    assert grafana_mounts["./grafana/provisioning"] == "/etc/grafana/provisioning"
    collector = services["otel-collector"]
    assert {"4317:4317", "4318:4318"} <= set(collector["ports"])
    config_mount = next(v for v in collector["volumes"] if v.startswith("./otel-collector/"))
    assert collector["command"] == [f"--config={config_mount.split(':')[1]}"]
    alloy = services["alloy"]
    assert any(v.endswith(":/var/log/swarmscope:ro") for v in alloy["volumes"])
    assert any(v.split(":")[1] == alloy["command"][-1] for v in alloy["volumes"])
