"""``swarmscope stack export`` and ``swarmscope stack up``: the production stack's files."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from swarmscope.commands.app_catalogs import CatalogOption, load_catalogs
from swarmscope.config import ConfigError, Settings

stack = typer.Typer(
    help="The production stack: Prometheus, Alertmanager and friends.",
    no_args_is_help=True,
    rich_markup_mode=None,
)


class TracesBackend(StrEnum):
    """The trace stores of ``swarmscope.stack.backends.TRACE_STORES``."""

    tempo = "tempo"
    jaeger = "jaeger"


@stack.command("export")
def stack_export(
    directory: Annotated[Path, typer.Argument(help="Where to write the files.")],
    namespace: Annotated[str, typer.Option(help="Metric name prefix of the app.")] = "swarmscope",
    app_target: Annotated[
        str, typer.Option(help="HOST:PORT Prometheus scrapes the app's /metrics at.")
    ] = "host.docker.internal:8000",
    webhook_url: Annotated[
        str, typer.Option(help="Where Alertmanager also sends every alert.")
    ] = "http://swarmscope:4318/api/alertmanager/webhook",
    alertmanager_target: Annotated[
        str, typer.Option(help="HOST:PORT Prometheus sends alerts to.")
    ] = "alertmanager:9093",
    time_scale: Annotated[
        float,
        typer.Option(
            help="Shrink every interval, window and `for` (0.05: an hour in 3 min).",
            min=0.001,
            max=1.0,
        ),
    ] = 1.0,
    runbook_base: Annotated[
        str | None,
        typer.Option(
            metavar="URL",
            help="Where the team serves DIR/runbooks/: each alert's runbook_url is "
            "URL/<AlertName>.md. Default: the exported files' own file:// URL.",
        ),
    ] = None,
    traces_backend: Annotated[
        TracesBackend,
        typer.Option(help="Where the Collector sends spans and Grafana reads them."),
    ] = TracesBackend.tempo,
    catalog: CatalogOption = None,
) -> None:
    """Write every config of the production stack, generated from the catalog: Prometheus
    (scrape, alert and recording rules, rule tests), Alertmanager, Grafana dashboards and
    provisioning, OTel Collector, Alloy, Loki, Tempo or Jaeger, docker-compose, runbooks."""
    from swarmscope.stack.bundle import export

    try:
        Settings.load(namespace=namespace)
    except ConfigError as error:
        raise typer.BadParameter(str(error), param_hint="--namespace") from None
    load_catalogs(catalog)
    if directory.exists() and not directory.is_dir():
        raise typer.BadParameter(
            f"{directory} exists and is not a directory", param_hint="DIRECTORY"
        )
    written = export(
        directory,
        namespace=namespace,
        app_target=app_target,
        alertmanager_target=alertmanager_target,
        webhook_url=webhook_url,
        runbook_base=runbook_base,
        time_scale=time_scale,
        traces_backend=traces_backend.value,
    )
    typer.echo(f"wrote {len(written)} files under {directory}")


@stack.command("up")
def stack_up(
    directory: Annotated[Path, typer.Argument(help="A directory `stack export` wrote.")],
    prometheus_port: Annotated[int, typer.Option(help="Prometheus port on 127.0.0.1.")] = 9090,
    alertmanager_port: Annotated[int, typer.Option(help="Alertmanager port on 127.0.0.1.")] = 9093,
) -> None:
    """Run Prometheus and Alertmanager from an exported bundle until Ctrl-C."""
    from swarmscope.stack.local import StackError, StackPorts, run

    try:
        run(directory, StackPorts(prometheus_port, alertmanager_port))
    except StackError as error:
        typer.echo(f"swarmscope stack up: {error}", err=True)
        raise typer.Exit(1) from None
