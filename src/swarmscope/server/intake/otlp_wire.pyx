# cython: language_level=3, boundscheck=False, wraparound=False, initializedcheck=False
"""OTLP trace requests read straight from protobuf's wire format into span rows.

Why this exists: reading a span's attributes through protobuf's Python objects builds a
wrapper object for every key-value and every value, and at fifteen attributes a span that
was most of the intake's cost (about 80 µs a span of 130). This reader walks the bytes once
and builds only what the store keeps: ids in hex, names, times, and plain dicts of
attributes, which ``span_fields`` turns into the row's derived columns as it does for the
other path.

It gives exactly what ``otlp.span_rows`` gives for the same request parsed by protobuf (the
tests hold the two to that). It is compiled with Cython when the package is built; where no
compiler was at hand, the server reads through protobuf instead.

Field numbers are those of opentelemetry-proto's ``trace/v1`` and ``common/v1`` messages.
"""

from cpython.bytes cimport PyBytes_FromStringAndSize
from cpython.unicode cimport PyUnicode_AsUTF8AndSize, PyUnicode_DecodeASCII, PyUnicode_DecodeUTF8
from libc.stdint cimport int32_t, int64_t, uint32_t, uint64_t
from libc.string cimport memcmp, memcpy

from swarmscope.conventions.agent_model import SLOT_COUNT, SLOT_KEYS
from swarmscope.server.intake.span_fields import (
    check_span_times,
    derived,
    events_json,
    kind_name,
    links_json,
    resource_id,
    service_name,
    status_name,
    to_json,
)

cdef const char* HEX_DIGITS = b"0123456789abcdef"
# The last time the store's signed 64-bit nanosecond columns hold; OTLP's fixed64 goes on.
cdef uint64_t LAST_TIME_NS = 0x7FFFFFFFFFFFFFFF

cdef enum Wire:
    VARINT = 0
    FIXED64 = 1
    LENGTH = 2
    FIXED32 = 5

# protobuf's own parser (upb) refuses a request whose attribute values nest more than 47
# arrays or lists deep; so does this reader, long before recursion could exhaust C's stack.
cdef enum:
    MAX_DEPTH = 47

# AnyValue's oneof members, by field number.
cdef enum Value:
    NOTHING = 0
    STRING = 1
    BOOL = 2
    INT = 3
    DOUBLE = 4
    ARRAY = 5
    KVLIST = 6
    BYTES = 7
    STRING_INDEX = 8


class WireError(ValueError):
    """The bytes are not a well-formed OTLP trace request; the message says where."""


cdef struct Cursor:
    const unsigned char* data
    Py_ssize_t pos
    Py_ssize_t end


cdef struct Field:
    int number
    int wire
    uint64_t scalar       # a varint's or fixed field's value
    Py_ssize_t start      # a length-delimited field's bytes: data[start:stop]
    Py_ssize_t stop


cdef inline int read_varint(Cursor* cursor, uint64_t* out) except -1:
    # Tags and most lengths fit in one byte: that case without a loop or a call.
    if cursor.pos < cursor.end and cursor.data[cursor.pos] < 0x80:
        out[0] = cursor.data[cursor.pos]
        cursor.pos += 1
        return 0
    return read_long_varint(cursor, out)


cdef int read_long_varint(Cursor* cursor, uint64_t* out) except -1:
    cdef uint64_t result = 0
    cdef int shift = 0
    cdef unsigned char byte
    while shift < 64:
        if cursor.pos >= cursor.end:
            raise WireError("a varint runs past the end of its message")
        byte = cursor.data[cursor.pos]
        cursor.pos += 1
        result |= (<uint64_t>(byte & 0x7F)) << shift
        if byte < 0x80:
            out[0] = result
            return 0
        shift += 7
    raise WireError("a varint is longer than ten bytes")


cdef int read_fixed(Cursor* cursor, int width, uint64_t* out) except -1:
    cdef uint64_t result = 0
    cdef int index
    if cursor.end - cursor.pos < width:
        raise WireError("a fixed-width field runs past the end of its message")
    for index in range(width):
        result |= (<uint64_t>cursor.data[cursor.pos + index]) << (8 * index)
    cursor.pos += width
    out[0] = result
    return 0


