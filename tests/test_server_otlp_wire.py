"""The compiled span reader gives the rows the reader over protobuf's messages gives, for
any request: the store holds the same spans whichever way a request was read.
"""

from __future__ import annotations

import base64
import json
import random
from typing import Any

import pytest
from google.protobuf import json_format
from google.protobuf.message import DecodeError
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
from opentelemetry.proto.resource.v1.resource_pb2 import Resource
from opentelemetry.proto.trace.v1.trace_pb2 import ResourceSpans, Span

from swarmscope.server.intake import otlp
from swarmscope.server.intake.decoding import decode
from swarmscope.server.store.rows import SPAN_COLUMNS

otlp_wire = otlp.otlp_wire


def test_the_test_command_builds_the_compiled_reader():
    # A build without a compiler falls back silently; the suite must not.
    assert otlp_wire is not None, "swarmscope.server.intake.otlp_wire was not compiled"


def _value(rng: random.Random, depth: int = 0) -> AnyValue:
    kind = rng.choice(
        ["string", "empty", "bool", "int", "double", "bytes", "unset", "index"]
        + (["array", "kvlist"] if depth < 2 else [])
    )
    value = AnyValue()
    if kind == "string":
        value.string_value = rng.choice(["gpt-4o", "é✓ 漢字", "x" * rng.randrange(1, 300)])
    elif kind == "empty":
        value.string_value = ""
    elif kind == "bool":
        value.bool_value = rng.random() < 0.5
    elif kind == "int":
        value.int_value = rng.choice([0, -1, 2**63 - 1, -(2**63), rng.randrange(-1000, 10**6)])
    elif kind == "double":
        value.double_value = rng.choice([0.0, -2.5, 1e300, rng.random()])
    elif kind == "bytes":
        value.bytes_value = rng.randbytes(rng.randrange(0, 9))
    elif kind == "index":
        value.string_value_strindex = rng.randrange(-5, 50)
    elif kind == "array":
        value.array_value.values.extend(_value(rng, depth + 1) for _ in range(rng.randrange(4)))
    elif kind == "kvlist":
        value.kvlist_value.values.extend(_attributes(rng, depth + 1))
    return value


# Keys the agent model reads, several of one field (the agent, the model, the tokens): which
# value wins, an empty one or a key sent twice included, must not depend on the path.
MODEL_KEYS = [
    "gen_ai.agent.name",
    "agent.name",
    "gen_ai.request.model",
    "llm.model_name",
    "gen_ai.usage.input_tokens",
    "llm.token_count.prompt",
    "gen_ai.operation.name",
    "openinference.span.kind",
]


def _key(rng: random.Random) -> str:
    if rng.random() < 0.5:
        return rng.choice(MODEL_KEYS)
    return rng.choice(["gen_ai.agent.name", "gen_ai.usage.input_tokens", "k", ""]) + str(
        rng.randrange(3)
    )


def _attributes(rng: random.Random, depth: int = 0) -> list[KeyValue]:
    # Keys repeat now and then: the last value of a key wins on both paths.
    return [KeyValue(key=_key(rng), value=_value(rng, depth)) for _ in range(rng.randrange(8))]


def _span(rng: random.Random) -> Span:
    span = Span(
        trace_id=rng.randbytes(rng.choice([16, 16, 16, 0, 15])),
        span_id=rng.randbytes(rng.choice([8, 8, 8, 0, 9])),
        parent_span_id=rng.randbytes(rng.choice([0, 8, 8, 40])),
        name=rng.choice(["chat gpt-4o", "", "invoke_agent scout"]),
        kind=rng.randrange(-1, 7),
        start_time_unix_nano=rng.randrange(2**63),
        end_time_unix_nano=rng.randrange(2**63),
        trace_state="vendor=1",
        flags=rng.randrange(2**32),
        dropped_attributes_count=rng.randrange(3),
    )
    span.attributes.extend(_attributes(rng))
    span.status.code = rng.randrange(-1, 4)
    span.status.message = rng.choice(["", "boom"])
    for _ in range(rng.randrange(3)):
        event = span.events.add(time_unix_nano=rng.randrange(2**64), name="exception")
        event.attributes.extend(_attributes(rng))
    for _ in range(rng.randrange(3)):
        link = span.links.add(trace_id=rng.randbytes(16), span_id=rng.randbytes(8))
        link.attributes.extend(_attributes(rng))
    return span


