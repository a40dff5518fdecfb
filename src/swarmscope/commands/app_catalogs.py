"""The ``--catalog MODULE:ATTR`` option the commands that read the catalog share."""

from __future__ import annotations

from typing import Annotated

import typer

from swarmscope.app_catalog import load
from swarmscope.config import ConfigError

CatalogOption = Annotated[
    list[str] | None,
    typer.Option(
        "--catalog",
        metavar="MODULE:ATTR",
        help="An app's own catalog (swarmscope.app_catalog.AppCatalog), beside swarmscope's; "
        "repeatable.",
    ),
]


def load_catalogs(targets: list[str] | None) -> None:
    """Register each named catalog; a wrong one is a usage error that says why."""
    for target in targets or ():
        try:
            load(target)
        except ConfigError as error:
            raise typer.BadParameter(str(error), param_hint="--catalog") from None
