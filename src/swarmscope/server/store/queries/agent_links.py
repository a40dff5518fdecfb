"""The agent links: every span the agent graph and an agent's page read, with the run or
orchestrator it was called from, resolved as the spans arrive.

The graph needs, for each agent run, the nearest agent run or orchestrator above it, which
may be many spans up (``orchestrate`` > ``workflow`` > ``workflow_node`` > the run); an
agent's page, the tool and LLM calls whose nearest run is one of its runs. Climbing the
parents at each read costs a join over all spans per level: seconds at 500k spans. So the links are
kept instead, made at a read for the spans stored since the previous one (``Store.link_written``:
making them as spans are written cost the intake a quarter of its throughput; a read pays
only for what arrived since the last). The batch's agent runs, orchestrators, A2A delegations,
handoffs and tool and LLM calls become rows in ``agent_waiting`` whose ``above`` is the next
ancestor to look at; they climb while that ancestor is in the batch. A row stops at a run,
orchestrator or delegation (its caller) or at a root, and moves to ``agent_links``, which is
only appended to. A row whose ancestor has not arrived waits, and climbs when a later batch
brings it (spans are exported when they end, so parents mostly arrive after their children).
For an ancestor that arrived first (another service exporting sooner, work that outlives the
request that started it), the next read looks once for what a waiting row hangs under among
the stored rows and spans (``settle``). A store from before the tables is linked on opening.

An A2A delegation (a CLIENT ``invoke_agent`` span) is not a run of the remote agent: the
remote side's own run is. It is a caller all the same, under the agent it was sent to, so
the remote run is not linked to its sender twice.

``trace_key`` and ``parent_key`` are hashes of the trace id and of the trace and parent ids:
the graph groups rows by trace and by parent, and integers group several times faster than
the ids' text (two of them colliding, at 2^-64, would only join two traces' explanations).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from swarmscope.conventions.attributes import (
    ERROR_TYPE,
    GEN_AI_CONVERSATION_ID,
    SESSION_ID,
    SWARMSCOPE_HANDOFF_FROM_AGENT,
    SWARMSCOPE_HANDOFF_LATENCY_MS,
    SWARMSCOPE_HANDOFF_TO_AGENT,
    SWARMSCOPE_LLM_COST_USD,
)
from swarmscope.conventions.spans import EXECUTE_TOOL, HANDOFF, INVOKE_AGENT, LLM_OPERATIONS
from swarmscope.server.store.queries.filters import ORCHESTRATE, attribute

if TYPE_CHECKING:  # the store imports this module to keep the table as it writes
    from swarmscope.server.store.database import Store

# Roles of rows; the first three are callers: the climb from below stops at them.
RUN = "run"
ORCHESTRATOR = "orchestrator"
DELEGATION = "delegation"
HANDOFF_ROLE = "handoff"
# A tool or LLM call: what an agent's page counts of the runs it was called from.
CALL = "call"
CALLERS = (RUN, ORCHESTRATOR, DELEGATION)
# How far up a run's ancestors its caller is looked for.
MAX_STEPS = 32
# How long before a waiting row the spans it may hang under are looked for in the store.
LOOK_BACK_NS = 60 * 10**9
# How long before an opened store's latest row spans are looked at for rows never made.
RELINK_LOOK_BACK_NS = 600 * 10**9

_COLUMNS = """(
    trace_id VARCHAR, span_id VARCHAR, parent_span_id VARCHAR, start_ns BIGINT,
    service VARCHAR, status VARCHAR, duration_ms DOUBLE, role VARCHAR, agent VARCHAR,
    handed_by VARCHAR, latency_ms DOUBLE, above VARCHAR, steps INTEGER, searched BOOLEAN,
    caller_role VARCHAR, caller_agent VARCHAR, trace_key UBIGINT, parent_key UBIGINT,
    caller_span VARCHAR, operation VARCHAR, input_tokens BIGINT, output_tokens BIGINT,
    cost_usd DOUBLE, end_ns BIGINT, status_message VARCHAR, error_type VARCHAR,
    session VARCHAR
)"""
# Rows that have found their caller (or a root) are appended to ``agent_links`` and never
# changed; rows still climbing wait in the small ``agent_waiting``, which the climbs update.
SCHEMA = f"""
CREATE TABLE IF NOT EXISTS agent_links {_COLUMNS};
CREATE TABLE IF NOT EXISTS agent_waiting {_COLUMNS};
"""
# What the graph and an agent's page read: every row, settled or waiting.
LINKS = "(SELECT * FROM agent_links UNION ALL SELECT * FROM agent_waiting)"

# A run's session: the agent model's column (any convention); the attributes for rows stored
# before it existed.
_SESSION = (
    f"coalesce(session, {attribute(GEN_AI_CONVERSATION_ID)}, {attribute(SESSION_ID)},"
    f" {attribute('session_id')})"
)
# ``agent`` is the run's agent, the orchestrator's span name, the delegation's remote agent,
# the handoff's target, or the call's tool or model; ``handed_by`` the agent that handed to the run, or the handoff's
# named source. Stores from before the handoff columns keep the ends in attributes only.
_ROLE = f"""CASE WHEN {ORCHESTRATE} THEN '{ORCHESTRATOR}'
    WHEN operation = '{INVOKE_AGENT}' AND agent IS NOT NULL
         THEN CASE WHEN kind = 'client' THEN '{DELEGATION}' ELSE '{RUN}' END
    WHEN operation = '{HANDOFF}' THEN '{HANDOFF_ROLE}'
    WHEN operation IN {(EXECUTE_TOOL, *LLM_OPERATIONS)!r} THEN '{CALL}' END"""
_INSERT = f"""
    INSERT INTO agent_waiting
    SELECT trace_id, span_id, parent_span_id, start_ns, service, status, duration_ms, role,
           CASE role WHEN '{ORCHESTRATOR}' THEN name
                WHEN '{HANDOFF_ROLE}' THEN coalesce(handoff_to,
                                                    {attribute(SWARMSCOPE_HANDOFF_TO_AGENT)})
                WHEN '{CALL}' THEN CASE WHEN operation = '{EXECUTE_TOOL}' THEN coalesce(tool, name)
                                        ELSE coalesce(model, name) END
                ELSE agent END,
           CASE WHEN role IN ('{RUN}', '{HANDOFF_ROLE}')
                THEN coalesce(handoff_from, {attribute(SWARMSCOPE_HANDOFF_FROM_AGENT)}) END,
           CASE WHEN role = '{RUN}'
                THEN TRY_CAST({attribute(SWARMSCOPE_HANDOFF_LATENCY_MS)} AS DOUBLE) END,
           parent_span_id, 0, false, NULL, NULL,
           hash(trace_id), hash(trace_id, parent_span_id), NULL, operation,
           input_tokens, output_tokens,
           CASE WHEN role = '{CALL}'
                THEN coalesce(cost_usd, TRY_CAST({attribute(SWARMSCOPE_LLM_COST_USD)} AS DOUBLE))
           END,
           end_ns, status_message,
           CASE WHEN status = 'error' THEN {attribute(ERROR_TYPE)} END,
           CASE WHEN role = '{RUN}' THEN {_SESSION} END
    FROM (SELECT *, {_ROLE} AS role FROM {{source}}) WHERE role IS NOT NULL
