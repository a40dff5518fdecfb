"""The SDK is light: `import swarmscope` loads none of the extras' packages, every root name
still resolves, and every import of the SDK's modules is satisfied by the base requirements.

The import checks run in a fresh interpreter, since this one has imported everything. Here
every extra is installed, so they show what swarmscope imports rather than what is missing
(``test_base_install`` checks the same in a venv without the extras).
"""

from __future__ import annotations

import ast
import importlib
import importlib.metadata
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from packaging.requirements import Requirement

import swarmscope

SRC = Path(swarmscope.__file__).parent
# Never loaded by `import swarmscope`. rich among them: structlog imports it when it is
# installed (structlog.dev, for its exception formatter), but the root imports no structlog.
HEAVY = ("duckdb", "pyarrow", "fastapi", "uvicorn", "httpx", "rich", "typer")
# The frameworks: each loaded by its own ss.instrument_<framework>() call, never before.
FRAMEWORKS = ("agents", "openai", "anthropic", "wrapt")
# Nor these, until used: the price table on the first price, the HTTP stack of the metric
# push when it starts, Starlette with swarmscope.web, YAML with the stack export.
LATER = ("genai_prices", "requests", "starlette", "yaml", "structlog")


def _loaded_after(code: str) -> set[str]:
    """The top-level packages in sys.modules after running ``code`` in a new interpreter."""
    script = f"{code}\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))"
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    return {name.split(".")[0] for name in json.loads(result.stdout.splitlines()[-1])}


def test_import_loads_no_extra_package():
    loaded = _loaded_after("import swarmscope")
    assert loaded.isdisjoint(HEAVY + LATER + FRAMEWORKS), sorted(
        loaded & set(HEAVY + LATER + FRAMEWORKS)
    )


def test_the_price_table_loads_off_the_apps_thread_when_a_first_llm_call_starts():
    setup = (
        "import swarmscope as ss\n"
        "from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter\n"
        "ss.init(service_name='t', span_exporter=InMemorySpanExporter(), log_stream='none')\n"
        "with ss.agent_run('a'):\n"
        "    with ss.tool_call('x'):\n"
        "        pass\n"
    )
    before = _loaded_after(setup)
    # rich is here: structlog imports it when installed (every extra is, in this venv).
    assert before.isdisjoint({*HEAVY, "genai_prices", "requests"} - {"rich"}), sorted(before)
    after = _loaded_after(
        setup
        + "from swarmscope import prices\n"
        + "from swarmscope.instrument import pricing\n"
        + "with ss.llm_call('gpt-4o', provider='openai') as llm:\n"
        + "    assert pricing.warmed(timeout=60)\n"
        + "    assert ('gpt-4o', 'openai') in prices._cache\n"
        + "    llm.record_usage(input_tokens=812, output_tokens=164)\n"
        + "assert llm.cost_usd and llm.cost_usd > 0\n"
    )
    assert "genai_prices" in after


def test_every_root_name_resolves_to_its_module_object():
    for name in swarmscope.__all__:
        value = getattr(swarmscope, name)
        module = swarmscope._LAZY.get(name)
        if module is not None:
            assert value is getattr(importlib.import_module(module), name)
    assert set(swarmscope.__all__) <= set(dir(swarmscope))
    from swarmscope import tool_call  # `from` imports go through __getattr__ too

    assert tool_call is swarmscope.tool_call
    with pytest.raises(AttributeError, match="no attribute 'tool_cal'"):
        _ = swarmscope.tool_cal


def test_type_checkers_see_the_names_the_root_resolves():
    """The TYPE_CHECKING imports (what IDEs read) and the lazy table (what runs) agree."""
    tree = ast.parse((SRC / "__init__.py").read_text())
    guarded = next(
        node
        for node in tree.body
        if isinstance(node, ast.If) and getattr(node.test, "id", None) == "TYPE_CHECKING"
    )
    static = {
        alias.name: node.module
        for node in guarded.body
        if isinstance(node, ast.ImportFrom) and node.module != "typing"
        for alias in node.names
    }
    assert static == swarmscope._LAZY
    assert set(swarmscope._LAZY) | {"__version__", "get_logger"} == set(swarmscope.__all__)


# -- every import of the SDK comes with `pip install swarmscope` --------------------------

# The SDK's modules; swarmscope.web needs the web extra on top of the base.
SDK = ("__init__.py", "_version.py", "app_catalog.py", "config.py", "propagation.py")
SDK_DIRS = ("conventions", "instrument", "telemetry")


def _imported_packages(paths: list[Path]) -> set[str]:
    """Top-level names of every import in ``paths``, module-level and local alike."""
    names: set[str] = set()
    for path in paths:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module.split(".")[0])
    return names - set(sys.stdlib_module_names) - {"swarmscope", "__future__"}


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _own(extras: tuple[str, ...]) -> list[Requirement]:
    """swarmscope's requirements with ``extras`` (the base's among them)."""
    found = []
    for text in importlib.metadata.requires("swarmscope") or []:
        requirement = Requirement(text)
        marker = requirement.marker
        if marker is None or any(marker.evaluate({"extra": e}) for e in ("", *extras)):
            found.append(requirement)
    return found


def _closure(extras: tuple[str, ...]) -> set[str]:
    """The distributions swarmscope with ``extras`` installs: its requirements and theirs."""
    seen: set[str] = set()
    pending = _own(extras)
    while pending:
        requirement = pending.pop()
        name = _normal(requirement.name)
        if name == "swarmscope":  # an extra naming others, as server names web
            pending.extend(_own(tuple(requirement.extras)))
            continue
        if name in seen:
            continue
        seen.add(name)
        for text in importlib.metadata.requires(requirement.name) or []:
            nested = Requirement(text)
            if nested.marker is None or nested.marker.evaluate({"extra": ""}):
                pending.append(nested)
    return seen


def _unsatisfied(paths: list[Path], extras: tuple[str, ...]) -> set[str]:
    providers = importlib.metadata.packages_distributions()
    installed = _closure(extras)
    return {
        name
        for name in _imported_packages(paths)
        if not {_normal(d) for d in providers.get(name, [])} & installed
    }


def test_the_sdk_imports_only_what_the_base_requirements_install():
    paths = [SRC / name for name in SDK]
    paths += [path for folder in SDK_DIRS for path in (SRC / folder).rglob("*.py")]
    assert _unsatisfied(paths, ()) == set()
    assert _unsatisfied(list((SRC / "web").rglob("*.py")), ("web",)) == set()
    integrations = SRC / "integrations"
    assert _unsatisfied([integrations / "openai_agents.py"], ("openai-agents",)) == set()
    assert _unsatisfied([integrations / "openai.py", integrations / "llm_clients.py"], ("openai",)) == set()  # fmt: skip
    assert _unsatisfied([integrations / "anthropic.py"], ("anthropic",)) == set()
    # The check can fail: the server's modules need more than the base.
    assert "duckdb" in _unsatisfied(list((SRC / "server").rglob("*.py")), ())


def test_the_command_checks_for_what_the_server_extra_installs():
    from swarmscope.__main__ import SERVER_MODULES

    providers = importlib.metadata.packages_distributions()
    server = _closure(("server",))
    for module in SERVER_MODULES:
        assert {_normal(d) for d in providers[module]} & server, module
