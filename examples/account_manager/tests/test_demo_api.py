"""The demo's HTTP API in-process: analyses, runs, AG-UI over SSE, approvals, bad input, traces.

The app is built with ``build_services``/``create_app`` under the ``telemetry`` fixture. Plain
request/response tests go through httpx's ASGI transport on one event loop (the runs'
background tasks live on it too); the SSE test needs a real server, because the ASGI
transport buffers a streamed response, so it runs uvicorn on a loopback port in a thread.

Determinism: with ``SEED`` the first dozen accounts, analysed one after another in a fresh
service, all complete (the simulated LLM's faults depend on the seed and the order of calls).
Whether a run asks a human depends on its recommendations, which are drawn from a generator
keyed by the seed, the account and how many runs of it the service started before (see
``test_same_seed_same_recommendations``), so the tests that need an approval try accounts in
order until one asks; nearly nine runs in ten do.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
from ag_ui.core import Event, EventType
from opentelemetry.trace import SpanKind
from pydantic import TypeAdapter

from account_manager.access import ANALYSTS, APPROVERS, token_for
from account_manager.agents import Services, in_background
from account_manager.api import build_services, create_app
from account_manager.world import DemoConfig, account_ids
from loopback import serve

SEED = 3
SPEED = 0.2
ACCOUNTS = account_ids(12)
TERMINAL = ("completed", "failed")
EVENTS: TypeAdapter[Any] = TypeAdapter(Event)
JSON_ERROR = "application/json"
OPERATION = {"operation": "account_analysis"}


# -- helpers -------------------------------------------------------------------------------


@contextmanager
def demo(approval_timeout: float) -> Iterator[tuple[Services, Any]]:
    """A fresh account-manager service (no compliance service: no A2A) and its app."""
    services = build_services(DemoConfig(seed=SEED, approval_timeout=approval_timeout, speed=SPEED))
    try:
        yield services, create_app(services)
    finally:
        services.memory.close()


def run(main: Callable[[], Awaitable[Any]], timeout: float = 30.0) -> Any:
    """Run a test's async body on a fresh event loop, bounded."""

    async def bounded() -> Any:
        return await asyncio.wait_for(main(), timeout)

    return asyncio.run(bounded())


def asgi_client(app: Any) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://demo")


async def eventually(
    check: Callable[[], Awaitable[bool]], what: str, timeout: float = 10.0
) -> None:
    deadline = time.monotonic() + timeout
    while not await check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.01)


async def finished(client: httpx.AsyncClient, run_id: str, timeout: float = 10.0) -> dict:
    """Poll ``GET /api/runs/{run_id}`` until the run completed or failed."""
    deadline = time.monotonic() + timeout
    while True:
        response = await client.get(f"/api/runs/{run_id}")
        assert response.status_code == 200, response.text
        body = response.json()
        if body["status"] in TERMINAL:
            return body
        assert time.monotonic() < deadline, f"run {run_id} still {body['status']}"
        await asyncio.sleep(0.01)


async def approvals(client: httpx.AsyncClient, status: str | None = None) -> list[dict]:
    params = {} if status is None else {"status": status}
    response = await client.get("/api/approvals", params=params)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["count"] == len(body["approvals"])
    return body["approvals"]


async def analyze(client: httpx.AsyncClient, account_id: str) -> dict:
    response = await client.post(f"/api/accounts/{account_id}/analyze")
    assert response.status_code == 202, response.text
    body = response.json()
    assert set(body) == {"run_id", "trace_id"}
    assert response.headers["x-trace-id"] == body["trace_id"]
    return body


async def waiting_approval(client: httpx.AsyncClient) -> tuple[str, dict]:
    """Analyse accounts in order until a run waits for a person: ``(run_id, approval)``."""
    for account_id in ACCOUNTS:
        run_id = (await analyze(client, account_id))["run_id"]
        deadline = time.monotonic() + 10.0
        while time.monotonic() < deadline:
            mine = [a for a in await approvals(client, "pending") if a["run_id"] == run_id]
            if mine:
                return run_id, mine[0]
            if (await client.get(f"/api/runs/{run_id}")).json()["status"] in TERMINAL:
                break
            await asyncio.sleep(0.01)
        else:
            pytest.fail(f"run {run_id} neither asked for approval nor ended")
    pytest.fail(f"none of {len(ACCOUNTS)} analyses asked for an approval")


async def settle(client: httpx.AsyncClient, run_id: str) -> dict:
    """Approve whatever the run still waits for, until it ends."""
    deadline = time.monotonic() + 10.0
    while True:
        for approval in await approvals(client, "pending"):
            if approval["run_id"] == run_id:
                await client.post(
                    f"/api/approvals/{approval['approval_id']}", json={"decision": "approved"}
                )
        body = (await client.get(f"/api/runs/{run_id}")).json()
        if body["status"] in TERMINAL:
            return body
        assert time.monotonic() < deadline, f"run {run_id} did not end"
        await asyncio.sleep(0.01)


