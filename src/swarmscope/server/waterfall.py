"""One trace as a waterfall's columns, and the order a waterfall reads its spans in (depth
first, children in start order) with each span's depth and parent.

A trace may hold 100,000 spans, or a chain of spans 100,000 deep. So the order is computed
in linear time without recursion (an explicit stack), and the answer is columns rather than
a nested tree: one array per field, every array in the spans' start order (a span's
*position*), and ``order`` the positions in waterfall order. Nesting 100,000 levels would
overflow any JSON encoder and parser; a dict per span would repeat every key 100,000
times. A span's attributes, links, resource and messages are not here: the console reads
them for the span a user selects.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from swarmscope.server.store.database import Store
from swarmscope.server.store.queries.traces import (
    WATERFALL_COLUMNS,
    trace_outcome,
    waterfall_columns,
    waterfall_shape,
    waterfall_spans,
)


@dataclass(frozen=True)
class TreeOrder:
    """``rows`` lists positions in waterfall order; ``parent[position]`` is the position of
    the span's parent in the tree (-1 for a root), ``depth[position]`` its depth (0 for a
    root). A second copy of a span id is in no row, with parent -1 and depth 0."""

    rows: list[int]
    parent: list[int]
    depth: list[int]


def tree_order(
    span_ids: Sequence[str], parent_ids: Sequence[str | None], starts: Sequence[int]
) -> TreeOrder:
    """Depth first, roots and each span's children in start order (then by span id).

    A span whose parent is not among them is a root; a span seen twice (an exporter's
    retry) counts once; spans in a cycle of parents, which no root reaches, are walked
    from their oldest as if it were a root.
    """
    count = len(span_ids)
    # Two stable sorts on C-level keys: a third of the cost of one sort on (start, id).
    by_id = sorted(range(count), key=span_ids.__getitem__)
    by_start = sorted(by_id, key=starts.__getitem__)
    position: dict[str, int] = {}
    for index in by_start:
        position.setdefault(span_ids[index], index)
    order = TreeOrder([], [-1] * count, [0] * count)
    # Children in reverse start order: the stack below pops the oldest first.
    children: dict[int, list[int]] = {}
    roots: list[int] = []
    for index in reversed(by_start):
        if position[span_ids[index]] != index:
            continue
        parent = position.get(parent_ids[index] or "", -1)
        if parent in (-1, index):
            roots.append(index)
        else:
            order.parent[index] = parent
            children.setdefault(parent, []).append(index)
    roots.reverse()
    placed = [False] * count
    for start in [*roots, *by_start]:
        if placed[start] or position[span_ids[start]] != start:
            continue
        order.parent[start] = -1
        stack = [start]
        while stack:
            index = stack.pop()
            if placed[index]:
                continue
            placed[index] = True
            order.rows.append(index)
            if index != start:
                order.depth[index] = order.depth[order.parent[index]] + 1
            stack.extend(children.get(index, ()))
    return order


def subtree_sizes(order: TreeOrder) -> list[int]:
    """How many rows each position's subtree holds, itself included (1 for a span in no
    row): one pass up the rows, no recursion."""
    sizes = [1] * len(order.parent)
    parent = order.parent
    for index in reversed(order.rows):
        above = parent[index]
        if above >= 0:
            sizes[above] += sizes[index]
    return sizes


def waterfall(store: Store, trace_id: str, limit: int | None = None) -> str | None:
    """The trace's waterfall as JSON text; None for a trace without spans.

    ``outcome`` is how the trace's run ended; ``spans``, ``errors`` and ``services`` count
    the whole trace. ``columns`` holds an array per field of ``WATERFALL_COLUMNS`` but the
    parent's span id, which ``parent`` says in fewer bytes; ``start``, each span's start in
    ns after the trace's first (an exact integer in JavaScript, where epoch nanoseconds are
    not); ``order``, ``parent`` and ``depth`` the tree (``TreeOrder``); ``subtree`` the size
    of each span's subtree; ``events``, ``[position, ns after the trace's start, name]`` for
    every span event (marks on the bars); ``approval``, the positions of spans that wait for
    a human.

    With ``limit``, only the first ``limit`` rows' spans are in it, each at its row's
    position: what a person sees first, answered before the whole of a big trace is read
    (``subtree`` still counts the rows below that are not sent).
    """
    if limit is not None:
        shape = waterfall_shape(store, trace_id)
        if not shape["spans"]:
            return None
        # A trace no longer than the limit (most are) is read whole at once.
        if limit < shape["spans"]:
            ids, starts = orjson.loads(shape["span_id"]), orjson.loads(shape["start_ns"])
            order = tree_order(ids, orjson.loads(shape["parent_span_id"]), starts)
            if limit < len(order.rows):
                first = _first_rows(store, trace_id, shape, (ids, starts, order), limit)
                if first is not None:
                    return first
    found = waterfall_columns(store, trace_id)
    if not found["spans"]:
        return None
    # orjson reads and writes the tree's 100,000-item arrays several times faster than json.
    starts = orjson.loads(found["start_ns"])
    order = tree_order(
        orjson.loads(found["span_id"]), orjson.loads(found["parent_span_id"]), starts
    )
    start_ns = found["first_start_ns"]
    events = [
        mark
        for position, encoded in zip(found["evented"], found["events"], strict=True)
        for mark in _marks(position, encoded, start_ns)
    ]
    # Counted over the spans placed: a span stored twice is one span.
    statuses, services = orjson.loads(found["status"]), orjson.loads(found["service"])
    errors = sum(statuses[position] == "error" for position in order.rows)
    crossed = sorted({services[p] for p in order.rows if services[p] is not None})
    head = _head(store, trace_id, found, order, (errors, crossed))
    head.update(
        order=order.rows,
        parent=order.parent,
        depth=order.depth,
        subtree=subtree_sizes(order),
        events=events,
    )
    # DuckDB's arrays go in as it wrote them: parsed and written again, they cost seconds.
    sent = (c for c in WATERFALL_COLUMNS if c not in ("parent_span_id", "start_ns"))
    columns = ",".join(f'"{name}":{found[name]}' for name in sent)
    offsets = orjson.dumps([start - start_ns for start in starts]).decode()
    head_text = orjson.dumps(head).decode()[:-1]
    return f'{head_text},"approval":{found["approval"]},"columns":{{"start":{offsets},{columns}}}}}'


def _marks(at: int, encoded: str, start_ns: int) -> list[list[Any]]:
    """The span at ``at``'s events (JSON, as stored) as marks on its bar: ``[at, ns after
    the trace's start, name]``; an event without a time marks the trace's start."""
    return [
        [at, (event.get("time_ns") or start_ns) - start_ns, event.get("name")]
        for event in orjson.loads(encoded)
    ]


def _head(
    store: Store,
    trace_id: str,
    found: dict[str, Any],
    order: TreeOrder,
    counted: tuple[int, list[str]],
) -> dict[str, Any]:
    """What a waterfall says of the whole trace; ``counted``, how many of its spans ended in
    error and the services it crossed."""
    errors, services = counted
    return {
        "trace_id": trace_id,
        "outcome": trace_outcome(store, trace_id),
        "spans": len(order.rows),
        "errors": errors,
        "services": services,
        "start_ns": found["first_start_ns"],
        "end_ns": found["last_end_ns"],
    }


def _first_rows(
    store: Store,
    trace_id: str,
    shape: dict[str, Any],
    tree: tuple[list[str], list[int], TreeOrder],
    limit: int,
) -> str | None:
    """The waterfall of the trace's first ``limit`` rows (row ``n`` at position ``n``), from
    its shape: the span ids and starts by position, and their tree; None when some of those
    spans are gone by the time they are read."""
    ids, starts, order = tree
    positions = order.rows[:limit]
    row_of = {position: row for row, position in enumerate(positions)}
    wanted = {ids[position]: position for position in positions}
    read: dict[int, dict[str, Any]] = {}
    for span in waterfall_spans(store, trace_id, list(wanted)):
        position = wanted[span["span_id"]]
        # A span stored twice: the copy the tree placed, the oldest (any, when they tie).
        if position not in read or span["start_ns"] == starts[position]:
            read[position] = span
    if len(read) < len(positions):
        return None  # spans deleted between the two reads (retention): read the whole
    spans = [read[position] for position in positions]
    start_ns = shape["first_start_ns"]
    sizes = subtree_sizes(order)
    failed: list[bool] = orjson.loads(shape["failed"])
    errors = sum(failed[position] for position in order.rows)
    answer = _head(store, trace_id, shape, order, (errors, orjson.loads(shape["services"])))
    answer.update(
        order=list(range(len(spans))),
        parent=[row_of.get(order.parent[position], -1) for position in positions],
        depth=[order.depth[position] for position in positions],
        subtree=[sizes[position] for position in positions],
        events=[
            mark
            for row, span in enumerate(spans)
            if span["events"]
            for mark in _marks(row, span["events"], start_ns)
        ],
        approval=[row for row, span in enumerate(spans) if span["approval"]],
        columns={
            "start": [span["start_ns"] - start_ns for span in spans],
            **{
                name: [span[name] for span in spans]
                for name in WATERFALL_COLUMNS
                if name not in ("parent_span_id", "start_ns")
            },
        },
    )
    return orjson.dumps(answer).decode()
