"""The Node package's tool call against the same telemetry written by hand, in one Node run.

Launches ``js/node/bench/tool_call.ts`` (compiled by the package's build): a
``toolCall`` of @swarmscope/node against a prom-client counter and histogram, an OTel span
and one pino line with the trace ids written by hand, alternating passes of CPU time, the
median of each. The floor: the instrumented call is no slower than the hand-written one
(ratio <= 1). Installs the package's locked dependencies and builds it first when needed.

    python benchmarks/node_tool_call.py [CALLS_PER_PASS] [PASSES]
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "js" / "node"


def main(args: list[str]) -> int:
    npm, node = shutil.which("npm"), shutil.which("node")
    if npm is None or node is None:
        print("needs Node.js and npm (python3 tasks.py test installs them)", file=sys.stderr)
        return 2
    quiet = ["--no-audit", "--no-fund", "--loglevel=error"]
    if not (PACKAGE / "node_modules").is_dir():
        subprocess.run([npm, "ci", *quiet], cwd=PACKAGE, check=True)
    subprocess.run([npm, "run", "build", "--silent"], cwd=PACKAGE, check=True)
    return subprocess.run([node, "dist/bench/tool_call.js", *args], cwd=PACKAGE).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
