"""Hostile requests for every route of the server's ASGI app, from a seeded generator.

Shared by ``test_server_fuzz.py`` (a few thousand cases, in CI) and
``benchmarks/server_fuzz.py`` (as many as asked). Case ``i`` of seed ``s`` is always the same
request: a failure is reproduced by its seed and index, and ``Case.reproducer`` writes it
out as a self-contained ``httpx`` call.

Routes are read from the app itself, so a route added later is fuzzed without a change
here: its path parameters and declared query parameters get hostile values, and a POST
route a JSON body. The OTLP routes get OTLP requests: valid ones built at random (spans,
logs and metrics shaped as the SDK writes them, so the query routes find data to chew
on), then pushed to extremes field by field (times past 2^63, ids of any length, attribute
values of every type), mutated as JSON values or as bytes, in protobuf or OTLP/JSON, gzip,
deflate or neither.

What a case must get is an answer below 500. The one 5xx allowed is a 503 that carries
``Retry-After``: the server's way of saying its queue (or byte budget, or disk) is full
for now, which OTLP exporters retry later; it says nothing about the request.
"""

from __future__ import annotations

import base64
import copy
import gzip
import json
import random
import string
import time
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlencode

from google.protobuf import json_format
from google.protobuf.message import Message
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
)
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue

PROTOBUF = "application/x-protobuf"
JSON = "application/json"
OTLP_SIGNALS = ("traces", "logs", "metrics")

# Values that reach the store's int64 columns and beyond: OTLP times are unsigned 64-bit.
TIMES_AT_EDGES = (0, 1, 2**62, 2**63 - 1, 2**63, 2**63 + 1, 2**64 - 1)
INT64_EDGES = (0, -1, 2**31, -(2**31) - 1, 2**63 - 1, -(2**63))
DOUBLE_EDGES = (0.0, -0.0, 1e300, -1e300, 5e-324, float("inf"), float("-inf"), float("nan"))
AGENTS = ("scout", "writer", "critic")
SERVICES = ("agents", "gateway", "")
# A few traces every generator draws from, so queries by id find what was sent.
TRACE_IDS = tuple(bytes([n]) * 16 for n in range(1, 6))
EVENTS = (
    "agent_execution_started",
    "hitl_approval_required",
    "hitl_approval_received",
    "hitl_approval_timeout",
    "hitl_approval_cancelled",
    "tool_failed",
)
METRIC_NAMES = (
    "swarmscope_agent_sessions",
    "swarmscope_agent_errors",
    "swarmscope_agent_handoffs",
    "swarmscope_agent_tool_call_duration_seconds",
    "swarmscope_hitl_approval_latency_seconds",
    "swarmscope_agent_queue_depth",
    "swarmscope_http_requests",
    "swarmscope_orchestration_steps",
    "odd.name-with:chars",
)

# Query parameter values that broke, or could break, a parser or a column somewhere.
NUMBERS = (
    "inf", "-inf", "+Infinity", "nan", "NaN", "-nan", "1e20", "-1e20", "1e308", "1e309",
    "-1e400", "1e-400", "9" * 25, "-" + "9" * 25, "9" * 400, "0", "-0", "-1", "1", "2.5",
    "0.0001", "1_000", "0x10", " 5", "\u0669", "\uff19", "9223372036.854775807",
    "-9223372036.854775808", "18446744073709551616",
)  # fmt: skip
TIMES = (
    "15m", "0ms", "1.5h", "0d", "99999999999999999999d", "9" * 400 + "d", "1e3s", "-15m",
    "2024-01-01T00:00:00Z", "2024-01-01T00:00:00", "2024-01-01", "1970-01-01T00:00:00Z",
    "0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00", "1677-09-21T00:12:43Z",
    "2262-04-11T23:47:16.854775Z", "2262-04-12T00:00:00Z", "now", "yesterday", "T", "Z",
)  # fmt: skip
TEXTS = (
    "", " ", "a", "'", '"', "\\", "%", "_", "*", "' OR 1=1 --", "$.a", "$..*", "key=value",
    "=", "a=", "=b", "\x00", "\x7f", "\x1b[31m", "é✓漢字", "😀", "\ufffd", "\u202e",
    "a" * 5000, "../../etc/passwd", "{}", "[]", "null", "true", "false", "error", "ok",
    "warn", "FATAL", "info", "pending", "approved", "firing", "graph", "a.b.c", '"k"="v"',
    'gen_ai.agent.name=scout', '"=', "\\x{0}", "(?i)", "[", ".*", "%s%n",
)  # fmt: skip
# Raw percent-escapes a client may send that decode to no valid UTF-8 at all.
RAW_ESCAPES = ("%ED%A0%80", "%FF", "%C0%AF", "%00", "%", "%zz", "%E2%82")


