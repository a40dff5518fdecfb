"""The server's rooms keep their borders: SQL lives in the store room only, the server never
loads the SDK, and the CLI reaches the server through its API words, not its modules."""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Iterator
from pathlib import Path

from fastapi import FastAPI
from fastapi.testclient import TestClient

import swarmscope
from swarmscope import api_words
from swarmscope.server.app import create_app
from swarmscope.server.store.database import Store

PACKAGE = Path(swarmscope.__file__).parent
SERVER = PACKAGE / "server"
STORE = SERVER / "store"
# A string that starts like an SQL statement (DuckDB's keywords are upper case in our SQL).
STATEMENT = re.compile(
    r"^\s*\(?\s*(SELECT|INSERT|WITH|DELETE|UPDATE|CREATE|DROP|ALTER|CHECKPOINT)\b"
)


def modules(root: Path) -> Iterator[Path]:
    yield from sorted(root.rglob("*.py"))


def docstrings(tree: ast.Module) -> set[int]:
    """The ids of the string nodes that are docstrings (prose, which may say SELECT)."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                found.add(id(body[0].value))
    return found


def sql_lines(path: Path) -> list[int]:
    """The lines of the strings that start like an SQL statement (an f-string's leading
    text is a string of its own in the tree, so f-strings are seen too)."""
    tree = ast.parse(path.read_text(), str(path))
    skip = docstrings(tree)
    return sorted(
        {
            node.lineno
            for node in ast.walk(tree)
            if isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and id(node) not in skip
            and STATEMENT.match(node.value)
        }
    )


def imported(path: Path) -> Iterator[tuple[int, str]]:
    """Every module a file imports (``from a import b`` names ``a`` and ``a.b``)."""
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            yield node.lineno, node.module
            for alias in node.names:
                yield node.lineno, f"{node.module}.{alias.name}"


def test_the_finder_sees_sql_in_strings_and_f_strings(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text(
        '"""SELECT in a docstring is prose."""\n'
        'A = "SELECT 1"\n'
        'B = f"""\n    WITH x AS ({A}) SELECT * FROM x"""\n'
        "C = \"name LIKE 'orchestrate %'\"\n"
    )
    assert sql_lines(sample) == [2, 3]


def test_sql_statements_live_in_the_store_room_only():
    outside = {
        str(path.relative_to(PACKAGE)): lines
        for path in modules(SERVER)
        if STORE not in path.parents and (lines := sql_lines(path))
    }
    assert outside == {}
    # The store room does hold them: the finder is not blind.
    assert sql_lines(STORE / "queries" / "traces.py")


SDK = ("swarmscope.instrument", "swarmscope.telemetry", "swarmscope.web", "swarmscope.config")


def test_the_server_never_imports_the_sdk_or_the_package_root():
    bad = [
        f"{path.relative_to(PACKAGE)}:{line}: {name}"
        for path in modules(SERVER)
        for line, name in imported(path)
        if name == "swarmscope" or name in SDK or name.startswith(tuple(f"{m}." for m in SDK))
    ]
    assert bad == []


CLIENT_ROOMS = ("debug", "commands")


def test_the_cli_imports_no_server_module_but_serve():
    bad = []
    for room in CLIENT_ROOMS:
        for path in modules(PACKAGE / room):
            if path == PACKAGE / "commands" / "serve.py":
                continue
            bad += [
                f"{path.relative_to(PACKAGE)}:{line}: {name}"
                for line, name in imported(path)
                if name == "swarmscope.server" or name.startswith("swarmscope.server.")
            ]
    assert bad == []


# Every view's paths, with the literal and parameter paths that share a prefix.
PATHS = (
    "/api/agents/graph",
    "/api/agents/planner",
    "/api/traces",
    "/api/traces/0af7651916cd43dd8448eb211c80319c",
    "/api/logs?level=error",
    "/api/requests",
    "/api/requests/0af7651916cd43dd8448eb211c80319c",
    "/api/handoffs?from_agent=a&to_agent=b",
    "/api/approvals",
    "/api/waits",
    "/api/sessions",
    "/api/sessions/thread-1",
    "/api/overview",
    "/api/dashboards",
    "/api/alerts",
    "/api/docs",
    "/openapi.json",
    "/",
    "/nowhere",
)


def answers(app: FastAPI) -> dict[str, tuple[int, str]]:
    with TestClient(app) as client:
        found = {}
        for path in PATHS:
            response = client.get(path)
            body = response.json() if "json" in response.headers["content-type"] else None
            # What varies from one request to the next: the clock. (The OpenAPI document
            # lists paths in route order: compared with its keys sorted.)
            if isinstance(body, dict):
                body.pop("window", None)
                body.pop("evaluated_at", None)
            found[path] = (response.status_code, json.dumps(body, sort_keys=True))
        return found


def test_routes_answer_the_same_in_any_order(tmp_path):
    store = Store(tmp_path / "store.duckdb")
    try:
        forward = create_app(store)
        backward = create_app(store)
        backward.router.routes.reverse()
        expected = answers(forward)
        assert answers(backward) == expected
        assert expected["/api/agents/graph"][0] == 200
        assert '"nodes": []' in expected["/api/agents/graph"][1]
        assert '"agent": "planner"' in expected["/api/agents/planner"][1]
    finally:
        store.close()


def cli_requests() -> Iterator[tuple[str, str, set[str]]]:
    """Each ``api.get(PATH, {...})`` of the debugging commands: where, the path's name in
    ``api_words``, and the query parameters it sends."""
    for path in modules(PACKAGE / "debug"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if not (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "get"
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id == "api"
            ):
                continue
            target = node.args[0]
            if isinstance(target, ast.Call):  # PATH.format(...)
                target = target.func.value  # type: ignore[attr-defined]
            assert isinstance(target, ast.Name), f"{path.name}:{node.lineno}: a path literal"
            sent = node.args[1] if len(node.args) > 1 else ast.Dict(keys=[], values=[])
            assert isinstance(sent, ast.Dict)
            keys = {key.value for key in sent.keys if isinstance(key, ast.Constant)}
            yield f"{path.name}:{node.lineno}", target.id, keys


def test_the_cli_asks_for_paths_and_parameters_the_server_declares(tmp_path):
    store = Store(tmp_path / "store.duckdb")
    try:
        document = create_app(store).openapi()
    finally:
        store.close()
    declared = {
        path: {param["name"] for param in operation["get"].get("parameters", [])}
        for path, operation in document["paths"].items()
        if "get" in operation
    }
    requests = list(cli_requests())
    assert len(requests) >= 9
    for where, name, sent in requests:
        path = getattr(api_words, name)
        assert path in declared, f"{where}: the server has no GET {path}"
        assert sent <= declared[path], f"{where}: {sorted(sent - declared[path])} undeclared"
