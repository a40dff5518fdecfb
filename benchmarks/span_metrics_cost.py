"""What counting the catalog's families from spans adds to span intake, in one run.

The same requests as ``server_ingest.py`` (512 realistic GenAI spans each) go through the
intake's own steps in this process, timed apart: decoding a request into rows and committing
them to a DuckDB store (the intake without derived metrics), and the same commit to a second
store, counting its spans (``SpanMetrics``) and writing the counts as points when due (the
delta accumulator and their rows): its cost beyond the first commit is what derived
metrics add. ``--flush-seconds 0`` writes points after every request. Reported: CPU microseconds per span for each step and the derived metrics'
share of the intake without them (the issue's goal: under 10%).

    python benchmarks/span_metrics_cost.py [--requests 200] [--repeats 5]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from server_ingest import span_request
from swarmscope.server.intake.decoding import decode
from swarmscope.server.intake.metric_delta import MetricWriter
from swarmscope.server.intake.span_metrics import FLUSH_SECONDS, SpanMetrics
from swarmscope.server.store.database import Store

SPANS_PER_REQUEST = 512
PROTOBUF = "application/x-protobuf"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument(
        "--flush-seconds",
        type=float,
        default=FLUSH_SECONDS,
        help="how often counts are written (0: after every request, the worst case)",
    )
    args = parser.parse_args()
    bodies = [span_request(seed, SPANS_PER_REQUEST) for seed in range(args.requests)]
    spans = args.requests * SPANS_PER_REQUEST
    best = {"decode": float("inf"), "store": float("inf"), "derive": float("inf")}
    with tempfile.TemporaryDirectory() as folder:
        for repeat in range(args.repeats):
            # Two stores fed alike, one commit per request as under light load: one the
            # intake without derived metrics, one with them (derived in the same commit).
            plain = Store(Path(folder) / f"plain-{repeat}.duckdb")
            full = Store(Path(folder) / f"full-{repeat}.duckdb")
            derive, writer = SpanMetrics(flush_seconds=args.flush_seconds), MetricWriter(full)
            taken = {"decode": 0.0, "store": 0.0, "derive": 0.0}
            for body in bodies:
                started = time.process_time()
                batches = list(decode("traces", body, PROTOBUF, None, 1 << 30).batches)
                decoded = time.process_time()
                plain.write(batches)
                stored = time.process_time()
                selected = derive.select(batches)
                full.write(writer.prepare(batches))
                derive.keep(selected)
                taken_points = derive.take()
                if taken_points is not None:
                    full.write(writer.prepare([("metric_deltas", taken_points[0])]))
                taken["decode"] += decoded - started
                taken["store"] += stored - decoded
                # What the commit with derived metrics cost beyond the plain one.
                taken["derive"] += time.process_time() - stored - (stored - decoded)
            plain.close()
            full.close()
            best = {step: min(best[step], seconds) for step, seconds in taken.items()}
    per_span = {step: seconds / spans * 1e6 for step, seconds in best.items()}
    intake = per_span["decode"] + per_span["store"]
    print(f"{args.requests} requests of {SPANS_PER_REQUEST} spans, best of {args.repeats}")
    for step, us in per_span.items():
        print(f"{step:8s} {us:7.2f} us/span")
    print(f"derived metrics / intake without them: {per_span['derive'] / intake:.1%}  (goal < 10%)")


if __name__ == "__main__":
    main()
