"""LLM calls: the GenAI ``chat {model}`` span, token and cost metrics by model, provider and agent.

Cost comes from the genai-prices table. A model it does not know still records its tokens;
the call is counted on ``llm_price_missing_total`` and logged once per model, so a missing
price is visible instead of silently reading as free.
"""

from __future__ import annotations

from typing import Any

from opentelemetry.trace import SpanKind

from swarmscope.conventions.attributes import (
    GEN_AI_AGENT_NAME,
    GEN_AI_OPERATION_NAME,
    GEN_AI_PROVIDER_NAME,
    GEN_AI_REQUEST_MODEL,
    GEN_AI_RESPONSE_FINISH_REASONS,
    GEN_AI_RESPONSE_MODEL,
    GEN_AI_SYSTEM,
    GEN_AI_USAGE_INPUT_TOKENS,
    GEN_AI_USAGE_OUTPUT_TOKENS,
    SWARMSCOPE_LLM_COST_USD,
)
from swarmscope.conventions.spans import CHAT
from swarmscope.instrument.errors import ErrorCategory, ErrorSeverity, record_failure
from swarmscope.instrument.operation import Operation, current_agent, error_fields
from swarmscope.instrument.pricing import warm
from swarmscope.prices import price_for
from swarmscope.telemetry.runtime import Runtime

_warned_missing: set[tuple[str, str]] = set()


class LlmCall(Operation):
    """One model request. Call ``record_usage`` with the token counts the response reports."""

    where = "llm_call"
    span_kind = SpanKind.CLIENT

    def __init__(
        self,
        model: str,
        provider: str | None = None,
        agent: str | None = None,
        operation: str = CHAT,
        **attrs: Any,
    ) -> None:
        self.model = model
        self.provider = provider
        self.agent = agent
        self.operation = operation
        self.attrs = attrs
        self.input_tokens = 0
        self.output_tokens = 0
        self.cache_read_tokens = 0
        self.cached = False
        self.cost_usd: float | None = None
        # What a failure counts as; a client integration narrows it from the error it saw
        # (a 429 is a rate limit, not a model failure).
        self.error_category: str = ErrorCategory.LLM_ERROR
        self._agent_name: str | None = None

    def span_name(self) -> str:
        return f"{self.operation} {self.model}"

    def span_attributes(self) -> dict[str, Any]:
        self._agent_name = self.agent or current_agent.get()
        attributes: dict[str, Any] = {
            GEN_AI_OPERATION_NAME: self.operation,
            GEN_AI_REQUEST_MODEL: self.model,
            **self.attrs,
        }
        if self.provider:
            attributes[GEN_AI_PROVIDER_NAME] = self.provider
            attributes[GEN_AI_SYSTEM] = self.provider
        if self._agent_name:
            attributes[GEN_AI_AGENT_NAME] = self._agent_name
        return attributes

    def on_start(self, rt: Runtime) -> None:
        warm(self.model, self.provider)

    def record_usage(
        self,
        input_tokens: int = 0,
        output_tokens: int = 0,
        *,
        cache_read_tokens: int = 0,
        response_model: str | None = None,
        finish_reason: str | None = None,
    ) -> None:
        """The token counts of the response (add up when called more than once, e.g. streaming)."""
        self.input_tokens += int(input_tokens)
        self.output_tokens += int(output_tokens)
        self.cache_read_tokens += int(cache_read_tokens)
        if response_model:
            self.set_attribute(GEN_AI_RESPONSE_MODEL, response_model)
        if finish_reason:
            self.set_attribute(GEN_AI_RESPONSE_FINISH_REASONS, [finish_reason])

    def cache_hit(self) -> None:
        """The response came from a cache rather than the model."""
        self.cached = True

    def on_end(self, rt: Runtime, status: str, error: BaseException | None) -> None:
        model, provider, agent = self.model, self.provider or "unknown", self._agent_name
        rt.metrics["llm_requests_total"].child(model, provider, agent, status).inc()
        rt.metrics["llm_request_duration_seconds"].child(model, provider, agent).observe(
            self.duration
        )
        if self.cached:
            rt.metrics["llm_cache_hits_total"].child(model, provider).inc()
        tokens = rt.metrics["llm_tokens_total"]
        if self.input_tokens:
            tokens.child(model, provider, agent, "input").inc(self.input_tokens)
        if self.output_tokens:
            tokens.child(model, provider, agent, "output").inc(self.output_tokens)
        span = self.span
        span.set_attribute(GEN_AI_USAGE_INPUT_TOKENS, self.input_tokens)
        span.set_attribute(GEN_AI_USAGE_OUTPUT_TOKENS, self.output_tokens)
        if self.input_tokens or self.output_tokens:
            self._record_cost(rt, model, provider, agent)
        fields: dict[str, Any] = {
            "model": model,
            "provider": provider,
            "agent_id": agent,
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "cost_usd": self.cost_usd,
            "latency_ms": self.duration_ms,
            "status": status,
        }
        if status == "success":
            self.event(rt, "llm_call_completed", fields)
            return
        record_failure(rt, error, self.error_category, ErrorSeverity.MEDIUM, agent, "llm_call")
        fields |= error_fields(error)
        self.event(rt, "llm_call_failed", fields)

    def _record_cost(self, rt: Runtime, model: str, provider: str, agent: str | None) -> None:
        price = price_for(model, self.provider)
        if price is None:
            rt.metrics["llm_price_missing_total"].child(model, provider).inc()
            if (model, provider) not in _warned_missing:
                _warned_missing.add((model, provider))
                self.event(rt, "llm_price_missing", {"model": model, "provider": provider})
            return
        self.cost_usd = price.cost(self.input_tokens, self.output_tokens, self.cache_read_tokens)
        rt.metrics["llm_cost_usd_total"].child(model, provider, agent).inc(self.cost_usd)
        self.span.set_attribute(SWARMSCOPE_LLM_COST_USD, self.cost_usd)


def llm_call(
    model: str,
    provider: str | None = None,
    agent: str | None = None,
    operation: str = CHAT,
    **attrs: Any,
) -> LlmCall:
    """Instrument one LLM request; ``agent`` defaults to the enclosing ``agent_run``."""
    return LlmCall(model, provider, agent, operation, **attrs)