cdef inline int next_field(Cursor* cursor, Field* field) except -1:
    """Read the next field's tag and value into ``field``; return 0 at the message's end."""
    cdef uint64_t tag, length
    if cursor.pos >= cursor.end:
        return 0
    read_varint(cursor, &tag)
    field.number = <int>(tag >> 3)
    field.wire = <int>(tag & 7)
    if field.number == 0:
        raise WireError("a field has number 0")
    if field.wire == VARINT:
        read_varint(cursor, &field.scalar)
    elif field.wire == FIXED64:
        read_fixed(cursor, 8, &field.scalar)
    elif field.wire == FIXED32:
        read_fixed(cursor, 4, &field.scalar)
    elif field.wire == LENGTH:
        read_varint(cursor, &length)
        if length > <uint64_t>(cursor.end - cursor.pos):
            raise WireError("a length-delimited field runs past the end of its message")
        field.start = cursor.pos
        field.stop = cursor.pos + <Py_ssize_t>length
        cursor.pos = field.stop
    else:
        # Groups (wire types 3 and 4) are proto2's; no OTLP message has them.
        raise WireError(f"wire type {field.wire} is not used by OTLP")
    return 1


cdef inline Cursor inside(Cursor* outer, Field* field):
    cdef Cursor cursor
    cursor.data = outer.data
    cursor.pos = field.start
    cursor.end = field.stop
    return cursor


cdef inline bint is_field(Field* field, int number, int wire):
    # A known number with another wire type is an unknown field to protobuf: skipped.
    return field.number == number and field.wire == wire


cdef inline object text(Cursor* cursor, Field* field):
    return PyUnicode_DecodeUTF8(
        <const char*>cursor.data + field.start, field.stop - field.start, NULL
    )


cdef inline object raw_bytes(Cursor* cursor, Field* field):
    return PyBytes_FromStringAndSize(
        <const char*>cursor.data + field.start, field.stop - field.start
    )


cdef object any_value(Cursor cursor, int depth):
    """An AnyValue as the Python value ``otlp.value`` gives: the last oneof member set wins,
    a repeated array or key-value list is merged, bytes become hex."""
    if depth > MAX_DEPTH:
        raise WireError(f"attribute values nest deeper than {MAX_DEPTH} levels")
    cdef Field field
    cdef int which = NOTHING
    cdef object result = None
    cdef object part
    cdef double number
    while next_field(&cursor, &field):
        if is_field(&field, STRING, LENGTH):
            which, result = STRING, text(&cursor, &field)
        elif is_field(&field, BOOL, VARINT):
            which, result = BOOL, field.scalar != 0
        elif is_field(&field, INT, VARINT):
            which, result = INT, <int64_t>field.scalar
        elif is_field(&field, DOUBLE, FIXED64):
            memcpy(&number, &field.scalar, 8)
            which, result = DOUBLE, number
        elif is_field(&field, ARRAY, LENGTH):
            part = array_value(inside(&cursor, &field), depth + 1)
            if which == ARRAY:
                result.extend(part)
            else:
                which, result = ARRAY, part
        elif is_field(&field, KVLIST, LENGTH):
            if which != KVLIST:
                which, result = KVLIST, {}
            key_values(inside(&cursor, &field), result, depth + 1)
        elif is_field(&field, BYTES, LENGTH):
            which, result = BYTES, raw_bytes(&cursor, &field).hex()
        elif is_field(&field, STRING_INDEX, VARINT):
            which, result = STRING_INDEX, <int32_t>field.scalar
    return result


cdef list array_value(Cursor cursor, int depth):
    cdef Field field
    cdef list values = []
    while next_field(&cursor, &field):
        if is_field(&field, 1, LENGTH):
            values.append(any_value(inside(&cursor, &field), depth))
    return values


