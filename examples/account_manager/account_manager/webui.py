"""The demo's web UI at ``/ui/``: start an analysis, watch its AG-UI events, answer approvals.

A static page (``web/``) instrumented with swarmscope's browser package, loaded from the
telemetry server's ``/sdk/swarmscope-browser.js`` and sending there; ``/ui/config.js`` tells
the page where that server is. Without one (telemetry sent to an OTLP endpoint of your own)
the page works the same, untraced.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

from fastapi import FastAPI
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

PATH = "/ui"
PAGE = Path(__file__).resolve().parent / "web"
SERVICE = "swarmscope-demo-web"


@dataclass(frozen=True)
class WebUi:
    """What the page needs to send its telemetry: the server, and the names to send under."""

    telemetry: str | None
    namespace: str
    api_key: str | None = None
    service_name: str = SERVICE

    def script(self) -> str:
        # JSON is a JavaScript literal; "</" is escaped so no value can end a <script> early.
        settings = json.dumps(asdict(self)).replace("</", "<\\/")
        return f"window.DEMO_UI = {settings};\n"


def mount(app: FastAPI, ui: WebUi) -> None:
    @app.get(f"{PATH}/config.js", include_in_schema=False)
    async def config() -> Response:
        return Response(ui.script(), media_type="text/javascript")

    @app.get("/", include_in_schema=False)
    async def home() -> RedirectResponse:
        return RedirectResponse(f"{PATH}/")

    app.mount(PATH, StaticFiles(directory=PAGE, html=True), name="ui")
