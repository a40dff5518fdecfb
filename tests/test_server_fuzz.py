"""No request gets a 5xx from the server: OTLP bodies at the edges of their types and
hostile query parameters are answered 4xx with the reason, never with a crash.

OTLP exporters drop a batch on a 500 and retry a 503; a 4xx tells the sender what was
wrong with it. The first test runs the seeded fuzzer of ``server_fuzzing.py`` over every
route of the app (``benchmarks/server_fuzz.py`` runs it for longer); the others pin down,
one by one, what it found, with the answer each now gets.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
    ExportMetricsServiceResponse,
)
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from starlette.testclient import TestClient

from server_fuzzing import Outcome, allowed, cases, endpoints, otlp_json, send
from swarmscope.server.app import create_app
from swarmscope.server.intake import otlp
from swarmscope.server.intake.receiver import error
from swarmscope.server.settings import ServerSettings
from swarmscope.server.store.database import Store

# Fixed, so CI runs the same cases every time; the environment can ask for others.
SEED = int(os.environ.get("SWARMSCOPE_FUZZ_SEED", "20240611"))
CASES = int(os.environ.get("SWARMSCOPE_FUZZ_CASES", "3000"))
TRACE_ID, SPAN_ID = "5b8efff798038103d269b633813fc60c", "eee19b7ec3c1b174"
NOW_NS = 1_700_000_000 * 10**9
LAST_NS = 2**63 - 1


@pytest.fixture
def app_and_store(tmp_path: Path) -> Iterator[tuple[Any, Store]]:
    store = Store(tmp_path / "store.duckdb")
    try:
        settings = ServerSettings(max_body_bytes=1 << 20, api_key=None, decode_processes=0)
        yield create_app(store, settings), store
    finally:
        store.close()


@pytest.fixture
def client(app_and_store: tuple[Any, Store]) -> Iterator[TestClient]:
    # A crash is answered as a real client would see it (a 500), not raised into the test.
    with TestClient(app_and_store[0], raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture
def store(app_and_store: tuple[Any, Store]) -> Store:
    return app_and_store[1]


# -- the fuzzer --------------------------------------------------------------------------------


@pytest.mark.timeout(900)
def test_no_route_answers_5xx_to_thousands_of_hostile_requests(
    app_and_store: tuple[Any, Store], client: TestClient
):
    app = app_and_store[0]
    outcomes = [send(client, case) for case in cases(app, SEED, CASES)]
    # Allowed: any 4xx, and a 503 with Retry-After (a full queue, byte budget or disk says
    # "later" to a sender who did nothing wrong; OTLP exporters retry it). Any other 5xx
    # fails the test.
    failures = [outcome for outcome in outcomes if not outcome.allowed]
    assert not failures, _failure_report(failures)
    # Every route was tried: one added later is fuzzed without a change to the generator.
    tried = {(outcome.case.method, _template(outcome)) for outcome in outcomes}
    assert {(endpoint.method, endpoint.path) for endpoint in endpoints(app)} <= tried
    documented = {path for path in app.openapi()["paths"]}
    assert documented <= {endpoint.path for endpoint in endpoints(app)}
    # The generator reaches past validation: each signal had requests stored.
    for signal in ("traces", "logs", "metrics"):
        assert any(o.case.path == f"/v1/{signal}" and o.status == 200 for o in outcomes)


def _template(outcome: Outcome) -> str:
    """The route a case was made for, as its kind names it."""
    return outcome.case.kind.split(" ")[1]


def _failure_report(failures: list[Outcome]) -> str:
    first = failures[0]
    kinds = sorted({f"{o.case.kind}: {o.status} {o.text[:120]}" for o in failures})
    return (
        f"{len(failures)} answers were 5xx, of {len(kinds)} kinds:\n"
        + "\n".join(kinds[:20])
        + f"\n\nthe first, case {first.case.index} (again: python benchmarks/server_fuzz.py"
        f" --seed {SEED} --replay {first.case.index}):\n{first.case.reproducer()}"
    )


def test_only_a_503_with_retry_after_is_an_allowed_5xx():
    assert allowed(503, {"retry-after": "2"})
    assert not allowed(503, {}) and not allowed(500, {"retry-after": "2"})
    assert allowed(499, {})


# -- OTLP times past what the store holds ------------------------------------------------------


def _trace_request(*starts_and_ends: tuple[int, int]) -> ExportTraceServiceRequest:
    request = ExportTraceServiceRequest()
    group = request.resource_spans.add()
    group.resource.attributes.add(key="service.name").value.string_value = "agents"
    spans = group.scope_spans.add().spans
    for number, (start, end) in enumerate(starts_and_ends):
        spans.add(
            trace_id=bytes.fromhex(TRACE_ID),
            span_id=bytes([number + 1]) * 8,
            name=f"step {number}",
            start_time_unix_nano=start,
            end_time_unix_nano=end,
        )
    return request


def _post(client: TestClient, signal: str, request: Any, encoding: str) -> Any:
    if encoding == "json":
        body, media = json.dumps(otlp_json(request)).encode(), otlp.JSON
    else:
        body, media = request.SerializeToString(), otlp.PROTOBUF
    return client.post(f"/v1/{signal}", content=body, headers={"content-type": media})


@pytest.fixture(params=["protobuf", "protobuf-fallback", "json"])
def encoding(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Each way a request is read: the compiled reader, protobuf's messages, OTLP/JSON."""
    if request.param == "protobuf-fallback":
        monkeypatch.setattr(otlp, "otlp_wire", None)
    return "json" if request.param == "json" else "protobuf"


