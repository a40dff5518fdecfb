"""OTLP trace export requests written straight to protobuf wire format.

The exporter package builds a tree of protobuf message objects per span and hashes each
span's resource through ``json.dumps``; on a small machine that is ~80 µs per span, more than
creating the span. The OTLP schema is small and frozen (``opentelemetry/proto/trace/v1``),
so spans are written field by field here, and the attributes that repeat on every span
(operation names, tool and model names) are encoded once and reused. The output parses
with the official ``opentelemetry-proto`` classes into the same message the exporter
package builds; ``tests/test_otlp_encoding.py`` holds the two side by side.
"""

from __future__ import annotations

import struct
from collections.abc import Mapping, Sequence
from typing import Any

from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.util.instrumentation import InstrumentationScope

_FIXED64 = struct.Struct("<Q")
_FIXED32 = struct.Struct("<I")
_DOUBLE = struct.Struct("<d")
# Span.flags: the parent's remoteness is known (0x100), and it is remote (0x200).
_HAS_IS_REMOTE, _IS_REMOTE = 0x100, 0x200
_CACHE_LIMIT = 4096
# Span.kind on the wire is the SDK's SpanKind value plus one (0 is SPAN_KIND_UNSPECIFIED).
_KINDS = tuple(b"\x30" + bytes((value + 1,)) for value in range(5))
# Span.flags (field 16, fixed32) for a local and a remote parent.
_LOCAL_PARENT = b"\x85\x01" + struct.pack("<I", 0x100)
_REMOTE_PARENT = b"\x85\x01" + struct.pack("<I", 0x300)


def _varint(value: int) -> bytes:
    if value < 0:
        value += 1 << 64
    if value < 0x80:
        return bytes((value,))
    out = bytearray()
    while value >= 0x80:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def _tag(field: int, wire_type: int) -> bytes:
    return _TAGS.get((field, wire_type)) or _varint((field << 3) | wire_type)


def _field(field: int, payload: bytes) -> bytes:
    """A length-delimited field (strings, bytes, nested messages)."""
    size = len(payload)
    length = bytes((size,)) if size < 0x80 else _varint(size)
    return _tag(field, 2) + length + payload


_TAGS = {
    (field, wire): _varint((field << 3) | wire) for field in range(1, 17) for wire in (0, 1, 2, 5)
}


def _any_value(value: Any) -> bytes:
    if isinstance(value, bool):
        return _tag(2, 0) + (b"\x01" if value else b"\x00")
    if isinstance(value, str):
        return _field(1, value.encode("utf-8"))
    if isinstance(value, int):
        return _tag(3, 0) + _varint(value)
    if isinstance(value, float):
        return _tag(4, 1) + _DOUBLE.pack(value)
    if isinstance(value, bytes):
        return _field(7, value)
    if isinstance(value, Mapping):
        return _field(6, b"".join(_field(1, _key_value(str(k), v)) for k, v in value.items()))
    if isinstance(value, Sequence):
        return _field(5, b"".join(_field(1, _any_value(v)) for v in value))
    if value is None:
        return b""
    raise TypeError(f"cannot encode attribute value of type {type(value).__name__}")


def _key_value(key: str, value: Any) -> bytes:
    return _field(1, key.encode("utf-8")) + _field(2, _any_value(value))