"""
# One step up for every waiting row (``{waiting}`` narrows them) whose ``above`` is among
# ``{nodes}`` (trace_id, span_id, parent_span_id, role, agent): a caller ends the climb, any
# other span passes it on to its parent, and a root (or a climb too long) ends it with no
# caller. A row that moves is searched for again among the stored spans.
_WAITING = "SELECT trace_id, above FROM agent_waiting WHERE above IS NOT NULL AND {waiting}"
_CLIMB = f"""
    UPDATE agent_waiting AS r
    SET caller_role = CASE WHEN n.role IN {CALLERS!r} THEN n.role END,
        caller_agent = CASE WHEN n.role IN {CALLERS!r} THEN n.agent END,
        caller_span = CASE WHEN n.role IN {CALLERS!r} THEN n.span_id END,
        above = CASE WHEN n.role IN {CALLERS!r} OR r.steps >= {MAX_STEPS} THEN NULL
                     ELSE n.parent_span_id END,
        steps = r.steps + 1,
        searched = false
    FROM (SELECT x.trace_id, x.span_id, any_value(x.parent_span_id) AS parent_span_id,
                 max(x.role) FILTER (WHERE x.role IN {CALLERS!r}) AS role,
                 any_value(x.agent) FILTER (WHERE x.role IN {CALLERS!r}) AS agent
          FROM ({{nodes}}) AS x SEMI JOIN ({_WAITING}) AS w
               ON x.trace_id = w.trace_id AND x.span_id = w.above
          GROUP BY x.trace_id, x.span_id) AS n
    WHERE r.above IS NOT NULL AND {{waiting}}
          AND n.trace_id = r.trace_id AND n.span_id = r.above
"""
_LINKED = f"SELECT trace_id, span_id, parent_span_id, role, agent FROM {LINKS}"
# A batch's spans as nodes: its callers are known from their own row.
_BATCH = f"""
    SELECT trace_id, span_id, parent_span_id, role,
           CASE WHEN role = '{ORCHESTRATOR}' THEN name ELSE agent END AS agent
    FROM (SELECT *, {_ROLE} AS role FROM {{source}})
