"""The ``swarmscope`` command: a Typer app whose subcommands are imported when they run.

Each subcommand pulls in what it works with (DuckDB and uvicorn for ``serve``, the reference
system for ``demo``, httpx and Rich for the debugging tools), and importing all of them
took seconds before any command could start, ``swarmscope version`` included. Here the
command tree is a table of names, one-line helps and where each command lives; the module is
imported when its command is resolved, which is also when its own ``--help`` is printed.
The top-level ``--help`` lists the table's one-liners without importing anything.

Every Typer app of the command prints Click's plain help (``rich_markup_mode=None``):
Typer's Rich help imports Rich's Markdown renderer and its parser, a third of what
``traces list --help`` cost, for panels around the same text. Tables stay Rich's.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any, NamedTuple

import typer
from typer.core import TyperCommand, TyperGroup

from swarmscope._version import __version__


class Lazy(NamedTuple):
    """Where a subcommand lives (``module:attribute``, a Typer app or a command function)
    and the one line the top-level help shows for it (a test checks it is the command's)."""

    target: str
    help: str


# In the order the top-level help lists them.
COMMANDS: dict[str, Lazy] = {
    "demo": Lazy(
        "swarmscope.commands.demo:demo",
        "Run the reference multi-agent system under simulated load.",
    ),
    "stack": Lazy(
        "swarmscope.commands.stack:stack",
        "The production stack: Prometheus, Alertmanager and friends.",
    ),
    "serve": Lazy(
        "swarmscope.commands.serve:serve",
        "Receive OTLP traces, logs and metrics into a local store; serve the console and API.",
    ),
    "catalog": Lazy(
        "swarmscope.commands.catalog:catalog",
        "List every metric family (or log event) swarmscope emits.",
    ),
    "traces": Lazy("swarmscope.debug.traces:traces_app", "Find traces."),
    "trace": Lazy("swarmscope.debug.traces:trace_app", "Look at one trace."),
    "logs": Lazy("swarmscope.debug.logs:logs_app", "Search logs."),
    "replay": Lazy(
        "swarmscope.debug.replay_cli:replay",
        "Show the request a trace recorded; with --execute, send it again and compare the runs.",
    ),
    "replay-failed": Lazy(
        "swarmscope.debug.replay_cli:replay_failed",
        "Failed runs whose request was recorded; with --execute, replay them all.",
    ),
    "inspect-agent": Lazy(
        "swarmscope.debug.agents:inspect_agent",
        "One agent: runs, errors, latency, tools, recent failures and logs, open runs.",
    ),
    "debug-handoff": Lazy(
        "swarmscope.debug.agents:debug_handoff",
        "Handoffs from one agent to another: latency, data passed, failures, problems.",
    ),
}


def load(name: str) -> Any:
    """The command ``name`` as Click sees it, built by Typer exactly as ``add_typer`` or
    ``command`` on the root app would have built it."""
    module, attribute = COMMANDS[name].target.split(":")
    target = getattr(import_module(module), attribute)
    holder = typer.Typer(add_completion=False, rich_markup_mode=None)
    if isinstance(target, typer.Typer):
        holder.add_typer(target, name=name)
    else:
        holder.command(name)(target)
    return typer.main.get_group(holder).commands[name]


class Listed(TyperCommand):
    """A command listed but not imported yet: its name and one-line help."""


class LazyGroup(TyperGroup):
    """The root group: a listed command per table entry until that command is resolved.

    Listed commands carry the name and the one-line help, which is all the top-level help and
    Click's "did you mean" suggestions read; resolving a name swaps in the real command.
    """

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        for name, entry in COMMANDS.items():
            self.commands[name] = Listed(name=name, help=entry.help)

    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        if args and isinstance(self.commands.get(args[0]), Listed):
            self.commands[args[0]] = load(args[0])
        return super().resolve_command(ctx, args)


app = typer.Typer(
    cls=LazyGroup,
    help="Observability for multi-agent LLM systems: metrics, traces and logs that agree.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
)


@app.callback()
def root() -> None:
    """A callback makes the app a group even though ``version`` is its only eager command."""


@app.command()
def version() -> None:
    """Print the swarmscope version."""
    typer.echo(__version__)