@dataclass(frozen=True)
class Endpoint:
    """One route of the app, as the generator needs it."""

    path: str
    method: str
    query: tuple[str, ...] = ()
    path_params: tuple[str, ...] = ()


@dataclass(frozen=True)
class Case:
    """One request: what made it (``kind``, for the counts) and everything sent."""

    index: int
    kind: str
    method: str
    path: str
    query: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""

    @property
    def url(self) -> str:
        return f"{self.path}?{self.query}" if self.query else self.path

    def reproducer(self, base_url: str = "http://127.0.0.1:4318") -> str:
        """A Python snippet that sends this request to a running server."""
        body = base64.b64encode(self.body).decode()
        return (
            "import base64, httpx\n"
            f"answer = httpx.request({self.method!r}, {base_url + self.url!r},"
            f" headers={self.headers!r},\n"
            f"    content=base64.b64decode({body!r}))\n"
            "print(answer.status_code, answer.text[:2000])"
        )


def allowed(status: int, headers: Any) -> bool:
    """Below 500, or a 503 with ``Retry-After`` (a full queue: the sender retries later)."""
    return status < 500 or (status == 503 and "retry-after" in headers)


# -- the app's routes --------------------------------------------------------------------------


def _flat_routes(routes: list[Any]) -> Iterator[Any]:
    """Every route, routers included through ``include_router`` opened up (recent FastAPI
    keeps them as one entry until a request comes, with ``effective_route_contexts``)."""
    for route in routes:
        inner = getattr(route, "effective_route_contexts", None)
        if callable(inner):
            yield from _flat_routes(list(inner()))
        else:
            yield route


def endpoints(app: Any) -> list[Endpoint]:
    """Each path and method the app answers, with the query parameters it declares."""
    found: dict[tuple[str, str], Endpoint] = {}
    for route in _flat_routes(list(app.routes)):
        # The template as documented: ``{agent}``, not ``{agent:agent_name}``.
        path = getattr(route, "path_format", None) or getattr(route, "path", None)
        if not path:
            continue
        dependant = getattr(route, "dependant", None)
        query = tuple(
            getattr(param, "alias", None) or param.name
            for param in getattr(dependant, "query_params", ())
        )
        path_params = tuple(getattr(route, "param_convertors", {}) or ())
        for method in sorted(getattr(route, "methods", None) or {"GET"}):
            if method != "HEAD":
                found.setdefault((path, method), Endpoint(path, method, query, path_params))
    return list(found.values())


# -- OTLP requests, valid ----------------------------------------------------------------------


def _any_value(rng: random.Random, depth: int = 0) -> AnyValue:
    """An attribute value of any type OTLP has, edges included."""
    kind = rng.choice(
        ("string", "string", "int", "double", "bool", "bytes", "empty", "array", "kvlist")
        if depth < 3
        else ("string", "int", "double", "bool")
    )
    value = AnyValue()
    if kind == "string":
        value.string_value = rng.choice(
            (*AGENTS, "é✓ 漢字", "\x00", "x" * rng.randrange(1, 400), "1e999", "12", "-3")
        )
    elif kind == "int":
        value.int_value = rng.choice((*INT64_EDGES, rng.randrange(-1000, 10**6)))
    elif kind == "double":
        value.double_value = rng.choice((*DOUBLE_EDGES, rng.random() * 1000))
    elif kind == "bool":
        value.bool_value = rng.random() < 0.5
    elif kind == "bytes":
        value.bytes_value = rng.randbytes(rng.randrange(0, 20))
    elif kind == "array":
        value.array_value.values.extend(_any_value(rng, depth + 1) for _ in range(rng.randrange(4)))
    elif kind == "kvlist":
        value.kvlist_value.values.extend(_hostile_attributes(rng, depth + 1))
    return value


