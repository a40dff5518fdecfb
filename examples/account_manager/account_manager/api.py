"""The account-manager service's HTTP API.

    GET  /api/accounts?limit=50               -> the first accounts: id, name, tier
    POST /api/accounts/{account_id}/analyze   -> 202 {run_id, trace_id}
    GET  /api/runs/{run_id}                   -> the run's status and result
    GET  /api/runs/{run_id}/events            -> its AG-UI events over SSE
    GET  /api/approvals?status=pending        -> approvals (pending, decided, timeout)
    POST /api/approvals/{approval_id}         -> {"decision": "approved"|"rejected", "reason"}
    POST /api/frontend/events                 -> 204; AG-UI events the browser received

plus ``/metrics`` and ``/health/*`` from ``swarmscope.web``, and the web UI at ``/ui/``
(``account_manager.webui``). Errors are JSON: unknown account
or run 404, malformed body 422, deciding an approval twice 409. With a bearer token (see
``account_manager.access``): an unknown or expired one 401, deciding without the approver role
403, starting analyses faster than the per-user limit 429; without one, the local operator.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any, Literal

import httpx
from ag_ui.core import EventType
from ag_ui.encoder import EventEncoder
from fastapi import FastAPI, HTTPException, Query, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, Field

import swarmscope as ss
from account_manager.access import APPROVER_ROLE, Access
from account_manager.agents import Services, orchestrate
from account_manager.crm import ZohoClient
from account_manager.llm import SimulatedLLM
from account_manager.memory import MemoryStore
from account_manager.runs import AlreadyDecided, RunStore
from account_manager.webui import WebUi, mount
from account_manager.world import HAND_WRITTEN, LANGGRAPH, DemoConfig, make_accounts
from swarmscope.web import HealthChecks, instrument_app, replayable


class Decision(BaseModel):
    decision: Literal["approved", "rejected"]
    reason: str | None = Field(default=None, max_length=500)


class ReceivedEvent(BaseModel):
    type: EventType
    run_id: str | None = None


class FrontendEvents(BaseModel):
    events: list[ReceivedEvent] = Field(max_length=1000)


def create_app(services: Services, ui: WebUi | None = None) -> FastAPI:
    app = FastAPI(title="swarmscope demo: account manager")
    health = HealthChecks()

    async def crm_reachable() -> bool:
        return not services.crm.is_down()

    health.register("zoho", crm_reachable, timeout=1.0)

    @app.get("/api/accounts")
    async def list_accounts(limit: int = Query(50, ge=1, le=1000)) -> dict[str, Any]:
        accounts = list(services.crm.accounts.values())[:limit]
        items = [{"account_id": a.account_id, "name": a.name, "tier": a.tier} for a in accounts]
        return {"accounts": items, "count": len(items)}

    # Recorded on its span: `swarmscope replay TRACE_ID` can start the same analysis again.
    @app.post("/api/accounts/{account_id}/analyze", status_code=202)
    @replayable
    async def analyze(account_id: str, request: Request) -> dict[str, str]:
        user = services.access.caller(request)
        services.access.limit_analyses(user)
        if account_id not in services.crm.accounts:
            raise HTTPException(404, f"unknown account {account_id}")
        ss.user_action("analyze_account", account_id=account_id)
        async with ss.copilotkit_action("analyze_account"):
            trace_id = ss.current_trace_id() or ""
            run = services.runs.create(account_id, trace_id)
            # The task copies this context: the run's spans stay in the request's trace.
            task = asyncio.create_task(orchestrate(services, run))
        services.running.add(task)
        task.add_done_callback(services.running.discard)
        return {"run_id": run.run_id, "trace_id": trace_id}

    @app.get("/api/runs/{run_id}")
    async def get_run(run_id: str) -> dict[str, Any]:
        return _run(services, run_id).summary()

    @app.get("/api/runs/{run_id}/events")
    async def run_events(run_id: str) -> StreamingResponse:
        run = _run(services, run_id)
        encoder = EventEncoder()

        async def stream() -> AsyncIterator[str]:
            async with ss.sse_connection("run_events", run_id=run_id) as connection:
                async for event in services.runs.follow(run):
                    connection.sent(event.type.value)
                    yield encoder.encode(event)

        return StreamingResponse(stream(), media_type=encoder.get_content_type())

    @app.get("/api/approvals")
    async def list_approvals(
        status: Literal["pending", "approved", "rejected", "timeout"] | None = Query(None),
    ) -> dict[str, Any]:
        items = [
            a.summary()
            for a in services.runs.approvals.values()
            if status is None or a.status == status
        ]
        return {"approvals": items, "count": len(items)}

    @app.post("/api/approvals/{approval_id}")
    async def decide(approval_id: str, body: Decision, request: Request) -> dict[str, Any]:
        user = services.access.caller(request)
        services.access.require_role(user, "approvals", APPROVER_ROLE)
        try:
            async with ss.copilotkit_action("decide_recommendation"):
                approval = services.runs.decide(approval_id, body.decision, body.reason)
        except KeyError:
            raise HTTPException(404, f"unknown approval {approval_id}") from None
        except AlreadyDecided:
            current = services.runs.approvals[approval_id]
            raise HTTPException(
                409, f"approval {approval_id} is already {current.status}"
            ) from None
        ss.frontend_approval(
            "submitted", "recommendation", approval_id=approval_id, decision=body.decision
        )
        ss.audit("HITL_DECISION", outcome=body.decision, approval_id=approval_id, user=user.name)
        return approval.summary()

    @app.post("/api/frontend/events", status_code=204)
    async def frontend_events(body: FrontendEvents) -> None:
        """What the page's AG-UI client reports it received (plan 1's frontend events)."""
        for event in body.events:
            ss.frontend_event(event.type.value, run_id=event.run_id)

    @app.exception_handler(HTTPException)
    async def json_error(request: Any, error: HTTPException) -> JSONResponse:
        return JSONResponse(
            {"error": error.detail, "status": error.status_code},
            status_code=error.status_code,
            headers=error.headers,
        )

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Any, error: RequestValidationError) -> JSONResponse:
        # The same shape as every other error, with FastAPI's list of what was wrong.
        return JSONResponse(
            {"error": "invalid request", "status": 422, "detail": jsonable_encoder(error.errors())},
            status_code=422,
        )

    if ui is not None:
        mount(app, ui)
    return instrument_app(app, health=health)


def _run(services: Services, run_id: str) -> Any:
    run = services.runs.runs.get(run_id)
    if run is None:
        raise HTTPException(404, f"unknown run {run_id}")
    return run


def build_services(
    config: DemoConfig, memory_path: str = ":memory:", framework: str = HAND_WRITTEN
) -> Services:
    """The agents' world for one service instance, and the ``framework`` they are written in
    (``FRAMEWORKS``; with a framework, call it after ``ss.init``: it instruments the framework)."""
    services = Services(
        config=config,
        crm=ZohoClient(config, make_accounts(config)),
        llm=SimulatedLLM(config),
        memory=MemoryStore(memory_path),
        runs=RunStore(),
        http=httpx.AsyncClient(),
        access=Access(config),
    )
    if framework == LANGGRAPH:
        from account_manager.graph import langgraph_analysis

        services.analysis = langgraph_analysis(services)
    return services
