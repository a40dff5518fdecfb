"""The ``swarmscope`` command's entry point, also ``python -m swarmscope``.

The command (server, console, debugging tools, stack export) comes with the ``server``
extra, while ``pip install swarmscope`` alone is the SDK an app runs. Without the extra, this
says so in one line and exits 1, before anything is imported that would fail with a
traceback; the modules are looked up, not imported, so the check costs a few milliseconds.
"""

from __future__ import annotations

import sys
from importlib.util import find_spec

# The top-level modules of the server extra's packages the command imports.
SERVER_MODULES = (
    "typer",
    "rich",
    "httpx",
    "yaml",
    "fastapi",
    "fastapi_offline",
    "uvicorn",
    "duckdb",
    "pyarrow",
)
INSTALL_HINT = "pip install 'swarmscope[server]'"


def missing_modules() -> list[str]:
    """The modules of ``SERVER_MODULES`` this environment does not have."""
    return [name for name in SERVER_MODULES if find_spec(name) is None]


def main() -> None:
    """Run the command, or say which extra it needs."""
    missing = missing_modules()
    if missing:
        print(
            f"swarmscope: the command comes with the server extra: {INSTALL_HINT} "
            f"(missing here: {', '.join(missing)})",
            file=sys.stderr,
        )
        raise SystemExit(1)
    from swarmscope.cli import app

    app(prog_name="swarmscope")


if __name__ == "__main__":
    main()