@pytest.mark.parametrize(
    ("start", "end", "field"),
    [
        (2**63, NOW_NS, "start_time_unix_nano 9223372036854775808"),
        (NOW_NS, 2**64 - 1, "end_time_unix_nano 18446744073709551615"),
    ],
)
def test_a_span_time_past_2_63_is_a_400_naming_the_field(
    client: TestClient, store: Store, encoding: str, start: int, end: int, field: str
):
    answer = _post(client, "traces", _trace_request((NOW_NS, NOW_NS), (start, end)), encoding)
    assert answer.status_code == 400
    reason = answer.json()["error"]
    assert field in reason and "span 'step 1' (span id 0202020202020202)" in reason
    assert "2262-04-11" in reason
    # Refused whole (the reader has no way yet to report one span in a partial success).
    assert store.rows("SELECT count(*) AS n FROM spans") == [{"n": 0}]


def test_the_last_time_the_store_holds_is_stored(client: TestClient, store: Store, encoding: str):
    answer = _post(client, "traces", _trace_request((LAST_NS, LAST_NS)), encoding)
    assert answer.status_code == 200
    assert store.rows("SELECT start_ns, end_ns FROM spans") == [
        {"start_ns": LAST_NS, "end_ns": LAST_NS}
    ]


def test_an_event_time_past_2_63_is_kept_as_sent(client: TestClient, store: Store, encoding: str):
    # Events live in a JSON column, which holds any unsigned 64-bit number.
    request = _trace_request((NOW_NS, NOW_NS))
    request.resource_spans[0].scope_spans[0].spans[0].events.add(name="e", time_unix_nano=2**64 - 1)
    assert _post(client, "traces", request, encoding).status_code == 200
    [row] = store.rows("SELECT events FROM spans")
    assert json.loads(row["events"])[0]["time_ns"] == 2**64 - 1


def _log_request(time_ns: int, observed_ns: int) -> ExportLogsServiceRequest:
    request = ExportLogsServiceRequest()
    records = request.resource_logs.add().scope_logs.add().log_records
    records.add(time_unix_nano=NOW_NS).body.string_value = "fine"
    records.add(time_unix_nano=time_ns, observed_time_unix_nano=observed_ns)
    return request


