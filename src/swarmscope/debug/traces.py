"""``swarmscope traces list`` and ``swarmscope trace show``."""

from __future__ import annotations

from collections import defaultdict
from typing import Annotated, Any

import typer
from rich.text import Text
from rich.tree import Tree

from swarmscope.api_words import LOGS, TRACE, TRACES, Outcome
from swarmscope.conventions.attributes import (
    EXCEPTION_MESSAGE,
    EXCEPTION_TYPE,
    HTTP_RESPONSE_STATUS_CODE,
    SWARMSCOPE_LLM_COST_USD,
)
from swarmscope.conventions.spans import EVENT_EXCEPTION
from swarmscope.debug.client import DEFAULT_SERVER, Api, CommandError
from swarmscope.debug.options import Json, Server, Since, Until, console, print_json, reported
from swarmscope.debug.render import clock, details, level, message, ms, table, usd, when

# The server returns at most this many log records per request.
MAX_LOGS = 1000
# A failed run in red, one that recovered from its errors in yellow.
_OUTCOME_STYLES = {Outcome.FAILED: "red", Outcome.RECOVERED: "yellow", Outcome.INTERRUPTED: "dim"}

traces_app = typer.Typer(help="Find traces.", no_args_is_help=True, rich_markup_mode=None)
trace_app = typer.Typer(help="Look at one trace.", no_args_is_help=True, rich_markup_mode=None)


@traces_app.command("list")
@reported
def list_traces(
    failed: Annotated[
        bool, typer.Option("--failed", help="Only runs that failed (their root or top run).")
    ] = False,
    recovered: Annotated[
        bool,
        typer.Option("--recovered", help="Only runs that had errors and recovered (a retry)."),
    ] = False,
    since: Since = None,
    until: Until = None,
    agent: Annotated[str | None, typer.Option(help="Only traces this agent ran in.")] = None,
    service: Annotated[
        str | None, typer.Option(help="Only traces this service took part in.")
    ] = None,
    min_duration_ms: Annotated[
        float | None, typer.Option(help="Only traces at least this long.", min=0)
    ] = None,
    plain_requests: Annotated[
        bool,
        typer.Option(
            "--plain-requests", help="Also traces that are one HTTP request alone (polls)."
        ),
    ] = False,
    limit: Annotated[int, typer.Option(help="At most this many.", min=1, max=1000)] = 50,
    server: Server = DEFAULT_SERVER,
    as_json: Json = False,
) -> None:
    """Traces, newest first, each with how its run ended: failed, recovered, interrupted, ok."""
    if failed and recovered:
        raise CommandError("--failed and --recovered exclude each other: give one", 2)
    outcome = Outcome.FAILED if failed else Outcome.RECOVERED if recovered else None
    with Api(server) as api:
        answer = api.get(
            TRACES,
            {
                "outcome": outcome,
                "plain_requests": "true" if plain_requests else None,
                "start": since,
                "end": until,
                "agent": agent,
                "service": service,
                "min_duration_ms": min_duration_ms,
                "limit": limit,
            },
        )
    traces = answer["traces"]
    if as_json:
        print_json(answer)
    elif traces:
        rows = [
            (
                when(t["start_ns"]),
                t["trace_id"],
                t["root"],
                ms(t["duration_ms"]),
                Text(t["outcome"], style=_OUTCOME_STYLES.get(t["outcome"], "")),
                t["spans"],
                Text(str(t["errors"]), style="red" if t["errors"] else ""),
                ", ".join(t["agents"] or []),
            )
            for t in traces
        ]
        columns = (
            "start (UTC)", "trace", "root span", "duration", "outcome", "spans", "errors", "agents"
        )  # fmt: skip
        console().print(table(f"{len(traces)} traces", columns, rows))
    if not traces:
        raise CommandError("no trace matches", 1)


@trace_app.command("show")
@reported
def show_trace(
    trace_id: Annotated[str, typer.Argument(help="The 32-hex-digit trace id.")],
    server: Server = DEFAULT_SERVER,
    as_json: Json = False,
) -> None:
    """The span tree: durations, agents, tools, tokens, cost, errors, and each span's logs."""
    with Api(server) as api:
        trace = api.get(TRACE.format(trace_id=trace_id))  # NotFound: exit 1
        logs = api.get(LOGS, {"trace_id": trace_id, "limit": MAX_LOGS})["logs"]
    logs.sort(key=lambda record: record["time_ns"])
    if as_json:
        print_json({**trace, "logs": logs})
        return
    console().print(trace_tree(trace, logs))