def _text(value: str) -> AnyValue:
    return AnyValue(string_value=value)


def _attrs(pairs: dict[str, Any]) -> list[KeyValue]:
    """Attributes from plain values (str, int, float, bool), as the SDK writes them."""
    out = []
    for key, raw in pairs.items():
        value = AnyValue()
        if isinstance(raw, bool):
            value.bool_value = raw
        elif isinstance(raw, int):
            value.int_value = raw
        elif isinstance(raw, float):
            value.double_value = raw
        else:
            value.string_value = str(raw)
        out.append(KeyValue(key=key, value=value))
    return out


# Attributes the query routes read, so a hostile value lands where it is parsed or cast.
_READ_KEYS = (
    "gen_ai.agent.name", "agent.name", "gen_ai.tool.name", "gen_ai.request.model",
    "gen_ai.operation.name", "gen_ai.usage.input_tokens", "gen_ai.usage.output_tokens",
    "llm.token_count.prompt", "openinference.span.kind", "swarmscope.handoff.from_agent",
    "swarmscope.handoff.to_agent", "swarmscope.handoff.latency_ms",
    "swarmscope.handoff.data_bytes", "swarmscope.handoff.data_keys", "swarmscope.llm.cost_usd",
    "swarmscope.approval.decision", "swarmscope.approval.timeout_s", "swarmscope.replay.method",
    "swarmscope.replay.headers", "swarmscope.replay.body_too_large", "server.port",
    "http.response.status_code", "session.id", "error.type", "service.name",
    "service.instance.id", "agent", "agent_id", "event", "decision", "timeout_s", "",
)  # fmt: skip


def _hostile_attributes(rng: random.Random, depth: int = 0) -> list[KeyValue]:
    return [
        KeyValue(key=rng.choice(_READ_KEYS), value=_any_value(rng, depth))
        for _ in range(rng.randrange(4))
    ]


