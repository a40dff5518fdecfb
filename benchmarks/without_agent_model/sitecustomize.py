"""The intake without the agent model and derived metrics, for ``server_ingest.py``.

    python benchmarks/server_ingest.py --compare-src benchmarks/without_agent_model \
        --rounds 7 --paired

Put first on a server's PYTHONPATH (what ``--compare-src`` does), this module runs at the
start of the server and of each of its decode workers: spans are then read with no mapping
(the agent model's columns left empty, nothing priced) and no span is kept for derived
metrics. The ratio printed is then what the issue asks: intake with them against intake
without them, same tree, same run. (The compiled reader still files the agent model's keys
in their slots as it reads a span's attributes, a comparison or two per key in C, and hands
them to the ``derived`` replaced here: the baseline pays that much of the mapping.)
``before_agent_model`` is the other baseline: the intake as it was before them.
"""

from __future__ import annotations

from typing import Any

from swarmscope.server.intake import otlp_wire, span_fields
from swarmscope.server.intake.span_metrics import SpanMetrics

EMPTY = ((None,) * len(span_fields.DERIVED_HEAD), (None,) * len(span_fields.DERIVED_TAIL))


def no_mapping(
    name: str, kind: str, attrs: dict[str, Any], events: list[Any], found: Any = None
) -> Any:
    return EMPTY


def keep_nothing(self: SpanMetrics, batches: Any) -> list[Any]:
    return []


otlp_wire.derived = no_mapping  # the compiled reader looks it up at each call
SpanMetrics.select = keep_nothing  # type: ignore[method-assign]
