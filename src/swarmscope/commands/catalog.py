"""``swarmscope catalog``: every metric family, or log event, the SDK emits."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from swarmscope.app_catalog import every_metric, registered
from swarmscope.commands.app_catalogs import CatalogOption, load_catalogs
from swarmscope.config import ConfigError, Settings
from swarmscope.conventions.catalog import EVENTS


def catalog(
    namespace: Annotated[str, typer.Option(help="Metric name prefix.")] = "swarmscope",
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
    events: Annotated[bool, typer.Option("--events", help="List log events instead.")] = False,
    catalog: CatalogOption = None,
) -> None:
    """List every metric family (or log event) swarmscope emits."""
    try:
        Settings.load(namespace=namespace)
    except ConfigError as error:
        raise typer.BadParameter(str(error), param_hint="--namespace") from None
    load_catalogs(catalog)
    rows: list[dict[str, object]]
    if events:
        rows = [
            {"event": e.name, "level": e.level, "group": e.group, "description": e.description}
            for e in (*EVENTS, *(event for app in registered() for event in app.events))
        ]
    else:
        rows = [
            {
                "name": m.full_name(namespace),
                "kind": m.kind,
                "labels": list(m.labels),
                "buckets": list(m.buckets) if m.buckets else None,
                "group": m.group,
                "help": m.help,
            }
            for m in every_metric()
        ]
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table()
    for column in rows[0]:
        table.add_column(column)
    for row in rows:
        table.add_row(
            *(", ".join(map(str, v)) if isinstance(v, list) else str(v or "") for v in row.values())
        )
    Console().print(table)