@pytest.mark.parametrize("encoding", ["protobuf", "json"])
@pytest.mark.parametrize(
    ("time_ns", "observed_ns", "field"),
    [
        (2**64 - 1, NOW_NS, "time_unix_nano 18446744073709551615"),
        (0, 2**63, "observed_time_unix_nano 9223372036854775808"),
    ],
)
def test_a_log_time_past_2_63_is_a_400_naming_the_field(
    client: TestClient, store: Store, encoding: str, time_ns: int, observed_ns: int, field: str
):
    answer = _post(client, "logs", _log_request(time_ns, observed_ns), encoding)
    assert answer.status_code == 400
    assert answer.json()["error"].startswith(f"log record: {field} is past the last time")
    assert store.rows("SELECT count(*) AS n FROM logs") == [{"n": 0}]


def test_an_observed_time_that_is_not_stored_is_not_checked(client: TestClient, store: Store):
    answer = _post(client, "logs", _log_request(NOW_NS + 1, 2**64 - 1), "protobuf")
    assert answer.status_code == 200
    assert store.rows("SELECT time_ns FROM logs ORDER BY time_ns") == [
        {"time_ns": NOW_NS},
        {"time_ns": NOW_NS + 1},
    ]


@pytest.mark.parametrize("encoding", ["protobuf", "json"])
@pytest.mark.parametrize("field", ["time_unix_nano", "start_time_unix_nano"])
def test_a_metric_point_past_2_63_is_rejected_and_the_others_stored(
    client: TestClient, store: Store, encoding: str, field: str
):
    request = ExportMetricsServiceRequest()
    metric = request.resource_metrics.add().scope_metrics.add().metrics.add(name="queue_depth")
    metric.gauge.data_points.add(time_unix_nano=NOW_NS, as_int=3)
    late = metric.gauge.data_points.add(time_unix_nano=NOW_NS, as_int=4)
    setattr(late, field, 2**64 - 1)
    answer = _post(client, "metrics", request, encoding)
    assert answer.status_code == 200
    if encoding == "json":
        partial = answer.json()["partialSuccess"]
        rejected, reason = int(partial["rejectedDataPoints"]), partial["errorMessage"]
    else:
        parsed = ExportMetricsServiceResponse.FromString(answer.content).partial_success
        rejected, reason = parsed.rejected_data_points, parsed.error_message
    assert rejected == 1
    assert reason.startswith(f"queue_depth: a data point's {field} is past the last time")
    assert store.rows("SELECT value FROM metric_points") == [{"value": 3.0}]


# -- OTLP/JSON ids -----------------------------------------------------------------------------


def _json_span(**ids: str) -> bytes:
    span = {"traceId": TRACE_ID, "spanId": SPAN_ID, "name": "x", **ids}
    return json.dumps({"resourceSpans": [{"scopeSpans": [{"spans": [span]}]}]}).encode()


@pytest.mark.parametrize(
    ("field", "value"),
    [("traceId", "abc"), ("spanId", SPAN_ID[:-1]), ("parentSpanId", "0" * 15)],
)
def test_an_odd_length_hex_id_is_a_400_naming_the_field(
    client: TestClient, store: Store, field: str, value: str
):
    answer = client.post(
        "/v1/traces", content=_json_span(**{field: value}), headers={"content-type": otlp.JSON}
    )
    assert answer.status_code == 400
    assert answer.json()["error"].startswith(f"{field} {value!r} has an odd number of hex digits")
    assert store.rows("SELECT count(*) AS n FROM spans") == [{"n": 0}]


def test_an_odd_length_log_trace_id_is_a_400(client: TestClient):
    body = {"resourceLogs": [{"scopeLogs": [{"logRecords": [{"traceId": "f" * 31}]}]}]}
    answer = client.post(
        "/v1/logs", content=json.dumps(body).encode(), headers={"content-type": otlp.JSON}
    )
    assert answer.status_code == 400 and "traceId" in answer.json()["error"]


