"""One trace for a terminal: a summary (spans, depth, services, errors, the slowest spans,
the most frequent names) and the span tree, cut to a depth and a number of spans.

It reads the server's waterfall answer (``/api/traces/{id}/waterfall``): spans already in
depth-first order with their depth and parent row. So nothing here recurses, and a trace of
100,000 spans, or a chain 100,000 deep, prints in a second: what is cut is counted in
``… N more spans`` lines, never walked span by span into Rich.
"""

from __future__ import annotations

from collections import Counter, defaultdict, deque
from dataclasses import dataclass
from typing import Any

from rich.console import Group
from rich.table import Table
from rich.text import Text
from rich.tree import Tree

from swarmscope.api_words import Outcome
from swarmscope.debug.render import clock, details, level, message, ms, table, usd

# How many spans the summary's lists name.
TOP = 5
# A failed run in red, one that recovered from its errors in yellow.
OUTCOME_STYLES = {Outcome.FAILED: "red", Outcome.RECOVERED: "yellow", Outcome.INTERRUPTED: "dim"}


@dataclass(frozen=True, slots=True)
class Span:
    """What a tree line says of a span, from the waterfall's columns."""

    row: int
    span_id: str
    parent: int
    depth: int
    name: str
    service: str
    start_ns: int
    duration_ms: float
    status: str
    status_message: str | None
    agent: str | None
    tool: str | None
    model: str | None
    input_tokens: int | None
    output_tokens: int | None
    cost_usd: float | None


def spans_of(trace: dict[str, Any]) -> list[Span]:
    """The answer's spans in its tree order (depth first), each knowing its parent's row."""
    columns = trace["columns"]
    row_of = {position: row for row, position in enumerate(trace["order"])}
    spans = []
    for row, at in enumerate(trace["order"]):
        parent = trace["parent"][at]
        spans.append(
            Span(
                row=row,
                span_id=columns["span_id"][at],
                parent=row_of[parent] if parent >= 0 else -1,
                depth=trace["depth"][at],
                name=columns["name"][at],
                service=columns["service"][at],
                start_ns=trace["start_ns"] + columns["start"][at],
                duration_ms=columns["duration_ms"][at],
                status=columns["status"][at],
                status_message=columns["status_message"][at],
                agent=columns["agent"][at],
                tool=columns["tool"][at],
                model=columns["model"][at],
                input_tokens=columns["input_tokens"][at],
                output_tokens=columns["output_tokens"][at],
                cost_usd=columns["cost_usd"][at],
            )
        )
    return spans


def subtree_sizes(spans: list[Span]) -> list[int]:
    """How many spans each span's subtree holds, itself included: one pass from the end."""
    sizes = [1] * len(spans)
    for span in reversed(spans):
        if span.parent >= 0:
            sizes[span.parent] += sizes[span.row]
    return sizes


def summary(trace: dict[str, Any], spans: list[Span]) -> Group:
    """The trace in a few lines: size, depth, services, errors, the slowest spans and the
    names that come back most."""
    errors = [span for span in spans if span.status == "error"]
    tokens = sum((span.input_tokens or 0) + (span.output_tokens or 0) for span in spans)
    cost = sum(span.cost_usd or 0.0 for span in spans)
    services = Counter(span.service for span in spans)
    title = Text.assemble(
        ("trace ", "bold"),
        (trace["trace_id"], "bold cyan"),
        " · ",
        (trace["outcome"], OUTCOME_STYLES.get(trace["outcome"], "")),
        f" · {len(spans):,} spans · depth {max(span.depth for span in spans) + 1:,}",
        (f" · {len(errors):,} errors", "red" if errors else ""),
        f" · {ms((trace['end_ns'] - trace['start_ns']) / 1e6)} · {tokens:,} tokens · {usd(cost)}",
    )
    parts: list[Text | Table] = [
        title,
        Text("services: " + ", ".join(f"{name} ({n:,})" for name, n in services.most_common())),
    ]
    slowest = sorted(spans, key=lambda span: span.duration_ms, reverse=True)[:TOP]
    parts.append(
        table(
            "slowest spans",
            ("span", "duration", "service", "status"),
            ((s.name, ms(s.duration_ms), s.service, s.status) for s in slowest),
        )
    )
    names = Counter(span.name for span in spans).most_common(TOP)
    parts.append(
        table("most frequent span names", ("span", "count"), ((n, f"{c:,}") for n, c in names))
    )
    if errors:
        parts.append(
            table(
                f"first {min(TOP, len(errors))} of {len(errors):,} errors",
                ("span", "service", "error"),
                ((s.name, s.service, s.status_message or "error") for s in errors[:TOP]),
            )
        )
    return Group(*parts)