class TraceEncoder:
    """Encodes batches of finished spans; keeps small caches, so one per export thread."""

    def __init__(self) -> None:
        self._attributes: dict[tuple[int, str, type, Any], bytes] = {}
        self._resources: dict[int, tuple[Resource, bytes]] = {}
        self._scopes: dict[int, tuple[InstrumentationScope | None, bytes]] = {}

    def encode(self, spans: Sequence[ReadableSpan]) -> bytes:
        """An ``ExportTraceServiceRequest`` holding ``spans``, serialized."""
        grouped: dict[int, tuple[Resource, dict[int, tuple[Any, list[bytes]]]]] = {}
        for span in spans:
            resource = span.resource
            scope = span.instrumentation_scope
            scopes = grouped.setdefault(id(resource), (resource, {}))[1]
            scopes.setdefault(id(scope), (scope, []))[1].append(self._span(span))
        request = []
        for resource, scopes in grouped.values():
            scope_spans = b"".join(
                _field(
                    2,
                    self._scope(scope)
                    + b"".join(_field(2, s) for s in encoded)
                    + (_field(3, scope.schema_url.encode()) if scope and scope.schema_url else b""),
                )
                for scope, encoded in scopes.values()
            )
            schema = _field(3, resource.schema_url.encode()) if resource.schema_url else b""
            request.append(_field(1, self._resource(resource) + scope_spans + schema))
        return b"".join(request)

    def _span(self, span: ReadableSpan) -> bytes:
        # Tags of the fixed-size fields are constants: (field << 3) | wire type.
        context = span.context
        assert context is not None
        parent = span.parent
        name = span.name.encode("utf-8")
        parts = [
            b"\x0a\x10", context.trace_id.to_bytes(16, "big"),
            b"\x12\x08", context.span_id.to_bytes(8, "big"),
        ]  # fmt: skip
        trace_state = context.trace_state
        if trace_state:
            parts.append(_field(3, ",".join(f"{k}={v}" for k, v in trace_state.items()).encode()))
        if parent is not None:
            parts += (b"\x22\x08", parent.span_id.to_bytes(8, "big"))
        parts += (b"\x2a", _varint(len(name)), name, _KINDS[span.kind.value])
        if span.start_time:
            parts += (b"\x39", _FIXED64.pack(span.start_time))
        if span.end_time:
            parts += (b"\x41", _FIXED64.pack(span.end_time))
        attributes = span.attributes
        if attributes:
            parts.append(self._attribute_fields(9, attributes))
            if span.dropped_attributes:
                parts.append(_tag(10, 0) + _varint(span.dropped_attributes))
        events = span.events
        if events:
            for event in events:
                body = _tag(1, 1) + _FIXED64.pack(event.timestamp) + _field(2, event.name.encode())
                if event.attributes:
                    body += self._attribute_fields(3, event.attributes)
                if event.dropped_attributes:
                    body += _tag(4, 0) + _varint(event.dropped_attributes)
                parts.append(_field(11, body))
            if span.dropped_events:
                parts.append(_tag(12, 0) + _varint(span.dropped_events))
        links = span.links
        if links:
            for link in links:
                body = _field(1, link.context.trace_id.to_bytes(16, "big")) + _field(
                    2, link.context.span_id.to_bytes(8, "big")
                )
                if link.attributes:
                    body += self._attribute_fields(4, link.attributes)
                if link.dropped_attributes:
                    body += _tag(5, 0) + _varint(link.dropped_attributes)
                body += _tag(6, 5) + _FIXED32.pack(_flags(link.context.is_remote))
                parts.append(_field(13, body))
            if span.dropped_links:
                parts.append(_tag(14, 0) + _varint(span.dropped_links))
        status = span.status
        if status.description or status.status_code.value:
            status_body = b""
            if status.description:
                status_body += _field(2, status.description.encode("utf-8"))
            if status.status_code.value:
                status_body += _tag(3, 0) + _varint(status.status_code.value)
            parts.append(_field(15, status_body))
        else:
            parts.append(b"\x7a\x00")
        parts.append(_REMOTE_PARENT if parent is not None and parent.is_remote else _LOCAL_PARENT)
        return b"".join(parts)

    def _attribute_fields(self, field: int, attributes: Mapping[str, Any]) -> bytes:
        cache = self._attributes
        out = []
        for key, value in attributes.items():
            kind = type(value)
            if kind is str or kind is int or kind is bool or kind is float:
                cache_key = (field, key, kind, value)
                encoded = cache.get(cache_key)
                if encoded is None:
                    encoded = _field(field, _key_value(key, value))
                    if len(cache) >= _CACHE_LIMIT:
                        cache.clear()
                    cache[cache_key] = encoded
                out.append(encoded)
            else:
                out.append(_field(field, _key_value(key, value)))
        return b"".join(out)

    def _resource(self, resource: Resource) -> bytes:
        cached = self._resources.get(id(resource))
        if cached is None or cached[0] is not resource:
            cached = (resource, _field(1, self._attribute_fields(1, resource.attributes)))
            self._resources[id(resource)] = cached
        return cached[1]

    def _scope(self, scope: InstrumentationScope | None) -> bytes:
        cached = self._scopes.get(id(scope))
        if cached is None or cached[0] is not scope:
            body = b""
            if scope is not None:
                body += _field(1, scope.name.encode()) if scope.name else b""
                body += _field(2, scope.version.encode()) if scope.version else b""
                if scope.attributes:
                    body += self._attribute_fields(3, scope.attributes)
            cached = (scope, _field(1, body))
            self._scopes[id(scope)] = cached
        return cached[1]


def _flags(remote: bool) -> int:
    return _HAS_IS_REMOTE | (_IS_REMOTE if remote else 0)