def test_a_non_hex_id_is_rejected_in_the_partial_success_as_before(client: TestClient):
    # Not hex: read as protobuf's base64, whose 24 bytes are no trace id.
    answer = client.post(
        "/v1/traces", content=_json_span(traceId="zz" * 16), headers={"content-type": otlp.JSON}
    )
    assert answer.status_code == 200
    assert answer.json()["partialSuccess"]["rejectedSpans"] == "1"


# -- the error answer itself -------------------------------------------------------------------


def test_a_lone_surrogate_in_the_reason_is_written_out_not_a_500(client: TestClient):
    answer = client.post(
        "/v1/traces", content=b'{"resourceSpans": "\\ud800"}', headers={"content-type": otlp.JSON}
    )
    assert answer.status_code == 400
    assert answer.json()["error"].startswith("body is not OTLP JSON")
    assert "\\ud800" in answer.json()["error"]


def test_error_is_valid_utf8_json_for_any_reason():
    answer = error(400, "bad \ud800 and \udfff " + "x" * 5000)
    decoded = json.loads(answer.body.decode("utf-8"))
    assert decoded["status"] == 400
    assert decoded["error"].startswith("bad \\ud800 and \\udfff x")
    assert decoded["error"].endswith("x... (3012 more characters)")


# -- attribute values the columns could not take -----------------------------------------------


def test_a_non_text_agent_and_overflowing_tokens_are_stored_not_a_500(
    client: TestClient, store: Store, encoding: str
):
    request = _trace_request((NOW_NS, NOW_NS + 1))
    attributes = request.resource_spans[0].scope_spans[0].spans[0].attributes
    attributes.add(key="gen_ai.agent.name").value.int_value = 7
    attributes.add(key="gen_ai.tool.name").value.array_value.values.add(string_value="a")
    attributes.add(key="gen_ai.usage.input_tokens").value.double_value = float("inf")
    attributes.add(key="gen_ai.usage.output_tokens").value.string_value = "9" * 30
    assert _post(client, "traces", request, encoding).status_code == 200
    assert store.rows("SELECT agent, tool, input_tokens, output_tokens FROM spans") == [
        {"agent": "7", "tool": '["a"]', "input_tokens": None, "output_tokens": None}
    ]


def test_a_log_agent_or_event_that_is_not_text_is_stored_as_json(client: TestClient, store: Store):
    request = ExportLogsServiceRequest()
    record = request.resource_logs.add().scope_logs.add().log_records.add(time_unix_nano=NOW_NS)
    record.attributes.add(key="agent").value.bool_value = True
    record.attributes.add(key="event").value.kvlist_value.values.add(key="k")
    assert _post(client, "logs", request, "protobuf").status_code == 200
    assert store.rows("SELECT agent, event FROM logs") == [{"agent": "true", "event": '{"k":null}'}]


def test_a_label_sent_twice_is_one_label_the_last_value_winning(client: TestClient, store: Store):
    request = ExportMetricsServiceRequest()
    metric = request.resource_metrics.add().scope_metrics.add().metrics.add(name="queue_depth")
    point = metric.gauge.data_points.add(time_unix_nano=NOW_NS, as_int=3)
    point.attributes.add(key="agent").value.string_value = "scout"
    point.attributes.add(key="agent").value.string_value = "writer"
    assert _post(client, "metrics", request, "protobuf").status_code == 200
    assert store.rows("SELECT labels FROM metric_points") == [{"labels": {"agent": "writer"}}]


# -- query parameters --------------------------------------------------------------------------


def _routes_taking(app: Any, name: str) -> list[str]:
    return sorted(e.path for e in endpoints(app) if e.method == "GET" and name in e.query)


_REQUIRED = {"from_agent": "a", "to_agent": "b"}


def _get(client: TestClient, path: str, **params: str) -> Any:
    path = path.replace("{agent}", "scout").replace("{dashboard_id}", "cache-database")
    return client.get(path, params={**_REQUIRED, **params})