def span_tree(spans: list[Span], logs: list[dict[str, Any]], max_depth: int, limit: int) -> Tree:
    """The span tree with each span's log records among its children in time order, at
    most ``max_depth`` levels and ``limit`` spans; what is cut is said in ``… N more spans``
    lines where it would have been."""
    by_span: dict[str | None, list[dict[str, Any]]] = defaultdict(list)
    for record in logs:
        by_span[record["span_id"]].append(record)
    sizes = subtree_sizes(spans)
    root = Tree(Text("spans", style="bold"))
    # The branch of the span at each depth on the path to the current span.
    path: list[Tree] = []
    # Each shown span's branch, and its logs not yet placed (oldest first).
    shown_spans: dict[int, tuple[Tree, deque[dict[str, Any]]]] = {}
    row = shown = 0
    while row < len(spans):
        span = spans[row]
        if shown == limit:
            root.add(Text(f"… {len(spans) - row:,} more spans (--limit)", style="yellow"))
            break
        del path[span.depth :]
        parent_branch = path[-1] if path else root
        if span.parent in shown_spans:
            _place_logs(*shown_spans[span.parent], span.start_ns)
        parent_service = spans[span.parent].service if span.parent >= 0 else None
        branch = parent_branch.add(_label(span, parent_service))
        path.append(branch)
        shown_spans[row] = (branch, deque(by_span.get(span.span_id, [])))
        shown += 1
        if span.depth + 1 >= max_depth and sizes[row] > 1:
            branch.add(Text(f"… {sizes[row] - 1:,} more spans below (--depth)", style="yellow"))
            row += sizes[row]
        else:
            row += 1
    # Logs later than every child: after them.
    for branch, records in shown_spans.values():
        _place_logs(branch, records, None)
    known = {span.span_id for span in spans}
    stray = [r for span_id, records in by_span.items() if span_id not in known for r in records]
    if stray:
        outside = root.add(Text("logs outside the stored spans", style="dim"))
        for record in stray:
            outside.add(_log_line(record))
    return root


def _place_logs(branch: Tree, records: deque[dict[str, Any]], before_ns: int | None) -> None:
    """Move the records older than ``before_ns`` (all of them when None) under ``branch``."""
    while records and (before_ns is None or records[0]["time_ns"] <= before_ns):
        branch.add(_log_line(records.popleft()))


def _label(span: Span, parent_service: str | None) -> Text:
    failed = span.status == "error"
    label = Text.assemble(
        ("✗ " if failed else "", "red"),
        (span.name, "bold red" if failed else "bold"),
        ("  " + ms(span.duration_ms), "cyan"),
        ("  " + clock(span.start_ns), "dim"),
    )
    facts = []
    if span.service != parent_service:
        facts.append(f"service {span.service}")
    for key, value in (("agent", span.agent), ("tool", span.tool), ("model", span.model)):
        if value:
            facts.append(f"{key} {value}")
    if span.input_tokens is not None or span.output_tokens is not None:
        facts.append(f"tokens {span.input_tokens or 0} in / {span.output_tokens or 0} out")
    if span.cost_usd is not None:
        facts.append(f"cost {usd(span.cost_usd)}")
    if facts:
        label.append("  " + " · ".join(facts), style="dim")
    if failed:
        label.append(f"\n{span.status_message or 'error'}", style="red")
    return label


def _log_line(record: dict[str, Any]) -> Text:
    extra = details(record.get("attributes") or {}, skip=("agent_id", "request_id"))
    return Text.assemble(
        (clock(record["time_ns"]) + " ", "dim"),
        level(record["severity"]),
        " ",
        message(record),
        (f"  {extra}" if extra else "", "dim"),
    )
