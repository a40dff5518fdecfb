"""``swarmscope serve``: the local server that receives OTLP and serves the console and API."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from swarmscope.commands.app_catalogs import CatalogOption, load_catalogs
from swarmscope.config import ConfigError, Settings


def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port (OTLP/HTTP's is 4318; 0 picks one).")] = 4318,
    grpc_port: Annotated[
        int,
        typer.Option(help="OTLP/gRPC port (OTLP's is 4317; 0 picks one; -1: no gRPC).", min=-1),
    ] = 4317,
    cors_origins: Annotated[
        str | None,
        typer.Option(
            help="Comma-separated origins whose web pages may send and read, e.g."
            " http://localhost:5173 (* for any). Default: none, loopback included."
        ),
    ] = None,
    data: Annotated[Path, typer.Option(help="Directory of the DuckDB store.")] = Path(
        "swarmscope-data"
    ),
    namespace: Annotated[
        str | None,
        typer.Option(
            help="Metric name prefix the apps use (dashboards, alerts). Default: what arrives"
            " (the apps' service.namespace and metric names); with several, the console lets"
            " you choose and alerts are evaluated for each."
        ),
    ] = None,
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
    catalog: CatalogOption = None,
) -> None:
    """Receive OTLP traces, logs and metrics into a local store; serve the console and API.

    OTLP arrives over HTTP on --port and over gRPC on --grpc-port. Set SWARMSCOPE_API_KEY to
    require that key from every client (receiver, API, console; gRPC metadata
    `authorization: Bearer KEY`). SWARMSCOPE_MAX_BODY_BYTES, SWARMSCOPE_MAX_QUEUED_ROWS and
    SWARMSCOPE_MAX_INFLIGHT_BYTES bound the intake; the options win over
    SWARMSCOPE_CORS_ORIGINS, SWARMSCOPE_ALERT_WEBHOOK_URL, SWARMSCOPE_ALERTMANAGER_URL and
    SWARMSCOPE_EXTERNAL_URL.
    """
    import duckdb

    from swarmscope.server.cors import parse_origins
    from swarmscope.server.run import listen, listen_grpc
    from swarmscope.server.run import serve as run_server
    from swarmscope.server.settings import ServerSettings
    from swarmscope.server.store.database import StoreError
    from swarmscope.server.store.retention import Retention

    load_catalogs(catalog)  # its dashboards, alerts and runbooks join swarmscope's
    if data.exists() and not data.is_dir():
        raise typer.BadParameter(f"{data} exists and is not a directory", param_hint="--data")
    try:
        if namespace is not None:
            Settings.load(namespace=namespace)
    except ConfigError as error:
        raise typer.BadParameter(str(error), param_hint="--namespace") from None
    try:
        origins = None if cors_origins is None else parse_origins(cors_origins)
    except ValueError as error:
        raise typer.BadParameter(str(error), param_hint="--cors-origins") from None
    try:
        settings = ServerSettings.load(
            cors_origins=origins,
            namespace=namespace,
            retention=Retention(max_age_seconds=retention * 86400, max_bytes=max_size_mb * 1024**2),
            alert_webhook_url=alert_webhook,
            alertmanager_url=alertmanager,
            alert_time_scale=alert_time_scale,
            external_url=external_url.rstrip("/") if external_url else None,
            decode_processes=(os.cpu_count() or 1)
            if decode_processes is None
            else decode_processes,
        )
    except ConfigError as error:
        typer.echo(f"swarmscope serve: {error}", err=True)
        raise typer.Exit(2) from None
    try:
        listener = listen(host, port)
        grpc = None if grpc_port < 0 else listen_grpc(host, grpc_port, settings)
    except OSError as error:
        typer.echo(f"swarmscope serve: {error}", err=True)
        raise typer.Exit(1) from None
    try:
        run_server(listener, data, settings, ready=lambda line: typer.echo(line), grpc=grpc)
    except (StoreError, duckdb.IOException) as error:
        typer.echo(f"swarmscope serve: {error}", err=True)
        raise typer.Exit(1) from None
