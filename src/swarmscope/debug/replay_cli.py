"""``swarmscope replay TRACE_ID`` and ``swarmscope replay-failed``."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from rich.console import Group
from rich.text import Text

from swarmscope.api_words import REQUEST, REQUESTS
from swarmscope.debug.client import DEFAULT_SERVER, Api, CommandError
from swarmscope.debug.options import Json, Server, Since, Until, console, print_json, reported
from swarmscope.debug.render import ms, table, when
from swarmscope.debug.replay import Replay, facts, replay_url, replayable, send, summary, wait

Execute = Annotated[
    bool, typer.Option("--execute", help="Send the request to the app again (else: show it).")
]
Wait = Annotated[
    float,
    typer.Option("--wait", help="Seconds to wait for the new runs to finish.", min=0, max=3600),
]
Target = Annotated[
    str | None,
    typer.Option(help="Base URL of the app to send to (default: the one that took it)."),
]


@reported
def replay(
    trace_id: Annotated[str, typer.Argument(help="The trace of the request to replay.")],
    execute: Execute = False,
    target: Target = None,
    wait_s: Wait = 30.0,
    server: Server = DEFAULT_SERVER,
    as_json: Json = False,
) -> None:
    """Show the request a trace recorded; with --execute, send it again and compare the runs."""
    with Api(server) as api:
        recorded = api.get(REQUEST.format(trace_id=trace_id))  # NotFound: exit 1
        if not execute:
            if as_json:
                print_json(recorded)
            else:
                console().print(_request_view(recorded, target))
            return
        sent = send(recorded, target)
        wait(api, [sent], wait_s)
    if as_json:
        print_json(summary(sent))
    else:
        console().print(_comparison(sent))
    if not sent.complete:
        raise CommandError(_unfinished(sent, wait_s), 1)


@reported
def replay_failed(
    since: Since = "1h",
    until: Until = None,
    execute: Execute = False,
    target: Target = None,
    wait_s: Wait = 60.0,
    limit: Annotated[int, typer.Option(help="At most this many runs.", min=1, max=1000)] = 100,
    server: Server = DEFAULT_SERVER,
    as_json: Json = False,
) -> None:
    """Failed runs whose request was recorded; with --execute, replay them all.

    The report says which replays are fixed and which still fail.
    """
    with Api(server) as api:
        failed = api.get(
            REQUESTS, {"failed": "true", "start": since, "end": until, "limit": limit}
        )["requests"]
        if not failed:
            raise CommandError(f"no failed run with a recorded request since {since}", 1)
        if not execute:
            if as_json:
                print_json({"failed": len(failed), "requests": failed})
            else:
                console().print(_failed_table(failed))
            return
        sent, skipped = [], []
        for recorded in failed:
            if replayable(recorded) is None:
                sent.append(send(recorded, target))
            else:
                skipped.append(recorded)
        wait(api, sent, wait_s)
    report = _report(failed, sent, skipped)
    if as_json:
        print_json(report)
    else:
        console().print(_report_table(report))
    if report["incomplete"]:
        raise CommandError(f"{report['incomplete']} replays did not finish within {wait_s:g} s", 1)


def _result(replay: Replay) -> str:
    if not replay.complete:
        return "incomplete"
    return "fixed" if replay.fixed else "still failing"


def _report(
    failed: list[dict[str, Any]], sent: list[Replay], skipped: list[dict[str, Any]]
) -> dict[str, Any]:
    results = [{**summary(replay), "result": _result(replay)} for replay in sent]
    results += [
        {"original_trace_id": r["trace_id"], "result": "not replayable", "reason": replayable(r)}
        for r in skipped
    ]
    counted = [result["result"] for result in results]
    return {
        "failed": len(failed),
        "replayed": len(sent),
        "fixed": counted.count("fixed"),
        "still_failing": counted.count("still failing"),
        "incomplete": counted.count("incomplete"),
        "skipped": len(skipped),
        "results": results,
    }


def _unfinished(replay: Replay, wait_s: float) -> str:
    if replay.trace_id is None:
        return f"the replay's trace did not reach the server within {wait_s:g} s"
    return f"the replay's trace {replay.trace_id} did not finish within {wait_s:g} s"


# -- views -------------------------------------------------------------------------------------


def _request_view(recorded: dict[str, Any], target: str | None) -> Group:
    try:
        url = replay_url(recorded, target)
    except CommandError:
        url = recorded["target"]
    body = recorded["body"]
    if recorded["body_too_large"]:
        shown = Text("not recorded: over 64 KiB, this request cannot be replayed", style="red")
    elif body:
        shown = Text(_pretty(body))
    else:
        shown = Text("(empty)", style="dim")
    headers = "\n".join(f"{name}: {value}" for name, value in recorded["headers"].items())
    request = table(
        f"request recorded by trace {recorded['trace_id']}",
        ("", ""),
        [
            ("time (UTC)", when(recorded["start_ns"])),
            ("request", f"{recorded['method']} {url}"),
            ("headers", headers or "-"),
            ("body", shown),
            ("answered", recorded["status_code"] if recorded["status_code"] else "-"),
        ],
    )
    parts: list[Any] = [request, _outcome_table(recorded)]
    if recorded.get("replays"):
        parts.append(Text(f"replayed before as {', '.join(recorded['replays'])}", style="dim"))
    if replayable(recorded) is None:
        parts.append(Text("send it again with --execute", style="dim"))
    return Group(*parts)


def _pretty(body: str) -> str:
    try:
        return json.dumps(json.loads(body), indent=2)
    except ValueError:
        return body


def _fact_rows(*runs: dict[str, Any]) -> list[tuple[Any, ...]]:
    def agents(run: dict[str, Any]) -> str:
        return " → ".join(run["agents"]) or "-"

    def errors(run: dict[str, Any]) -> Text:
        text = str(run["errors"] if run["errors"] is not None else "-")
        if run["first_error"]:
            text += f"\n{run['first_error']}"
        return Text(text, style="red" if run["errors"] else "")

    def orchestration(run: dict[str, Any]) -> Text:
        value = run["orchestration"] or "-"
        return Text(value, style={"ok": "green", "error": "red"}.get(value, ""))

    return [
        ("trace", *(run["trace"] or "-" for run in runs)),
        ("status", *(str(run["status"] or "-") for run in runs)),
        ("duration", *(ms(run["duration_ms"]) for run in runs)),
        ("spans", *(str(run["spans"] or "-") for run in runs)),
        ("agents run", *(agents(run) for run in runs)),
        ("orchestration", *(orchestration(run) for run in runs)),
        ("errors", *(errors(run) for run in runs)),
    ]


def _outcome_table(recorded: dict[str, Any]) -> Any:
    return table("how the run went", ("", "original"), _fact_rows(facts(recorded)))


def _comparison(replay: Replay) -> Group:
    old, new = facts(replay.original), facts(replay.seen)
    new["status"] = replay.status_code
    new["trace"] = replay.trace_id
    verdict = (
        Text("fixed: the replay succeeded", style="green")
        if replay.fixed
        else Text("still failing", style="red")
        if replay.complete
        else Text("the replay has not finished", style="yellow")
    )
    return Group(
        Text(f"replayed {replay.original['method']} {replay.url}"),
        table("original against replay", ("", "original", "replay"), _fact_rows(old, new)),
        verdict,
    )


def _failed_table(failed: list[dict[str, Any]]) -> Any:
    rows = []
    for recorded in failed:
        run = facts(recorded)
        rows.append(
            (
                when(recorded["start_ns"]),
                recorded["trace_id"],
                f"{recorded['method']} {recorded['target']}",
                " → ".join(run["agents"]) or "-",
                Text(run["first_error"] or "-", style="red"),
            )
        )
    columns = ("time (UTC)", "trace", "request", "agents run", "error")
    return table(f"{len(failed)} failed runs", columns, rows)


def _report_table(report: dict[str, Any]) -> Group:
    styles = {"fixed": "green", "still failing": "red", "incomplete": "yellow"}
    rows = [
        (
            result["original_trace_id"],
            result.get("replay_trace_id") or "-",
            Text(result["result"], style=styles.get(result["result"], "")),
            _error_now(result),
        )
        for result in report["results"]
    ]
    line = (
        f"failed {report['failed']} · replayed {report['replayed']} · fixed {report['fixed']}"
        f" · still failing {report['still_failing']} · incomplete {report['incomplete']}"
        f" · not replayable {report['skipped']}"
    )
    columns = ("original trace", "replay trace", "result", "error now")
    return Group(table("replayed runs", columns, rows), Text(line, style="bold"))


def _error_now(result: dict[str, Any]) -> str:
    if result["result"] == "not replayable":
        return str(result["reason"])
    if result["result"] == "fixed":
        return "-"
    return (result.get("replay") or {}).get("first_error") or "-"
