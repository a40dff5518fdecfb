"""The agent dashboards of an app that pushes no metrics, over a store of a million spans.

Spans of an app traced by another instrumentor (``server_ingest.py``'s realistic GenAI
spans: agent runs, tools, LLM calls) are committed as the server's writer commits them,
one request of 512 spans at a time, and the families the server counts from them
(``intake/span_metrics.py``) are written every 2 s of a simulated hour: as many derived
points as an hour of that traffic leaves. Then the dashboards that read those families are
computed over the last hour, as the console asks for them (``api/dashboards.render``), and
the median of ``--repeats`` is printed per dashboard (the issue's goal: an 8-panel agent
dashboard in under 300 ms).

Each dashboard is computed twice in the same run: as the server computes it, with the
quantiles of the families derived from spans read from the spans' durations
(``store/queries/span_quantiles.py``), and as it did before, with every quantile read from
the histograms' buckets (the baseline); the ratio and, per quantile series, both last
values are printed (how far the buckets' interpolation was from the spans' truth).

``--store`` measures a copy of a store already filled (``server_scale.py --keep``, say)
instead, over the last hour of its spans, under the namespace the server would serve.

    python benchmarks/derived_dashboards.py [--spans 1000000] [--repeats 5] [--store FILE]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from server_ingest import span_request
from swarmscope.definitions.dashboards import DASHBOARDS_BY_UID
from swarmscope.server.api.dashboards import render
from swarmscope.server.api.window import Window
from swarmscope.server.intake import span_metrics
from swarmscope.server.intake.decoding import decode
from swarmscope.server.intake.metric_delta import MetricWriter
from swarmscope.server.intake.span_metrics import FLUSH_SECONDS, SpanMetrics
from swarmscope.server.namespaces import serve_namespace
from swarmscope.server.query import evaluate
from swarmscope.server.store.database import Store

SPANS_PER_REQUEST = 512
HOUR_NS = 3600 * 10**9
DASHBOARDS = ("agent-performance", "llm-usage-cost", "multi-agent-orchestration", "hitl-workflow")
# The server's default namespace: the benchmark's spans name none.
NAMESPACE = "swarmscope"


class SimulatedClock:
    """``time.time_ns`` for the span metrics' flushes: the hour the spans are spread over."""

    def __init__(self, start_ns: int) -> None:
        self.now_ns = start_ns

    def time_ns(self) -> int:
        return self.now_ns

    def monotonic(self) -> float:
        return self.now_ns / 1e9


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--spans", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--store", type=Path, help="measure a copy of this store instead")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "store.duckdb"
        if args.store is not None:
            shutil.copyfile(args.store, path)  # never written: the copy is
            store = Store(path)  # as `serve` opens it: its memory limit too
            [last] = store.rows("SELECT max(end_ns) AS end_ns, count(*) AS spans FROM spans")
            end_ns, namespace = last["end_ns"], serve_namespace(store, None, None).name
            print(f"{last['spans']:,} spans in a copy of {args.store}, namespace {namespace}")
        else:
            end_ns, namespace = time.time_ns(), NAMESPACE
            store = Store(path)  # as `serve` opens it: its memory limit too
            fill(store, args.spans, end_ns)
        measure(store, namespace, Window(end_ns - HOUR_NS, end_ns, 30 * 10**9), args.repeats)
        store.close()


def fill(store: Store, spans: int, end_ns: int) -> None:
    """``spans`` spans over the hour before ``end_ns``, and the points counted from them."""
    requests = max(1, spans // SPANS_PER_REQUEST)
    bodies = [span_request(seed, SPANS_PER_REQUEST) for seed in range(64)]
    clock = SimulatedClock(end_ns - HOUR_NS)
    span_metrics.time = clock  # type: ignore[assignment]  # flush times from the hour
    counter, writer = SpanMetrics(), MetricWriter(store)
    started = time.perf_counter()
    for number in range(requests):
        clock.now_ns = end_ns - HOUR_NS + HOUR_NS * number // requests
        body = bodies[number % len(bodies)]
        batches = list(decode("traces", body, "application/x-protobuf", None, 1 << 30).batches)
        selected = counter.select(batches)
        store.write(writer.prepare(batches))
        counter.keep(selected)
        if (taken := counter.take()) is not None:
            store.write(writer.prepare([("metric_deltas", taken[0])]))
    [(stored,)] = [tuple(row.values()) for row in store.rows("SELECT count(*) FROM spans")]
    [(points,)] = [tuple(row.values()) for row in store.rows("SELECT count(*) FROM metric_points")]
    print(
        f"{stored:,} spans stored, {points:,} derived points (a flush per {FLUSH_SECONDS:g} s"
        f" of a simulated hour) in {time.perf_counter() - started:.0f} s"
    )


def measure(store: Store, namespace: str, window: Window, repeats: int) -> None:
    """Each dashboard with span quantiles (ours) and bucket quantiles (the baseline)."""
    span_families = evaluate.FAMILIES
    for uid in DASHBOARDS:
        dashboard = DASHBOARDS_BY_UID[uid]
        timings: dict[str, float] = {}
        bodies: dict[str, dict[str, Any]] = {}
        for name, families in (("spans", span_families), ("buckets", {})):
            evaluate.FAMILIES = families  # the baseline: no family is read from spans
            times = []
            for _ in range(repeats):
                started = time.perf_counter()
                bodies[name] = render(store, dashboard, namespace, window)
                times.append(time.perf_counter() - started)
            timings[name] = statistics.median(times)
        evaluate.FAMILIES = span_families
        filled = sum(1 for panel in bodies["spans"]["panels"] if panel["series"])
        print(
            f"{uid:28s} {len(dashboard.panels):2d} panels ({filled:2d} with data):"
            f" {timings['spans'] * 1000:6.0f} ms with span quantiles,"
            f" {timings['buckets'] * 1000:6.0f} ms with bucket quantiles (baseline),"
            f" ratio {timings['spans'] / timings['buckets']:.2f}, median of {repeats}"
        )
        for line in compared(bodies["spans"], bodies["buckets"]):
            print(f"    {line}")


def compared(ours: dict[str, Any], baseline: dict[str, Any]) -> list[str]:
    """Each quantile series read from spans: its last value, and the buckets' beside it."""
    lines = []
    for panel, before in zip(ours["panels"], baseline["panels"], strict=True):
        old = {(one["target"], one["label"]): one for one in before["series"]}
        for one in panel["series"]:
            if one.get("quantile_from") != "spans":
                continue
            value = one["points"][-1][1]
            other = old.get((one["target"], one["label"]))
            shown = "none" if other is None else f"{other['points'][-1][1] * 1000:.4g} ms"
            if other is not None and other["approximate"]:
                shown += f" ({other['bounds'][-1][1]} {other['bounds'][-1][2]:g} s)"
            lines.append(
                f"{panel['title']} / {one['label']}: spans {value * 1000:.4g} ms, buckets {shown}"
            )
    return lines[:12]


if __name__ == "__main__":
    main()
