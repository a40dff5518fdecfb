"""A tiny instrumented app for tests that need a real server process (gunicorn workers).

Not a test module: ``gunicorn web_app:app`` imports it in each worker.
"""

from __future__ import annotations

import os

from fastapi import FastAPI

import swarmscope
from swarmscope.web import instrument_app

swarmscope.init(service_name="web-app", namespace="sergas", log_stream="none")

app = FastAPI()


@app.get("/items/{item_id}")
async def get_item(item_id: int) -> dict[str, int]:
    """Answers with the worker's pid, so a test can see which workers served it."""
    return {"id": item_id, "pid": os.getpid()}


instrument_app(app)