def assert_json_error(response: httpx.Response, status: int, message: str) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(JSON_ERROR)
    assert response.json() == {"error": message, "status": status}


def assert_validation_error(response: httpx.Response, loc: list[str] | None = None) -> None:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith(JSON_ERROR)
    body = response.json()
    assert (body["error"], body["status"]) == ("invalid request", 422)
    detail = body["detail"]
    assert isinstance(detail, list) and detail
    assert all({"loc", "msg", "type"} <= set(item) for item in detail)
    if loc is not None:
        assert [item["loc"] for item in detail] == [loc]


def family_total(telemetry: Any, family: str) -> float:
    """The sum of every sample of one counter family, across all its label values."""
    name = f"sergas_{family}"
    return sum(
        sample.value
        for metric in telemetry.rt.metrics.registry.collect()
        for sample in metric.samples
        if sample.name == name
    )


# -- bad input -----------------------------------------------------------------------------


def test_unknown_account_is_404_and_starts_nothing(telemetry):
    async def main() -> None:
        with demo(approval_timeout=5.0) as (services, app):
            async with asgi_client(app) as client:
                for account_id in ("ACC-99999", "no-such-account"):
                    response = await client.post(f"/api/accounts/{account_id}/analyze")
                    assert_json_error(response, 404, f"unknown account {account_id}")
                assert services.runs.runs == {}
                assert services.runs.approvals == {}
                assert await approvals(client) == []

    run(main)
    assert telemetry.events("user_action_triggered") == []
    assert not any(s.name.startswith("orchestrate") for s in telemetry.spans())


def test_unknown_run_and_unknown_approval_are_404(telemetry):
    async def main() -> None:
        with demo(approval_timeout=5.0) as (services, app):
            async with asgi_client(app) as client:
                assert_json_error(
                    await client.get("/api/runs/run_nope"), 404, "unknown run run_nope"
                )
                assert_json_error(
                    await client.get("/api/runs/run_nope/events"), 404, "unknown run run_nope"
                )
                assert_json_error(
                    await client.post("/api/approvals/apr_nope", json={"decision": "approved"}),
                    404,
                    "unknown approval apr_nope",
                )
                assert services.runs.approvals == {}
                assert services.runs.runs == {}

    run(main)
    assert telemetry.events("hitl_approval_submitted") == []


def test_malformed_decisions_are_422_and_leave_the_approval_pending(telemetry):
    async def main() -> None:
        with demo(approval_timeout=10.0) as (_, app):
            async with asgi_client(app) as client:
                run_id, approval = await waiting_approval(client)
                url = f"/api/approvals/{approval['approval_id']}"

                assert_validation_error(
                    await client.post(url, json={"decision": "maybe"}), ["body", "decision"]
                )
                assert_validation_error(await client.post(url, json={"reason": "no decision"}))
                assert_validation_error(
                    await client.post(
                        url, content=b"approve it!", headers={"content-type": "application/json"}
                    )
                )
                assert_validation_error(await client.post(url, content=b"approve it!"))
                assert_validation_error(
                    await client.post(url, json={"decision": "approved", "reason": "x" * 501})
                )

                # Still waiting for a person, with nothing recorded.
                [still] = [
                    a
                    for a in await approvals(client, "pending")
                    if a["approval_id"] == approval["approval_id"]
                ]
                assert still == approval
                assert still["decision"] is None and still["decided"] is None
                assert (await client.get(f"/api/runs/{run_id}")).json()[
                    "status"
                ] == "awaiting_approval"
                assert (
                    telemetry.metric("hitl_approvals_pending", approval_type="recommendation") == 1
                )
                assert family_total(telemetry, "hitl_approvals_received_total") == 0

                # And a well-formed decision after all that still goes through.
                response = await client.post(url, json={"decision": "rejected", "reason": "ok"})
                assert response.status_code == 200, response.text
                assert response.json()["status"] == "rejected"
                assert (await settle(client, run_id))["status"] == "completed"

    run(main)


