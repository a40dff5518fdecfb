"""What to watch, independent of the engine that runs it: queries, alert rules, dashboards.

Prometheus runs them through the files ``swarmscope.stack`` writes; the embedded server
evaluates the same definitions against its own store.
"""
