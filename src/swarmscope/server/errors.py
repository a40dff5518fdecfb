"""Unexpected exceptions become the JSON 500 and nothing more: the connection stays open.

A handler registered for ``Exception`` runs in Starlette's ``ServerErrorMiddleware``, which
re-raises after it has answered; uvicorn then logs the exception and closes the connection,
so the next request a keep-alive client sends on it fails. This middleware sits inside that
one: it answers, logs the traceback to the server's log, and returns normally.

A full disk is a 503 with ``Retry-After`` and its reason, for queries as for intake.

A client that goes away (``ClientDisconnect`` while its body is read) is no error of the
server's: nobody is left to answer, so it is logged at debug level without a traceback.
"""

from __future__ import annotations

import logging

from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from swarmscope.server.intake.receiver import DISK_FULL_RETRY_SECONDS, error
from swarmscope.server.store.database import StoreFull

log = logging.getLogger("swarmscope.server")


class JsonErrors:
    """Answer ``{"error": ..., "status": 500}`` for any exception a request raises."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watched_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, watched_send)
        except ClientDisconnect:
            log.debug("client went away during %s %s", scope["method"], scope["path"])
        except StoreFull as problem:
            # Reads too, while DuckDB cannot reopen its file: the cause, and when to retry.
            if started:
                raise
            answer = error(503, str(problem))
            answer.headers["Retry-After"] = str(DISK_FULL_RETRY_SECONDS)
            await answer(scope, receive, send)
        except Exception as problem:
            if started:
                # Half a response is out: only the server can end it (it closes the
                # connection, the one way to tell the client the body is cut short).
                raise
            log.exception("%s %s failed", scope["method"], scope["path"])
            answer = error(500, f"internal error: {type(problem).__name__}: {problem}")
            await answer(scope, receive, send)
