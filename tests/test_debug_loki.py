"""``swarmscope logs search --loki URL``: the LogQL it sends and how it reads Loki's answers.

The fake Loki below answers ``GET /loki/api/v1/query_range`` with responses shaped as Loki's
HTTP API documents them (``{"status": "success", "data": {"resultType": "streams",
"result": [{"stream": {labels}, "values": [[ns, line], ...]}]}}``; with
``X-Loki-Response-Encoding-Flags: categorize-labels`` each value carries a third element
``{"structuredMetadata": ..., "parsed": ...}`` and ``data.encodingFlags`` says so). It
answers only the exact query it expects, and 400 with Loki's plain-text error otherwise.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from typer.testing import CliRunner

from loopback import free_port, serve
from swarmscope.cli import app

TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
SCOUT = "zoho_data_scout"
START, END = "2026-01-05T10:00:00Z", "2026-01-05T10:05:00Z"
START_NS, END_NS = 1767607200000000000, 1767607500000000000


def line(event: str, level: str, at: str, **fields: Any) -> str:
    """A log line as the SDK writes it to its JSON log file (what Alloy ships)."""
    return json.dumps(
        {
            **fields,
            "event": event,
            "level": level,
            "logger": "swarmscope",
            "timestamp": at,
            "trace_id": TRACE,
            "span_id": "00f067aa0ba902b7",
            "service": "swarmscope-demo",
            "environment": "development",
        },
        separators=(",", ":"),
    )


CRM_FAILED = line(
    "zoho_api_call_failed",
    "error",
    "2026-01-05T10:01:02.000300Z",
    integration="zoho",
    agent_id=SCOUT,
    error_type="CrmUnavailable",
    error_message="zoho answered 503 Service Unavailable",
)
AGENT_FAILED = line(
    "agent_execution_failed",
    "error",
    "2026-01-05T10:01:02.000900Z",
    agent_id=SCOUT,
    error_type="CrmUnavailable",
)
ORCHESTRATION_FAILED = line(
    "orchestration_failed",
    "critical",
    "2026-01-05T10:01:02.000500Z",
    agent_id=SCOUT,
    error_type="CrmUnavailable",
)


@dataclass
class FakeLoki:
    url: str
    expected: dict[str, str] = field(default_factory=dict)
    answer: dict[str, Any] = field(default_factory=dict)
    calls: list[dict[str, Any]] = field(default_factory=list)


@pytest.fixture
def loki() -> Iterator[FakeLoki]:
    fake = FakeLoki("")
    web = FastAPI()

    @web.get("/loki/api/v1/query_range")
    async def query_range(request: Request) -> Response:
        asked = dict(request.query_params)
        fake.calls.append({"params": asked, "headers": dict(request.headers)})
        if asked != fake.expected:
            return PlainTextResponse(
                "parse error at line 1, col 1: syntax error: unexpected IDENTIFIER",
                status_code=400,
            )
        return JSONResponse(fake.answer)

    with serve(web) as url:
        fake.url = url
        yield fake


def search(*args: str) -> Any:
    return CliRunner().invoke(app, ["logs", "search", *args])


def streams(result: list[dict[str, Any]], categorized: bool) -> dict[str, Any]:
    data: dict[str, Any] = {"resultType": "streams", "result": result, "stats": {}}
    if categorized:
        data["encodingFlags"] = ["categorize-labels"]
    return {"status": "success", "data": data}


def test_every_filter_becomes_logql_and_the_answer_reads_like_the_servers(loki: FakeLoki):
    loki.expected = {
        "query": (
            '{service_name="swarmscope-demo", level=~"error|critical"} |= "CrmUnavailable"'
            f' | trace_id="{TRACE}" | agent_id="{SCOUT}"'
        ),
        "limit": "5",
        "direction": "backward",
        "start": str(START_NS),
        "end": str(END_NS),
    }
    metadata = {"structuredMetadata": {"trace_id": TRACE, "agent_id": SCOUT}, "parsed": {}}
    loki.answer = streams(
        [
            {
                "stream": {"service_name": "swarmscope-demo", "level": "error"},
                "values": [
                    ["1767607262000900000", AGENT_FAILED, metadata],
                    ["1767607262000300000", CRM_FAILED, metadata],
                ],
            },
            {
                "stream": {"service_name": "swarmscope-demo", "level": "critical"},
                "values": [["1767607262000500000", ORCHESTRATION_FAILED, metadata]],
            },
        ],
        categorized=True,
    )
    result = search(
        "CrmUnavailable", "--level", "error", "--trace-id", TRACE.upper(), "--agent", SCOUT,
        "--service", "swarmscope-demo", "--since", START, "--until", END, "--limit", "5",
        "--loki", loki.url, "--json",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    [call] = loki.calls
    assert call["headers"]["x-loki-response-encoding-flags"] == "categorize-labels"
    found = json.loads(result.stdout)
    assert found["count"] == 3
    records = found["logs"]
    assert [r["event"] for r in records] == [
        "agent_execution_failed",
        "orchestration_failed",
        "zoho_api_call_failed",
    ], "the streams merged, newest first"
    assert [r["severity"] for r in records] == ["error", "critical", "error"]
    first = records[0]
    assert (first["time_ns"], first["time"]) == (1767607262000900000, "2026-01-05T10:01:02.000900Z")
    assert (first["trace_id"], first["agent"], first["service"]) == (
        TRACE,
        SCOUT,
        "swarmscope-demo",
    )
    assert first["span_id"] == "00f067aa0ba902b7"
    assert records[2]["attributes"]["error_message"] == "zoho answered 503 Service Unavailable"

    human = search(
        "CrmUnavailable", "--level", "error", "--trace-id", TRACE, "--agent", SCOUT,
        "--service", "swarmscope-demo", "--since", START, "--until", END, "--limit", "5",
        "--loki", loki.url,
    )  # fmt: skip
    assert human.exit_code == 0
    assert "3 log records" in human.stdout and "zoho_api_call_failed" in human.stdout


def test_a_loki_that_merges_metadata_into_the_labels(loki: FakeLoki):
    """Lokis that ignore the encoding flag answer two-element values, one stream per trace."""
    loki.expected = {
        "query": '{service_name=~".+", level=~"warning|error|critical"} | agent_id="zoho_data_scout"',
        "limit": "50",
        "direction": "backward",
    }
    labels = {"service_name": "swarmscope-demo", "level": "error", "trace_id": TRACE}
    loki.answer = streams(
        [
            {
                "stream": {**labels, "agent_id": SCOUT},
                "values": [["1767607262000300000", CRM_FAILED]],
            }
        ],
        categorized=False,
    )
    result = search("--level", "warn", "--agent", SCOUT, "--loki", loki.url, "--json")
    assert result.exit_code == 0, result.output
    [record] = json.loads(result.stdout)["logs"]
    assert (record["trace_id"], record["agent"], record["severity"]) == (TRACE, SCOUT, "error")
    assert record["event"] == "zoho_api_call_failed"


def test_quotes_in_the_text_are_escaped_and_no_match_exits_1(loki: FakeLoki):
    loki.expected = {
        "query": '{service_name=~".+"} |= "say \\"hi\\" \\\\ bye"',
        "limit": "50",
        "direction": "backward",
    }
    loki.answer = streams([], categorized=True)
    result = search('say "hi" \\ bye', "--loki", loki.url)
    assert loki.calls[0]["params"]["query"] == loki.expected["query"]
    assert result.exit_code == 1 and result.stderr == "swarmscope: no log record matches\n"


def test_lokis_own_error_is_one_line(loki: FakeLoki):
    loki.expected = {"query": "something else entirely"}
    result = search("anything", "--loki", loki.url)
    assert result.exit_code == 1
    assert result.stderr == (
        "swarmscope: Loki answered 400: "
        "parse error at line 1, col 1: syntax error: unexpected IDENTIFIER\n"
    )


def test_an_unreachable_loki_is_one_line():
    url = f"http://127.0.0.1:{free_port()}"
    result = search("anything", "--loki", url)
    assert result.exit_code == 1
    assert result.stderr.startswith(f"swarmscope: cannot reach Loki at {url} (")
    assert result.stderr.count("\n") == 1
