"""The interface of the compiled span reader, ``otlp_wire.pyx``: type checkers read this
file, as they cannot read Cython's source or the built extension."""

from typing import Any

from typing_extensions import Buffer

class WireError(ValueError):
    """The bytes are not a well-formed OTLP trace request; the message says where."""

def span_rows(body: Buffer) -> tuple[list[tuple[Any, ...]], dict[str, str], int]:
    """An ExportTraceServiceRequest's spans as ``otlp.span_rows`` gives them: the rows, in
    ``SpanRow``'s field order, the resources they name by id, and how many were refused."""