# The keys the agent model reads (``agent_model.SLOT_KEYS``), numbered in that order: each
# one's slot and rank there. A span's attributes fill its slots as they are read, so the
# mapping needs no second walk over them (``agent_model.read_slots`` is that walk).
cdef enum:
    MAX_MODEL_KEYS = 64   # a bit each in a span's ``seen`` mask
    MAX_MODEL_SLOTS = 32
    NO_RANK = 1 << 20
if len(SLOT_KEYS) > MAX_MODEL_KEYS or SLOT_COUNT > MAX_MODEL_SLOTS:
    raise ImportError("the agent model reads more keys than the span reader can number")
cdef int slot_of[MAX_MODEL_KEYS]
cdef int rank_of[MAX_MODEL_KEYS]
cdef dict model_key_number = {}
for number, (model_key, model_slot, model_rank) in enumerate(SLOT_KEYS):
    model_key_number[model_key] = number
    slot_of[number] = model_slot
    rank_of[number] = model_rank


cdef struct Slots:
    int ranks[MAX_MODEL_SLOTS]   # the rank of the value found so far, per slot
    uint64_t seen                # the model's keys read so far, by number
    bint repeated                # a key came twice: the last value is the dict's, not ours


# Attribute keys repeat from span to span: a small cache hands back the same str object for
# the same bytes, so a key is neither decoded nor hashed again (str caches its hash), and
# with it the key's number among the agent model's keys (-1 for another key).
cdef enum:
    KEY_SLOTS = 512
cdef list recent_keys = [""] * KEY_SLOTS
cdef int recent_numbers[KEY_SLOTS]
for number in range(KEY_SLOTS):
    recent_numbers[number] = -1


cdef object key_text(Cursor* cursor, Field* field, int* number):
    cdef const unsigned char* raw = cursor.data + field.start
    cdef Py_ssize_t size = field.stop - field.start, cached_size, index
    cdef uint32_t slot = 2166136261u
    cdef const char* cached_bytes
    for index in range(size):  # FNV-1a
        slot = (slot ^ raw[index]) * 16777619u
    slot %= KEY_SLOTS
    cached = recent_keys[slot]
    cached_bytes = PyUnicode_AsUTF8AndSize(cached, &cached_size)
    if cached_size == size and memcmp(cached_bytes, raw, size) == 0:
        number[0] = recent_numbers[slot]
        return cached
    decoded = text(cursor, field)
    recent_keys[slot] = decoded
    recent_numbers[slot] = model_key_number.get(decoded, -1)
    number[0] = recent_numbers[slot]
    return decoded


cdef inline void fill_slot(Slots* slots, list found, int number, object value):
    """What ``agent_model.read_slots`` does with one key: keep its value in its slot unless
    it is empty or a more preferred key's value is there."""
    cdef uint64_t bit = (<uint64_t>1) << number
    cdef int at = slot_of[number], rank = rank_of[number]
    if slots.seen & bit:
        slots.repeated = True
    slots.seen |= bit
    if value is None or (type(value) is str and len(<str>value) == 0):
        return
    if rank < slots.ranks[at]:
        slots.ranks[at] = rank
        found[at] = value


cdef int key_value(
    Cursor cursor, dict into, int depth=0, Slots* slots=NULL, list found=None
) except -1:
    cdef Field field
    cdef Cursor joined
    cdef object key = ""
    cdef int number = -1
    cdef object decoded = None
    cdef object pieces = None
    cdef bytes merged
    cdef Py_ssize_t value_start = -1, value_stop = -1
    while next_field(&cursor, &field):
        if is_field(&field, 1, LENGTH):
            key = key_text(&cursor, &field, &number)
        elif is_field(&field, 2, LENGTH):
            if value_start < 0:
                value_start, value_stop = field.start, field.stop
            else:
                # A message field written twice is merged, which is what reading its
                # pieces one after the other gives. Rare: only hand-written bytes do it.
                if pieces is None:
                    pieces = [
                        PyBytes_FromStringAndSize(
                            <const char*>cursor.data + value_start, value_stop - value_start
                        )
                    ]
                pieces.append(raw_bytes(&cursor, &field))
    if pieces is not None:
        merged = b"".join(pieces)
        joined.data = <const unsigned char*><const char*>merged
        joined.pos = 0
        joined.end = len(merged)
        decoded = any_value(joined, depth)
    elif value_start >= 0:
        joined = cursor
        joined.pos = value_start
        joined.end = value_stop
        decoded = any_value(joined, depth)
    into[key] = decoded
    if slots != NULL and number >= 0:
        fill_slot(slots, found, number, decoded)
    return 0


