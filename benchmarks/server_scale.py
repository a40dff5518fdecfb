"""``swarmscope serve`` over a day of data: memory and query latency at 1,000,000 spans.

How the store is filled: ``swarmscope demo`` runs for a short while against its embedded
server (real traces of both services, logs and pushed metrics: every span kind, handoffs,
approvals, orchestrations). That store is the template. A new store is then filled
DIRECTLY in SQL (not through the server, for speed): the template's spans and logs are
copied until there are 1,000,000 spans, each copy with its own trace and span ids and
shifted in time so the copies tile the last 24 hours, rows written in time order as a live
server would. Metric points: the last point of every template series, repeated every 10 s
over the same 24 hours (counters and histograms growing), about 2.6 million points.

Then ``swarmscope serve`` is started on that store as a subprocess and measured: its RSS
idle and its peak (VmHWM) after all queries (floor: under 500 MB), and the latency of the
query API: ``/api/traces`` with each filter, ``/api/agents/graph``, an agent's page
(``/api/agents/{agent}``), ``/api/logs``,
``/api/approvals``, ``/api/overview``, and ``/api/dashboards/{id}`` of an 8-panel dashboard
when that API exists (floor: under 1 s). Each query: the first call, then the median of
the next ones.

With ``--baseline PYTHON`` (another checkout's interpreter, ``/work/main/.venv/bin/python``)
that checkout's server is measured the same way on a copy of the same store, in the same
run, and each query's median is printed beside ours with the ratio.

    python benchmarks/server_scale.py [--spans 1000000] [--demo-seconds 20] [--keep DIR]
                                      [--template STORE] [--baseline PYTHON]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import psutil

from server_ingest import peak_rss_mb, started
from swarmscope.server.store.database import Store

RSS_FLOOR_MB = 500
DASHBOARD_FLOOR_SECONDS = 1.0
DAY_NS = 24 * 3600 * 10**9
STORE_FILE = "swarmscope.duckdb"

# A copy's ids: the copy number over the first hex digits, so parents still match.
_COPIES = "(SELECT k, {first} + k * {spacing} - {oldest} AS shift FROM range({copies}) AS r(k))"
_SPANS = f"""
    INSERT INTO spans
    SELECT * FROM (
        SELECT s.* REPLACE (
                   printf('%08x', k) || trace_id[9:] AS trace_id,
                   printf('%04x', k) || span_id[5:] AS span_id,
                   printf('%04x', k) || parent_span_id[5:] AS parent_span_id,
                   start_ns + shift AS start_ns,
                   end_ns + shift AS end_ns
               )
        FROM template.spans AS s, {_COPIES}
        ORDER BY start_ns DESC LIMIT {{spans}}
    ) ORDER BY start_ns
"""
# Logs of the copies' parts cut off at the newest end go with them.
_LOGS = f"""
    INSERT INTO logs
    SELECT time_ns + shift, printf('%08x', k) || trace_id[9:], printf('%04x', k) || span_id[5:],
           severity, event, body, service, agent, attributes
    FROM template.logs, {_COPIES}
    WHERE time_ns + shift <= {{newest}}
    ORDER BY time_ns + shift
"""
_METRICS = """
    INSERT INTO metric_points
    SELECT {first} + step * {interval} AS time_ns, {first} AS start_ns, service, name, kind,
           series, labels,
           CASE WHEN kind = 'counter' THEN value * (step + 1) ELSE value END,
           count * (step + 1), sum * (step + 1), bounds,
           list_transform(buckets, lambda b: b * (step + 1)), source
    FROM (
        SELECT * FROM template.metric_points
        QUALIFY row_number() OVER (PARTITION BY series ORDER BY time_ns DESC) = 1
    ), range({steps}) AS r(step)
    ORDER BY time_ns, series
