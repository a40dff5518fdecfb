"""``GET /runbooks/{alert}.md``: the runbook each alert's ``runbook_url`` names.

The ops bundle writes the same text to ``runbooks/`` for teams that host it themselves; the
embedded server has no such place, so it serves the runbooks and its alerts link here.
"""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse, PlainTextResponse, Response

from swarmscope.app_catalog import every_alert
from swarmscope.definitions.runbooks import runbook
from swarmscope.server.alerting.rules import RUNBOOKS_PATH
from swarmscope.server.context import Context
from swarmscope.server.namespaces import checked, serve_namespace


def routes(context: Context) -> APIRouter:
    router = APIRouter(tags=["alerts"])
    rules = {rule.runbook: rule for rule in every_alert()}

    @router.get(
        f"{RUNBOOKS_PATH}/{{name}}",
        summary="An alert's runbook, in Markdown",
        response_class=PlainTextResponse,
        responses={404: {"description": "No alert has this runbook."}},
    )
    async def read_runbook(
        name: str,
        namespace: Annotated[
            str | None,
            Query(description="the metric name prefix its queries name; default as dashboards"),
        ] = None,
    ) -> Response:
        rule = rules.get(name)
        if rule is None:
            return JSONResponse({"error": f"no alert has the runbook {name!r}"}, status_code=404)
        asked = checked(namespace)
        served = await asyncio.to_thread(
            serve_namespace, context.store, context.settings.namespace, asked
        )
        return PlainTextResponse(
            runbook(rule, served.name), media_type="text/markdown; charset=utf-8"
        )

    return router
