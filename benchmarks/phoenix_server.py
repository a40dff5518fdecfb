"""Arize Phoenix for a side-by-side run: its own virtual environment, its server, its reads.

Phoenix is installed with pip into a virtual environment of its own under a cache directory
(reused when present), never into swarmscope's: its dependencies would pin ours. Its
server is ``phoenix serve`` with its SQLite store in a temporary working directory.

The reads measured are the ones its web UI makes: the GraphQL operations the traces table
(``TracesTableQuery``) and the trace page (``TraceDetailsQuery``) send, taken from the
installed version's own UI bundle so they match what that version's UI asks, plus the REST
list of traces (``GET /v1/projects/{project}/traces``). The span count comes from the
project's ``recordCount`` field.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

PHOENIX_REQUIREMENT = "arize-phoenix>=20.0"
DEFAULT_VENV = Path.home() / ".cache" / "swarmscope-bench" / "phoenix-venv"
# The UI bundle holds each Relay operation as ``name:`X`,operationKind:`query`,text:`...```.
_OPERATION = re.compile(r"name:`(\w+)`,operationKind:`query`,text:`([^`]*)`")
_PROJECTS = "query { projects { edges { node { id name } } } }"
_SPAN_COUNT = """query ($id: ID!, $range: TimeRange) {
  node(id: $id) { ... on Project { recordCount(timeRange: $range) } }
}"""


class PhoenixUnavailable(RuntimeError):
    """Phoenix could not be installed or its UI's queries could not be found."""


def install(venv: Path) -> Path:
    """The ``phoenix`` command of ``venv``, creating the environment and installing when needed."""
    command = venv / "bin" / "phoenix"
    if command.exists():
        return command
    print(f"installing {PHOENIX_REQUIREMENT} into {venv} (once; a few minutes)", flush=True)
    steps = [
        [sys.executable, "-m", "venv", str(venv)],
        [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", PHOENIX_REQUIREMENT],
    ]
    for step in steps:
        done = subprocess.run(step, capture_output=True, text=True, timeout=1800, check=False)
        if done.returncode != 0:
            raise PhoenixUnavailable(
                f"could not install Phoenix ({' '.join(step[-3:])} exited {done.returncode}):\n"
                + (done.stderr or done.stdout)[-2000:]
            )
    if not command.exists():
        raise PhoenixUnavailable(f"{command} is missing after installing {PHOENIX_REQUIREMENT}")
    return command


def version(command: Path) -> str:
    python = command.parent / "python"
    found = subprocess.run(
        [
            str(python),
            "-c",
            "from importlib.metadata import version; print(version('arize-phoenix'))",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    return found.stdout.strip() or "unknown"


def serve_environment(port: int, grpc_port: int, working_dir: Path) -> dict[str, str]:
    """``phoenix serve``'s settings: loopback ports, a store of its own, nothing fetched online.

    The assistant and telemetry reach the internet at start-up; they are off so that a
    machine without it does not make Phoenix wait on those calls.
    """
    return os.environ | {
        "PHOENIX_HOST": "127.0.0.1",
        "PHOENIX_PORT": str(port),
        "PHOENIX_GRPC_PORT": str(grpc_port),
        "PHOENIX_WORKING_DIR": str(working_dir),
        "PHOENIX_TELEMETRY_ENABLED": "false",
        "PHOENIX_DISABLE_AGENT_ASSISTANT": "true",
    }


def ui_queries(command: Path) -> dict[str, str]:
    """The GraphQL text of every query in the installed UI's JavaScript, by operation name."""
    site = next((command.parent.parent / "lib").glob("python3*/site-packages/phoenix"), None)
    if site is None:
        raise PhoenixUnavailable(f"no phoenix package next to {command}")
    found: dict[str, str] = {}
    for bundle in (site / "server" / "static" / "assets").glob("*.js"):
        found |= dict(_OPERATION.findall(bundle.read_text(errors="replace")))
    for wanted in ("TracesTableQuery", "TraceDetailsQuery"):
        if wanted not in found:
            raise PhoenixUnavailable(f"the Phoenix UI bundle has no {wanted}")
    return found


@dataclass
class PhoenixApi:
    """The reads of one running Phoenix server, for the project the payloads name."""

    client: httpx.Client
    queries: dict[str, str]
    project: str
    project_id: str = ""

    def graphql(self, query: str, variables: dict[str, Any]) -> dict[str, Any]:
        answer = self.client.post("/graphql", json={"query": query, "variables": variables})
        answer.raise_for_status()
        body = answer.json()
        if body.get("errors"):
            raise RuntimeError(f"Phoenix GraphQL errors: {body['errors'][:2]}")
        return body["data"]

    def _project_id(self) -> str:
        if not self.project_id:
            edges = self.graphql(_PROJECTS, {})["projects"]["edges"]
            named = [edge["node"]["id"] for edge in edges if edge["node"]["name"] == self.project]
            self.project_id = named[0] if named else ""
        return self.project_id

    def stored_spans(self) -> int:
        """The project's spans, counted now: Phoenix caches counts by their arguments, so
        each count asks for a window of its own (from 2000 to a day past a distinct now)."""
        project = self._project_id()
        if not project:
            return 0
        end = datetime.now(UTC) + timedelta(days=1)
        window = {"start": "2000-01-01T00:00:00+00:00", "end": end.isoformat()}
        return int(
            self.graphql(_SPAN_COUNT, {"id": project, "range": window})["node"]["recordCount"]
        )

    def latest_traces(self, limit: int) -> int:
        """The UI's traces table (root spans, newest first); how many rows came back."""
        variables = {"id": self._project_id(), "first": limit}
        data = self.graphql(self.queries["TracesTableQuery"], variables)
        return len(data["node"]["rootSpans"]["edges"])

    def latest_traces_rest(self, limit: int) -> int:
        answer = self.client.get(f"/v1/projects/{self.project}/traces", params={"limit": limit})
        answer.raise_for_status()
        return len(answer.json()["data"])

    def trace_tree(self, trace_id: str) -> int:
        """The UI's trace page; how many spans its tree has."""
        variables = {"id": self._project_id(), "traceId": trace_id}
        data = self.graphql(self.queries["TraceDetailsQuery"], variables)
        return len(data["project"]["trace"]["spans"]["edges"])
