"""The console's third-party files (uPlot) are exactly what the locked npm package ships: the
copies committed under ``static/vendor`` are compared, byte for byte, with a fresh ``npm ci``
of ``js/console-vendor``, so a copy edited by hand or left behind by an upgrade fails here."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from swarmscope.server.console import STATIC

PACKAGE = Path(__file__).resolve().parents[1] / "js" / "console-vendor"
SHIPPED = ("uPlot.iife.min.js", "uPlot.min.css", "LICENSE")


@pytest.fixture(scope="module")
def installed() -> Path:
    """The package's ``node_modules``, installed from its lockfile when ``python3 tasks.py
    test`` has not already."""
    npm = shutil.which("npm")
    if npm is None:
        pytest.fail("node and npm are missing: `python3 tasks.py test` installs Debian's")
    if not (PACKAGE / "node_modules").is_dir():
        quiet = ("--no-audit", "--no-fund", "--loglevel=error")
        subprocess.run([npm, "ci", *quiet], cwd=PACKAGE, check=True, timeout=600)
    return PACKAGE / "node_modules"


def test_the_vendored_uplot_is_the_locked_packages_files(installed: Path):
    lock = json.loads((PACKAGE / "package-lock.json").read_text(encoding="utf-8"))
    locked = lock["packages"]["node_modules/uplot"]["version"]
    assert json.loads((installed / "uplot" / "package.json").read_text())["version"] == locked
    sources = {
        "uPlot.iife.min.js": installed / "uplot" / "dist" / "uPlot.iife.min.js",
        "uPlot.min.css": installed / "uplot" / "dist" / "uPlot.min.css",
        "LICENSE": installed / "uplot" / "LICENSE",
    }
    for name in SHIPPED:
        committed = (STATIC / "vendor" / "uplot" / name).read_bytes()
        assert committed == sources[name].read_bytes(), (
            f"{name}: run `node ship.mjs --ship` in js/console-vendor and commit"
        )


def test_the_ship_script_reports_a_stale_copy(installed: Path, tmp_path: Path):
    """``node ship.mjs`` (the package's build and test) fails when a copy differs."""
    node = shutil.which("node")
    assert node is not None
    fresh = subprocess.run([node, "ship.mjs"], cwd=PACKAGE, capture_output=True, text=True)
    assert fresh.returncode == 0, fresh.stderr
    # A copy of the package beside a static folder whose uPlot was edited.
    package = tmp_path / "js" / "console-vendor"
    package.mkdir(parents=True)
    shutil.copy(PACKAGE / "ship.mjs", package)
    (package / "node_modules").symlink_to(installed)
    vendor = tmp_path / "src" / "swarmscope" / "server" / "console" / "static" / "vendor"
    shutil.copytree(STATIC / "vendor", vendor)
    (vendor / "uplot" / "uPlot.min.css").write_text(".uplot { color: red }")
    stale = subprocess.run([node, "ship.mjs"], cwd=package, capture_output=True, text=True)
    assert stale.returncode == 1
    assert "uplot/uPlot.min.css" in stale.stderr and "uPlot.iife.min.js" not in stale.stderr
