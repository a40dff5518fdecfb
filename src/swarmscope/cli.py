"""The ``swarmscope`` command."""

from __future__ import annotations

import json
import os
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from swarmscope._version import __version__
from swarmscope.catalog import EVENTS, METRICS
from swarmscope.config import ConfigError, Settings
from swarmscope.debug import register as register_debugging
from swarmscope.demo.world import FAULTS, DemoConfig, FaultError, parse_faults

app = typer.Typer(
    help="Observability for multi-agent LLM systems: metrics, traces and logs that agree.",
    no_args_is_help=True,
    add_completion=False,
)


@app.command()
def version() -> None:
    """Print the swarmscope version."""
    typer.echo(__version__)


@app.command()
def demo(
    duration: Annotated[
        float | None, typer.Option(help="Seconds to run; without it, until Ctrl-C.", min=0.5)
    ] = None,
    rate: Annotated[float, typer.Option(help="Analyses started per second.", min=0.1)] = 2.0,
    seed: Annotated[int, typer.Option(help="Seed for the simulated world.")] = 7,
    port: Annotated[int, typer.Option(help="Port on 127.0.0.1 (0 picks a free one).")] = 8000,
    namespace: Annotated[str, typer.Option(help="Metric name prefix.")] = "swarmscope",
    faults: Annotated[
        str, typer.Option(help=f"Failure modes to switch on, comma-separated: {', '.join(FAULTS)}.")
    ] = "",
    approval_timeout: Annotated[
        float, typer.Option(help="Seconds an approval waits for a person.", min=0.1)
    ] = 5.0,
    log_dir: Annotated[Path, typer.Option(help="Where the JSON logs go.")] = Path(
        "swarmscope-logs"
    ),
    server_port: Annotated[
        int, typer.Option(help="Port of the embedded server and console (0 picks one).")
    ] = 4318,
    data: Annotated[Path, typer.Option(help="Directory of the embedded server's store.")] = Path(
        "swarmscope-data"
    ),
) -> None:
    """Run the reference multi-agent system under simulated load.

    Telemetry goes to an embedded `swarmscope serve` (its console URL is printed), or to
    OTEL_EXPORTER_OTLP_ENDPOINT when that is set.
    """
    from swarmscope.demo.runner import DemoOptions, run_demo

    try:
        Settings.load(namespace=namespace)
        fault_set = parse_faults(faults)
    except (ConfigError, FaultError) as error:
        hint = "--faults" if isinstance(error, FaultError) else "--namespace"
        raise typer.BadParameter(str(error), param_hint=hint) from None
    config = DemoConfig(seed=seed, faults=fault_set, approval_timeout=approval_timeout)
    options = DemoOptions(duration, rate, port, namespace, log_dir, config, server_port, data)
    raise typer.Exit(run_demo(options))


stack = typer.Typer(
    help="The production stack: Prometheus, Alertmanager and friends.", no_args_is_help=True
)
app.add_typer(stack, name="stack")


