"""What every debugging command shares: ``--server``, ``--json``, time bounds, error reporting."""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from typing import Annotated, Any, ParamSpec, TypeVar

import typer
from rich.console import Console

from swarmscope.api_words import time_ns
from swarmscope.debug.client import CommandError
from swarmscope.exceptions import BadParameter


def _time(text: str | None) -> str | None:
    """Checked here, so a bad time is a usage error (exit 2) before any request is made."""
    try:
        time_ns("time", text)
    except BadParameter as error:
        raise typer.BadParameter(str(error).replace("time must", "must")) from None
    return text


Server = Annotated[
    str,
    typer.Option(
        "--server",
        envvar="SWARMSCOPE_SERVER",
        help="The swarmscope server (env SWARMSCOPE_SERVER).",
    ),
]
Json = Annotated[bool, typer.Option("--json", help="Machine-readable output.")]
_TIME_HELP = "epoch seconds, ISO 8601, or a duration ago (15m, 1h, 2d)"
Until = Annotated[
    str | None, typer.Option(help=f"End of the window: {_TIME_HELP}.", callback=_time)
]


Since = Annotated[
    str | None, typer.Option(help=f"Start of the window: {_TIME_HELP}.", callback=_time)
]

P = ParamSpec("P")
R = TypeVar("R")


def reported(command: Callable[P, R]) -> Callable[P, R]:
    """Run a command; a ``CommandError`` becomes its message on stderr and the exit code."""

    @functools.wraps(command)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return command(*args, **kwargs)
        except CommandError as error:
            typer.echo(f"swarmscope: {error}", err=True)
            raise typer.Exit(error.code) from None

    return run


def print_json(data: Any) -> None:
    typer.echo(json.dumps(data, indent=2, default=str))


def console() -> Console:
    """Rich output on stdout; wide enough for trace ids when stdout is not a terminal."""
    return Console(width=None if sys.stdout.isatty() else 160)
