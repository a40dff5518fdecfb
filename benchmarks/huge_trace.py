"""A trace of 100,000 spans: the API's answer and the console's first drawing, this code vs
another (``main`` by default), in the same run over copies of one store.

The trace is ``tests/huge_traces.py``'s wide one (a root, 1,000 agent runs, 99 tool calls
each, 100 failures with exception events). Each side is ``swarmscope serve`` in its own
process, the other side's code from ``git archive <rev> src`` first on ``PYTHONPATH`` (with
this tree's compiled extensions, which neither side changes). Timed:

- API: the trace's answer as the console reads it (the other side: ``/api/traces/{id}``,
  the nested tree with every attribute; this side: ``/api/traces/{id}/waterfall``), the
  median of ``--repeats`` requests, and its size;
- console: Chromium opening ``#/traces/{id}`` until the root's row is drawn and the page is
  done loading (what a person waits for), then until every span is read (a console that
  draws the first rows first reads the rest after), the median of ``--repeats`` page
  loads, and how many rows the page then holds.

    python benchmarks/huge_trace.py [--base-rev main] [--repeats 3] [--timeout 300]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from playwright.sync_api import Browser, sync_playwright
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from server_ingest import started

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from huge_traces import WIDE_TRACE, wide_trace  # noqa: E402
from loopback import free_port  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]
STORE_FILE = "swarmscope.duckdb"


def make_store(folder: Path) -> Path:
    from swarmscope.server.store.database import Store

    folder.mkdir(parents=True)
    store = Store(folder / STORE_FILE)
    rows = wide_trace()
    for first in range(0, len(rows), 20_000):
        store.add("spans", rows[first : first + 20_000])
    store.close()
    return folder


def base_source(rev: str, into: Path) -> Path:
    """``rev``'s ``src``, with this tree's compiled extensions beside the sources they were
    compiled from (an extension of a source ``rev`` has otherwise, or lacks, is left out:
    it would run this tree's code on that side)."""
    archive = subprocess.run(["git", "archive", rev, "src"], cwd=ROOT, capture_output=True)
    archive.check_returncode()
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive.stdout, check=True)
    for built in (ROOT / "src").rglob("*.so"):
        module = built.name.split(".")[0]
        sources = [built.with_name(module + suffix) for suffix in (".py", ".pyx")]
        ours = next(source for source in sources if source.is_file())
        theirs = into / ours.relative_to(ROOT)
        if theirs.is_file() and theirs.read_bytes() == ours.read_bytes():
            shutil.copy(built, into / built.relative_to(ROOT))
    return into / "src"


@contextmanager
def server(data: Path, source: Path) -> Iterator[str]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SWARMSCOPE_", "OTEL_"))}
    command = [sys.executable, "-m", "swarmscope", "serve", "--port", str(port)]
    command += ["--grpc-port", "-1", "--data", str(data)]
    with started(command, {**env, "PYTHONPATH": str(source)}) as (url, _):
        yield url


def fetch(url: str, path: str, repeats: int, timeout: float) -> tuple[float, int]:
    """Median seconds and bytes of the answer at ``path``."""
    times, size = [], 0
    for _ in range(repeats):
        began = time.perf_counter()
        answer = httpx.get(f"{url}{path}", timeout=timeout)
        times.append(time.perf_counter() - began)
        answer.raise_for_status()
        size = len(answer.content)
    return statistics.median(times), size


def render(browser: Browser, url: str, repeats: int, timeout: float) -> tuple[float, float, int]:
    """Median seconds from opening the trace to its root row drawn and loading done, and to
    every span read (the same, for a console that draws only once it has them all), and how
    many rows the page holds then; inf when it took longer than ``timeout``."""
    first, whole, rows = [], [], 0
    for _ in range(repeats):
        page = browser.new_context(viewport={"width": 1400, "height": 900}).new_page()
        page.goto(f"{url}/#/overview")
        page.wait_for_selector(".page.overview")
        began = time.perf_counter()
        page.evaluate(f"location.hash = '#/traces/{WIDE_TRACE}'")
        try:
            page.wait_for_selector(".page.trace .wf-row[data-span-id]", timeout=timeout * 1000)
            page.wait_for_selector(".page.trace > .loading", state="detached")
            first.append(time.perf_counter() - began)
            if page.locator(".waterfall[data-complete]").count():
                page.wait_for_selector(".waterfall[data-complete=true]", timeout=timeout * 1000)
            whole.append(time.perf_counter() - began)
        except PlaywrightTimeout:  # this side did not finish in time
            first.append(float("inf"))
            whole.append(float("inf"))
        else:
            rows = page.locator(".wf-row[data-span-id]").count()
        page.context.close()
        if whole[-1] == float("inf"):
            break
    return statistics.median(first), statistics.median(whole), rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--base-rev", default="main")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--timeout", type=float, default=300)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as temp:
        folder = Path(temp)
        began = time.perf_counter()
        ours_data = make_store(folder / "ours")
        base_data = folder / "base"
        shutil.copytree(ours_data, base_data)
        print(
            f"store of {len(wide_trace()):,} spans written in {time.perf_counter() - began:.1f} s"
        )
        (folder / "base-src").mkdir()
        sides = {
            options.base_rev: (base_data, base_source(options.base_rev, folder / "base-src"),
                               f"/api/traces/{WIDE_TRACE}"),
            "this tree": (ours_data, ROOT / "src", f"/api/traces/{WIDE_TRACE}/waterfall"),
        }  # fmt: skip
        results = {}
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            for name, (data, source, path) in sides.items():
                with server(data, source) as url:
                    api = fetch(url, path, options.repeats, options.timeout)
                    shown = render(browser, url, options.repeats, options.timeout)
                results[name] = (*api, *shown)
                seconds, size, drawn, read, rows = results[name]
                print(
                    f"{name:>10}: API {seconds:6.2f} s, {size / 1e6:5.1f} MB;"
                    f" console {drawn:6.2f} s to the first rows, {read:6.2f} s to every span,"
                    f" {rows:,} rows in the page"
                )
            browser.close()
        base, ours = results[options.base_rev], results["this tree"]
        print(f"API: {base[0] / ours[0]:.1f}x faster, {base[1] / ours[1]:.1f}x smaller")
        print(
            f"console: {base[2] / ours[2]:.1f}x faster to the first rows,"
            f" {base[3] / ours[3]:.1f}x to every span, {base[4] / max(ours[4], 1):.0f}x fewer rows"
        )


if __name__ == "__main__":
    main()