class TracesBackend(StrEnum):
    """The trace stores of ``swarmscope.ops.backends.TRACE_STORES``."""

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
) -> None:
    """Write every config of the production stack, generated from the catalog: Prometheus
    (scrape, alert and recording rules, rule tests), Alertmanager, Grafana dashboards and
    provisioning, OTel Collector, Alloy, Loki, Tempo or Jaeger, docker-compose, runbooks."""
    from swarmscope.ops.bundle import export

    try:
        Settings.load(namespace=namespace)
    except ConfigError as error:
        raise typer.BadParameter(str(error), param_hint="--namespace") from None
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
    from swarmscope.ops.stack import StackError, StackPorts, run

    try:
        run(directory, StackPorts(prometheus_port, alertmanager_port))
    except StackError as error:
        typer.echo(f"swarmscope stack up: {error}", err=True)
        raise typer.Exit(1) from None


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port (OTLP/HTTP's is 4318; 0 picks one).")] = 4318,
    data: Annotated[Path, typer.Option(help="Directory of the DuckDB store.")] = Path(
        "swarmscope-data"
    ),
    namespace: Annotated[
        str, typer.Option(help="Metric name prefix the apps use (dashboards and alerts).")
    ] = "swarmscope",
    retention: Annotated[float, typer.Option(help="Days of data kept.", min=0.001)] = 7.0,
    max_size_mb: Annotated[
        int, typer.Option(help="Store size kept under this many MB (oldest data goes).", min=1)
    ] = 2048,
    alert_webhook: Annotated[
        str | None, typer.Option(help="URL alerts are posted to (Alertmanager webhook shape).")
    ] = None,
    alertmanager: Annotated[
        str | None, typer.Option(help="Alertmanager base URL alerts are sent to.")
    ] = None,
    alert_time_scale: Annotated[
        float,
        typer.Option(help="Shrink alert windows and `for` (0.05: an hour in 3 min).", min=0.001),
    ] = 1.0,
    external_url: Annotated[
        str | None, typer.Option(help="URL people reach this server at, for alert links.")
    ] = None,
    decode_processes: Annotated[
        int | None,
        typer.Option(help="Processes decoding OTLP (default: one per CPU; 0: none).", min=0),
    ] = None,
) -> None:
    """Receive OTLP traces, logs and metrics into a local store; serve the console and API.

    Set SWARMSCOPE_API_KEY to require that key from every client (receiver, API, console).
    """
    import duckdb

    from swarmscope.server.retention import Retention
    from swarmscope.server.run import listen
    from swarmscope.server.run import serve as run_server
    from swarmscope.server.settings import ServerSettings
    from swarmscope.server.store import StoreError

    if data.exists() and not data.is_dir():
        raise typer.BadParameter(f"{data} exists and is not a directory", param_hint="--data")
    try:
        Settings.load(namespace=namespace)
    except ConfigError as error:
        raise typer.BadParameter(str(error), param_hint="--namespace") from None
    for option, url in (
        ("--alert-webhook", alert_webhook),
        ("--alertmanager", alertmanager),
        ("--external-url", external_url),
    ):
        if url is not None and not url.startswith(("http://", "https://")):
            raise typer.BadParameter(f"{url!r} is not an http(s) URL", param_hint=option)
    settings = ServerSettings(
        namespace=namespace,
        retention=Retention(max_age_seconds=retention * 86400, max_bytes=max_size_mb * 1024**2),
        alert_webhook_url=alert_webhook,
        alertmanager_url=alertmanager,
        alert_time_scale=alert_time_scale,
        external_url=external_url.rstrip("/") if external_url else None,
        decode_processes=(os.cpu_count() or 1) if decode_processes is None else decode_processes,
    )
    try:
        listener = listen(host, port)
    except OSError as error:
        typer.echo(f"swarmscope serve: {error}", err=True)
        raise typer.Exit(1) from None
    try:
        run_server(listener, data, settings, ready=lambda line: typer.echo(line))
    except (StoreError, duckdb.IOException) as error:
        typer.echo(f"swarmscope serve: {error}", err=True)
        raise typer.Exit(1) from None


@app.command()
def catalog(
    namespace: Annotated[str, typer.Option(help="Metric name prefix.")] = "swarmscope",
    as_json: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
    events: Annotated[bool, typer.Option("--events", help="List log events instead.")] = False,
) -> None:
    """List every metric family (or log event) swarmscope emits."""
    try:
        Settings.load(namespace=namespace)
    except ConfigError as error:
        raise typer.BadParameter(str(error), param_hint="--namespace") from None
    if events:
        rows = [
            {"event": e.name, "level": e.level, "group": e.group, "description": e.description}
            for e in EVENTS
        ]
    else:
        rows = [
            {
                "name": m.full_name(namespace),
                "kind": m.kind,
                "labels": list(m.labels),
                "buckets": list(m.buckets) if m.buckets else None,
                "group": m.group,
                "source": m.source,
                "help": m.help,
            }
            for m in METRICS
        ]
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return
    table = Table()
    for column in rows[0]:
        table.add_column(column)
    for row in rows:
        table.add_row(
            *(", ".join(map(str, v)) if isinstance(v, list) else str(v or "") for v in row.values())
        )
    Console().print(table)


# traces, trace, logs, replay, replay-failed, inspect-agent, debug-handoff
register_debugging(app)
