"""The command `swarmscope demo` runs: the account manager under simulated load."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from account_manager.world import (
    DEMO_TIME_SCALE,
    FAULTS,
    FRAMEWORKS,
    HAND_WRITTEN,
    DemoConfig,
    FaultError,
    parse_faults,
)
from swarmscope.config import ConfigError, Settings


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
    framework: Annotated[
        str,
        typer.Option(
            help=f"How the agents are written: {', '.join(FRAMEWORKS)} (a LangGraph graph "
            "reported by ss.instrument_langgraph)."
        ),
    ] = HAND_WRITTEN,
    time_scale: Annotated[
        float,
        typer.Option(
            help="The embedded server's alert windows and `for` durations are this many times"
            " shorter than in production, so a demo of minutes fires alerts (1: production"
            " length). Exported stacks are not affected.",
            min=1.0,
            max=1000.0,
        ),
    ] = DEMO_TIME_SCALE,
    approvers: Annotated[
        bool,
        typer.Option(
            help="Simulated people answer approvals; with --no-approvers you do, in the web UI."
        ),
    ] = True,
) -> None:
    """Run the reference multi-agent system under simulated load.

    Telemetry goes to an embedded `swarmscope serve` (its console URL is printed), or to
    OTEL_EXPORTER_OTLP_ENDPOINT when that is set. The web UI (its URL is printed too) starts
    analyses, shows their AG-UI events live and answers approvals.
    """
    from account_manager.runner import DemoOptions, run_demo

    if framework not in FRAMEWORKS:
        raise typer.BadParameter(
            f"unknown framework {framework}; known: {', '.join(FRAMEWORKS)}",
            param_hint="--framework",
        )
    try:
        Settings.load(namespace=namespace)
        fault_set = parse_faults(faults)
    except (ConfigError, FaultError) as error:
        hint = "--faults" if isinstance(error, FaultError) else "--namespace"
        raise typer.BadParameter(str(error), param_hint=hint) from None
    config = DemoConfig(seed=seed, faults=fault_set, approval_timeout=approval_timeout)
    options = DemoOptions(
        duration,
        rate,
        port,
        namespace,
        log_dir,
        config,
        server_port,
        data,
        framework,
        approvers,
        time_scale,
    )
    raise typer.Exit(run_demo(options))
