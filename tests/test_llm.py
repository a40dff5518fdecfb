"""LLM calls: GenAI span attributes, tokens and cost from the price table."""

from __future__ import annotations

import pytest
from genai_prices import Usage, calc_price

import swarmscope as ss


def test_llm_call_records_tokens_cost_and_genai_attributes(telemetry):
    with ss.agent_run("memory_analyst"):
        with ss.llm_call("gpt-4o", provider="openai") as llm:
            llm.record_usage(
                input_tokens=812, output_tokens=164, response_model="gpt-4o-2024-08-06"
            )
    expected = float(
        calc_price(
            Usage(input_tokens=812, output_tokens=164), "gpt-4o", provider_id="openai"
        ).total_price
    )
    labels = {"model": "gpt-4o", "provider": "openai", "agent_type": "memory_analyst"}
    assert telemetry.metric("llm_requests_total", status="success", **labels) == 1
    assert telemetry.metric("llm_tokens_total", token_type="input", **labels) == 812
    assert telemetry.metric("llm_tokens_total", token_type="output", **labels) == 164
    assert telemetry.metric("llm_cost_usd_total", **labels) == pytest.approx(expected)
    assert telemetry.metric("llm_request_duration_seconds_count", **labels) == 1
    span = telemetry.span("chat gpt-4o")
    assert span.kind.name == "CLIENT"
    assert span.attributes["gen_ai.operation.name"] == "chat"
    assert span.attributes["gen_ai.request.model"] == "gpt-4o"
    assert span.attributes["gen_ai.provider.name"] == "openai"
    assert span.attributes["gen_ai.usage.input_tokens"] == 812
    assert span.attributes["gen_ai.usage.output_tokens"] == 164
    assert span.attributes["gen_ai.response.model"] == "gpt-4o-2024-08-06"
    assert span.parent.span_id == telemetry.span("invoke_agent memory_analyst").context.span_id
    [event] = telemetry.events("llm_call_completed")
    assert event["cost_usd"] == pytest.approx(expected)
    assert event["input_tokens"] == 812


def test_unknown_model_records_tokens_and_counts_missing_price(telemetry):
    for _ in range(2):
        with ss.llm_call("in-house-model-7", provider="acme") as llm:
            llm.record_usage(input_tokens=10, output_tokens=5)
    assert (
        telemetry.metric(
            "llm_tokens_total",
            model="in-house-model-7",
            provider="acme",
            agent_type="unknown",
            token_type="input",
        )
        == 20
    )
    assert (
        telemetry.metric("llm_price_missing_total", model="in-house-model-7", provider="acme") == 2
    )
    assert (
        telemetry.metric(
            "llm_cost_usd_total", model="in-house-model-7", provider="acme", agent_type="unknown"
        )
        == 0
    )
    assert len(telemetry.events("llm_price_missing")) == 1, "logged once per model"


def test_failed_llm_call(telemetry):
    with pytest.raises(TimeoutError):
        with ss.llm_call("gpt-4o-mini", provider="openai", agent="author"):
            raise TimeoutError("model took too long")
    assert (
        telemetry.metric(
            "llm_requests_total",
            model="gpt-4o-mini",
            provider="openai",
            agent_type="author",
            status="timeout",
        )
        == 1
    )
    assert telemetry.metric("errors_total", error_type="llm_error", severity="medium") == 1
    [failed] = telemetry.events("llm_call_failed")
    assert failed["error_type"] == "TimeoutError"
