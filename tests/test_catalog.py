"""swarmscope's catalog: one declaration per name, and every event the SDK logs declared."""

from __future__ import annotations

import pathlib
import re

import swarmscope
from swarmscope.conventions.catalog import EVENTS, METRICS


def test_catalog_names_are_unique():
    names = [spec.name for spec in METRICS]
    assert len(names) == len(set(names))
    events = [spec.name for spec in EVENTS]
    assert len(events) == len(set(events))


def test_every_emitted_event_name_is_declared():
    """Scan the SDK for event names it logs; each must be in the catalog."""
    root = pathlib.Path(swarmscope.__file__).parent
    declared = {spec.name for spec in EVENTS}
    used: set[str] = set()
    for path in root.rglob("*.py"):
        used |= set(re.findall(r'(?:rt|self)\.event\(\s*(?:rt,\s*)?"([a-z_]+)"', path.read_text()))
    assert used, "the scan found no events"
    assert used <= declared, sorted(used - declared)
