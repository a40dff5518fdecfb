"""The debugging toolkit: commands an on-call engineer runs against a swarmscope server.

``traces list``, ``trace show``, ``logs search``, ``replay``, ``replay-failed``,
``inspect-agent`` and ``debug-handoff`` read the server's HTTP API (``--server``, default
the local one), print Rich tables and trees or ``--json``, and exit 0 on success, 1 when
nothing matches or the server cannot be reached, 2 on usage errors.
"""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add the debugging commands to the ``swarmscope`` command."""
    from swarmscope.debug import agents, replay_cli
    from swarmscope.debug.logs import logs_app
    from swarmscope.debug.traces import trace_app, traces_app

    app.add_typer(traces_app, name="traces")
    app.add_typer(trace_app, name="trace")
    app.add_typer(logs_app, name="logs")
    replay_cli.register(app)
    agents.register(app)