def _request(rng: random.Random) -> ExportTraceServiceRequest:
    request = ExportTraceServiceRequest()
    for _ in range(rng.randrange(1, 4)):
        group = request.resource_spans.add(schema_url="https://opentelemetry.io/schemas/1.30")
        group.resource.attributes.extend(_attributes(rng))
        for _ in range(rng.randrange(1, 3)):
            scope = group.scope_spans.add()
            scope.scope.name = "swarmscope"
            scope.spans.extend(_span(rng) for _ in range(rng.randrange(5)))
    return request


Rows = tuple[list[tuple[Any, ...]], dict[str, str], int]


def _both(body: bytes) -> tuple[Rows, Rows]:
    parsed = ExportTraceServiceRequest()
    parsed.ParseFromString(body)
    return otlp_wire.span_rows(body), otlp.span_rows(otlp.message_spans(parsed))


@pytest.mark.parametrize("seed", range(200))
def test_random_requests_give_the_same_rows_on_both_paths(seed: int):
    body = _request(random.Random(seed)).SerializeToString()
    from_wire, from_messages = _both(body)
    # Same values, same types: True is not 1 and 1.0 is not 1, in a column or in the JSON.
    assert repr(from_wire) == repr(from_messages)
    rows, resources, rejected = from_wire
    assert len(rows) + rejected == sum(1 for _ in _spans(body))
    resource_at = SPAN_COLUMNS.index("resource_id")
    assert {row[resource_at] for row in rows} <= set(resources)


def _spans(body: bytes) -> Any:
    parsed = ExportTraceServiceRequest()
    parsed.ParseFromString(body)
    return (s for g in parsed.resource_spans for sc in g.scope_spans for s in sc.spans)


def _field(number: int, payload: bytes) -> bytes:
    """A length-delimited field, as protobuf writes it."""
    return _varint(number << 3 | 2) + _varint(len(payload)) + payload


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        out.append(value & 0x7F | (0x80 if value > 0x7F else 0))
        value >>= 7
        if not value:
            return bytes(out)


def test_wire_order_unknown_fields_and_merged_repeats():
    span = Span(trace_id=b"t" * 16, span_id=b"s" * 8, name="chat")
    span.attributes.add(key="a", value=AnyValue(string_value="first"))
    # A field number OTLP may add later is skipped; a known number with another wire type is
    # an unknown field to protobuf too.
    extra = _field(99, b"future") + _varint(5 << 3 | 0) + _varint(7)
    # Two array values in one AnyValue merge; a later string replaces them.
    array = AnyValue()
    array.array_value.values.add(int_value=1)
    more = AnyValue()
    more.array_value.values.add(bool_value=True)
    merged = KeyValue(key="arr").SerializeToString() + _field(2, array.SerializeToString())
    merged += _field(2, more.SerializeToString())
    replaced = _field(1, b"r") + _field(2, array.SerializeToString() + _field(1, b"text"))
    span_bytes = span.SerializeToString() + extra + _field(9, merged) + _field(9, replaced)
    # The resource after the spans, as a serializer is free to write it.
    resource = Resource()
    resource.attributes.add(key="service.name", value=AnyValue(string_value="late"))
    group = _field(2, _field(2, span_bytes)) + _field(1, resource.SerializeToString())
    body = _field(1, group) + _field(1, ResourceSpans().SerializeToString())

    from_wire, from_messages = _both(body)
    assert repr(from_wire) == repr(from_messages)
    (row,), resources, rejected = from_wire
    assert row[5] == "late" and rejected == 0
    assert json.loads(row[17]) == {"a": "first", "arr": [1, True], "r": "text"}
    assert len(resources) == 2  # the second ResourceSpans is empty: a resource, no spans