"""


def record_demo(directory: Path, seconds: float) -> Path:
    """Run the demo against its own embedded server; its store is the template."""
    flags = f"--duration {seconds} --rate 4 --port 0 --server-port 0"
    command = [sys.executable, "-m", "swarmscope", "demo", *flags.split()]
    command += ["--data", str(directory / "demo"), "--log-dir", str(directory / "demo-logs")]
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, timeout=seconds + 180)
    return directory / "demo" / STORE_FILE


def fill(path: Path, template: Path, spans: int, interval_s: float) -> dict[str, int]:
    store = Store(path)
    try:
        store.execute(f"ATTACH '{template}' AS template (READ_ONLY)")
        [shape] = store.rows("SELECT count(*) AS n, min(start_ns) AS oldest FROM template.spans")
        copies = -(-spans // shape["n"])
        first = time.time_ns() - DAY_NS
        spacing = DAY_NS // copies
        common = {"first": first, "spacing": spacing, "oldest": shape["oldest"], "copies": copies}
        store.execute(_SPANS.format(**common, spans=spans))
        store.execute("INSERT INTO resources SELECT * FROM template.resources")
        [newest] = store.rows("SELECT max(end_ns) AS newest FROM spans")
        store.execute(_LOGS.format(**common, newest=newest["newest"]))
        steps = int(DAY_NS / (interval_s * 1e9))
        store.execute(_METRICS.format(first=first, interval=int(interval_s * 1e9), steps=steps))
        store.execute("DETACH template")
        store.execute("CHECKPOINT")
        [counts] = store.rows(
            "SELECT (SELECT count(*) FROM spans) AS spans, (SELECT count(*) FROM logs) AS logs,"
            " (SELECT count(*) FROM metric_points) AS metric_points,"
            " (SELECT count(DISTINCT series) FROM metric_points) AS series,"
            " (SELECT count(DISTINCT trace_id) FROM spans) AS traces"
        )
        return counts
    finally:
        store.close()


def timed(
    client: httpx.Client, path: str, params: dict[str, Any], repeat: int, server: psutil.Process
) -> tuple[list[float], list[float]]:
    """Each call's seconds, and the server's CPU seconds during it (all its threads): on a
    machine other work shares, the CPU a query costs varies less than how long it waits."""
    times, cpu = [], []
    for _ in range(repeat):
        used = sum(server.cpu_times()[:2])
        start = time.perf_counter()
        answer = client.get(path, params=params)
        times.append(time.perf_counter() - start)
        cpu.append(sum(server.cpu_times()[:2]) - used)
        if answer.status_code != 200:
            raise RuntimeError(f"{path} {params}: {answer.status_code} {answer.text[:200]}")
    return times, cpu


def queries(client: httpx.Client) -> list[tuple[str, str, dict[str, Any]]]:
    """The console's reads, with filters taken from the data itself."""
    [recent] = client.get("/api/traces", params={"limit": 1}).json()["traces"]
    trace = client.get(f"/api/traces/{recent['trace_id']}").json()
    agent = recent["agents"][0] if recent["agents"] else "memory_analyst"
    return [
        ("traces, newest 50", "/api/traces", {}),
        ("traces by service", "/api/traces", {"service": recent["services"][0]}),
        ("traces by agent", "/api/traces", {"agent": agent}),
        ("traces with errors", "/api/traces", {"status": "error"}),
        ("traces over 1 s", "/api/traces", {"min_duration_ms": 1000}),
        ("traces, last 15 min", "/api/traces", {"start": "15m"}),
        ("traces by attribute", "/api/traces", {"attribute": "gen_ai.request.model=gpt-4o"}),
        ("one trace tree", f"/api/traces/{recent['trace_id']}", {}),
        ("agent graph, 24 h", "/api/agents/graph", {}),
        ("agent graph, 1 h", "/api/agents/graph", {"start": "1h"}),
        ("agent page, 24 h", f"/api/agents/{agent}", {}),
        ("agent page, 1 h", f"/api/agents/{agent}", {"start": "1h"}),
        ("logs, newest 100", "/api/logs", {}),
        ("logs, errors", "/api/logs", {"level": "error"}),
        ("logs, text found at once", "/api/logs", {"text": "account"}),
        ("logs, text found nowhere", "/api/logs", {"text": "no such words"}),
        ("logs, one trace", "/api/logs", {"trace_id": trace["trace_id"]}),
        ("approvals, 24 h", "/api/approvals", {}),
        ("overview, 1 h", "/api/overview", {}),
        ("overview, 24 h", "/api/overview", {"start": "24h"}),
    ]


