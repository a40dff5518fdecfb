"""Other instrumentors' instrumentation scopes (their tracer names), by what they instrument.

Each is the ``__name__`` of the module that calls ``get_tracer`` in that instrumentor's
package (read from the packages: OpenInference's, OpenLLMetry's and OpenTelemetry's own).
When a swarmscope integration for the same framework is on, its scopes join
``swarmscope.integrations.covered_scopes`` so that one call is counted once.
"""

from __future__ import annotations

# openinference-instrumentation-openai-agents; OpenLLMetry's opentelemetry-instrumentation-openai-agents.
OPENAI_AGENTS = (
    "openinference.instrumentation.openai_agents",
    "opentelemetry.instrumentation.openai_agents",
)
# openinference-instrumentation-openai; OpenLLMetry's opentelemetry-instrumentation-openai
# (one tracer per openai major line); OpenTelemetry's opentelemetry-instrumentation-openai-v2.
OPENAI = (
    "openinference.instrumentation.openai",
    "opentelemetry.instrumentation.openai.v0",
    "opentelemetry.instrumentation.openai.v1",
    "opentelemetry.instrumentation.openai_v2",
)
# openinference-instrumentation-anthropic; OpenLLMetry's opentelemetry-instrumentation-anthropic;
# the anthropic SDK's own spans (anthropic._tracing, through the global tracer provider).
ANTHROPIC = (
    "openinference.instrumentation.anthropic",
    "opentelemetry.instrumentation.anthropic",
    "com.anthropic.sdk.python",
)