def trace_tree(trace: dict[str, Any], logs: list[dict[str, Any]]) -> Tree:
    by_span: dict[str | None, list[dict[str, Any]]] = defaultdict(list)
    for record in logs:
        by_span[record["span_id"]].append(record)
    spans = list(_walk(trace["tree"]))
    cost = sum(_cost(span) or 0.0 for span in spans)
    tokens = sum((span["input_tokens"] or 0) + (span["output_tokens"] or 0) for span in spans)
    errors = sum(span["status"] == "error" for span in spans)
    outcome = trace["outcome"]
    title = Text.assemble(
        ("trace ", "bold"),
        (trace["trace_id"], "bold cyan"),
        " · ",
        (outcome, _OUTCOME_STYLES.get(outcome, "")),
        f" · {trace['spans']} spans · {errors} errors · {tokens} tokens · {usd(cost)}",
    )
    if len(logs) >= MAX_LOGS:
        title.append(f" · only the newest {MAX_LOGS} log records", style="yellow")
    root = Tree(title)
    for node in trace["tree"]:
        _add(root, node, by_span, None)
    known = {span["span_id"] for span in spans}
    stray = [r for span_id, records in by_span.items() if span_id not in known for r in records]
    if stray:
        branch = root.add(Text("logs outside the stored spans", style="dim"))
        for record in stray:
            branch.add(_log_line(record))
    return root


def _walk(nodes: list[dict[str, Any]]) -> Any:
    for node in nodes:
        yield node
        yield from _walk(node["children"])


def _cost(span: dict[str, Any]) -> float | None:
    value = (span.get("attributes") or {}).get(SWARMSCOPE_LLM_COST_USD)
    return float(value) if isinstance(value, int | float) else None


def _label(span: dict[str, Any], parent_service: str | None) -> Text:
    failed = span["status"] == "error"
    label = Text.assemble(
        ("✗ " if failed else "", "red"),
        (span["name"], "bold red" if failed else "bold"),
        ("  " + ms(span["duration_ms"]), "cyan"),
        ("  " + clock(span["start_ns"]), "dim"),
    )
    facts = []
    if span["service"] != parent_service:
        facts.append(f"service {span['service']}")
    for key in ("agent", "tool", "model"):
        if span.get(key):
            facts.append(f"{key} {span[key]}")
    if span["input_tokens"] is not None or span["output_tokens"] is not None:
        facts.append(f"tokens {span['input_tokens'] or 0} in / {span['output_tokens'] or 0} out")
    cost = _cost(span)
    if cost is not None:
        facts.append(f"cost {usd(cost)}")
    status_code = (span.get("attributes") or {}).get(HTTP_RESPONSE_STATUS_CODE)
    if status_code is not None:
        facts.append(f"status {status_code}")
    if facts:
        label.append("  " + " · ".join(facts), style="dim")
    if failed:
        label.append(f"\n{_error(span)}", style="red")
    return label


def _error(span: dict[str, Any]) -> str:
    """The status message, or the recorded exception when there is none."""
    if span.get("status_message"):
        return str(span["status_message"])
    for event in span.get("events") or []:
        if event.get("name") == EVENT_EXCEPTION:
            attrs = event.get("attributes") or {}
            return f"{attrs.get(EXCEPTION_TYPE, 'error')}: {attrs.get(EXCEPTION_MESSAGE, '')}"
    return "error"


def _log_line(record: dict[str, Any]) -> Text:
    extra = details(record.get("attributes") or {}, skip=("agent_id", "request_id"))
    return Text.assemble(
        (clock(record["time_ns"]) + " ", "dim"),
        level(record["severity"]),
        " ",
        message(record),
        (f"  {extra}" if extra else "", "dim"),
    )


def _add(
    parent: Tree,
    span: dict[str, Any],
    logs: dict[str | None, list[dict[str, Any]]],
    parent_service: str | None,
) -> None:
    branch = parent.add(_label(span, parent_service))
    # Logs and child spans in the order they happened.
    entries: list[tuple[int, int, dict[str, Any]]] = [
        (record["time_ns"], 0, record) for record in logs.get(span["span_id"], [])
    ]
    entries += [(child["start_ns"], 1, child) for child in span["children"]]
    for _, kind, entry in sorted(entries, key=lambda item: (item[0], item[1])):
        if kind == 0:
            branch.add(_log_line(entry))
        else:
            _add(branch, entry, logs, span["service"])
