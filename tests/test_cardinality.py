"""Bounded label vocabularies: values past ``max_label_values`` fold into ``other``, and are counted."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import swarmscope as ss
from swarmscope.telemetry.runtime import Runtime

NAMESPACE = "sergas"
LIMIT = 3


@pytest.fixture
def small() -> Iterator[Runtime]:
    ss.shutdown()
    rt = ss.init(
        namespace=NAMESPACE,
        service_name="cardinality-test",
        span_exporter=InMemorySpanExporter(),
        log_stream="none",
        export_interval_seconds=0.05,
        max_label_values=LIMIT,
    )
    try:
        yield rt
    finally:
        ss.shutdown()


def sample(rt: Runtime, name: str, **labels: str) -> float:
    value = rt.metrics.registry.get_sample_value(f"{NAMESPACE}_{name}", labels)
    return 0.0 if value is None else value


def series(rt: Runtime, name: str) -> list[dict[str, str]]:
    """The label sets of every exposed sample called ``name`` (namespaced)."""
    full = f"{NAMESPACE}_{name}"
    return [
        sample.labels
        for family in rt.metrics.registry.collect()
        for sample in family.samples
        if sample.name == full
    ]


def calls(rt: Runtime, tool: str) -> float:
    return sample(
        rt, "agent_tool_calls_total", agent_type="unknown", tool_name=tool, status="success"
    )


def overflow(rt: Runtime, metric: str, label: str) -> float:
    return sample(rt, "telemetry_label_overflow_total", metric=metric, label=label)


def call_tools(*names: str) -> None:
    for name in names:
        with ss.tool_call(name):
            pass


def test_values_past_the_limit_fold_into_other(small):
    call_tools("t1", "t2", "t3", "t4", "t5")

    for admitted in ("t1", "t2", "t3"):
        assert calls(small, admitted) == 1
    assert calls(small, "t4") == 0
    assert calls(small, "t5") == 0
    assert calls(small, "other") == 2
    assert overflow(small, "agent_tool_calls_total", "tool_name") == 2
    # The histogram for the same calls folds the same way, and says so.
    assert (
        sample(
            small,
            "agent_tool_call_duration_seconds_count",
            agent_type="unknown",
            tool_name="other",
        )
        == 2
    )
    assert overflow(small, "agent_tool_call_duration_seconds", "tool_name") == 2
    # Labels that stayed within their vocabulary overflowed nothing.
    assert overflow(small, "agent_tool_calls_total", "status") == 0
    assert overflow(small, "agent_tool_calls_total", "agent_type") == 0


def test_series_count_stays_bounded(small):
    call_tools(*(f"tool_{i}" for i in range(50)))

    labels = series(small, "agent_tool_calls_total")
    assert len(labels) == LIMIT + 1
    assert {item["tool_name"] for item in labels} == {"tool_0", "tool_1", "tool_2", "other"}
    assert calls(small, "other") == 47
    assert overflow(small, "agent_tool_calls_total", "tool_name") == 47
    assert len(series(small, "agent_tool_call_duration_seconds_count")) == LIMIT + 1


def test_admitted_values_keep_their_own_series(small):
    call_tools("t1", "t2", "t3", "t4", "t5")
    call_tools("t1", "t1", "t3", "t4")

    assert calls(small, "t1") == 3
    assert calls(small, "t2") == 1
    assert calls(small, "t3") == 2
    # A folded value stays folded, however often it comes back.
    assert calls(small, "t4") == 0
    assert calls(small, "other") == 3
    assert overflow(small, "agent_tool_calls_total", "tool_name") == 3


def test_failed_calls_share_the_admitted_tool_series(small):
    call_tools("t1", "t2", "t3")
    with pytest.raises(RuntimeError), ss.tool_call("t2"):
        raise RuntimeError("tool broke")

    assert (
        sample(
            small, "agent_tool_calls_total", agent_type="unknown", tool_name="t2", status="failure"
        )
        == 1
    )
    assert calls(small, "t2") == 1
    assert overflow(small, "agent_tool_calls_total", "tool_name") == 0


def test_overflow_counter_always_names_the_metric_and_label(small):
    """The overflow counter's own labels are catalog names: never folded by the user limit."""
    # Five agents each calling five tools overflow agent_type and tool_name in several metrics.
    for agent in range(5):
        with ss.agent_run(f"agent_{agent}"):
            call_tools(*(f"tool_{i}" for i in range(5)))

    labels = series(small, "telemetry_label_overflow_total")
    assert labels, "nothing overflowed"
    folded = [item for item in labels if "other" in (item["metric"], item["label"])]
    assert folded == []
