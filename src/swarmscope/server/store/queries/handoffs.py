"""One handoff pair: its handoff spans, the target's runs that closed them, and the
problems among them (slow, never picked up, oversized)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from swarmscope.conventions.attributes import (
    SWARMSCOPE_HANDOFF_DATA_BYTES,
    SWARMSCOPE_HANDOFF_DATA_KEYS,
    SWARMSCOPE_HANDOFF_FROM_AGENT,
    SWARMSCOPE_HANDOFF_LATENCY_MS,
)
from swarmscope.conventions.spans import INVOKE_AGENT
from swarmscope.server.store.database import Store
from swarmscope.server.store.queries.filters import LOG_AGENT, all_of, attribute, handoff_spans

# Latency bucket upper bounds in ms; the last bucket is everything above.
LATENCY_BOUNDS_MS = (1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000)
_FROM = SWARMSCOPE_HANDOFF_FROM_AGENT
# The pair's handoff spans, and the target's runs that closed one of them: the latency of a
# handoff is measured when the target starts, on its run's span.
_PAIR = f"""
    WITH RECURSIVE {handoff_spans("{handoff_where}")}, handoffs AS (
        SELECT trace_id, span_id, start_ns, status, status_message,
               TRY_CAST({attribute(SWARMSCOPE_HANDOFF_DATA_BYTES)} AS BIGINT) AS bytes,
               coalesce(attributes -> '$."{SWARMSCOPE_HANDOFF_DATA_KEYS}"', '[]')::VARCHAR AS keys
        FROM handoffs_found WHERE source = ? AND target = ?
    ), arrivals AS (
        SELECT trace_id, span_id, start_ns,
               TRY_CAST({attribute(SWARMSCOPE_HANDOFF_LATENCY_MS)} AS DOUBLE) AS latency_ms
        FROM spans
        WHERE operation = '{INVOKE_AGENT}' AND agent = ? AND {attribute(_FROM)} = ? AND {{where}}
    )
"""
_COUNTS = """
    SELECT count(*) AS handoffs,
           count(*) FILTER (WHERE status = 'error') AS failures,
           min(bytes) AS min_bytes, avg(bytes) AS mean_bytes,
           quantile_cont(bytes, 0.95) AS p95_bytes, max(bytes) AS max_bytes,
           coalesce(sum(bytes), 0) AS total_bytes
    FROM handoffs
"""
_LATENCY = """
    SELECT count(latency_ms) AS arrivals, min(latency_ms) AS min_ms, avg(latency_ms) AS mean_ms,
           quantile_cont(latency_ms, 0.5) AS p50_ms, quantile_cont(latency_ms, 0.9) AS p90_ms,
           quantile_cont(latency_ms, 0.95) AS p95_ms, quantile_cont(latency_ms, 0.99) AS p99_ms,
           max(latency_ms) AS max_ms
    FROM arrivals
"""
_BOUNDS = ", ".join(
    f"({low}, {high})"
    for low, high in zip(
        (0, *LATENCY_BOUNDS_MS), (*LATENCY_BOUNDS_MS, "'inf'::DOUBLE"), strict=True
    )
)
# Buckets of (low, high]; the first also takes latencies of 0 (a clock that did not tick).
_BUCKETS = f"""
    SELECT b.high AS le_ms, count(a.latency_ms) AS count
    FROM (VALUES {_BOUNDS}) AS b(low, high)
         LEFT JOIN arrivals AS a
         ON (a.latency_ms > b.low OR (b.low = 0 AND a.latency_ms >= 0)) AND a.latency_ms <= b.high
    GROUP BY ALL ORDER BY b.high
"""
_PAYLOADS = """
    SELECT keys, count(*) AS count, min(bytes) AS min_bytes, avg(bytes) AS mean_bytes,
           max(bytes) AS max_bytes
    FROM handoffs GROUP BY ALL ORDER BY count DESC, keys
"""
_FAILED = """
    SELECT trace_id, span_id, start_ns, status_message AS error FROM handoffs
    WHERE status = 'error' ORDER BY start_ns DESC