"""
# The stored spans that rows waiting and not yet searched for may hang under: those of their
# traces that started up to ``LOOK_BACK_NS`` before them.
_UNSEARCHED = "FROM agent_waiting WHERE NOT searched"
_STORED = f"""
    SELECT trace_id, span_id, parent_span_id, NULL AS role, NULL AS agent FROM spans
    WHERE start_ns >= (SELECT min(start_ns) - {LOOK_BACK_NS} {_UNSEARCHED})
          AND start_ns <= (SELECT max(start_ns) {_UNSEARCHED})
          AND trace_id IN (SELECT trace_id {_UNSEARCHED})
"""


_SETTLED = "INSERT INTO agent_links SELECT * FROM agent_waiting WHERE above IS NULL"
_LEFT = "DELETE FROM agent_waiting WHERE above IS NULL"


def _climb(moved: Callable[[str], int], nodes: str, waiting: str = "true") -> None:
    """Step waiting rows up through ``nodes`` until none moves, then move the rows that
    settled to ``agent_links``; ``moved`` runs a statement and says how many rows it changed."""
    statement = _CLIMB.format(nodes=nodes, waiting=waiting)
    for _ in range(MAX_STEPS + 1):
        if not moved(statement):
            break
    moved(_SETTLED)
    moved(_LEFT)


def _on(db: duckdb.DuckDBPyConnection) -> Callable[[str], int]:
    def moved(statement: str) -> int:
        [[count]] = db.execute(statement).fetchall()
        return int(count)

    return moved


def record(db: duckdb.DuckDBPyConnection, source: str) -> None:
    """Add the graph's spans of ``source`` (a table or view of span rows being stored) and
    climb the rows that wait through them. Only the batch is looked at: linking stays cheap."""
    db.execute(_INSERT.format(source=source))
    _climb(_on(db), _BATCH.format(source=source))


def earliest(since_ns: int | None, batch: pa.Table) -> int | None:
    """The earliest start among ``since_ns`` and a batch of span rows just stored."""
    first = pc.min(batch["start_ns"]).as_py()
    if first is None:
        return since_ns
    return first if since_ns is None else min(since_ns, first)


# Spans stored from ``{since}`` on that have no row yet: those written since the last linking
# (and any an earlier process stored but did not live to link).
_UNLINKED = f"""
    CREATE OR REPLACE TEMP TABLE unlinked_spans AS
    SELECT * FROM spans AS s
    WHERE s.start_ns >= {{since}} AND NOT EXISTS (
        SELECT 1 FROM {LINKS} AS l
        WHERE l.start_ns >= {{since}} AND l.trace_id = s.trace_id AND l.span_id = s.span_id
    )
"""


def link_since(db: duckdb.DuckDBPyConnection, since_ns: int) -> None:
    """Record the stored spans from ``since_ns`` on that have no row yet."""
    db.execute(_UNLINKED.format(since=int(since_ns)))
    try:
        record(db, "unlinked_spans")
    finally:
        db.execute("DROP TABLE IF EXISTS unlinked_spans")


def unlinked_since(db: duckdb.DuckDBPyConnection) -> int | None:
    """Where an opened store's unlinked spans may start: a while before its latest row (a
    process that stopped before linking what it wrote), or nowhere if it has no span."""
    [[latest, spans]] = db.execute(
        f"SELECT (SELECT max(start_ns) FROM {LINKS}), EXISTS (SELECT 1 FROM spans)"
    ).fetchall()
    if not spans:
        return None
    return 0 if latest is None else int(latest) - RELINK_LOOK_BACK_NS


def settle(store: Store) -> None:
    """Before a read: climb the rows still waiting that no read has searched for yet through
    the stored rows and the spans stored up to ``LOOK_BACK_NS`` before them (an ancestor
    that arrived before its descendant: another service exporting sooner). Rows moved by a
    later write are searched again."""
    store.link_written()
    if not store.rows(f"SELECT 1 {_UNSEARCHED} LIMIT 1"):
        return

    def moved(statement: str) -> int:
        [row] = store.rows(statement)
        return int(next(iter(row.values())))

    _climb(moved, f"{_LINKED} UNION ALL {_STORED}", waiting="NOT searched")
    store.execute("UPDATE agent_waiting SET searched = true")


def rebuild_if_missing(db: duckdb.DuckDBPyConnection) -> None:
    """Fill the table from every stored span when it is empty and spans are not: a store
    written before the table existed, or filled by a tool in SQL."""
    [[missing]] = db.execute(
        f"SELECT NOT EXISTS (SELECT 1 FROM {LINKS}) AND EXISTS (SELECT 1 FROM spans)"
    ).fetchall()
    if not missing:
        return
    db.execute(_INSERT.format(source="spans"))
    _climb(_on(db), _BATCH.format(source="spans"))
    db.execute("UPDATE agent_waiting SET searched = true")
