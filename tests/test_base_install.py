"""`pip install swarmscope` with no extras, in a fresh virtual environment: the SDK an app runs.

The repository is copied (sources, build files) and installed from PyPI with pip's ordinary
build isolation, so the base requirements in pyproject.toml are the only ones there: a
module of the SDK that imports an extra's package fails here and nowhere else. The copy keeps
the working tree free of the in-tree build's ``build/`` and ``egg-info`` and of a compile
running beside other tests. pip's caches are used as they are; the span reader is compiled
as in any install (its generated C is copied with its time, so Cython does not run again).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# What the extras bring: none of it may be installed by, or imported with, the base.
EXTRA_MODULES = (
    "duckdb",
    "pyarrow",
    "fastapi",
    "uvicorn",
    "httpx",
    "rich",
    "typer",
    "starlette",
    "yaml",
    "ag_ui",
)

PROBE = """
import importlib.util
import json
import sys

extras = json.loads(sys.argv[1])
import swarmscope

report = {"installed": [m for m in extras if importlib.util.find_spec(m) is not None]}
report["after_import"] = sorted(m for m in [*extras, "genai_prices"] if m in sys.modules)

from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

exporter = InMemorySpanExporter()
rt = swarmscope.init(
    service_name="base-install", namespace="base", span_exporter=exporter, log_stream="none"
)
with swarmscope.tool_call("x"):
    pass
assert rt.flush(timeout=10)
report["spans"] = [
    {"name": s.name, "tool": s.attributes.get("gen_ai.tool.name")}
    for s in exporter.get_finished_spans()
]
report["calls"] = [
    {"labels": s.labels, "value": s.value}
    for family in rt.metrics.registry.collect()
    if family.name == "base_agent_tool_calls"
    for s in family.samples
    if s.name == "base_agent_tool_calls_total"
]
report["after_call"] = sorted(m for m in [*extras, "genai_prices"] if m in sys.modules)
swarmscope.shutdown(timeout=5)
try:
    import swarmscope.web
except ModuleNotFoundError as error:
    report["web"] = str(error)
print(json.dumps(report))
"""


def _clean_env() -> dict[str, str]:
    """The environment without what would point the venv at this one's packages or settings."""
    dropped = ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PYTHONSTARTUP")
    return {
        key: value
        for key, value in os.environ.items()
        if key not in dropped and not key.startswith(("OTEL_", "SWARMSCOPE_"))
    }


def _copy_repo(target: Path) -> None:
    for name in ("pyproject.toml", "setup.py", "README.md"):
        shutil.copy2(ROOT / name, target / name)
    shutil.copytree(
        ROOT / "src",
        target / "src",
        ignore=shutil.ignore_patterns("__pycache__", "*.so", "*.egg-info", "*.pyc"),
    )


@pytest.fixture(scope="module")
def base_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A venv holding swarmscope and its base requirements only."""
    root = tmp_path_factory.mktemp("base-install")
    repo = root / "repo"
    repo.mkdir()
    _copy_repo(repo)
    venv = root / "venv"
    env = _clean_env()
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, env=env, timeout=120)
    python = venv / "bin" / "python"
    install = subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", str(repo)],
        capture_output=True,
        text=True,
        env=env,
        cwd=root,
        timeout=170,
    )
    assert install.returncode == 0, install.stdout + install.stderr
    return venv


@pytest.mark.timeout(180)
def test_the_base_install_imports_light_and_records_a_call(base_venv: Path):
    result = subprocess.run(
        [str(base_venv / "bin" / "python"), "-c", PROBE, json.dumps(EXTRA_MODULES)],
        capture_output=True,
        text=True,
        env=_clean_env(),
        cwd=base_venv.parent,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.splitlines()[-1])
    assert report["installed"] == []  # no extra's package came with the base
    assert report["after_import"] == []
    assert report["spans"] == [{"name": "execute_tool x", "tool": "x"}]
    assert report["calls"] == [
        {"labels": {"agent_type": "unknown", "tool_name": "x", "status": "success"}, "value": 1.0}
    ]
    assert "genai_prices" not in report["after_call"]  # no price was needed
    assert "pip install 'swarmscope[web]'" in report["web"]


@pytest.mark.timeout(180)
def test_the_command_says_which_extra_it_needs(base_venv: Path):
    for command in (["swarmscope"], ["swarmscope", "version"]):
        result = subprocess.run(
            [str(base_venv / "bin" / command[0]), *command[1:]],
            capture_output=True,
            text=True,
            env=_clean_env(),
            cwd=base_venv.parent,
            timeout=60,
        )
        assert result.returncode == 1
        assert result.stdout == ""
        lines = result.stderr.splitlines()
        assert len(lines) == 1 and "pip install 'swarmscope[server]'" in lines[0], result.stderr
