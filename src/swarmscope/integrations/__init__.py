"""Agent frameworks instrumented through their own hooks, one module per framework.

Each module is imported by its ``ss.instrument_<framework>()`` call and imports its framework
then, never before: ``import swarmscope`` loads none of them.
"""

from __future__ import annotations

# The instrumentation scopes (OTel's instrumentation library names) of other instrumentors
# whose spans an active swarmscope integration already counts. An integration adds its
# framework's scopes when it is turned on; the span processor that fills the catalog from
# other instrumentors' spans leaves spans of these scopes alone, so that with both on, one
# call is counted once.
covered_scopes: set[str] = set()
