"""Exact duration quantiles of the families the server derives from spans, per step.

A histogram's quantile is an interpolation inside the bucket the quantile falls in: with a
family's lowest bucket at 5 s, runs of 150-320 ms read as a p95 of 4.75 s. The spans those
families are counted from (``intake/span_metrics.py``) are stored with their durations, so
the dashboards ask the spans instead: ``quantile_cont`` (linear between the two nearest
observations, as ``inspect-agent`` and ``debug-handoff`` compute theirs) over the
observations of each window, one statement for every quantile of a dashboard.

An observation is what the family would have observed, when it would have: a span's
duration at its end, except for handoffs, whose latency (our SDK's) is the time until the
target's run starts, carried on that run (``swarmscope.handoff.latency_ms``, beside who
handed to it), observed at its start; the handoff spans of a trace whose runs name no one
who handed to them (another convention's) count their own durations. Its
labels are the family's labels read from span columns (``FAMILIES``; an approval's type
is our SDK's attribute, else the kind of wait another convention names), a label the family
does not have is empty, ``job`` is the service. A window holds what was observed after its
start and up to its end (``(t - range, t]``, as Prometheus 3 reads a window). The spans of one namespace are those whose resource's
``service.namespace``, written as a metric prefix, is it (the SDK's default if none).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from swarmscope.conventions.attributes import (
    SERVICE_NAMESPACE,
    SWARMSCOPE_APPROVAL_TYPE,
    SWARMSCOPE_HANDOFF_LATENCY_MS,
)
from swarmscope.conventions.spans import (
    EXECUTE_TOOL,
    HANDOFF,
    HITL_APPROVAL,
    INVOKE_AGENT,
    LLM_OPERATIONS,
    ORCHESTRATE,
)
from swarmscope.server.store.database import Store
from swarmscope.server.store.queries.filters import ORCHESTRATE as ORCHESTRATE_SPANS
from swarmscope.server.store.queries.filters import attribute
from swarmscope.server.store.queries.series import NS_PER_MS, Leaf, matches, text

# What every family's observations are read as (the columns of ``observed`` below).
_COLUMNS = (
    "family, service, agent, tool, model, provider, wait, source, target, operation, t, seconds"
)
_LIST = f"({', '.join(repr(op) for op in LLM_OPERATIONS)})"
# Each family: the spans it observes (a SELECT of ``_COLUMNS`` over ``{where}``). Reading
# attributes costs most (DuckDB decompresses every span's in the scan that reads them):
# approvals, whose condition is no column filter the scan can apply, are found first.
_SELECTIONS = {
    "agent_session_duration_seconds": f"""
        SELECT '{{family}}', service, agent, '', '', '', '', '', '', '', end_ns,
               duration_ms / 1000
        FROM spans WHERE operation = '{INVOKE_AGENT}' AND agent IS NOT NULL AND {{where}}""",
    "agent_tool_call_duration_seconds": f"""
        SELECT '{{family}}', service, coalesce(agent, ''), coalesce(tool, ''), '', '', '', '',
               '', '', end_ns, duration_ms / 1000
        FROM spans WHERE operation = '{EXECUTE_TOOL}' AND {{where}}""",
    "llm_request_duration_seconds": f"""
        SELECT '{{family}}', service, coalesce(agent, ''), '', coalesce(model, ''),
               coalesce(provider, ''), '', '', '', '', end_ns, duration_ms / 1000
        FROM spans WHERE operation IN {_LIST} AND {{where}}""",
    "hitl_approval_latency_seconds": f"""
        SELECT '{{family}}', service, coalesce(agent, ''), '', '', '',
               coalesce({attribute(SWARMSCOPE_APPROVAL_TYPE)}, wait, ''), '', '', '', end_ns,
               duration_ms / 1000
        FROM spans WHERE rowid IN (
            SELECT rowid FROM spans
            WHERE (operation = '{HITL_APPROVAL}' OR wait IS NOT NULL) AND {{where}}
        )""",
    # Our SDK's handoffs: their latency, on the target's run (which names who handed to it).
    "agent_handoff_duration_seconds": f"""
        SELECT '{{family}}', service, '', '', '', '', '', handoff_from, agent, '', start_ns,
               TRY_CAST({attribute(SWARMSCOPE_HANDOFF_LATENCY_MS)} AS DOUBLE) / 1000
        FROM spans
        WHERE operation = '{INVOKE_AGENT}' AND handoff_from IS NOT NULL AND {{where}}
              AND contains(attributes, '{SWARMSCOPE_HANDOFF_LATENCY_MS}')
        UNION ALL
        SELECT '{{family}}', service, '', '', '', '', '', coalesce(handoff_from, ''),
               coalesce(handoff_to, ''), '', end_ns, duration_ms / 1000
        FROM spans
        WHERE operation = '{HANDOFF}' AND {{where}} AND trace_id NOT IN (
            SELECT trace_id FROM spans
            WHERE operation = '{INVOKE_AGENT}' AND handoff_from IS NOT NULL AND {{where}}
        )""",
    # Orchestrations: named ``orchestrate {operation}``; the operation is the family's label.
    "orchestration_duration_seconds": f"""
        SELECT '{{family}}', service, '', '', '', '', '', '', '',
               substr(name, {len(ORCHESTRATE) + 2}), end_ns, duration_ms / 1000
        FROM spans WHERE {ORCHESTRATE_SPANS} AND {{where}}""",
}
# Each family's catalog labels, as the columns above.
FAMILIES: dict[str, dict[str, str]] = {
    "agent_session_duration_seconds": {"agent_type": "agent"},
    "agent_tool_call_duration_seconds": {"agent_type": "agent", "tool_name": "tool"},
    "llm_request_duration_seconds": {
        "model": "model",
        "provider": "provider",
        "agent_type": "agent",
    },
    "hitl_approval_latency_seconds": {"approval_type": "wait", "agent_type": "agent"},
    "agent_handoff_duration_seconds": {"from_agent": "source", "to_agent": "target"},
    "orchestration_duration_seconds": {"operation": "operation"},
}


@dataclass(frozen=True)
class SpanLeaf:
    """Quantiles ``qs`` of one family's observations in each window, grouped by ``by``.

    ``family`` is the catalog's name (no namespace); ``where`` label matchers; evaluated at
    ``start_ms + k * step_ms`` for ``k < steps`` over windows of ``range_ms``.
    """

    family: str
    qs: tuple[float, ...]
    where: tuple[tuple[str, str, str], ...]
    by: tuple[str, ...]
    range_ms: int
    start_ms: int
    step_ms: int
    steps: int

    def __post_init__(self) -> None:
        if self.family not in FAMILIES:
            raise ValueError(f"{self.family} is not derived from spans")
        # The metric engine's leaf checks the matchers (operators, regexes) the same way.
        Leaf("", "value", self.where, self.by, 0, False, False, "sum", 0, 1, 1)

    def labels(self) -> tuple[str, ...]:
        """The ``by`` labels, in the order the answer's ``g`` holds their values."""
        return tuple(sorted(set(self.by) - {"le"}))

    def window(self) -> tuple[int, int]:
        """The observation times (ms) any of its windows holds: after the first, up to the last."""
        return self.start_ms - self.range_ms, self.start_ms + (self.steps - 1) * self.step_ms


