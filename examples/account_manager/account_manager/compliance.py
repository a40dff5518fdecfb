"""The compliance checker: a second service the recommendation author delegates to (A2A).

It runs as its own process with its own service name and port, so one trace crosses two
services: the author's ``a2a_delegation`` span is the parent of this service's SERVER span.

    python -m account_manager.compliance --port 0 --namespace swarmscope --log-file F
prints the port it listens on, then serves until terminated.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import signal
import sys
from typing import Any

from fastapi import FastAPI
from pydantic import BaseModel

import swarmscope as ss
from account_manager.serving import start_server
from swarmscope.web import instrument_app

SERVICE = "swarmscope-compliance"


class Task(BaseModel):
    account_id: str
    recommendations: list[dict[str, Any]]


def create_app(seed: int = 7, down: bool = False) -> FastAPI:
    app = FastAPI(title="compliance checker")
    rng = random.Random(f"{seed}:compliance")

    @app.post("/a2a/tasks")
    async def check(task: Task) -> dict[str, Any]:
        async with ss.agent_run(
            "compliance_checker", operation="compliance_review", account_id=task.account_id
        ):
            if down:
                raise RuntimeError("compliance rules engine unavailable")
            verdicts = {}
            for rec in task.recommendations:
                async with ss.tool_call("policy_lookup", rule=str(rec.get("type"))):
                    await asyncio.sleep(rng.uniform(0.002, 0.01))
                verdicts[str(rec.get("id"))] = "blocked" if rng.random() < 0.05 else "allowed"
            ss.audit("COMPLIANCE_REVIEW", outcome="success", account_id=task.account_id)
        return {"verdicts": verdicts}

    return instrument_app(app)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="swarmscope demo compliance service")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--namespace", default="swarmscope")
    parser.add_argument("--log-file", required=True)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--down", action="store_true", help="answer every task with an error")
    args = parser.parse_args(argv)
    ss.init(
        service_name=SERVICE, namespace=args.namespace, log_stream="none", log_file=args.log_file
    )

    async def serve() -> None:
        _, serving, port = await start_server(create_app(args.seed, args.down), args.port)
        print(port, flush=True)
        await serving

    # The demo stops this service with SIGTERM; uvicorn shuts down gracefully, then raises the
    # signal again: exit through ``finally`` so the last spans and logs are flushed.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        asyncio.run(serve())
    except KeyboardInterrupt:
        pass
    finally:
        ss.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
