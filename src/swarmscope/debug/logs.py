"""``swarmscope logs search``: log records from the server, or from Loki with ``--loki``."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.text import Text

from swarmscope.api_words import LEVELS, LOGS, LogQuery, level_rank, time_ns
from swarmscope.debug.client import DEFAULT_SERVER, Api, CommandError
from swarmscope.debug.options import Json, Server, Since, Until, console, print_json, reported
from swarmscope.debug.render import details, level, message, table, when
from swarmscope.exceptions import BadParameter

logs_app = typer.Typer(help="Search logs.", no_args_is_help=True, rich_markup_mode=None)


def _level(name: str | None) -> str | None:
    """The level's canonical name (``warn`` is ``warning``), checked before any request."""
    if name is None:
        return None
    try:
        rank = level_rank(name)
    except BadParameter as error:
        raise typer.BadParameter(str(error).removeprefix("level ")) from None
    return next(known for known, value in LEVELS.items() if value == rank)


@logs_app.command("search")
@reported
def search(
    text: Annotated[
        str | None, typer.Argument(help="Text the message, event or fields contain.")
    ] = None,
    since: Since = None,
    until: Until = None,
    level_name: Annotated[
        str | None,
        typer.Option(
            "--level",
            help="Minimum level: debug, info, warning, error, critical.",
            callback=_level,
        ),
    ] = None,
    trace_id: Annotated[str | None, typer.Option(help="Only this trace's records.")] = None,
    agent: Annotated[str | None, typer.Option(help="Only this agent's records.")] = None,
    service: Annotated[str | None, typer.Option(help="Only this service's records.")] = None,
    limit: Annotated[int, typer.Option(help="At most this many.", min=1, max=1000)] = 50,
    loki: Annotated[
        str | None, typer.Option(help="Search this Loki (base URL) instead of the server.")
    ] = None,
    server: Server = DEFAULT_SERVER,
    as_json: Json = False,
) -> None:
    """Log records, newest first."""
    minimum = level_name
    if loki is not None:
        from swarmscope.debug.loki import search_loki

        records = search_loki(
            loki,
            LogQuery(
                text=text,
                min_rank=None if minimum is None else LEVELS[minimum],
                trace_id=trace_id,
                agent=agent,
                service=service,
                since_ns=time_ns("since", since),
                until_ns=time_ns("until", until),
                limit=limit,
            ),
        )
    else:
        with Api(server) as api:
            records = api.get(
                LOGS,
                {
                    "text": text,
                    "level": minimum,
                    "trace_id": trace_id,
                    "agent": agent,
                    "service": service,
                    "start": since,
                    "end": until,
                    "limit": limit,
                },
            )["logs"]
    if as_json:
        print_json({"logs": records, "count": len(records)})
    elif records:
        rows = [
            (
                when(r["time_ns"]),
                level(r["severity"]),
                r["service"] or "",
                r["agent"] or "",
                Text(message(r) + "  ").append(
                    details(r["attributes"] or {}, skip=("agent_id", "request_id")), style="dim"
                ),
                r["trace_id"] or "",
            )
            for r in records
        ]
        columns = ("time (UTC)", "level", "service", "agent", "message", "trace")
        console().print(table(f"{len(records)} log records", columns, rows))
    if not records:
        raise CommandError("no log record matches", 1)