def _column(family: str, label: str) -> str:
    if label == "job":
        return "service"
    return FAMILIES[family].get(label, "''")


def _group(index: int, leaf: SpanLeaf) -> str:
    """The leaf's quantiles per group and step.

    An observation is in the windows of several steps (ten, for 5-minute windows every
    30 s): rather than copying each into each, the statement lists the observations of each
    slice of time that window edges never cut (``slice_ms``, the greatest common divisor
    of the window and the step: the step itself, usually), and each window takes its
    slices' lists, flattened, for ``quantile_cont``: a tenth of the rows to group.
    """
    columns = [_column(leaf.family, label) for label in leaf.labels()]
    matchers = [
        matches(_column(leaf.family, label), op, wanted) for label, op, wanted in leaf.where
    ]
    first, last = leaf.window()
    qs = ", ".join(repr(q) for q in leaf.qs)
    width = math.gcd(leaf.range_ms, leaf.step_ms)
    # Slice a holds the times (start + (a - 1) * width, start + a * width]; window k the
    # times (start + k * step - range, start + k * step].
    return f"""
        SELECT {index} AS leaf, k, g,
               list_aggregate(flatten(list(observations)), 'quantile_cont', [{qs}]) AS values,
               sum(n) AS n
        FROM (
            SELECT unnest(range(
                       greatest(CAST(ceil(a * {width} / {leaf.step_ms}) AS BIGINT), 0),
                       least(CAST(ceil((a * {width} + {leaf.range_ms}) / {leaf.step_ms})
                                  AS BIGINT), {leaf.steps}))) AS k,
                   g, observations, n
            FROM (
                SELECT CAST(ceil((t - {leaf.start_ms}) / {width}) AS BIGINT) AS a,
                       [{", ".join(columns)}]::VARCHAR[] AS g, list(seconds) AS observations,
                       count(*) AS n
                FROM observed
                WHERE family = {text(leaf.family)} AND t > {first} AND t <= {last}
                      AND {" AND ".join(matchers) or "true"}
                GROUP BY ALL
            )
        )
        GROUP BY ALL"""


def _namespace(default: str) -> str:
    """A resource's namespace as a metric prefix (``intake/span_metrics.prometheus_namespace``)."""
    raw = f"nullif(attributes ->> '$.\"{SERVICE_NAMESPACE}\"', '')"
    name = f"regexp_replace({raw}, '[^a-zA-Z0-9_]', '_', 'g')"
    return (
        f"CASE WHEN {raw} IS NULL THEN {text(default)} "
        f"WHEN regexp_matches({name}, '^[0-9]') THEN '_' || {name} ELSE {name} END"
    )


def span_quantiles(
    store: Store, namespace: str, default_namespace: str, leaves: list[SpanLeaf]
) -> list[dict[str, Any]]:
    """Per leaf, group and step with observations: ``values`` (one per q, in seconds) and
    ``n``, the observations. One scan of the spans for every leaf."""
    if not leaves:
        return []
    first = min(leaf.window()[0] for leaf in leaves)
    last = max(leaf.window()[1] for leaf in leaves)
    # Observed at end_ns (start_ns for arrivals): spans are filtered on both, so the scan
    # skips row groups by either; a run observed at its start ended after it.
    where = (
        f"end_ns >= {first * NS_PER_MS} AND start_ns <= {last * NS_PER_MS + NS_PER_MS - 1}"
        " AND resource_id IN (SELECT resource_id FROM chosen)"
    )
    families = sorted({leaf.family for leaf in leaves})
    observed = " UNION ALL ".join(
        _SELECTIONS[family].format(family=family, where=where) for family in families
    )
    groups = " UNION ALL ".join(_group(index, leaf) for index, leaf in enumerate(leaves))
    return store.rows(
        f"""
        WITH chosen AS (
            SELECT resource_id FROM resources WHERE {_namespace(default_namespace)} = ?
        ),
        observed AS MATERIALIZED (
            SELECT * REPLACE (t // {NS_PER_MS} AS t) FROM ({observed}) AS o({_COLUMNS})
        ),
        grouped AS ({groups})
        SELECT * FROM grouped WHERE values IS NOT NULL
        """,
        [namespace],
    )