cdef int key_values(Cursor cursor, dict into, int depth) except -1:
    """A KeyValueList's entries (field 1), added to ``into``."""
    cdef Field field
    while next_field(&cursor, &field):
        if is_field(&field, 1, LENGTH):
            key_value(inside(&cursor, &field), into, depth)
    return 0


cdef tuple event(Cursor cursor):
    cdef Field field
    cdef uint64_t time_ns = 0
    cdef object name = ""
    cdef dict attributes = {}
    while next_field(&cursor, &field):
        if is_field(&field, 1, FIXED64):
            time_ns = field.scalar
        elif is_field(&field, 2, LENGTH):
            name = text(&cursor, &field)
        elif is_field(&field, 3, LENGTH):
            key_value(inside(&cursor, &field), attributes)
    return (time_ns, name, attributes)


cdef tuple link(Cursor cursor):
    cdef Field field
    cdef object trace_id = b""
    cdef object span_id = b""
    cdef dict attributes = {}
    while next_field(&cursor, &field):
        if is_field(&field, 1, LENGTH):
            trace_id = raw_bytes(&cursor, &field)
        elif is_field(&field, 2, LENGTH):
            span_id = raw_bytes(&cursor, &field)
        elif is_field(&field, 4, LENGTH):
            key_value(inside(&cursor, &field), attributes)
    return (trace_id, span_id, attributes)


cdef object hex_of(Cursor* cursor, Py_ssize_t start, Py_ssize_t stop):
    """The bytes ``data[start:stop]`` in lowercase hex, as ``bytes.hex()`` writes them."""
    cdef char buffer[64]
    cdef Py_ssize_t index, size = stop - start
    cdef unsigned char byte
    if size > 32:
        return PyBytes_FromStringAndSize(<const char*>cursor.data + start, size).hex()
    for index in range(size):
        byte = cursor.data[start + index]
        buffer[2 * index] = HEX_DIGITS[byte >> 4]
        buffer[2 * index + 1] = HEX_DIGITS[byte & 15]
    return PyUnicode_DecodeASCII(buffer, 2 * size, NULL)


cdef class Rows:
    """The rows read so far, the resources they name, and the spans refused."""
    cdef list rows
    cdef dict resources
    cdef Py_ssize_t rejected
    cdef object service
    cdef object resource_key

    def __cinit__(self):
        self.rows = []
        self.resources = {}
        self.rejected = 0