def test_deciding_twice_is_409_and_keeps_the_first_decision(telemetry):
    async def main() -> None:
        with demo(approval_timeout=10.0) as (_, app):
            async with asgi_client(app) as client:
                run_id, approval = await waiting_approval(client)
                approval_id = approval["approval_id"]
                url = f"/api/approvals/{approval_id}"

                first = await client.post(url, json={"decision": "approved", "reason": "fine"})
                assert first.status_code == 200, first.text
                decided = first.json()
                assert decided["approval_id"] == approval_id
                assert (decided["status"], decided["decision"], decided["reason"]) == (
                    "approved",
                    "approved",
                    "fine",
                )
                assert decided["decided"] is not None and decided["latency_s"] >= 0

                for again in (
                    {"decision": "rejected", "reason": "changed my mind"},
                    {"decision": "approved"},
                ):
                    assert_json_error(
                        await client.post(url, json=again),
                        409,
                        f"approval {approval_id} is already approved",
                    )
                [recorded] = [
                    a
                    for a in await approvals(client, "approved")
                    if a["approval_id"] == approval_id
                ]
                assert recorded == decided
                labels = {"approval_type": "recommendation", "agent_type": "recommendation_author"}

                async def counted() -> bool:  # once the waiting agent has woken up
                    return (
                        telemetry.metric(
                            "hitl_approvals_received_total", decision="approved", **labels
                        )
                        == 1
                    )

                await eventually(counted, "the decision to be counted")
                assert (
                    telemetry.metric("hitl_approvals_received_total", decision="rejected", **labels)
                    == 0
                )

                result = await settle(client, run_id)
                assert result["status"] == "completed"
                [rec] = [
                    r
                    for r in result["result"]["recommendations"]
                    if r["id"] == approval["recommendation"]["id"]
                ]
                assert (rec["decision"], rec["reason"]) == ("approved", "fine")

    run(main)
    assert len(telemetry.events("hitl_approval_submitted")) >= 1


def test_approval_listing_filters_by_status_and_rejects_unknown_ones(telemetry):
    async def main() -> None:
        with demo(approval_timeout=10.0) as (_, app):
            async with asgi_client(app) as client:
                run_id, approval = await waiting_approval(client)
                before = await approvals(client)

                response = await client.get("/api/approvals", params={"status": "bogus"})
                assert_validation_error(response, ["query", "status"])

                assert await approvals(client) == before
                pending = await approvals(client, "pending")
                assert approval in pending
                assert all(a["status"] == "pending" for a in pending)
                assert await approvals(client, "approved") == []
                assert await approvals(client, "timeout") == []
                assert (await settle(client, run_id))["status"] == "completed"
                assert await approvals(client, "pending") == []
                assert {a["approval_id"] for a in await approvals(client, "approved")} == {
                    a["approval_id"] for a in await approvals(client)
                }

    run(main)


# -- AG-UI over SSE, with a live decision ---------------------------------------------------


def assert_valid_run(events: list[Any]) -> None:
    """The order AG-UI clients rely on, for one run's whole stream."""
    types = [e.type for e in events]
    assert types[0] is EventType.RUN_STARTED
    assert types[-1] in (EventType.RUN_FINISHED, EventType.RUN_ERROR)
    assert types.count(EventType.RUN_STARTED) == 1
    assert types.count(EventType.RUN_FINISHED) + types.count(EventType.RUN_ERROR) == 1

    open_steps: list[str] = []
    for event in events:
        if event.type is EventType.STEP_STARTED:
            assert event.step_name not in open_steps
            open_steps.append(event.step_name)
        elif event.type is EventType.STEP_FINISHED:
            assert event.step_name in open_steps, f"{event.step_name} finished before it started"
            open_steps.remove(event.step_name)
    if types[-1] is EventType.RUN_FINISHED:
        assert open_steps == [], f"steps never finished: {open_steps}"

    tool_calls: dict[str, list[EventType]] = {}
    messages: dict[str, list[EventType]] = {}
    for event in events:
        if event.type.value.startswith("TOOL_CALL_"):
            tool_calls.setdefault(event.tool_call_id, []).append(event.type)
        elif event.type.value.startswith("TEXT_MESSAGE_"):
            messages.setdefault(event.message_id, []).append(event.type)
    for call_id, sequence in tool_calls.items():
        assert sequence[0] is EventType.TOOL_CALL_START, (call_id, sequence)
        assert sequence[-2:] == [EventType.TOOL_CALL_END, EventType.TOOL_CALL_RESULT], sequence
        assert len(sequence) > 3
        assert set(sequence[1:-2]) == {EventType.TOOL_CALL_ARGS}, sequence
    for message_id, sequence in messages.items():
        assert sequence[0] is EventType.TEXT_MESSAGE_START, (message_id, sequence)
        assert sequence[-1] is EventType.TEXT_MESSAGE_END, sequence
        assert set(sequence[1:-1]) <= {EventType.TEXT_MESSAGE_CONTENT}, sequence
        assert sequence.count(EventType.TEXT_MESSAGE_START) == 1


