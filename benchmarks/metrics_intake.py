"""Metric points/s through the server's intake: cumulative vs delta, and this code vs another.

What is timed is the intake's own work for OTLP/HTTP metric requests, without HTTP: each
prebuilt protobuf body is decoded (``decoding.decode``, what a decode worker runs) and
written as the writer thread writes it (delta accumulation included, one transaction per
request) into a fresh DuckDB store. A request holds 300 series each of a monotonic sum, a
histogram with 15 buckets and a gauge (900 points); each run sends 60 such requests, one
per "push", times advancing 10 s, delta pushes contiguous as an SDK sends them.

    python benchmarks/metrics_intake.py [--pushes 60] [--base /tmp/metrics-base/src]

With ``--base DIR`` the cumulative run is repeated with ``DIR`` first on ``PYTHONPATH`` (a
``git archive <commit> src | tar -x -C /tmp/metrics-base`` of the code to compare with) and
the ratio of the two is printed; code from before delta support refuses delta pushes, so
only the cumulative run compares.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SERIES = 300
BOUNDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 50, 100]
PUSH_NS = 10 * 10**9
START_NS = 1_900_000_000 * 10**9


def bodies(pushes: int, delta: bool) -> list[bytes]:
    from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
        ExportMetricsServiceRequest,
    )

    temporality = 1 if delta else 2
    out = []
    for push in range(pushes):
        end = START_NS + (push + 1) * PUSH_NS
        start = end - PUSH_NS if delta else START_NS
        scale = 1 if delta else push + 1
        request = ExportMetricsServiceRequest()
        group = request.resource_metrics.add()
        for key, value in (("service.name", "bench"), ("service.instance.id", "pod-1")):
            group.resource.attributes.add(key=key).value.string_value = value
        metrics = group.scope_metrics.add().metrics
        calls = metrics.add(name="app.calls", unit="{call}")
        calls.sum.is_monotonic, calls.sum.aggregation_temporality = True, temporality
        latency = metrics.add(name="app.latency", unit="s")
        latency.histogram.aggregation_temporality = temporality
        depth = metrics.add(name="app.queue.depth", unit="{item}")
        for series in range(SERIES):
            labels = {"route": f"/r{series % 30}", "tenant": f"t{series // 30}"}
            for points in (calls.sum.data_points, latency.histogram.data_points):
                point = points.add(start_time_unix_nano=start, time_unix_nano=end)
                for key, value in labels.items():
                    point.attributes.add(key=key).value.string_value = value
            calls.sum.data_points[-1].as_double = 3.0 * scale
            bucket = latency.histogram.data_points[-1]
            bucket.explicit_bounds.extend(BOUNDS)
            bucket.bucket_counts.extend([scale] * (len(BOUNDS) + 1))
            bucket.count, bucket.sum = scale * (len(BOUNDS) + 1), 1.5 * scale
            gauge = depth.gauge.data_points.add(time_unix_nano=end, as_double=series)
            for key, value in labels.items():
                gauge.attributes.add(key=key).value.string_value = value
        out.append(request.SerializeToString())
    return out


def measure(pushes: int, delta: bool) -> dict[str, float]:
    """Points/s of decode + write in this interpreter (whatever ``swarmscope`` it imports)."""
    from swarmscope.server.intake import decoding
    from swarmscope.server.store.database import Store

    try:
        from swarmscope.server.intake.metric_delta import MetricWriter
    except ImportError:  # code from before delta accumulation: batches go straight in
        MetricWriter = None

    prebuilt = bodies(pushes, delta)
    with tempfile.TemporaryDirectory() as scratch:
        store = Store(Path(scratch) / "bench.duckdb")
        writer = MetricWriter(store) if MetricWriter else None
        began = time.perf_counter()
        stored = rejected = 0
        for body in prebuilt:
            decoded = decoding.decode("metrics", body, "application/x-protobuf", None, 1 << 30)
            batches = writer.prepare(decoded.batches) if writer else list(decoded.batches)
            store.write(batches)
            rejected += decoded.rejected
        elapsed = time.perf_counter() - began
        [row] = store.rows("SELECT count(*) AS n FROM metric_points")
        stored = row["n"]
        store.close()
    sent = pushes * SERIES * 3
    return {"points": sent, "stored": stored, "rejected": rejected, "per_second": sent / elapsed}


def run_child(pushes: int, delta: bool, path: str | None) -> dict[str, float]:
    env = dict(os.environ)
    if path:
        env["PYTHONPATH"] = os.pathsep.join([path, env.get("PYTHONPATH", "")])
    mode = "delta" if delta else "cumulative"
    answer = subprocess.run(
        [sys.executable, __file__, "--child", mode, "--pushes", str(pushes)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(answer.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pushes", type=int, default=60)
    parser.add_argument("--base", help="src directory of the code to compare with")
    parser.add_argument("--child", choices=("cumulative", "delta"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args.pushes, args.child == "delta")))
        return
    here = str(Path(__file__).resolve().parent.parent / "src")
    cumulative = run_child(args.pushes, False, here)
    delta = run_child(args.pushes, True, here)
    print(f"{'run':<22}{'points/s':>12}{'stored':>10}{'refused':>10}")
    for name, result in (("cumulative", cumulative), ("delta", delta)):
        print(
            f"{name:<22}{result['per_second']:>12,.0f}{result['stored']:>10}{result['rejected']:>10}"
        )
    print(f"delta / cumulative: {delta['per_second'] / cumulative['per_second']:.2f}")
    if args.base:
        base = run_child(args.pushes, False, args.base)
        print(
            f"{'cumulative (base)':<22}{base['per_second']:>12,.0f}{base['stored']:>10}"
            f"{base['rejected']:>10}"
        )
        print(f"cumulative, this / base: {cumulative['per_second'] / base['per_second']:.2f}")


if __name__ == "__main__":
    main()
