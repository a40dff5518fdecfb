"""swarmscope: one call per concept, three correlated signals."""

from swarmscope._version import __version__
from swarmscope.instrument.agents import agent_run
from swarmscope.instrument.handoffs import handoff
from swarmscope.instrument.tools import tool_call
from swarmscope.telemetry.runtime import current, init, shutdown

__all__ = ["__version__", "agent_run", "current", "handoff", "init", "shutdown", "tool_call"]