@pytest.mark.parametrize(
    ("name", "value", "reason"),
    [
        ("start", "inf", "start must be a finite time between 1677-09-21 and 2262-04-11"),
        ("start", "nan", "start must be a finite time"),
        ("end", "-inf", "end must be a finite time"),
        ("end", "1e20", "end must be between 1677-09-21 and 2262-04-11"),
        ("start", "-1e20", "start must be between"),
        ("start", "9" * 400 + "d", "start must be a finite time"),
        ("end", "99999999999999999999d", "end must be between"),
        ("start", "0001-01-01T00:00:00+14:00", "start must be between"),
        ("end", "9999-12-31T23:59:59Z", "end must be between"),
    ],
)
def test_a_time_bound_out_of_range_is_a_400_on_every_route(
    app_and_store: tuple[Any, Store], client: TestClient, name: str, value: str, reason: str
):
    routes = _routes_taking(app_and_store[0], name)
    assert "/api/logs" in routes and "/api/overview" in routes
    for path in routes:
        answer = _get(client, path, **{name: value})
        assert (path, answer.status_code) == (path, 400)
        assert reason in answer.json()["error"], path


@pytest.mark.parametrize(
    ("path", "name", "value"),
    [
        ("/api/traces", "limit", str(10**30)),
        ("/api/traces", "min_duration_ms", "inf"),
        ("/api/traces", "min_duration_ms", "nan"),
        ("/api/handoffs", "settle_s", "inf"),
        ("/api/handoffs", "settle_s", "1e300"),
        ("/api/handoffs", "slow_ms", "inf"),
        ("/api/handoffs", "max_bytes", "9" * 50),
        ("/api/logs", "limit", "-1"),
        ("/api/dashboards/{dashboard_id}", "step", "1e300"),
        ("/api/dashboards/{dashboard_id}", "step", "9" * 400 + "d"),
        ("/api/dashboards/{dashboard_id}", "step", "inf"),
    ],
)
def test_numbers_out_of_range_are_a_400_naming_the_parameter(
    client: TestClient, path: str, name: str, value: str
):
    answer = _get(client, path, **{name: value})
    assert answer.status_code == 400
    assert answer.json()["error"].startswith(name)


def test_an_alert_with_a_lone_surrogate_is_refused_and_the_alerts_still_answer(
    client: TestClient,
):
    message = {
        "version": "4",
        "groupKey": "{}:{}",
        "status": "firing",
        "receiver": "swarmscope",
        "alerts": [
            {
                "status": "firing",
                "labels": {"alertname": "AgentDown", "agent": "SURROGATE"},
                "startsAt": "2024-01-01T00:00:00Z",
                "endsAt": "0001-01-01T00:00:00Z",
            }
        ],
    }
    body = json.dumps(message).replace("SURROGATE", "\\ud800").encode()
    answer = client.post(
        "/api/alertmanager/webhook", content=body, headers={"content-type": otlp.JSON}
    )
    assert answer.status_code == 400
    assert "lone surrogate" in answer.json()["error"]
    listing = client.get("/api/alerts")
    assert listing.status_code == 200 and listing.json()["received"] == []


def test_a_metric_sent_as_a_gauge_and_as_a_histogram_does_not_break_the_dashboards(
    client: TestClient,
):
    now = time.time_ns()
    request = ExportMetricsServiceRequest()
    metrics = request.resource_metrics.add().scope_metrics.add().metrics
    name = "swarmscope_agent_session_duration_seconds"
    metrics.add(name=name).gauge.data_points.add(time_unix_nano=now - 60 * 10**9, as_double=1)
    histogram = metrics.add(name=name).histogram
    histogram.aggregation_temporality = 2
    for seconds_ago in (30, 20, 10):
        point = histogram.data_points.add(
            time_unix_nano=now - seconds_ago * 10**9, count=3, explicit_bounds=[0.1, 1.0]
        )
        point.bucket_counts.extend([1, 1, 1])
    assert _post(client, "metrics", request, "protobuf").status_code == 200
    assert client.get("/api/dashboards/agent-performance").status_code == 200
