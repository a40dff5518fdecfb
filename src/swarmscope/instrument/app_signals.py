"""Recording into an app's own families and events (``swarmscope.app_catalog``).

swarmscope's concept calls record its families for the app; an app's own figures are
recorded by name, through the same registry, label limits and log pipeline.
"""

from __future__ import annotations

from typing import Any

from swarmscope.instrument.operation import safely
from swarmscope.telemetry.metrics import Family
from swarmscope.telemetry.runtime import current


def metric(name: str) -> Family:
    """The running family ``name``: ``metric("orders_total").child("eu", "paid").inc()``,
    label values in the order the family declares its labels."""
    return current().metrics[name]


def event(name: str, **fields: Any) -> None:
    """Log the declared event ``name`` at its declared level, in the current trace."""
    safely("event", lambda: current().event(name, fields))