def test_sse_streams_a_run_live_and_a_decision_made_while_it_waits_counts(telemetry):
    streamed: list[Any] = []  # every event of every stream read, for the metrics

    async def follow(client: httpx.AsyncClient, account_id: str) -> dict[str, Any] | None:
        """Analyse one account, read its stream live, decide each approval as it is asked.

        Returns what happened, or None if the run never asked for an approval.
        """
        started = await analyze(client, account_id)
        run_id = started["run_id"]
        events: list[Any] = []
        decisions: dict[str, tuple[str, str]] = {}
        async with client.stream("GET", f"/api/runs/{run_id}/events") as response:
            assert response.status_code == 200
            assert response.headers["content-type"].startswith("text/event-stream")
            async for line in response.aiter_lines():
                if not line:
                    continue
                assert line.startswith("data: "), line
                event = EVENTS.validate_json(line.removeprefix("data: "))
                events.append(event)
                if event.type is EventType.CUSTOM and event.name == "approval_request":
                    approval_id = event.value["approval_id"]
                    assert event.value["status"] == "pending"
                    assert event.value["run_id"] == run_id
                    # The run waits for us right now: the stream was not buffered.
                    body = (await client.get(f"/api/runs/{run_id}")).json()
                    assert body["status"] == "awaiting_approval"
                    assert approval_id in {
                        a["approval_id"] for a in await approvals(client, "pending")
                    }
                    assert (
                        telemetry.metric("hitl_approvals_pending", approval_type="recommendation")
                        == 1
                    )
                    decision = ("approved", "rejected")[len(decisions) % 2]
                    reason = f"reviewer note {len(decisions)}"
                    answer = await client.post(
                        f"/api/approvals/{approval_id}",
                        json={"decision": decision, "reason": reason},
                    )
                    assert answer.status_code == 200, answer.text
                    assert answer.json()["status"] == decision
                    decisions[approval_id] = (decision, reason)
        streamed.extend(events)
        assert_valid_run(events)
        assert events[0].run_id == run_id and events[0].thread_id == f"thread_{account_id}"
        if not decisions:
            return None
        return {"started": started, "events": events, "decisions": decisions}

    async def main() -> dict[str, Any]:
        with demo(approval_timeout=10.0) as (_, app), serve(app) as base:
            async with httpx.AsyncClient(base_url=base, timeout=10.0) as client:
                for account_id in ACCOUNTS:
                    outcome = await follow(client, account_id)
                    if outcome is not None:
                        break
                else:
                    pytest.fail("no analysis asked for an approval")
                outcome["run"] = await finished(client, outcome["started"]["run_id"])

                async def closed() -> bool:
                    return telemetry.metric("sse_connections_active") == 0

                await eventually(closed, "the SSE connections to close")
                return outcome

    outcome = run(main)
    events, decisions = outcome["events"], outcome["decisions"]

    # The run completed with the decisions made while it waited, not by timeout.
    assert events[-1].type is EventType.RUN_FINISHED
    results = [e for e in events if e.type is EventType.CUSTOM and e.name == "approval_result"]
    requests = [e for e in events if e.type is EventType.CUSTOM and e.name == "approval_request"]
    assert [e.value["approval_id"] for e in results] == [e.value["approval_id"] for e in requests]
    for result in results:
        decision, reason = decisions[result.value["approval_id"]]
        assert (result.value["status"], result.value["decision"], result.value["reason"]) == (
            decision,
            decision,
            reason,
        )
    for request in requests:  # each result comes after its request
        index = events.index(request)
        assert any(
            e in results and e.value["approval_id"] == request.value["approval_id"]
            for e in events[index + 1 :]
        )
    summary = outcome["run"]
    assert summary["status"] == "completed"
    assert summary["trace_id"] == outcome["started"]["trace_id"]
    assert summary["events"] == len(events)
    assert events[-1].result == summary["result"]
    by_id = {r["id"]: r for r in summary["result"]["recommendations"]}
    for request in requests:
        rec = by_id[request.value["recommendation"]["id"]]
        assert (rec["decision"], rec["reason"]) == decisions[request.value["approval_id"]]

    # Telemetry agrees with what the client saw.
    assert telemetry.metric("sse_connections_active") == 0
    counts = Counter(e.type.value for e in streamed)
    for message_type, count in counts.items():
        assert telemetry.metric("sse_messages_sent_total", message_type=message_type) == count
    assert family_total(telemetry, "sse_messages_sent_total") == len(streamed)
    assert family_total(telemetry, "ag_ui_events_emitted_total") == len(streamed) > 0
    assert (
        telemetry.metric(
            "ag_ui_events_emitted_total",
            event_type="STEP_STARTED",
            agent_type="recommendation_author",
        )
        >= 1
    )
    labels = {"approval_type": "recommendation", "agent_type": "recommendation_author"}
    assert telemetry.metric("hitl_approval_timeouts_total", **labels) == 0
    assert telemetry.metric("hitl_approvals_pending", approval_type="recommendation") == 0
    made = Counter(decision for decision, _ in decisions.values())
    for decision in ("approved", "rejected"):
        assert (
            telemetry.metric("hitl_approvals_received_total", decision=decision, **labels)
            == made[decision]
        )


