"""``swarmscope demo``: run the demo an installed package registers.

swarmscope ships no demo of its own. A package declares one as an entry point in the group
``swarmscope.demo`` whose object is a Typer command function (its options and help are
the command's); the repository's ``examples/account_manager`` is one, and the README's
commands install it. With none installed, the command says how to get one and exits 1.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib.metadata import EntryPoint, entry_points
from typing import Any

import typer

from swarmscope.conventions.plugins import DEMO_GROUP as GROUP

INSTALL_HINT = "pip install -e examples/account_manager (from a clone of swarmscope's repository)"


def installed_demo(found: tuple[EntryPoint, ...] | None = None) -> Callable[..., Any]:
    """The command the first installed demo (by entry point name) registers, or one that
    explains none is installed."""
    demos = sorted(found if found is not None else entry_points(group=GROUP), key=lambda e: e.name)
    if not demos:
        return no_demo_installed
    command: Callable[..., Any] = demos[0].load()
    return command


def no_demo_installed() -> None:
    """Run the reference multi-agent system under simulated load."""
    typer.echo(
        f"swarmscope demo: no demo is installed (none registers the entry point group "
        f"{GROUP!r}). Install the reference one: {INSTALL_HINT}",
        err=True,
    )
    raise typer.Exit(1)


demo = installed_demo()
