"""``swarmscope traces list`` and ``swarmscope trace show``."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.text import Text

from swarmscope.api_words import LOGS, TRACE_WATERFALL, TRACES, Outcome
from swarmscope.debug.client import DEFAULT_SERVER, Api, CommandError
from swarmscope.debug.options import Json, Server, Since, Until, console, print_json, reported
from swarmscope.debug.render import ms, table, when
from swarmscope.debug.trace_view import OUTCOME_STYLES, span_tree, spans_of, summary

# The server returns at most this many log records per request.
MAX_LOGS = 1000

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
                Text(t["outcome"], style=OUTCOME_STYLES.get(t["outcome"], "")),
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
    depth: Annotated[
        int, typer.Option(help="Show this many levels of the tree.", min=1, max=200)
    ] = 12,
    limit: Annotated[
        int, typer.Option(help="Show at most this many spans of the tree.", min=1)
    ] = 200,
    server: Server = DEFAULT_SERVER,
    as_json: Json = False,
) -> None:
    """A summary (spans, depth, services, errors, the slowest spans, the most frequent
    names), then the span tree: durations, agents, tools, tokens, cost, errors, and each
    span's logs; cut to --depth levels and --limit spans."""
    with Api(server) as api:
        trace = api.get(TRACE_WATERFALL.format(trace_id=trace_id))  # NotFound: exit 1
        logs = api.get(LOGS, {"trace_id": trace_id, "limit": MAX_LOGS})["logs"]
    logs.sort(key=lambda record: record["time_ns"])
    if as_json:
        print_json({**trace, "logs": logs})
        return
    spans = spans_of(trace)
    out = console()
    out.print(summary(trace, spans))
    if len(logs) >= MAX_LOGS:
        out.print(Text(f"only the newest {MAX_LOGS} log records", style="yellow"))
    out.print(span_tree(spans, logs, depth, limit))
