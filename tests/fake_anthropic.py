"""A fake Anthropic Messages API on loopback: one fixed answer, plain or streamed, or an error.

The stream is the event sequence the real API sends (message_start with the prompt's usage,
the text block, message_delta with the output's usage, message_stop), so a client reads it
with its own parser.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import AbstractContextManager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.fixtures.recorders import fake_llm

INPUT_TOKENS = 30
CACHE_READ_TOKENS = 10
OUTPUT_TOKENS = 12
ANSWER = "Hello from the fake Claude."


def message(model: str) -> dict[str, Any]:
    return {
        "id": "msg_fake",
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": [{"type": "text", "text": ANSWER}],
        "stop_reason": "end_turn",
        "stop_sequence": None,
        "usage": {
            "input_tokens": INPUT_TOKENS,
            "cache_read_input_tokens": CACHE_READ_TOKENS,
            "cache_creation_input_tokens": 0,
            "output_tokens": OUTPUT_TOKENS,
        },
    }


def events(model: str) -> Iterator[dict[str, Any]]:
    start = dict(message(model), content=[], stop_reason=None)
    start["usage"] = dict(start["usage"], output_tokens=1)
    yield {"type": "message_start", "message": start}
    yield {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}}
    for word in ANSWER.split(" "):
        delta = {"type": "text_delta", "text": word + " "}
        yield {"type": "content_block_delta", "index": 0, "delta": delta}
    yield {"type": "content_block_stop", "index": 0}
    yield {
        "type": "message_delta",
        "delta": {"stop_reason": "end_turn", "stop_sequence": None},
        "usage": {"output_tokens": OUTPUT_TOKENS},
    }
    yield {"type": "message_stop"}


class FakeAnthropic(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        # Set to an HTTP error status (429, say) to answer every request with it.
        self.fail_with: int | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class Handler(BaseHTTPRequestHandler):
    server: FakeAnthropic

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet."""

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
        if self.server.fail_with is not None:
            error = {"type": "error", "error": {"type": "rate_limit_error", "message": "slow"}}
            self.send_body(self.server.fail_with, "application/json", json.dumps(error).encode())
            return
        model = body.get("model", "claude-haiku-4-5")
        if not body.get("stream"):
            self.send_body(200, "application/json", json.dumps(message(model)).encode())
            return
        stream = b"".join(
            f"event: {event['type']}\ndata: {json.dumps(event)}\n\n".encode()
            for event in events(model)
        )
        self.send_body(200, "text/event-stream", stream)

    def send_body(self, status: int, content_type: str, data: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def running() -> AbstractContextManager[FakeAnthropic]:
    return fake_llm.serving(FakeAnthropic())