# -- approvals nobody answers ---------------------------------------------------------------


def test_unanswered_approvals_time_out_and_cannot_be_decided_after(telemetry):
    timeout = 0.2

    async def main() -> tuple[list[dict], list[dict]]:
        with demo(approval_timeout=timeout) as (_, app):
            async with asgi_client(app) as client:
                runs: list[dict] = []
                for account_id in ACCOUNTS:
                    run_id = (await analyze(client, account_id))["run_id"]
                    runs.append(await finished(client, run_id))
                    if len(runs) >= 3 and await approvals(client):
                        break
                assert all(r["status"] in TERMINAL for r in runs)
                timed_out = await approvals(client, "timeout")
                assert timed_out, "no analysis asked for an approval"
                assert await approvals(client) == timed_out
                assert await approvals(client, "pending") == []

                ours = {r["run_id"] for r in runs}
                for approval in timed_out:
                    assert approval["run_id"] in ours
                    assert approval["decision"] is None and approval["reason"] is None
                    assert approval["latency_s"] >= timeout * 0.75

                # Too late to decide: 409, and the record stays as it was.
                late = timed_out[0]
                for body in ({"decision": "approved"}, {"decision": "rejected", "reason": "x"}):
                    assert_json_error(
                        await client.post(f"/api/approvals/{late['approval_id']}", json=body),
                        409,
                        f"approval {late['approval_id']} is already timeout",
                    )
                assert await approvals(client, "timeout") == timed_out

                # A late subscriber gets the whole stream, the timeouts included.
                response = await client.get(f"/api/runs/{late['run_id']}/events")
                assert response.status_code == 200
                events = [
                    EVENTS.validate_json(line.removeprefix("data: "))
                    for line in response.text.splitlines()
                    if line
                ]
                assert_valid_run(events)
                [result] = [
                    e
                    for e in events
                    if e.type is EventType.CUSTOM
                    and e.name == "approval_result"
                    and e.value["approval_id"] == late["approval_id"]
                ]
                assert result.value["status"] == "timeout"
                return runs, timed_out

    runs, timed_out = run(main)

    labels = {"approval_type": "recommendation", "agent_type": "recommendation_author"}
    assert telemetry.metric("hitl_approval_timeouts_total", **labels) == len(timed_out) > 0
    assert telemetry.metric("hitl_approvals_pending", approval_type="recommendation") == 0
    assert telemetry.metric("hitl_approvals_requested_total", **labels) == len(timed_out)
    assert family_total(telemetry, "hitl_approvals_received_total") == 0
    assert len(telemetry.events("hitl_approval_timeout")) == len(timed_out)
    decided = {
        (rec["id"], r["run_id"]): rec["decision"]
        for r in runs
        if r["result"]
        for rec in r["result"]["recommendations"]
    }
    for approval in timed_out:
        key = (approval["recommendation"]["id"], approval["run_id"])
        assert decided[key] == "timeout"


def test_a_run_cancelled_at_shutdown_ends_its_stream_and_is_counted(telemetry):
    """What the demo does to runs still going when it stops: each stream still ends."""

    async def main() -> tuple[dict, list[Any]]:
        with demo(approval_timeout=10.0) as (services, app):
            async with asgi_client(app) as client:
                run_id, _ = await waiting_approval(client)
                [task] = [t for t in services.running if not t.done()]
                pending = {"approval_type": "recommendation"}
                assert telemetry.metric("hitl_approvals_pending", **pending) == 1
                assert telemetry.metric("orchestration_parallel_executions", **OPERATION) == 1
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
                assert services.running == set()
                summary = (await client.get(f"/api/runs/{run_id}")).json()
                response = await client.get(f"/api/runs/{run_id}/events")
                events = [
                    EVENTS.validate_json(line.removeprefix("data: "))
                    for line in response.text.splitlines()
                    if line
                ]
                return summary, events

    summary, events = run(main)
    assert summary["status"] == "cancelled"
    assert_valid_run(events)
    assert (events[-1].type, events[-1].code) == (EventType.RUN_ERROR, "cancelled")
    assert telemetry.metric("orchestration_requests_total", status="cancelled", **OPERATION) == 1
    assert telemetry.metric("orchestration_parallel_executions", **OPERATION) == 0
    assert telemetry.metric("hitl_approvals_pending", approval_type="recommendation") == 0


