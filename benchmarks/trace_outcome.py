"""What the run outcome and the plain-request filter cost the trace list, over a real store.

The trace list now says how each run ended (``outcome``, one aggregate per trace in the
summaries, and in the filter when one is asked for), leaves out traces that are one HTTP
request alone (a HAVING condition on every list), and its summaries read spans only from
the oldest listed trace's start on. The baseline is the list before: the same first step
with plain requests kept, then the summaries without the outcome column, over every span. Both run in one process over a copy of the given store (the original is never
opened), interleaved call by call so a busy machine slows both alike; each line prints the
fastest and the median call of each, and ours over the baseline.

    python benchmarks/trace_outcome.py STORE [--repeat 25]

STORE: a server store, e.g. the one ``server_scale.py --keep DIR`` fills.
"""

from __future__ import annotations

import argparse
import dataclasses
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from swarmscope.api_words import Outcome
from swarmscope.server.store.database import Store
from swarmscope.server.store.queries import traces

LIMIT = 50

# The summaries as they were: no outcome column, every span scanned for the wanted ids.
BASELINE_SUMMARIES = traces._SUMMARIES.replace(
    f",\n           {traces.OUTCOME} AS outcome", ""
).replace("WHERE start_ns >= ? AND list_contains", "WHERE list_contains")
assert "outcome" not in BASELINE_SUMMARIES and "start_ns >= ?" not in BASELINE_SUMMARIES, (
    "the summaries changed: update the baseline"
)


def baseline(store: Store, wanted: traces.TraceFilters) -> list[dict]:
    """The list as it was: plain requests kept, the summaries without outcome or bound."""
    filters = traces._filters(dataclasses.replace(wanted, plain_requests=True))
    found = traces._newest_traces(store, filters, wanted.since_ns, wanted.until_ns, LIMIT)
    if not found:
        return []
    return store.rows(BASELINE_SUMMARIES, [[row["trace_id"] for row in found]])


def ours(store: Store, wanted: traces.TraceFilters) -> list[dict]:
    return traces.trace_summaries(store, wanted, LIMIT)


def timed(
    listing: Callable[[Store, traces.TraceFilters], object],
    store: Store,
    wanted: traces.TraceFilters,
) -> float:
    began = time.perf_counter()
    listing(store, wanted)
    return time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("store", type=Path)
    parser.add_argument("--repeat", type=int, default=25)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        copy = Path(scratch) / "store.duckdb"
        shutil.copyfile(args.store, copy)
        store = Store(copy)
        try:
            [recent] = traces.trace_summaries(store, limit=1)
            cases = [
                ("newest 50", traces.TraceFilters()),
                ("by service", traces.TraceFilters(service=recent["services"][0])),
                ("with errors", traces.TraceFilters(status="error")),
                ("over 1 s", traces.TraceFilters(min_duration_ms=1000)),
            ]
            print(f"{'list':24s} {'baseline':>17s} {'ours':>17s} {'ratio':>6s}  (fastest / median)")
            for label, wanted in cases:
                times: dict[str, list[float]] = {"baseline": [], "ours": []}
                for _ in range(args.repeat):
                    times["baseline"].append(timed(baseline, store, wanted))
                    times["ours"].append(timed(ours, store, wanted))
                fast = {name: min(found) * 1000 for name, found in times.items()}
                median = {name: statistics.median(found) * 1000 for name, found in times.items()}
                print(
                    f"{label:24s} {fast['baseline']:6.1f} / {median['baseline']:6.1f} ms"
                    f" {fast['ours']:6.1f} / {median['ours']:6.1f} ms"
                    f" {median['ours'] / median['baseline']:6.2f}"
                )
            for outcome in (Outcome.FAILED, Outcome.RECOVERED):
                found = [
                    timed(ours, store, traces.TraceFilters(outcome=outcome))
                    for _ in range(args.repeat)
                ]
                print(
                    f"{'outcome=' + outcome:24s} {'(new filter)':>17s}"
                    f" {min(found) * 1000:6.1f} / {statistics.median(found) * 1000:6.1f} ms"
                )
        finally:
            store.close()


if __name__ == "__main__":
    main()