def test_a_key_sent_twice_counts_with_its_last_value():
    span = Span(trace_id=b"t" * 16, span_id=b"s" * 8, name="chat")
    span.attributes.add(key="gen_ai.agent.name", value=AnyValue(string_value="first"))
    span.attributes.add(key="agent.name", value=AnyValue(string_value="other"))
    span.attributes.add(key="gen_ai.agent.name", value=AnyValue(string_value=""))
    request = ExportTraceServiceRequest()
    request.resource_spans.add().scope_spans.add().spans.append(span)

    from_wire, from_messages = _both(request.SerializeToString())
    assert repr(from_wire) == repr(from_messages)
    (row,), _, _ = from_wire
    # The first name was replaced by an empty one: the agent is the other convention's.
    assert row[SPAN_COLUMNS.index("agent")] == "other"


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        (_field(1, _field(2, _field(2, Span(name="x").SerializeToString())))[:-1], "past the end"),
        (_field(1, b"\x0b"), "wire type 3"),
        (_field(1, _field(2, _field(2, _field(5, b"\xff\xfe")))), "not UTF-8"),
        (b"\x0a" + b"\xff" * 11, "longer than ten bytes"),
        (b"\x00\x01", "number 0"),
    ],
)
def test_malformed_bytes_are_a_bad_payload_with_the_reason(body: bytes, problem: str):
    with pytest.raises(otlp_wire.WireError, match=problem):
        otlp_wire.span_rows(body)
    with pytest.raises(otlp.BadPayload, match=problem):
        decode("traces", body, otlp.PROTOBUF, None, 1 << 20)


def _otlp_json(request: ExportTraceServiceRequest) -> bytes:
    """The request in OTLP/JSON, which writes ids as hex, not protobuf's base64."""
    data = json_format.MessageToDict(request)
    for group in data.get("resourceSpans", []):
        for scope in group.get("scopeSpans", []):
            for span in scope.get("spans", []):
                for item in [span, *span.get("links", [])]:
                    for field in ("traceId", "spanId", "parentSpanId"):
                        if field in item:
                            item[field] = base64.b64decode(item[field]).hex()
    return json.dumps(data).encode()


def _nested(depth: int) -> bytes:
    """A request with one span whose attribute is ``depth`` arrays deep, written by hand."""
    value = _field(1, b"x")  # AnyValue(string_value="x")
    for _ in range(depth):
        value = _field(5, _field(1, value))  # AnyValue(array_value=ArrayValue([value]))
    attribute = _field(1, b"k") + _field(2, value)
    span = Span(trace_id=b"t" * 16, span_id=b"s" * 8).SerializeToString() + _field(9, attribute)
    return _field(1, _field(2, _field(2, span)))


def test_nesting_is_refused_where_protobuf_refuses_it():
    from_wire, from_messages = _both(_nested(47))
    assert repr(from_wire) == repr(from_messages)
    for depth in (48, 5_000):
        with pytest.raises(otlp.BadPayload, match="nest deeper than 47"):
            decode("traces", _nested(depth), otlp.PROTOBUF, None, 1 << 30)
        with pytest.raises(DecodeError):
            ExportTraceServiceRequest().ParseFromString(_nested(depth))


def test_json_requests_give_the_rows_protobuf_gives():
    request = _request(random.Random(7))
    from_json = decode("traces", _otlp_json(request), otlp.JSON, None, 1 << 20)
    from_protobuf = decode("traces", request.SerializeToString(), otlp.PROTOBUF, None, 1 << 20)
    assert from_protobuf.rows > 0
    assert from_json == from_protobuf