def _span_shape(rng: random.Random, agent: str) -> tuple[str, dict[str, Any]]:
    """A span's name and attributes as the SDK writes one of its kinds of span."""
    other = rng.choice(AGENTS)
    shapes: list[tuple[str, dict[str, Any]]] = [
        (
            f"invoke_agent {agent}",
            {
                "gen_ai.operation.name": "invoke_agent",
                "gen_ai.agent.name": agent,
                "swarmscope.handoff.from_agent": other,
                "swarmscope.handoff.latency_ms": rng.random() * 500,
                "session.id": "s1",
            },
        ),
        (
            "execute_tool search",
            {"gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "search"},
        ),
        (
            "chat gpt-4o",
            {
                "gen_ai.operation.name": "chat",
                "gen_ai.request.model": "gpt-4o",
                "gen_ai.usage.input_tokens": rng.randrange(1000),
                "gen_ai.usage.output_tokens": rng.randrange(1000),
                "swarmscope.llm.cost_usd": "0.01",
            },
        ),
        (
            f"handoff {agent} -> {other}",
            {
                "gen_ai.operation.name": "handoff",
                "swarmscope.handoff.from_agent": agent,
                "swarmscope.handoff.to_agent": other,
                "swarmscope.handoff.data_bytes": rng.randrange(10**6),
                "swarmscope.handoff.data_keys": '["a","b"]',
            },
        ),
        ("orchestrate plan", {"gen_ai.operation.name": "orchestrate"}),
        (
            "hitl_approval refund",
            {
                "swarmscope.approval.type": "refund",
                "swarmscope.approval.decision": rng.choice(("approved", "rejected", "")),
                "swarmscope.approval.timeout_s": 30.0,
            },
        ),
        (
            "POST /run",
            {
                "swarmscope.replay.method": "POST",
                "swarmscope.replay.target": "/run",
                "swarmscope.replay.headers": '{"a": "b"}',
                "server.address": "127.0.0.1",
                "server.port": 8000,
                "http.response.status_code": rng.choice((200, 500)),
            },
        ),
    ]
    return rng.choice(shapes)


def _now_ns(rng: random.Random) -> int:
    """A recent time (the last two hours), where the query routes' default windows look."""
    return time.time_ns() - rng.randrange(2 * 3600 * 10**9)


def _span(rng: random.Random, request: ExportTraceServiceRequest, extreme: bool) -> None:
    group = request.resource_spans[-1]
    span = group.scope_spans[-1].spans.add()
    agent = rng.choice(AGENTS)
    name, attributes = _span_shape(rng, agent)
    start = _now_ns(rng)
    span.trace_id = rng.choice(TRACE_IDS)
    span.span_id = rng.randbytes(8)
    span.parent_span_id = rng.choice((b"", rng.randbytes(8)))
    span.name = name
    span.kind = rng.randrange(0, 6)
    span.start_time_unix_nano = start
    span.end_time_unix_nano = start + rng.randrange(5 * 10**9)
    span.status.code = rng.choice((0, 1, 2))
    span.attributes.extend(_attrs(attributes))
    if rng.random() < 0.3:
        event = span.events.add(name="exception", time_unix_nano=start)
        event.attributes.extend(_attrs({"exception.type": "ValueError"}))
    if rng.random() < 0.2:
        span.links.add(trace_id=rng.choice(TRACE_IDS), span_id=rng.randbytes(8))
    if extreme:
        _extreme_span(rng, span)


def _extreme_span(rng: random.Random, span: Any) -> None:
    """Push one or two of a span's fields to the edges of their types."""
    for _ in range(rng.randint(1, 2)):
        target = rng.randrange(7)
        if target == 0:
            span.start_time_unix_nano = rng.choice(TIMES_AT_EDGES)
        elif target == 1:
            span.end_time_unix_nano = rng.choice(TIMES_AT_EDGES)
        elif target == 2:
            span.trace_id = rng.randbytes(rng.choice((0, 1, 15, 16, 17, 32)))
            span.span_id = rng.randbytes(rng.choice((0, 7, 8, 9)))
            span.parent_span_id = rng.randbytes(rng.choice((0, 1, 8, 40)))
        elif target == 3:
            span.kind = rng.choice((-(2**31), -1, 6, 7, 2**31 - 1))
            span.status.code = rng.choice((-(2**31), -1, 3, 2**31 - 1))
        elif target == 4:
            span.attributes.extend(_hostile_attributes(rng))
        elif target == 5:
            span.events.add(name="e", time_unix_nano=rng.choice(TIMES_AT_EDGES))
        else:
            span.name = rng.choice(("", "\x00", "x" * 10_000, "é✓漢字"))


def trace_request(rng: random.Random, extreme: bool) -> ExportTraceServiceRequest:
    request = ExportTraceServiceRequest()
    for _ in range(rng.randint(1, 2)):
        group = request.resource_spans.add()
        group.resource.attributes.extend(
            _attrs({"service.name": rng.choice(SERVICES), "service.instance.id": "i-1"})
        )
        if extreme and rng.random() < 0.3:
            group.resource.attributes.extend(_hostile_attributes(rng))
        group.scope_spans.add().scope.name = "swarmscope"
        for _ in range(rng.randint(1, 4)):
            _span(rng, request, extreme and rng.random() < 0.5)
    return request


def log_request(rng: random.Random, extreme: bool) -> ExportLogsServiceRequest:
    request = ExportLogsServiceRequest()
    group = request.resource_logs.add()
    group.resource.attributes.extend(_attrs({"service.name": rng.choice(SERVICES)}))
    scope = group.scope_logs.add()
    for _ in range(rng.randint(1, 4)):
        record = scope.log_records.add(
            time_unix_nano=_now_ns(rng),
            observed_time_unix_nano=_now_ns(rng),
            severity_text=rng.choice(("INFO", "warning", "ERROR2", "", "FATAL", "trace")),
            trace_id=rng.choice(TRACE_IDS),
            span_id=rng.randbytes(8),
            event_name=rng.choice(("", *EVENTS)),
        )
        record.body.string_value = rng.choice(("started", "", "x" * 300))
        record.attributes.extend(
            _attrs(
                {
                    "agent_id": rng.choice(AGENTS),
                    "event": rng.choice(EVENTS),
                    "session_id": "s1",
                    "decision": "approved",
                    "timeout_s": 30,
                }
            )
        )
        if extreme and rng.random() < 0.6:
            _extreme_log(rng, record)
    return request


def _extreme_log(rng: random.Random, record: Any) -> None:
    target = rng.randrange(5)
    if target == 0:
        record.time_unix_nano = rng.choice(TIMES_AT_EDGES)
    elif target == 1:
        record.time_unix_nano = 0
        record.observed_time_unix_nano = rng.choice(TIMES_AT_EDGES)
    elif target == 2:
        record.body.CopyFrom(_any_value(rng))
    elif target == 3:
        record.trace_id = rng.randbytes(rng.choice((0, 1, 15, 17, 64)))
        record.span_id = rng.randbytes(rng.choice((0, 3, 9)))
    else:
        record.attributes.extend(_hostile_attributes(rng))
        record.severity_number = rng.choice((-1, 25, 2**31 - 1))


def metric_request(rng: random.Random, extreme: bool) -> ExportMetricsServiceRequest:
    request = ExportMetricsServiceRequest()
    group = request.resource_metrics.add()
    group.resource.attributes.extend(
        _attrs({"service.name": rng.choice(SERVICES), "service.instance.id": "i-1"})
    )
    scope = group.scope_metrics.add()
    for _ in range(rng.randint(1, 3)):
        metric = scope.metrics.add(name=rng.choice(METRIC_NAMES))
        _metric_data(rng, metric, extreme)
    return request


def _metric_data(rng: random.Random, metric: Any, extreme: bool) -> None:
    """One metric of a random type; points with labels the dashboards group by."""
    kind = rng.choice(("sum", "gauge", "histogram", "summary", "exponential", "none"))
    now = _now_ns(rng)
    temporality = rng.choice((2, 2, 2, 1, 0)) if extreme else 2
    labels = _attrs({"agent": rng.choice(AGENTS), "status": rng.choice(("success", "error"))})
    if kind == "none":
        return
    if kind in ("sum", "gauge"):
        data = metric.sum if kind == "sum" else metric.gauge
        if kind == "sum":
            data.aggregation_temporality = temporality
            data.is_monotonic = rng.random() < 0.8
        point = data.data_points.add(time_unix_nano=now, start_time_unix_nano=now - 10**9)
        if rng.random() < 0.5:
            point.as_double = rng.choice((*DOUBLE_EDGES, 3.5)) if extreme else 3.5
        else:
            point.as_int = rng.choice(INT64_EDGES) if extreme else 7
    elif kind == "histogram":
        metric.histogram.aggregation_temporality = temporality
        point = metric.histogram.data_points.add(
            time_unix_nano=now, count=3, sum=1.5, explicit_bounds=[0.1, 1.0]
        )
        point.bucket_counts.extend([1, 1, 1] if not extreme else [2**64 - 1] * rng.randrange(5))
    elif kind == "summary":
        point = metric.summary.data_points.add(time_unix_nano=now, count=2, sum=3.0)
    else:
        metric.exponential_histogram.aggregation_temporality = temporality
        point = metric.exponential_histogram.data_points.add(time_unix_nano=now, count=1)
    point.attributes.extend(labels)
    if extreme:
        point.attributes.extend(_hostile_attributes(rng))
        if rng.random() < 0.5:
            setattr(
                point,
                rng.choice(("time_unix_nano", "start_time_unix_nano")),
                rng.choice(TIMES_AT_EDGES),
            )


_BUILDERS: dict[str, Callable[[random.Random, bool], Message]] = {
    "traces": trace_request,
    "logs": log_request,
    "metrics": metric_request,
}


# -- OTLP requests, encoded and mutated --------------------------------------------------------

_ID_KEYS = frozenset({"traceId", "spanId", "parentSpanId"})
# Stand-ins replaced in the JSON text: values json.dumps cannot write as such.
_SURROGATE, _HUGE = "\x01surrogate\x01", "\x01huge\x01"
_JSON_VALUES: tuple[Any, ...] = (
    -1, 2**63, 2**64, 2**64 - 1, -(2**63) - 1, 1.5, 1e300, "1e400", "-1", "18446744073709551616",
    "", "abc", "zz", "0x10", None, True, [], {}, [1], {"a": 1}, "é✓", _SURROGATE, _HUGE,
    "NaN", "Infinity", "0" * 33, "a" * 31, "A" * 24 + "==", "\x00",
)  # fmt: skip


def otlp_json(message: Message) -> Any:
    """OTLP/JSON as exporters write it: protobuf's JSON mapping with ids in hex."""
    data = json_format.MessageToDict(message)
    _ids_to_hex(data)
    return data


def _ids_to_hex(node: Any) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            if key in _ID_KEYS and isinstance(value, str):
                node[key] = base64.b64decode(value).hex()
            else:
                _ids_to_hex(value)
    elif isinstance(node, list):
        for item in node:
            _ids_to_hex(item)


def _json_slots(node: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """The path of every value in a JSON document (the root excluded)."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield (*path, key)
            yield from _json_slots(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield (*path, index)
            yield from _json_slots(value, (*path, index))


def _mutate_json(rng: random.Random, data: Any) -> None:
    """Replace, delete or add one to three values anywhere in the document."""
    slots = list(_json_slots(data))
    for _ in range(rng.randint(1, 3)):
        if not slots:
            return
        path = rng.choice(slots)
        parent = data
        for step in path[:-1]:
            parent = parent[step]
        last = path[-1]
        action = rng.random()
        if isinstance(parent, dict) and isinstance(last, str) and last in _ID_KEYS:
            parent[last] = rng.choice(("abc", "zz" * 8, "0" * 31, "", "é", "g" * 32, "0" * 34))
        elif action < 0.75:
            parent[last] = _json_value(rng)
        elif action < 0.9 and isinstance(parent, dict):
            parent.pop(last, None)
        elif isinstance(parent, dict):
            parent[rng.choice(("unknownField", "traceId", "timeUnixNano", "body"))] = _json_value(
                rng
            )
        slots = list(_json_slots(data))


def _json_value(rng: random.Random) -> Any:
    """A hostile value, copied: a list or dict shared between places would let a later
    mutation put a value inside itself, and change the cases that come after."""
    return copy.deepcopy(rng.choice(_JSON_VALUES))


def _json_text(data: Any) -> bytes:
    text = json.dumps(data, ensure_ascii=False, allow_nan=True)
    text = text.replace(json.dumps(_SURROGATE), '"\\ud800"').replace(json.dumps(_HUGE), "1e400")
    return text.encode("utf-8", "surrogatepass")


def _mutate_bytes(rng: random.Random, data: bytes) -> bytes:
    """One to four byte-level changes: flips, cuts, inserts, repeats."""
    out = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        if not out:
            out += rng.randbytes(rng.randrange(1, 16))
            continue
        at = rng.randrange(len(out))
        action = rng.randrange(6)
        if action == 0:
            out[at] ^= 1 << rng.randrange(8)
        elif action == 1:
            out[at] = rng.choice((0x00, 0xFF, 0x80, 0x7F, 0x0A, 0x22))
        elif action == 2:
            del out[at : at + rng.randrange(1, 32)]
        elif action == 3:
            out[at:at] = rng.randbytes(rng.randrange(1, 16))
        elif action == 4:
            out[at:at] = out[at : at + rng.randrange(1, 64)] * rng.randint(1, 4)
        else:
            del out[at:]
    return bytes(out)


def _compressed(rng: random.Random, body: bytes) -> tuple[bytes, dict[str, str]]:
    """The body as sent: plain mostly, else gzip or deflate, now and then broken."""
    roll = rng.random()
    if roll < 0.55:
        return body, {}
    if roll < 0.85:
        return gzip.compress(body, compresslevel=1), {"content-encoding": "gzip"}
    if roll < 0.92:
        return zlib.compress(body, 1), {"content-encoding": "deflate"}
    broken = rng.choice(
        (
            gzip.compress(body)[: max(1, len(body) // 2)],
            _mutate_bytes(rng, gzip.compress(body)),
            body,
        )
    )
    return broken, {"content-encoding": rng.choice(("gzip", "deflate", "br", "GZIP", ""))}


def _content_type(rng: random.Random, media: str) -> str:
    roll = rng.random()
    if roll < 0.85:
        return media
    return rng.choice(
        (f"{media}; charset=utf-8", media.upper(), "text/plain", "", f" {media} ;", "*/*")
    )


def otlp_case(rng: random.Random, index: int, endpoint: Endpoint, signal: str) -> Case:
    """An OTLP request for ``signal``: valid, at the edges of its fields' types, or mutated
    as JSON or as bytes; in protobuf or OTLP/JSON."""
    extreme = rng.random() >= 0.3
    message = _BUILDERS[signal](rng, extreme)
    shape = "edges" if extreme else "valid"
    if rng.random() < 0.55:
        encoding, body, media = "protobuf", message.SerializeToString(), PROTOBUF
    else:
        data = otlp_json(message)
        if extreme and rng.random() < 0.5:
            _mutate_json(rng, data)
            shape = "json-mutated"
        encoding, body, media = "json", _json_text(data), JSON
    if extreme and rng.random() < 0.35:
        body = _mutate_bytes(rng, body)
        shape = "bytes"
    body, headers = _compressed(rng, body)
    headers["content-type"] = _content_type(rng, media)
    kind = f"POST {endpoint.path} {encoding} {shape}"
    return Case(index, kind, "POST", endpoint.path, "", headers, body)


# -- other routes ------------------------------------------------------------------------------

# Values a parameter of this name accepts, so some requests get past validation and reach
# the store: hostile values alone would stop at the first parameter.
HINTS: dict[str, tuple[str, ...]] = {
    "limit": ("1", "20", "500", "1000"),
    "level": ("debug", "warn", "error", "critical"),
    "log_level": ("debug", "warning", "fatal"),
    "status": ("ok", "error", "pending", "approved", "timeout"),
    "state": ("firing", "pending", "inactive"),
    "failed": ("true", "false", "1", "0"),
    "agent": AGENTS,
    "from_agent": AGENTS,
    "to_agent": AGENTS,
    "service": SERVICES,
    "trace_id": tuple(trace_id.hex() for trace_id in TRACE_IDS),
    "step": ("30s", "60", "0.5", "1h", "1d"),
    "start": ("15m", "1h", "3h", "1d"),
    "end": ("1m", "0s", "now"),
    "attribute": ("gen_ai.agent.name=scout", "service.name=agents", "a=b"),
    "text": ("started", "a", "%"),
    "session": ("s1",),
    "type": ("refund",),
    "slow_ms": ("0", "100"),
    "settle_s": ("0", "5"),
    "max_bytes": ("0", "1000"),
    "min_duration_ms": ("0", "10"),
}


def _dashboard_ids() -> tuple[str, ...]:
    from swarmscope.definitions.dashboards import DASHBOARDS

    return tuple(dashboard.uid for dashboard in DASHBOARDS)


def _runbook_names() -> tuple[str, ...]:
    from swarmscope.definitions.alerts import ALERTS

    return tuple(str(rule.runbook) for rule in ALERTS)


PATH_HINTS: dict[str, Callable[[], tuple[str, ...]]] = {
    "dashboard_id": _dashboard_ids,
    "name": _runbook_names,
    "agent": lambda: AGENTS,
    "trace_id": lambda: HINTS["trace_id"],
}


def _hostile_text(rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.3:
        return rng.choice(NUMBERS)
    if roll < 0.55:
        return rng.choice(TIMES)
    if roll < 0.85:
        return rng.choice(TEXTS)
    alphabet = string.printable + "é✓漢字😀\u202e\ufffd\x00"
    return "".join(rng.choice(alphabet) for _ in range(rng.randrange(1, 40)))


def _value_for(rng: random.Random, name: str) -> str:
    hints = HINTS.get(name)
    if hints and rng.random() < 0.5:
        return rng.choice(hints)
    return _hostile_text(rng)


def _query_string(rng: random.Random, names: tuple[str, ...]) -> str:
    """Each declared parameter now and then, sometimes twice, plus a stray one; values
    hostile or plausible, and now and then a raw escape that decodes to no text.

    A third of the requests have one hostile value among plausible ones: a request with
    several hostile values is refused at the first, never reaching the code behind it.
    """
    pairs = []
    hostile = rng.choice(names) if names and rng.random() < 0.35 else None
    for name in names:
        for _ in range(rng.choice((0, 1, 1, 1, 2))):
            if hostile is None or name == hostile:
                pairs.append((name, _value_for(rng, name)))
            else:
                pairs.append((name, rng.choice(HINTS.get(name) or ("x",))))
    if rng.random() < 0.1:
        pairs.append((rng.choice(("x", "", "limit[]", "é")), _hostile_text(rng)))
    rng.shuffle(pairs)
    text = urlencode(pairs, quote_via=quote)
    if names and rng.random() < 0.08:
        text += ("&" if text else "") + f"{rng.choice(names)}={rng.choice(RAW_ESCAPES)}"
    return text


def _path_value(rng: random.Random, name: str) -> str:
    hints = PATH_HINTS.get(name)
    if hints is not None and rng.random() < 0.5:
        return quote(rng.choice(hints()), safe="")
    if rng.random() < 0.05:
        return rng.choice(RAW_ESCAPES)
    return quote(_hostile_text(rng), safe="") or "x"


def _filled_path(rng: random.Random, endpoint: Endpoint) -> str:
    path = endpoint.path
    for name in endpoint.path_params:
        template = next(part for part in path.split("/") if part.startswith("{" + name))
        path = path.replace(template, _path_value(rng, name), 1)
    return path


def _webhook_body(rng: random.Random) -> Any:
    """Alertmanager's webhook message (version 4), the one other body the server reads."""
    return {
        "version": "4",
        "groupKey": "{}:{}",
        "status": "firing",
        "receiver": "swarmscope",
        "alerts": [
            {
                "status": rng.choice(("firing", "resolved")),
                "labels": {"alertname": "AgentDown", "agent": rng.choice(AGENTS)},
                "annotations": {"summary": "down"},
                "startsAt": "2024-01-01T00:00:00Z",
                "endsAt": rng.choice(("0001-01-01T00:00:00Z", "2024-01-01T00:05:00Z")),
            }
        ],
    }


def route_case(rng: random.Random, index: int, endpoint: Endpoint) -> Case:
    """A request to a route other than OTLP's: hostile path and query parameters, and for
    a POST a JSON body (valid, mutated, or not JSON at all)."""
    path = _filled_path(rng, endpoint)
    query = _query_string(rng, endpoint.query)
    headers: dict[str, str] = {}
    body = b""
    if endpoint.method in ("POST", "PUT", "PATCH"):
        data = _webhook_body(rng)
        if rng.random() < 0.7:
            _mutate_json(rng, data)
        body = _json_text(data)
        if rng.random() < 0.2:
            body = _mutate_bytes(rng, body)
        headers["content-type"] = _content_type(rng, JSON)
    kind = f"{endpoint.method} {endpoint.path}"
    return Case(index, kind, endpoint.method, path, query, headers, body)


# -- the stream of cases -----------------------------------------------------------------------


def _signal(endpoint: Endpoint) -> str | None:
    """The OTLP signal a route receives, if it is one of the receiver's."""
    if endpoint.method != "POST":
        return None
    signal = endpoint.path.rsplit("/", 1)[-1]
    return signal if endpoint.path == f"/v1/{signal}" and signal in OTLP_SIGNALS else None


def cases(app: Any, seed: int, count: int, otlp_share: float = 0.5) -> Iterator[Case]:
    """``count`` cases over every route of ``app``: ``otlp_share`` of them OTLP requests,
    the rest over the other routes, each at least now and then."""
    routes = endpoints(app)
    receivers = [(endpoint, _signal(endpoint)) for endpoint in routes if _signal(endpoint)]
    others = [endpoint for endpoint in routes if not _signal(endpoint)]
    # A route with parameters has more to get wrong than a static file: more of the cases.
    weights = [1 + len(endpoint.query) + len(endpoint.path_params) for endpoint in others]
    for index in range(count):
        rng = random.Random(f"{seed}:{index}")
        if receivers and (not others or rng.random() < otlp_share):
            endpoint, signal = rng.choice(receivers)
            yield otlp_case(rng, index, endpoint, str(signal))
        else:
            yield route_case(rng, index, rng.choices(others, weights)[0])


# -- running them ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    case: Case
    status: int
    allowed: bool
    text: str


def send(client: Any, case: Case) -> Outcome:
    """Send ``case`` through a Starlette ``TestClient`` (built with
    ``raise_server_exceptions=False``, so a crash is the 500 a real client would get)."""
    answer = client.request(case.method, case.url, headers=case.headers, content=case.body or None)
    return Outcome(case, answer.status_code, allowed(answer.status_code, answer.headers),
                   answer.text[:2000])  # fmt: skip
