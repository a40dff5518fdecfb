"""Named queries: every SQL statement the server reads or maintains its store with.

Routers, the query engine and retention call these functions by name and get rows (dicts,
or dataclasses of them) back; none of them holds SQL. So the statements are in one room,
by noun (traces, logs, agents, handoffs, recorded requests, approvals, the overview, metric
series, housekeeping), which is what lets a second storage engine be added beside DuckDB's,
and lets attribute keys be read from ``swarmscope.conventions`` in one place later. The
engine itself (``store.database``: schema, writes, checkpoints) keeps its own statements.
"""