"""
_SLOW = """
    SELECT trace_id, span_id, start_ns, latency_ms FROM arrivals
    WHERE latency_ms > ? ORDER BY latency_ms DESC
"""
# A handoff that succeeded, is older than the settle time, and after which the target neither
# ran nor started running in that trace. (Inside the subqueries, unqualified columns are the
# inner table's.)
_NEVER_RAN = f"""
    SELECT h.trace_id, h.span_id, h.start_ns FROM handoffs AS h
    WHERE h.status <> 'error' AND h.start_ns <= ?
      AND NOT EXISTS (
          SELECT 1 FROM spans AS s
          WHERE s.trace_id = h.trace_id AND s.operation = '{INVOKE_AGENT}' AND s.agent = ?
                AND s.start_ns >= h.start_ns)
      AND NOT EXISTS (
          SELECT 1 FROM logs AS l
          WHERE l.trace_id = h.trace_id AND l.event = 'agent_execution_started'
                AND {LOG_AGENT} = ? AND l.time_ns >= h.start_ns)
    ORDER BY h.start_ns DESC
"""
_OVERSIZED = """
    SELECT trace_id, span_id, start_ns, bytes, keys FROM handoffs
    WHERE bytes > ? ORDER BY bytes DESC
"""


@dataclass(frozen=True)
class HandoffQuery:
    from_agent: str
    to_agent: str
    trace_id: str | None = None
    since_ns: int | None = None
    until_ns: int | None = None
    slow_ms: float = 1000.0
    max_bytes: int = 256 * 1024
    settle_ns: int = 30 * 10**9
    limit: int = 20

    def pair(self) -> tuple[str, list[Any]]:
        """The ``WITH handoffs, arrivals`` prefix of every query, and its parameters."""
        where, params = all_of(
            ("trace_id = ?", self.trace_id),
            ("start_ns >= ?", self.since_ns),
            ("start_ns <= ?", self.until_ns),
        )
        handoff_where, _ = all_of(
            ("h.trace_id = ?", self.trace_id),
            ("h.start_ns >= ?", self.since_ns),
            ("h.start_ns <= ?", self.until_ns),
        )
        return _PAIR.format(where=where, handoff_where=handoff_where), [
            *params,
            self.from_agent,
            self.to_agent,
            self.to_agent,
            self.from_agent,
            *params,
        ]


@dataclass(frozen=True)
class Problem:
    """How many handoffs a problem query finds, and the first ``limit`` of them."""

    count: int
    examples: list[dict[str, Any]]


@dataclass(frozen=True)
class HandoffRows:
    """What the store holds of one pair's handoffs, as rows; the router shapes them."""

    counts: dict[str, Any]
    latency: dict[str, Any]
    buckets: list[dict[str, Any]]
    payloads: list[dict[str, Any]]
    failed: list[dict[str, Any]]
    slow: Problem
    never_ran: Problem
    oversized: Problem


def handoff_rows(store: Store, query: HandoffQuery, now_ns: int) -> HandoffRows:
    pair, pair_params = query.pair()

    def rows(sql: str, *params: Any) -> list[dict[str, Any]]:
        return store.rows(pair + sql, [*pair_params, *params])

    def problem(sql: str, *params: Any) -> Problem:
        [total] = rows(f"SELECT count(*) AS count FROM ({sql})", *params)
        return Problem(total["count"], rows(f"{sql} LIMIT ?", *params, query.limit))

    [counts] = rows(_COUNTS)
    [latency] = rows(_LATENCY)
    return HandoffRows(
        counts=counts,
        latency=latency,
        buckets=rows(_BUCKETS),
        payloads=rows(_PAYLOADS),
        failed=rows(f"{_FAILED} LIMIT ?", query.limit),
        slow=problem(_SLOW, query.slow_ms),
        never_ran=problem(_NEVER_RAN, now_ns - query.settle_ns, query.to_agent, query.to_agent),
        oversized=problem(_OVERSIZED, query.max_bytes),
    )