# -- tokens, roles and the rate limit --------------------------------------------------------


def bearer(token: str, user: str | None = None) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", **({"X-User-Id": user} if user else {})}


def test_bad_tokens_are_401_and_start_nothing(telemetry):
    config = DemoConfig(seed=SEED, speed=SPEED)
    analyst = ANALYSTS[0]
    cases = {
        "expired_token": bearer(token_for(config, analyst, expired=True)),
        "invalid_token": bearer("sst_not_issued_by_anyone"),
        "malformed_header": {"Authorization": "Basic YWxpY2U6c2VjcmV0"},
    }

    async def main() -> None:
        with demo(approval_timeout=0.05) as (services, app):
            async with asgi_client(app) as client:
                for headers in cases.values():
                    response = await client.post(
                        f"/api/accounts/{ACCOUNTS[0]}/analyze", headers=headers
                    )
                    assert_json_error(response, 401, "invalid or expired token")
                assert services.runs.runs == {}
                # The same user's current token is accepted.
                response = await client.post(
                    f"/api/accounts/{ACCOUNTS[0]}/analyze",
                    headers=bearer(token_for(config, analyst)),
                )
                assert response.status_code == 202, response.text
                await finished(client, response.json()["run_id"])

    run(main)
    for reason in cases:
        assert telemetry.metric("auth_failures_total", reason=reason) == 1, reason
    assert (
        telemetry.metric(
            "audit_events_total", event_type="AUTH_GATEWAY_VALIDATION", outcome="failure"
        )
        == 3
    )
    assert sorted(e["reason"] for e in telemetry.events("auth_failed")) == sorted(cases)


def test_a_user_over_the_analysis_limit_gets_429_and_the_operator_is_not_limited(telemetry):
    config = DemoConfig(seed=SEED, speed=SPEED)
    analyst = ANALYSTS[1]

    async def main() -> list[int]:
        with demo(approval_timeout=0.05) as (services, app):
            async with asgi_client(app) as client:
                statuses = []
                for account_id in ACCOUNTS[:7]:
                    response = await client.post(
                        f"/api/accounts/{account_id}/analyze",
                        headers=bearer(token_for(config, analyst), analyst.name),
                    )
                    statuses.append(response.status_code)
                    if response.status_code == 429:
                        assert_json_error(response, 429, "too many analyses; retry later")
                        assert int(response.headers["retry-after"]) >= 1
                assert len(services.runs.runs) == 5
                # No token: the local operator, whom the limit does not apply to.
                for account_id in ACCOUNTS[:7]:
                    await analyze(client, account_id)
                assert len(services.runs.runs) == 12
                for run_id in list(services.runs.runs):
                    await finished(client, run_id)
                return statuses

    assert run(main) == [202] * 5 + [429] * 2
    key = f"analyze:{analyst.name}"
    assert telemetry.metric("rate_limit_rejections_total", key=key) == 2
    assert family_total(telemetry, "rate_limit_rejections_total") == 2
    assert [e["key"] for e in telemetry.events("rate_limit_rejected")] == [key, key]


def test_deciding_without_the_approver_role_is_403_and_leaves_the_approval_pending(telemetry):
    config = DemoConfig(seed=SEED, speed=SPEED)
    analyst, approver = ANALYSTS[2], APPROVERS[0]

    async def main() -> None:
        with demo(approval_timeout=10.0) as (_, app):
            async with asgi_client(app) as client:
                run_id, approval = await waiting_approval(client)
                url = f"/api/approvals/{approval['approval_id']}"
                denied = await client.post(
                    url, json={"decision": "approved"}, headers=bearer(token_for(config, analyst))
                )
                assert_json_error(denied, 403, "role analyst may not decide approvals")
                assert approval["approval_id"] in {
                    a["approval_id"] for a in await approvals(client, "pending")
                }
                allowed = await client.post(
                    url, json={"decision": "approved"}, headers=bearer(token_for(config, approver))
                )
                assert allowed.status_code == 200, allowed.text
                await settle(client, run_id)

    run(main)
    assert telemetry.metric("rbac_denials_total", resource="approvals", role="analyst") == 1
    assert family_total(telemetry, "rbac_denials_total") == 1
    [denial] = telemetry.events("rbac_denied")
    assert denial["user"] == analyst.name
    audited = [
        e for e in telemetry.events("audit_event") if e["audit_event_type"] == "HITL_DECISION"
    ]
    assert audited and audited[0]["user"] == approver.name and audited[0]["outcome"] == "approved"


