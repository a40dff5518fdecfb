"""The Node package (js/node) for the tests and benchmarks that run it beside the Python SDK.

Node is a real component of these tests, like Chromium for the console's: a machine without
it fails them with a message that says how to get it, never skips them.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "js" / "node"
NPM_QUIET = ("--no-audit", "--no-fund", "--loglevel=error")


def executable(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        pytest.fail(
            f"{name} is not installed: `python3 tasks.py test` installs Debian's nodejs and npm"
            " (or install Node 20+ yourself)"
        )
    return found


def _stale(built: Path) -> bool:
    if not built.exists():
        return True
    sources = [*PACKAGE.glob("src/**/*.ts"), *PACKAGE.glob("test/**/*.ts")]
    return max(path.stat().st_mtime for path in sources) > built.stat().st_mtime


def built_script(name: str) -> Path:
    """``dist/test/<name>.js``, installing the package's locked dependencies and compiling it
    first when they are missing or older than its TypeScript."""
    npm = executable("npm")
    executable("node")
    script = PACKAGE / "dist" / "test" / f"{name}.js"
    if not (PACKAGE / "node_modules").is_dir():
        subprocess.run([npm, "ci", *NPM_QUIET], cwd=PACKAGE, check=True, timeout=600)
    if _stale(script):
        subprocess.run([npm, "run", "build", "--silent"], cwd=PACKAGE, check=True, timeout=600)
    return script
