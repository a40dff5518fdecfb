"""The server fuzzer of ``tests/test_server_fuzz.py``, for as many cases as you like.

Runs the same generator (``tests/server_fuzzing.py``) against the real ASGI app, in this
process, over a store in a temporary directory, and prints the answers counted by status
and by route, the rate, and every 5xx other than a 503 with ``Retry-After``: each kind of
failure once, with how often it happened and a reproducer (a Python snippet that sends the
same request to a server at ``--base-url``).

    python benchmarks/server_fuzz.py [--cases 100000] [--seed 0] [--otlp-share 0.5]
    python benchmarks/server_fuzz.py --seed 0 --replay 1234    # case 1234 again, in full

A case's request depends only on the seed and its index; what the store holds when it
arrives depends on the cases before it, which ``--replay`` runs again (silently) first.
Exits 1 when a 5xx was found.
"""

from __future__ import annotations

import argparse
import collections
import logging
import sys
import tempfile
import time
from pathlib import Path

from starlette.testclient import TestClient

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from server_fuzzing import Case, Outcome, cases, send
from swarmscope.server.app import create_app
from swarmscope.server.settings import ServerSettings
from swarmscope.server.store.database import Store

MiB = 1024 * 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--otlp-share", type=float, default=0.5)
    parser.add_argument("--replay", type=int, default=None, help="show this case in full")
    parser.add_argument("--show", type=int, default=20, help="most kinds of 5xx printed")
    parser.add_argument("--base-url", default="http://127.0.0.1:4318")
    args = parser.parse_args()
    # The app logs each 500's traceback; the summary below says what a reader needs.
    logging.disable(logging.CRITICAL)
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / "fuzz.duckdb")
        try:
            app = create_app(store, ServerSettings(max_body_bytes=MiB, api_key=None))
            with TestClient(app, raise_server_exceptions=False) as client:
                if args.replay is not None:
                    return replay(client, app, args)
                return fuzz(client, app, args)
        finally:
            store.close()


def replay(client: TestClient, app: object, args: argparse.Namespace) -> int:
    """Run the cases before ``--replay`` without a word, then show that one in full."""
    for case in cases(app, args.seed, args.replay + 1, args.otlp_share):
        outcome = send(client, case)
    print(f"case {case.index} ({case.kind}): {outcome.status}\n{outcome.text}\n")
    print(case.reproducer(args.base_url))
    return 0 if outcome.allowed else 1


def fuzz(client: TestClient, app: object, args: argparse.Namespace) -> int:
    by_status: collections.Counter[int] = collections.Counter()
    by_route: collections.Counter[tuple[str, int]] = collections.Counter()
    failures: dict[str, list[Outcome]] = {}
    started = time.perf_counter()
    for case in cases(app, args.seed, args.cases, args.otlp_share):
        outcome = send(client, case)
        by_status[outcome.status] += 1
        by_route[(_route(case), outcome.status)] += 1
        if not outcome.allowed:
            kind = _kind_of_failure(outcome)
            if kind not in failures:
                print(f"new 5xx at case {case.index}: {kind}", flush=True)
            failures.setdefault(kind, []).append(outcome)
        if (case.index + 1) % 10_000 == 0:
            print(f"... {case.index + 1} cases, {len(failures)} kinds of 5xx", flush=True)
    seconds = time.perf_counter() - started
    report(args, by_status, by_route, failures, seconds)
    return 1 if failures else 0


def _route(case: Case) -> str:
    """The route a case was made for (its kind without the encoding and mutation)."""
    return " ".join(case.kind.split(" ")[:2])


def _kind_of_failure(outcome: Outcome) -> str:
    """Failures told apart by route and the first words of the answer (the exception)."""
    return f"{_route(outcome.case)} {outcome.status} {outcome.text[:100]}"


def report(
    args: argparse.Namespace,
    by_status: collections.Counter[int],
    by_route: collections.Counter[tuple[str, int]],
    failures: dict[str, list[Outcome]],
    seconds: float,
) -> None:
    print(
        f"\n{args.cases} cases (seed {args.seed}) in {seconds:.1f} s,"
        f" {args.cases / seconds:.0f} cases/s\n"
    )
    print("by status: " + ", ".join(f"{s}: {n}" for s, n in sorted(by_status.items())))
    print("\nby route:")
    routes = sorted({route for route, _ in by_route})
    for route in routes:
        counts = ", ".join(f"{s}: {n}" for (r, s), n in sorted(by_route.items()) if r == route)
        print(f"  {route:<45} {counts}")
    total = sum(len(found) for found in failures.values())
    print(f"\n5xx (503 with Retry-After aside): {total}, of {len(failures)} kinds")
    for kind, found in list(failures.items())[: args.show]:
        first = found[0]
        print(f"\n--- {len(found)}x {kind}")
        print(f"first: case {first.case.index} ({first.case.kind}); cases: ", end="")
        print(", ".join(str(outcome.case.index) for outcome in found[:20]))
        print(first.text)
        print(first.case.reproducer(args.base_url))


if __name__ == "__main__":
    sys.exit(main())
