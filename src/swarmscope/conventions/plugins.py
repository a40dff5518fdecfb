"""Names other packages declare in their own metadata for swarmscope to find them.

An entry point group is a contract between distributions: the group is written in the
plugin's ``pyproject.toml`` and read here, so it is declared once like any other name that
crosses a boundary.
"""

from __future__ import annotations

# A package's ``swarmscope demo``: a Typer command function (the example's account manager).
DEMO_GROUP = "swarmscope.demo"
