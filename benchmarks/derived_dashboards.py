"""The agent dashboards of an app that pushes no metrics, over a store of a million spans.

Spans of an app traced by another instrumentor (``server_ingest.py``'s realistic GenAI
spans: agent runs, tools, LLM calls) are committed as the server's writer commits them,
one request of 512 spans at a time, and the families the server counts from them
(``intake/span_metrics.py``) are written every 2 s of a simulated hour: as many derived
points as an hour of that traffic leaves. Then the dashboards that read those families are
computed over the last hour, as the console asks for them (``api/dashboards.render``), and
the median of ``--repeats`` is printed per dashboard (the issue's goal: an 8-panel agent
dashboard in under 300 ms).

    python benchmarks/derived_dashboards.py [--spans 1000000] [--repeats 5]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from server_ingest import span_request
from swarmscope.definitions.dashboards import DASHBOARDS_BY_UID
from swarmscope.server.api.dashboards import render
from swarmscope.server.api.window import Window
from swarmscope.server.intake import span_metrics
from swarmscope.server.intake.decoding import decode
from swarmscope.server.intake.metric_delta import MetricWriter
from swarmscope.server.intake.span_metrics import FLUSH_SECONDS, SpanMetrics
from swarmscope.server.store.database import Store

SPANS_PER_REQUEST = 512
HOUR_NS = 3600 * 10**9
DASHBOARDS = ("agent-performance", "llm-usage-cost", "multi-agent-orchestration")
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
    args = parser.parse_args()
    requests = max(1, args.spans // SPANS_PER_REQUEST)
    bodies = [span_request(seed, SPANS_PER_REQUEST) for seed in range(64)]
    end_ns = time.time_ns()
    clock = SimulatedClock(end_ns - HOUR_NS)
    span_metrics.time = clock  # type: ignore[assignment]  # flush times from the hour
    with tempfile.TemporaryDirectory() as folder:
        store = Store(Path(folder) / "store.duckdb", memory_limit="1GB")
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
        [(spans,)] = [tuple(row.values()) for row in store.rows("SELECT count(*) FROM spans")]
        [(points,)] = [
            tuple(row.values()) for row in store.rows("SELECT count(*) FROM metric_points")
        ]
        print(
            f"{spans:,} spans stored, {points:,} derived points (a flush per {FLUSH_SECONDS:g} s"
            f" of a simulated hour) in {time.perf_counter() - started:.0f} s"
        )
        window = Window(end_ns - HOUR_NS, end_ns, 30 * 10**9)
        for uid in DASHBOARDS:
            dashboard = DASHBOARDS_BY_UID[uid]
            times = []
            for _ in range(args.repeats):
                started = time.perf_counter()
                body = render(store, dashboard, NAMESPACE, window)
                times.append(time.perf_counter() - started)
            filled = sum(1 for panel in body["panels"] if panel["series"])
            print(
                f"{uid:28s} {len(dashboard.panels):2d} panels ({filled:2d} with data):"
                f" {statistics.median(times) * 1000:6.0f} ms median of {args.repeats}"
            )
        store.close()


if __name__ == "__main__":
    main()
