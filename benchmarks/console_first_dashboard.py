"""How long the first dashboard a user opens takes to draw, in Debian's Chromium (driven by
Playwright), for this tree against a baseline tree, in one run.

Each tree's ``swarmscope serve`` runs as a user runs it, in its own process, on its own copy
of a store with data (default: the 500k-span store a scale run leaves in /tmp/scale500; the
original is only read). Each pass opens a fresh browser context (an empty cache, as on a first
visit), goes to ``/#/dashboards/<id>`` and waits, polling every frame, until every panel is
drawn: each chart panel holds its chart (a canvas or Plotly's SVG), or says it has no data,
and every other panel holds its figures. The time reported is the page's clock at that
moment, from navigation start. Passes alternate between the trees; the median of each is
printed, with the ratio. The dashboard API's own answer time (the same server code in both
trees) is printed beside them, so what is left is the page's.

The baseline is ``git archive <ref> src`` of this repository (default ``main``), first on
``PYTHONPATH``; when it draws with Plotly and this environment lacks the ``plotly`` package,
``pip install --target benchmarks/.venvs/console-base plotly`` provides it.

    python benchmarks/console_first_dashboard.py [--base-ref main] [--passes 5]
        [--store /tmp/scale500/swarmscope.duckdb] [--dashboard ID] [--range 24h]

Before issue 15 the console drew with Plotly (4.5 MB of JavaScript) and the first dashboard
took 8.5-10 s on a loaded machine.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import httpx
from playwright.sync_api import Browser, sync_playwright

from server_ingest import started

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]
PLOTLY_TARGET = ROOT / "benchmarks" / ".venvs" / "console-base"
# Every panel drawn: a chart panel holds its chart (canvas: uPlot; .main-svg: Plotly) or says
# why it has none; any other panel holds something. Returns the page's clock (ms since
# navigation start) at the first frame where that is so, and when the dashboard's API answer
# had arrived.
ALL_DRAWN = """
(expected) => {
  const panels = [...document.querySelectorAll(".panels > .panel")];
  if (panels.length < expected) return false;
  const drawn = panels.every((panel) => {
    const body = panel.querySelector(".panel-body");
    if (!body || !body.firstChild) return false;
    if (!panel.classList.contains("wide") || panel.dataset.kind === "table") return true;
    return !!body.querySelector("canvas, .main-svg, .empty, .notice");
  });
  if (!drawn) return false;
  const [read] = performance.getEntriesByType("resource").filter((one) => one.name.includes("/api/dashboards/"));
  return { drawn: performance.now(), answered: read ? read.responseEnd : NaN };
}
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def baseline(ref: str, into: Path) -> Path:
    """The baseline's ``src``, as committed at ``ref``."""
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", ref, "src"], check=True, capture_output=True
    )
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive.stdout, check=True)
    return into / "src"


def plotly_path_entry(src: Path) -> list[str]:
    """Where the baseline finds plotly, when it needs it and this environment has none."""
    uses_plotly = (
        "plotly" in (src / "swarmscope" / "server" / "console" / "__init__.py").read_text()
    )
    if not uses_plotly or importlib.util.find_spec("plotly") is not None:
        return []
    if not (PLOTLY_TARGET / "plotly").is_dir():
        subprocess.run(
            [sys.executable, "-m", "pip", "install", "-q", "-t", str(PLOTLY_TARGET), "plotly>=6"],
            check=True,
        )
    return [str(PLOTLY_TARGET)]


@contextmanager
def served(store: Path, data: Path, python_path: list[str]) -> Iterator[str]:
    """``swarmscope serve`` over a copy of ``store``, with ``python_path`` first on its path."""
    data.mkdir()
    shutil.copyfile(store, data / "swarmscope.duckdb")
    port = free_port()
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([*python_path, os.environ.get("PYTHONPATH", "")]),
    }
    env.pop("SWARMSCOPE_API_KEY", None)
    command = [
        sys.executable,
        "-m",
        "swarmscope",
        "serve",
        "--data",
        str(data),
        "--port",
        str(port),
    ]
    command += ["--grpc-port", "-1", "--decode-processes", "0"]
    with started(command, env) as (url, _):
        yield url


