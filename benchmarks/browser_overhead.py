"""What the browser package costs a page: a tracked click, and an AG-UI event received, against
the same page without it, in Debian's Chromium (driven by Playwright), in one run.

Two pages with the same button and the same AG-UI subscriber: one loads the bundle the server
ships (``/sdk/swarmscope-browser.js``) and calls ``init`` (exporting to a swarmscope server on
loopback), the other loads nothing. Each pass, in the page, times N clicks dispatched on the
button (the app's handler counts them; with the package each click is also a span and a log)
until the task after them, and N AG-UI events handed to the subscriber's ``onEvent`` (the
package's subscriber counts them by type; the plain one calls the app's handler only). Passes
alternate between the pages; the median pass of each is reported, per operation and as a ratio.
There is no OpenInference instrumentor for the browser to compare with.

    python benchmarks/browser_overhead.py [--passes 7] [--operations 2000]
"""

from __future__ import annotations

import argparse
import socket
import statistics
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import uvicorn
from playwright.sync_api import Page, sync_playwright
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Route

from swarmscope.server.app import create_app
from swarmscope.server.console import SDK_URL
from swarmscope.server.settings import ServerSettings
from swarmscope.server.store.database import Store

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]

PAGE = """<!doctype html><title>bench</title>%(sdk)s
<button id="go" data-ss-action="go">Go</button>
<script>
window.handled = 0;
document.getElementById("go").addEventListener("click", () => { window.handled += 1; });
const onEvent = ({event}) => { window.handled += event.type.length > 0 ? 1 : 0; };
window.subscriber = window.swarmscope
  ? (() => { const s = swarmscope.agUiSubscriber("bench"); const inner = s.onEvent;
             return {...s, onEvent: (p) => { inner(p); onEvent(p); }}; })()
  : {onEvent};
window.clicks = async (n) => {
  const button = document.getElementById("go");
  const began = performance.now();
  for (let i = 0; i < n; i++) button.click();
  await new Promise((done) => setTimeout(done, 0));
  return performance.now() - began;
};
window.events = async (n) => {
  const kinds = ["TEXT_MESSAGE_START", "TEXT_MESSAGE_CONTENT", "TEXT_MESSAGE_END"];
  const began = performance.now();
  for (let i = 0; i < n; i++) window.subscriber.onEvent({event: {type: kinds[i %% 3]}});
  await new Promise((done) => setTimeout(done, 0));
  return performance.now() - began;
};
</script>"""


@contextmanager
def serve(app: Any) -> Iterator[str]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_config=None, log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def pages(telemetry: dict[str, str]) -> Starlette:
    """The two pages; ``telemetry["url"]`` is the server, known once it has started (its CORS
    policy names the pages' origin, so the pages start first)."""

    async def instrumented(request: Request) -> HTMLResponse:
        url = telemetry["url"]
        init = (
            f'<script src="{url}{SDK_URL}"></script><script>swarmscope.init('
            f'{{endpoint: "{url}", serviceName: "bench-page"}});</script>'
        )
        return HTMLResponse(PAGE % {"sdk": init})

    async def plain(request: Request) -> HTMLResponse:
        return HTMLResponse(PAGE % {"sdk": ""})

    return Starlette(routes=[Route("/on", instrumented), Route("/off", plain)])


def timed(page: Page, what: str, operations: int) -> float:
    """Microseconds per operation for one pass."""
    return float(page.evaluate(f"window.{what}({operations})")) * 1000 / operations


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--passes", type=int, default=7)
    parser.add_argument("--operations", type=int, default=2000)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as data:
        store = Store(Path(data) / "store.duckdb")
        telemetry: dict[str, str] = {}
        with serve(pages(telemetry)) as url:
            settings = ServerSettings(api_key=None, cors_origins=(url,))
            with serve(create_app(store, settings)) as telemetry["url"]:
                with sync_playwright() as playwright:
                    browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
                    context = browser.new_context()
                    on, off = context.new_page(), context.new_page()
                    on.goto(f"{url}/on")
                    off.goto(f"{url}/off")
                    on.wait_for_function("() => window.swarmscope !== undefined")
                    results: dict[tuple[str, str], list[float]] = {}
                    for what in ("clicks", "events"):
                        timed(on, what, options.operations)  # warm-up, both pages
                        timed(off, what, options.operations)
                        for _ in range(options.passes):
                            for name, page in (("off", off), ("on", on)):
                                key = (what, name)
                                results.setdefault(key, []).append(
                                    timed(page, what, options.operations)
                                )
                    browser.close()
        store.close()
    for what, label in (("clicks", "tracked click"), ("events", "AG-UI event received")):
        off_us = statistics.median(results[(what, "off")])
        on_us = statistics.median(results[(what, "on")])
        print(
            f"{label:>22}: uninstrumented {off_us:8.2f} µs, instrumented {on_us:8.2f} µs,"
            f" +{on_us - off_us:.2f} µs, ratio {on_us / off_us:.1f}x"
        )


if __name__ == "__main__":
    main()