# -- the workflow, its routing, and what goes wrong around it --------------------------------


def test_each_run_is_a_workflow_and_each_recommendation_is_routed(telemetry):
    async def main() -> list[dict]:
        with demo(approval_timeout=0.05) as (_, app):
            async with asgi_client(app) as client:
                results = []
                for account_id in ACCOUNTS[:4]:
                    summary = await finished(client, (await analyze(client, account_id))["run_id"])
                    assert summary["status"] == "completed", summary["error"]
                    results.append(summary)
                return results

    results = run(main)
    workflow = {"workflow_name": "account_analysis"}
    assert telemetry.metric("workflow_executions_total", status="success", **workflow) == 4
    assert telemetry.metric("workflow_duration_seconds_count", **workflow) == 4
    for node in ("zoho_data_scout", "memory_analyst", "recommendation_author"):
        labels = {**workflow, "node_name": node}
        assert telemetry.metric("workflow_nodes_executed_total", status="success", **labels) == 4
        assert telemetry.metric("workflow_node_duration_seconds_count", **labels) == 4
    recs = [r for summary in results for r in summary["result"]["recommendations"]]
    auto = [r for r in recs if (r.get("reason") or "").startswith("auto-approved")]
    # No compliance service here: each recommendation is approved outright or asks a person.
    assert telemetry.metric("routing_decisions_total", route="auto_approve", **workflow) == len(
        auto
    )
    assert telemetry.metric("routing_decisions_total", route="human_review", **workflow) == len(
        recs
    ) - len(auto)
    assert 0 < len(auto) < len(recs)
    assert telemetry.metric("routing_confidence_count", **workflow) == len(recs)
    assert telemetry.metric("routing_confidence_sum", **workflow) == pytest.approx(
        sum(r["confidence"] for r in recs)
    )


def test_an_expired_mcp_credential_is_counted_and_refreshed(telemetry):
    async def main() -> None:
        # A credential that lapses at once: the second run's call finds it expired.
        config = DemoConfig(
            seed=SEED, speed=SPEED, approval_timeout=0.05, credential_lifetime_seconds=0.0
        )
        services = build_services(config)
        try:
            async with asgi_client(create_app(services)) as client:
                for account_id in ACCOUNTS[:2]:
                    summary = await finished(client, (await analyze(client, account_id))["run_id"])
                    assert summary["status"] == "completed", summary["error"]
        finally:
            services.memory.close()

    run(main)
    assert telemetry.metric("mcp_credential_errors_total", tool_name="support_tickets") == 1
    assert (
        telemetry.metric(
            "error_recovery_attempts_total",
            error_category="integration_error",
            recovery_strategy="refresh_credentials",
            success="true",
        )
        == 1
    )
    # Refreshed, the tool ran in both runs.
    assert (
        telemetry.metric(
            "mcp_tool_invocations_total", tool_name="support_tickets", status="success"
        )
        == 2
    )
    [failed] = telemetry.events("mcp_tool_failed")
    assert (failed["status"], failed["reason"]) == ("error_credentials", "expired")


def test_an_exception_escaping_a_background_job_is_counted_as_unhandled(telemetry):
    async def main() -> None:
        with demo(approval_timeout=5.0) as (services, _):

            async def mail() -> None:
                await asyncio.sleep(0)
                raise ConnectionResetError("mail gateway reset the connection")

            async def fine() -> None:
                await asyncio.sleep(0)

            in_background(services, mail(), "notify_owner")
            in_background(services, fine(), "notify_owner")
            await eventually(lambda: asyncio.sleep(0, not services.background), "the jobs")

    run(main)
    labels = {"exception_type": "ConnectionResetError", "module": "account_manager.agents"}
    assert telemetry.metric("exceptions_unhandled_total", **labels) == 1
    assert family_total(telemetry, "exceptions_unhandled_total") == 1
    [logged] = telemetry.events("background_task_failed")
    assert (logged["task"], logged["error_type"]) == ("notify_owner", "ConnectionResetError")


# -- one run, one trace ---------------------------------------------------------------------


