"""An instrumented app with one replayable route, for tests that send it request bodies."""

from __future__ import annotations

from fastapi import FastAPI, Request

from swarmscope.web import instrument_app, replayable


def replayable_app() -> FastAPI:
    """``POST /tickets`` is recorded for replay and answers the size of the body it read."""
    web = instrument_app(FastAPI())

    @web.post("/tickets")
    @replayable
    async def tickets(request: Request) -> dict[str, int]:
        return {"size": len(await request.body())}

    return web
