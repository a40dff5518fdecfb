"""The OpenAI Agents SDK's spans, as its tracing processor or OpenInference's writes them.

The SDK traces agent, handoff, function (tool), generation/response (LLM) and guardrail
spans. Through OpenInference an agent span is an AGENT span named after the agent (and
``graph.node.id``), a handoff a TOOL span named ``handoff to {agent}`` whose parent is the
handing agent's span, and the agent it hands to carries ``graph.node.parent_id``.
"""

from __future__ import annotations

# The handoff span's name: "handoff to {to_agent}".
HANDOFF_TO = "handoff to "
# The SDK's own names for its span types (``span_data.type``), when exported as-is.
SPAN_TYPES = ("agent", "handoff", "function", "generation", "response", "guardrail", "custom")