cdef int span(Cursor cursor, Rows into) except -1:
    """One span, appended to ``into`` as a row of ``SpanRow``'s fields in their order."""
    cdef Field field, inner
    cdef Cursor status
    cdef Py_ssize_t trace_start = 0, trace_stop = 0, span_start = 0, span_stop = 0
    cdef Py_ssize_t parent_start = 0, parent_stop = 0
    cdef object name = ""
    cdef int32_t kind = 0
    cdef uint64_t start_ns = 0
    cdef uint64_t end_ns = 0
    cdef int32_t code = 0
    cdef object message = ""
    cdef dict attributes = {}
    cdef list events = []
    cdef list links = []
    cdef Slots slots
    cdef list found = [None] * SLOT_COUNT
    cdef int index
    for index in range(SLOT_COUNT):
        slots.ranks[index] = NO_RANK
    slots.seen = 0
    slots.repeated = False
    while next_field(&cursor, &field):
        if field.wire == LENGTH:
            if field.number == 9:
                key_value(inside(&cursor, &field), attributes, 0, &slots, found)
            elif field.number == 1:
                trace_start, trace_stop = field.start, field.stop
            elif field.number == 2:
                span_start, span_stop = field.start, field.stop
            elif field.number == 4:
                parent_start, parent_stop = field.start, field.stop
            elif field.number == 5:
                name = text(&cursor, &field)
            elif field.number == 11:
                events.append(event(inside(&cursor, &field)))
            elif field.number == 13:
                links.append(link(inside(&cursor, &field)))
            elif field.number == 15:
                status = inside(&cursor, &field)
                while next_field(&status, &inner):
                    if is_field(&inner, 2, LENGTH):
                        message = text(&status, &inner)
                    elif is_field(&inner, 3, VARINT):
                        code = <int32_t>inner.scalar
        elif is_field(&field, 6, VARINT):
            kind = <int32_t>field.scalar
        elif is_field(&field, 7, FIXED64):
            start_ns = field.scalar
        elif is_field(&field, 8, FIXED64):
            end_ns = field.scalar
    if trace_stop - trace_start != 16 or span_stop - span_start != 8:
        into.rejected += 1
        return 0
    if start_ns > LAST_TIME_NS or end_ns > LAST_TIME_NS:
        # Raises TimeOutOfRange, worded as the reader over protobuf's messages words it.
        span_id = PyBytes_FromStringAndSize(
            <const char*>cursor.data + span_start, span_stop - span_start
        )
        check_span_times(name, span_id, start_ns, end_ns)
    head, tail = derived(
        name, kind_name(kind), attributes, events, None if slots.repeated else found
    )
    into.rows.append(
        (
            hex_of(&cursor, trace_start, trace_stop),
            hex_of(&cursor, span_start, span_stop),
            hex_of(&cursor, parent_start, parent_stop) if parent_stop > parent_start else None,
            name,
            kind_name(kind),
            into.service,
            start_ns,
            end_ns,
            (end_ns - start_ns) / 1e6 if end_ns > start_ns else 0.0,
            status_name(code),
            message,
            *head,
            to_json(attributes),
            events_json(events),
            links_json(links),
            into.resource_key,
            *tail,
        )
    )
    return 0


cdef int scope_spans(Cursor cursor, Rows into) except -1:
    cdef Field field
    while next_field(&cursor, &field):
        if is_field(&field, 2, LENGTH):
            span(inside(&cursor, &field), into)
    return 0


cdef int resource_spans(Cursor cursor, Rows into) except -1:
    # The resource may come after the spans on the wire: read it in a first pass.
    cdef Cursor again = cursor
    cdef Cursor resource
    cdef Field field, inner
    cdef dict attributes = {}
    while next_field(&cursor, &field):
        if is_field(&field, 1, LENGTH):
            resource = inside(&cursor, &field)
            while next_field(&resource, &inner):
                if is_field(&inner, 1, LENGTH):
                    key_value(inside(&resource, &inner), attributes)
    resource_json = to_json(attributes)
    into.service = service_name(attributes)
    into.resource_key = resource_id(resource_json)
    into.resources[into.resource_key] = resource_json
    while next_field(&again, &field):
        if is_field(&field, 2, LENGTH):
            scope_spans(inside(&again, &field), into)
    return 0


def span_rows(const unsigned char[::1] body not None):
    """An ExportTraceServiceRequest's spans as ``otlp.span_rows`` gives them: the rows, in
    ``SpanRow``'s field order, the resources they name by id, and how many were refused.

    Raises ``WireError`` when the bytes are not a well-formed request.
    """
    cdef Cursor cursor
    cdef Field field
    cdef Rows into = Rows()
    if body.shape[0] > 0:
        cursor.data = &body[0]
        cursor.pos = 0
        cursor.end = body.shape[0]
        try:
            while next_field(&cursor, &field):
                if is_field(&field, 1, LENGTH):
                    resource_spans(inside(&cursor, &field), into)
        except UnicodeDecodeError as error:
            raise WireError(f"a string field is not UTF-8: {error.reason}") from None
    return into.rows, into.resources, into.rejected
