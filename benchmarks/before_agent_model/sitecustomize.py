"""The intake as it was before the agent model and derived metrics, for ``server_ingest.py``.

    python benchmarks/server_ingest.py --compare-src benchmarks/before_agent_model \
        --rounds 7 --paired

Put first on a server's PYTHONPATH (what ``--compare-src`` does), this module runs at the
start of the server and of each of its decode workers: spans are then read as the intake
read them before the agent model (six columns from the GenAI and OpenInference keys, no
price: ``agent_model_cost.earlier_mapping``) and no span is kept for derived metrics. The
ratio printed is what the agent model and derived metrics added to the product as it was;
``without_agent_model`` is the stricter baseline, with no column derived at all.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from agent_model_cost import earlier_mapping
from swarmscope.server.intake import otlp_wire
from swarmscope.server.intake.span_metrics import SpanMetrics


def keep_nothing(self: SpanMetrics, batches: Any) -> list[Any]:
    return []


otlp_wire.derived = earlier_mapping  # the compiled reader looks it up at each call
SpanMetrics.select = keep_nothing  # type: ignore[method-assign]