def dashboard_queries(client: httpx.Client) -> list[tuple[str, str, dict[str, Any]]]:
    """The 8-panel dashboard (or the largest), last hour and last day, if the API exists."""
    answer = client.get("/api/dashboards")
    if answer.status_code != 200 or not answer.json():
        return []
    sized = sorted((board["panels"], board["id"]) for board in answer.json())
    panels, board = next((entry for entry in sized if entry[0] == 8), sized[-1])
    label = f"dashboard {board} ({panels} panels)"
    path = f"/api/dashboards/{board}"
    return [(f"{label}, 1 h", path, {}), (f"{label}, 24 h", path, {"start": "24h"})]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spans", type=int, default=1_000_000)
    parser.add_argument("--demo-seconds", type=float, default=20.0)
    parser.add_argument("--metric-interval", type=float, default=10.0, help="seconds")
    parser.add_argument("--repeat", type=int, default=5, help="calls per query")
    parser.add_argument("--keep", type=Path, help="fill (or reuse) the store in this directory")
    parser.add_argument("--template", type=Path, help="a recorded store to copy, not the demo's")
    parser.add_argument(
        "--baseline", type=Path, help="the Python of another checkout, measured on a copy"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        data = args.keep or Path(scratch) / "data"
        data.mkdir(parents=True, exist_ok=True)
        if not (data / STORE_FILE).exists():
            began = time.perf_counter()
            template = args.template or record_demo(Path(scratch), args.demo_seconds)
            recorded = time.perf_counter() - began
            try:
                counts = fill(data / STORE_FILE, template, args.spans, args.metric_interval)
            except BaseException:
                (data / STORE_FILE).unlink(missing_ok=True)  # not a store to reuse
                raise
            print(
                f"filled in {time.perf_counter() - began:.0f} s (demo {recorded:.0f} s):"
                f" {counts['spans']:,} spans in {counts['traces']:,} traces,"
                f" {counts['logs']:,} logs, {counts['metric_points']:,} metric points"
                f" of {counts['series']} series"
            )
        size_mb = (data / STORE_FILE).stat().st_size / 2**20
        print(f"store file: {size_mb:,.0f} MB")
        copy = Path(scratch) / "baseline"
        if args.baseline:  # copied before either server opens it
            copy.mkdir()
            shutil.copy(data / STORE_FILE, copy / STORE_FILE)
        results, memory = measure(sys.executable, data, size_mb, args.repeat)
        if args.baseline:
            baseline, _ = measure(str(args.baseline), copy, size_mb, args.repeat)
    if args.baseline:
        report_against(results, baseline)
    else:
        report(results)
    boards = [entry for entry in results if entry[0].startswith("dashboard")]
    if not boards:
        print("dashboards: the server has no /api/dashboards; not measured")
    else:
        seconds = max(max(first, median) for _, first, median, _ in boards)
        verdict = "met" if seconds < DASHBOARD_FLOOR_SECONDS else "MISSED"
        print(
            f"dashboard floor {DASHBOARD_FLOOR_SECONDS:.0f} s: {verdict} (slowest {seconds:.2f} s)"
        )
    idle_mb, now_mb, peak_mb = memory
    verdict = "met" if peak_mb < RSS_FLOOR_MB else "MISSED"
    print(
        f"server RSS: idle {idle_mb:.0f} MB, after the queries {now_mb:.0f} MB,"
        f" peak {peak_mb:.0f} MB; floor {RSS_FLOOR_MB} MB: {verdict}"
    )


# A query's label, its first call's seconds, the median of the others, and their median CPU.
Result = tuple[str, float, float, float]


def measure(
    python: str, data: Path, size_mb: float, repeat: int
) -> tuple[list[Result], tuple[float, float, float]]:
    """Start ``python -m swarmscope serve`` on ``data``; each query's first call and median,
    and the server's RSS idle, after the queries and at its peak."""
    serve = [
        python,
        "-m",
        "swarmscope",
        "serve",
        "--port",
        "0",
        "--data",
        str(data),
        "--max-size-mb",
        str(int(size_mb * 4) + 1024),
        "--grpc-port",
        "-1",
    ]
    with started(serve) as (url, process), httpx.Client(base_url=url, timeout=120) as client:
        time.sleep(1.0)
        idle_mb = process.memory_info().rss / 2**20
        suite = queries(client) + dashboard_queries(client)
        results = []
        for label, path, params in suite:
            try:
                times, cpu = timed(client, path, params, repeat, process)
            except RuntimeError as failed:  # a baseline may fail where ours does not
                print(f"{python}: {failed}"[:300])
                times = cpu = [float("nan")]
            median = statistics.median(times[1:] or times)
            results.append((label, times[0], median, statistics.median(cpu[1:] or cpu)))
        peak_mb = peak_rss_mb(process)
        now_mb = process.memory_info().rss / 2**20
    return results, (idle_mb, now_mb, peak_mb)


def report(results: list[Result]) -> None:
    print(f"{'query':40s} {'first':>9s} {'median':>9s} {'cpu':>9s}")
    for label, first, median, cpu in results:
        print(f"{label:40s} {first * 1000:7.0f}ms {median * 1000:7.0f}ms {cpu * 1000:7.0f}ms")


def report_against(results: list[Result], baseline: list[Result]) -> None:
    """Medians and CPU, ours beside the baseline's, and how many times less ours takes."""
    theirs = {label: (median, cpu) for label, _, median, cpu in baseline}
    print(
        f"{'query':40s} {'first':>8s} {'median':>8s} {'base':>8s} {'ratio':>6s}"
        f" {'cpu':>8s} {'base':>8s} {'ratio':>6s}"
    )
    for label, first, median, cpu in results:
        line = f"{label:40s} {first * 1000:6.0f}ms {median * 1000:6.0f}ms"
        if label in theirs:
            other, other_cpu = theirs[label]
            line += f" {other * 1000:6.0f}ms {other / median:5.1f}x {cpu * 1000:6.0f}ms"
            line += f" {other_cpu * 1000:6.0f}ms {other_cpu / max(cpu, 1e-3):5.1f}x"
        print(line)


if __name__ == "__main__":
    main()