def api_seconds(url: str, dashboard: str, range_: str) -> float:
    started = time.perf_counter()
    answer = httpx.get(f"{url}/api/dashboards/{dashboard}", params={"start": range_}, timeout=120)
    answer.raise_for_status()
    return time.perf_counter() - started


def first_dashboard_ms(
    browser: Browser, url: str, dashboard: str, range_: str, panels: int
) -> tuple[float, float]:
    """One cold visit: a fresh context (no cache), the dashboard, every panel drawn; the ms
    from navigation to all drawn, and from the API's answer to all drawn."""
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    try:
        page = context.new_page()
        page.goto(f"{url}/#/dashboards/{dashboard}?range={range_}")
        drawn = page.wait_for_function(ALL_DRAWN, arg=panels, polling="raf", timeout=180_000)
        times = drawn.json_value()
        return float(times["drawn"]), float(times["drawn"] - times["answered"])
    finally:
        context.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base-ref", default="main")
    parser.add_argument("--passes", type=int, default=5)
    parser.add_argument("--store", type=Path, default=Path("/tmp/scale500/swarmscope.duckdb"))
    parser.add_argument("--dashboard", help="default: the first the dashboards list shows")
    parser.add_argument("--range", default="24h", help="a range the store's data falls in")
    args = parser.parse_args()
    if not args.store.is_file():
        raise SystemExit(f"{args.store} is missing: run benchmarks/server_scale.py or pass --store")

    with tempfile.TemporaryDirectory(prefix="console-bench-") as tmp:
        work = Path(tmp)
        (work / "base").mkdir()
        base_src = baseline(args.base_ref, work / "base")
        trees = {
            f"base ({args.base_ref})": [str(base_src), *plotly_path_entry(base_src)],
            "this tree": [str(ROOT / "src")],
        }
        times: dict[str, list[float]] = {name: [] for name in trees}
        after: dict[str, list[float]] = {name: [] for name in trees}
        api: dict[str, float] = {}
        with ExitStack() as running, sync_playwright() as playwright:
            urls = {
                name: running.enter_context(served(args.store, work / f"data{index}", path))
                for index, (name, path) in enumerate(trees.items())
            }
            listing = httpx.get(f"{urls['this tree']}/api/dashboards", timeout=30).json()
            dashboard = args.dashboard or listing[0]["id"]
            panels = next(d["panels"] for d in listing if d["id"] == dashboard)
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
            for name, url in urls.items():
                api[name] = min(api_seconds(url, dashboard, args.range) for _ in range(3))
                first_dashboard_ms(browser, url, dashboard, args.range, panels)  # warm the server
            for _ in range(args.passes):
                for name, url in urls.items():
                    total, drawing = first_dashboard_ms(browser, url, dashboard, args.range, panels)
                    times[name].append(total)
                    after[name].append(drawing)
            browser.close()

    print(
        f"first dashboard ({dashboard}, range {args.range}), cold browser cache, {args.passes} passes"
    )
    print("all drawn: from navigation; after API: from the dashboard's answer arriving")
    print(
        f"{'tree':<16} {'all drawn':>10} {'min':>7} {'max':>7} {'after API':>10} {'API alone':>10}"
    )
    for name, samples in times.items():
        print(
            f"{name:<16} {statistics.median(samples):>8.0f}ms {min(samples):>5.0f}ms "
            f"{max(samples):>5.0f}ms {statistics.median(after[name]):>8.0f}ms "
            f"{api[name] * 1000:>8.0f}ms"
        )
    base, ours = (statistics.median(samples) for samples in times.values())
    base_after, ours_after = (statistics.median(samples) for samples in after.values())
    print(f"all drawn, this tree / base: {ours / base:.3f} ({base / ours:.1f}x faster)")
    print(
        f"after API, this tree / base: {ours_after / base_after:.3f} ({base_after / ours_after:.1f}x faster)"
    )
    print(f"load average: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
