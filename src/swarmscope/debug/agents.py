"""``swarmscope inspect-agent AGENT`` and ``swarmscope debug-handoff FROM TO``."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Annotated, Any

import typer
from rich.console import Group
from rich.text import Text

from swarmscope.api_words import AGENT, HANDOFFS
from swarmscope.conventions.spans import HANDOFF
from swarmscope.debug.client import DEFAULT_SERVER, Api, CommandError
from swarmscope.debug.options import Json, Server, Since, Until, console, print_json, reported
from swarmscope.debug.render import level, message, ms, number, percent, table, usd, when

Limit = Annotated[int, typer.Option(help="Rows per list.", min=1, max=500)]
_BAR_WIDTH = 30
Row = Callable[[dict[str, Any]], tuple[Any, ...]]


@reported
def inspect_agent(
    agent: Annotated[str, typer.Argument(help="The agent's name (gen_ai.agent.name).")],
    session: Annotated[str | None, typer.Option(help="Only this session's runs.")] = None,
    since: Since = "1h",
    until: Until = None,
    log_level: Annotated[
        str, typer.Option(help="Minimum level of the recent logs shown.")
    ] = "warning",
    limit: Limit = 10,
    server: Server = DEFAULT_SERVER,
    as_json: Json = False,
) -> None:
    """One agent: runs, errors, latency, tools, recent failures and logs, open runs.

    A run is open when its start was logged but its span has not ended.
    """
    with Api(server) as api:
        report = api.get(
            AGENT.format(agent=agent),
            {
                "start": since,
                "end": until,
                "session": session,
                "log_level": log_level,
                "limit": limit,
            },
        )
    found = report["runs"] or report["open_count"] or report["logs"]
    if as_json:
        print_json(report)
    elif found:
        console().print(_agent_view(report, since))
    if not found:
        window = f" in session {session}" if session else ""
        raise CommandError(f"no run of agent {agent}{window} since {since or 'ever'}", 1)


def sections(*parts: tuple[str, Sequence[str], list[dict[str, Any]], Row]) -> list[Any]:
    """A table per ``(title, columns, items, row)`` that has items; none for empty lists."""
    return [
        table(title, columns, [row(item) for item in items])
        for title, columns, items, row in parts
        if items
    ]


def _agent_view(report: dict[str, Any], since: str | None) -> Group:
    now_ns = time.time_ns()
    services = ", ".join(report["services"] or []) or "-"
    parts: list[Any] = [
        Text.assemble(
            ("agent ", "bold"),
            (report["agent"], "bold cyan"),
            f" · since {since or 'ever'} · services {services}",
        ),
        table(
            None,
            ("runs", "errors", "error rate", "p50", "p95", "max", "traces"),
            [
                (
                    report["runs"],
                    Text(str(report["errors"]), style="red" if report["errors"] else ""),
                    percent(report["error_rate"]),
                    ms(report["p50_ms"]),
                    ms(report["p95_ms"]),
                    ms(report["max_ms"]),
                    report["traces"],
                )
            ],
        ),
        *sections(
            (
                "tools",
                ("tool", "calls", "errors", "error rate", "p50", "p95"),
                report["tools"],
                lambda t: (
                    t["name"],
                    t["calls"],
                    t["errors"],
                    percent(t["error_rate"]),
                    ms(t["p50_ms"]),
                    ms(t["p95_ms"]),
                ),
            ),
            (
                "models",
                ("model", "calls", "errors", "p50", "tokens in", "tokens out", "cost"),
                report["models"],
                lambda m: (
                    m["name"],
                    m["calls"],
                    m["errors"],
                    ms(m["p50_ms"]),
                    number(m["input_tokens"]),
                    number(m["output_tokens"]),
                    usd(m["cost_usd"]),
                ),
            ),
            (
                "errors by kind",
                ("error", "runs"),
                report["error_kinds"],
                lambda e: (e["error"], e["count"]),
            ),
            (
                "recent failed runs",
                ("time (UTC)", "trace", "duration", "error"),
                report["failures"],
                lambda f: (
                    when(f["start_ns"]),
                    f["trace_id"],
                    ms(f["duration_ms"]),
                    Text(f["status_message"] or f["error_type"] or "error", style="red"),
                ),
            ),
            (
                f"{report['open_count']} runs still open",
                ("started (UTC)", "running for", "trace", "span", "session"),
                report["open_runs"],
                lambda o: (
                    when(o["time_ns"]),
                    ms((now_ns - o["time_ns"]) / 1e6),
                    o["trace_id"],
                    o["span_id"],
                    o["session"] or "-",
                ),
            ),
            (
                "sessions",
                ("session", "runs", "errors", "last activity (UTC)"),
                report["sessions"],
                lambda s: (s["session"], s["runs"], s["errors"], when(s["last_ns"])),
            ),
            (
                "recent logs",
                ("time (UTC)", "level", "message", "trace"),
                report["logs"],
                lambda r: (
                    (when(r["time_ns"]), level(r["severity"]), message(r), r["trace_id"] or "")
                ),
            ),
        ),
    ]
    if not report["open_count"]:
        parts.append(Text("no run still open", style="dim"))
    return Group(*parts)


@reported
def debug_handoff(
    from_agent: Annotated[str, typer.Argument(metavar="FROM", help="The agent handing over.")],
    to_agent: Annotated[str, typer.Argument(metavar="TO", help="The agent receiving the work.")],
    trace_id: Annotated[str | None, typer.Option(help="Only this trace's handoffs.")] = None,
    since: Since = "1h",
    until: Until = None,
    slow_ms: Annotated[
        float, typer.Option(help="A handoff slower than this (ms) is a problem.", min=0)
    ] = 1000.0,
    max_bytes: Annotated[
        int, typer.Option(help="A payload larger than this (bytes) is a problem.", min=0)
    ] = 256 * 1024,
    settle: Annotated[
        float,
        typer.Option(help="Seconds before a handoff whose target never ran counts.", min=0),
    ] = 30.0,
    limit: Limit = 10,
    server: Server = DEFAULT_SERVER,
    as_json: Json = False,
) -> None:
    """Handoffs from one agent to another: latency, data passed, failures, problems.

    Problems: slow handoffs, a target that never ran, oversized payloads.
    """
    with Api(server) as api:
        report = api.get(
            HANDOFFS,
            {
                "from_agent": from_agent,
                "to_agent": to_agent,
                "trace_id": trace_id,
                "start": None if trace_id else since,
                "end": until,
                "slow_ms": slow_ms,
                "max_bytes": max_bytes,
                "settle_s": settle,
                "limit": limit,
            },
        )
    found = report["handoffs"] or report["latency"]["arrivals"]
    if as_json:
        print_json(report)
    elif found:
        console().print(_handoff_view(report))
    if not found:
        where = f"in trace {trace_id}" if trace_id else f"since {since or 'ever'}"
        raise CommandError(f"no handoff from {from_agent} to {to_agent} {where}", 1)


def _handoff_view(report: dict[str, Any]) -> Group:
    latency = report["latency"]
    parts: list[Any] = [
        Text.assemble(
            (f"{HANDOFF} ", "bold"),
            (f"{report['from_agent']} → {report['to_agent']}", "bold cyan"),
            f" · {report['handoffs']} handoffs · {report['failures']} failed"
            f" ({percent(report['failure_rate'])}) · {latency['arrivals']} timed arrivals",
        ),
        table(
            "latency until the target started",
            ("min", "mean", "p50", "p90", "p95", "p99", "max"),
            [
                [
                    ms(latency[f"{key}_ms"])
                    for key in ("min", "mean", "p50", "p90", "p95", "p99", "max")
                ]
            ],
        ),
        _histogram(latency["buckets"]),
        *sections(
            (
                "data passed",
                ("keys", "handoffs", "min bytes", "mean bytes", "max bytes"),
                report["payloads"],
                lambda p: (
                    ", ".join(p["keys"]) or "-",
                    p["count"],
                    number(p["min_bytes"]),
                    number(p["mean_bytes"]),
                    number(p["max_bytes"]),
                ),
            ),
            (
                "failed handoffs",
                ("time (UTC)", "trace", "error"),
                report["failed"],
                lambda f: (
                    when(f["start_ns"]),
                    f["trace_id"],
                    Text(f["error"] or "error", style="red"),
                ),
            ),
        ),
        _problems(report["problems"]),
    ]
    return Group(*parts)


def _histogram(buckets: list[dict[str, Any]]) -> Any:
    """Only the span of buckets that hold something, each with a bar."""
    used = [index for index, bucket in enumerate(buckets) if bucket["count"]]
    if not used:
        return Text("no timed arrival", style="dim")
    top = max(bucket["count"] for bucket in buckets)
    rows = []
    low = 0.0
    for index, bucket in enumerate(buckets):
        high = bucket["le_ms"]
        if used[0] <= index <= used[-1]:
            span = f"> {ms(low)}" if high is None else f"≤ {ms(high)}"
            bar = "█" * max(1, round(bucket["count"] / top * _BAR_WIDTH)) if bucket["count"] else ""
            rows.append((span, bucket["count"], Text(bar, style="cyan")))
        low = high if high is not None else low
    return table("latency distribution", ("latency", "handoffs", ""), rows)


def _problems(problems: dict[str, Any]) -> Any:
    slow, never, big = problems["slow"], problems["target_never_ran"], problems["oversized"]
    if not (slow["count"] or never["count"] or big["count"]):
        return Text("no problem found", style="green")
    found = (
        ("slow", slow, lambda e: f"{ms(e['latency_ms'])} > {ms(slow['threshold_ms'])}"),
        ("target never ran", never, lambda e: f"no run of it {never['settle_s']:g} s after"),
        (
            "oversized",
            big,
            lambda e: f"{number(e['bytes'])} bytes > {number(big['threshold_bytes'])}",
        ),
    )
    rows = [
        (name, when(example["start_ns"]), example["trace_id"], detail(example))
        for name, problem, detail in found
        for example in problem["examples"]
    ]
    title = (
        f"problems: {slow['count']} slow · {never['count']} target never ran"
        f" · {big['count']} oversized"
    )
    return table(title, ("problem", "time (UTC)", "trace", "detail"), rows)
