"""``GET /api/namespaces``: the namespaces the store holds, and the one views read by default.

What the console's namespace selector lists, and what a user checks when a dashboard is
empty: each namespace that arrived (from ``service.namespace`` or from metric names), its
services and when it was last seen.
"""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter

from swarmscope.server.context import Context
from swarmscope.server.namespaces import choose, stored_namespaces, with_metrics


def routes(context: Context) -> APIRouter:
    router = APIRouter(tags=["dashboards"])

    @router.get("/api/namespaces", summary="The namespaces stored and the one served by default")
    async def list_namespaces() -> dict[str, Any]:
        def answer() -> dict[str, Any]:
            stored = stored_namespaces(context.store)
            served = choose(with_metrics(stored), context.settings.namespace)
            return {
                "namespaces": [n.answer() for n in stored],
                "configured": context.settings.namespace,
                "served": served.name,
                "notice": served.notice,
            }

        return await asyncio.to_thread(answer)

    return router