def test_a_runs_spans_form_one_trace_under_the_analyze_request(telemetry):
    async def main() -> dict:
        with demo(approval_timeout=0.05) as (_, app):
            async with asgi_client(app) as client:
                for account_id in ACCOUNTS:
                    started = await analyze(client, account_id)
                    summary = await finished(client, started["run_id"])
                    if summary["status"] == "completed":
                        assert summary["trace_id"] == started["trace_id"]
                        return started
                pytest.fail("no analysis completed")

    started = run(main)
    trace_id = int(started["trace_id"], 16)
    spans = [s for s in telemetry.spans() if s.context.trace_id == trace_id]
    by_id = {s.context.span_id: s for s in spans}
    names = Counter(s.name for s in spans)

    [server] = [s for s in spans if s.kind is SpanKind.SERVER]
    assert server.name == "POST /api/accounts/{account_id}/analyze"
    assert server.parent is None
    assert server.attributes["http.response.status_code"] == 202
    expected = [
        "orchestrate account_analysis",
        "workflow account_analysis",
        "invoke_agent zoho_data_scout",
        "invoke_agent memory_analyst",
        "invoke_agent recommendation_author",
        "workflow_node zoho_data_scout",
        "workflow_node memory_analyst",
        "workflow_node recommendation_author",
        "execute_tool fetch_account",
        "chat gpt-4o-mini",
        "chat gpt-4o",
        "handoff zoho_data_scout -> memory_analyst",
        "handoff memory_analyst -> recommendation_author",
    ]
    for name in expected:
        assert names[name] >= 1, f"no span {name!r} in the trace: {sorted(names)}"
    for name in expected[:8]:
        assert names[name] == 1, f"{name!r} appears {names[name]} times"
    # No compliance service configured: no A2A delegation.
    assert not any("compliance" in s.name for s in spans)

    # Every span hangs off the tree rooted at the analyze request's SERVER span.
    for span in spans:
        if span is not server:
            assert span.parent is not None and span.parent.span_id in by_id, span.name
    [orchestration] = [s for s in spans if s.name == "orchestrate account_analysis"]
    chain, node = [], orchestration
    while node.parent is not None:
        node = by_id[node.parent.span_id]
        chain.append(node.name)
    assert chain[-1] == server.name, chain
    # orchestration -> workflow -> one node per agent -> the agent's run.
    [workflow] = [s for s in spans if s.name == "workflow account_analysis"]
    assert workflow.parent.span_id == orchestration.context.span_id
    for agent in ("zoho_data_scout", "memory_analyst", "recommendation_author"):
        [span] = [s for s in spans if s.name == f"invoke_agent {agent}"]
        node = by_id[span.parent.span_id]
        assert node.name == f"workflow_node {agent}"
        assert node.parent.span_id == workflow.context.span_id
    [fetch] = [s for s in spans if s.name == "execute_tool fetch_account"]
    assert by_id[fetch.parent.span_id].name == "invoke_agent zoho_data_scout"


# -- the same seed makes the same choices ---------------------------------------------------


def test_same_seed_same_recommendations(telemetry):
    # The first account twice: its second run draws anew, and a fresh service repeats both.
    order = [ACCOUNTS[0], ACCOUNTS[1], ACCOUNTS[0], ACCOUNTS[2]]

    async def recommendations() -> list[list[tuple[str, str, float]]]:
        with demo(approval_timeout=0.01) as (services, app):
            async with asgi_client(app) as client:
                made = []
                for account_id in order:
                    summary = await finished(client, (await analyze(client, account_id))["run_id"])
                    assert summary["status"] == "completed", summary["error"]
                    made.append(
                        [
                            (r["type"], r["priority"], r["confidence"])
                            for r in summary["result"]["recommendations"]
                        ]
                    )
                sequences = [run.sequence for run in services.runs.runs.values()]
                assert sequences == [0, 0, 1, 0]
                return made

    first, second = run(recommendations), run(recommendations)
    assert first == second
    assert first[0] != first[2]  # a repeated account is not a replay of its first run


# -- the SDK's endpoints on the demo ---------------------------------------------------------


def test_probes_and_metrics_follow_the_crm(telemetry):
    """/health/live, /health/ready (with the CRM as a check) and /metrics come from the SDK."""

    async def probe(outage: bool) -> tuple[dict, dict, str]:
        faults = frozenset({"crm-outage"} if outage else ())
        config = DemoConfig(seed=SEED, faults=faults, outage_start_seconds=0.0)
        services = build_services(config)
        try:
            async with asgi_client(create_app(services)) as client:
                live = await client.get("/health/live")
                assert (live.status_code, live.json()) == (200, {"status": "alive"})
                ready = await client.get("/health/ready")
                assert ready.status_code == (503 if outage else 200), ready.text
                scrape = await client.get("/metrics")
                assert scrape.status_code == 200
                return ready.json(), ready.json()["checks"]["zoho"], scrape.text
        finally:
            services.memory.close()

    ready, zoho, _ = run(lambda: probe(outage=False))
    assert (ready["status"], zoho["status"]) == ("ready", "pass")
    ready, zoho, text = run(lambda: probe(outage=True))
    assert (ready["status"], zoho["status"]) == ("not_ready", "fail")
    assert 'sergas_integration_health_status{integration_name="zoho"} 0.0' in text
