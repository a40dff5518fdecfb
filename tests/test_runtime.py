"""init/shutdown lifecycle, threads, and instrumentation before init."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import warnings
from concurrent.futures import ThreadPoolExecutor

import pytest

import swarmscope as ss


def test_init_is_idempotent_and_warns_on_different_settings(telemetry):
    assert ss.init() is telemetry.rt
    with pytest.warns(UserWarning, match="already called"):
        assert ss.init(namespace="other") is telemetry.rt
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert (
            ss.init(
                namespace="sergas",
                service_name="test-service",
                environment="test",
                log_stream="none",
                log_file=telemetry.rt.settings.log_file,
                log_level="debug",
                export_interval_seconds=0.05,
            )
            is telemetry.rt
        )


def test_instrumentation_before_init_starts_from_the_environment(monkeypatch):
    ss.shutdown()
    monkeypatch.setenv("SWARMSCOPE_NAMESPACE", "lazy")
    monkeypatch.setenv("SWARMSCOPE_LOG_STREAM", "none")
    try:
        with ss.tool_call("early"):
            pass
        rt = ss.current()
        assert rt.settings.namespace == "lazy"
        assert (
            rt.metrics.registry.get_sample_value(
                "lazy_agent_tool_calls_total",
                {"agent_type": "unknown", "tool_name": "early", "status": "success"},
            )
            == 1
        )
    finally:
        ss.shutdown()


def test_broken_environment_falls_back_to_defaults_with_a_warning(monkeypatch):
    ss.shutdown()
    monkeypatch.setenv("SWARMSCOPE_SAMPLE_RATIO", "lots")
    monkeypatch.setenv("SWARMSCOPE_LOG_STREAM", "none")
    try:
        with pytest.warns(UserWarning, match="SWARMSCOPE_SAMPLE_RATIO"):
            with ss.tool_call("still_counted"):
                pass
        assert ss.current().settings.sample_ratio == 1.0
    finally:
        ss.shutdown()


def test_explicit_init_with_bad_settings_raises_a_clear_error():
    ss.shutdown()
    with pytest.raises(ss.ConfigError, match="sample_ratio"):
        ss.init(sample_ratio=3)
    assert not ss.is_initialized()


def test_concurrent_threads_keep_their_own_context(telemetry):
    barrier = threading.Barrier(8)

    def work(index: int) -> None:
        agent = f"agent_{index % 4}"
        barrier.wait()
        for _ in range(25):
            with ss.agent_run(agent), ss.tool_call("lookup"):
                pass

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(work, range(8)))
    for index in range(4):
        agent = f"agent_{index}"
        assert (
            telemetry.metric(
                "agent_tool_calls_total", agent_type=agent, tool_name="lookup", status="success"
            )
            == 50
        )
        assert telemetry.metric("agent_sessions_active", agent_type=agent) == 0
    spans = telemetry.spans()
    by_id = {span.context.span_id: span for span in spans}
    tools = [span for span in spans if span.name == "execute_tool lookup"]
    assert len(tools) == 200
    for tool in tools:
        parent = by_id[tool.parent.span_id]
        assert parent.name.startswith("invoke_agent ")
        assert parent.context.trace_id == tool.context.trace_id


def tool_calls_counted(rt) -> float | None:
    """agent_tool_calls_total for the one tool call ("a", "t") these tests make."""
    return rt.metrics.registry.get_sample_value(
        f"{rt.settings.namespace}_agent_tool_calls_total",
        {"agent_type": "a", "tool_name": "t", "status": "success"},
    )


def test_sampling_ratio_zero_keeps_metrics_and_logs(tmp_path):
    ss.shutdown()
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    exporter = InMemorySpanExporter()
    rt = ss.init(
        namespace="sampled",
        sample_ratio=0.0,
        span_exporter=exporter,
        log_stream="none",
        log_file=str(tmp_path / "a.log"),
    )
    try:
        with ss.agent_run("a"), ss.tool_call("t"):
            pass
        rt.flush()
        assert exporter.get_finished_spans() == ()
        assert tool_calls_counted(rt) == 1
        assert "tool_call_completed" in (tmp_path / "a.log").read_text()
    finally:
        ss.shutdown()


@pytest.mark.parametrize(
    ("ratio", "flags", "exported"),
    [(0.0, "01", True), (1.0, "00", False)],
    ids=["caller-sampled-beats-ratio-0", "caller-unsampled-beats-ratio-1"],
)
def test_sampling_follows_the_callers_decision(tmp_path, ratio, flags, exported):
    """Parent-based: a remote parent's sampled flag decides, the ratio only decides for roots."""
    ss.shutdown()
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    exporter = InMemorySpanExporter()
    rt = ss.init(namespace="sampled", sample_ratio=ratio, span_exporter=exporter, log_stream="none")
    trace_id = "0af7651916cd43dd8448eb211c80319c"
    try:
        with ss.continue_trace({"traceparent": f"00-{trace_id}-b7ad6b7169203331-{flags}"}):
            with ss.agent_run("a"), ss.tool_call("t"):
                assert ss.current_trace_id() == trace_id
        rt.flush()
        spans = exporter.get_finished_spans()
        if exported:
            assert sorted(s.name for s in spans) == ["execute_tool t", "invoke_agent a"]
            assert {f"{s.context.trace_id:032x}" for s in spans} == {trace_id}
        else:
            assert spans == ()
        assert tool_calls_counted(rt) == 1
    finally:
        ss.shutdown()


LOW_TRACE = "0af7651916cd43dd0000000000000001"  # under any ratio's bound: a ratio keeps it
HIGH_TRACE = "0af7651916cd43ddffffffffffffffff"  # over a ratio's bound below 1: dropped


@pytest.mark.parametrize(
    ("sampler", "arg", "parent", "exported"),
    [
        # always_on takes no argument: the ratio of 0 is ignored.
        ("always_on", "0", (HIGH_TRACE, "00"), True),
        ("always_off", None, (HIGH_TRACE, "01"), False),
        ("always_off", None, None, False),
        ("traceidratio", "0.5", (LOW_TRACE, "00"), True),
        ("traceidratio", "0.5", (HIGH_TRACE, "01"), False),
        ("parentbased_always_on", None, None, True),
        ("parentbased_always_on", None, (LOW_TRACE, "00"), False),
        ("parentbased_always_off", None, None, False),
        ("parentbased_always_off", None, (HIGH_TRACE, "01"), True),
        ("parentbased_traceidratio", "0.5", (HIGH_TRACE, "01"), True),
        ("parentbased_traceidratio", "0.5", (LOW_TRACE, "00"), False),
        ("parentbased_traceidratio", "0", None, False),
    ],
)
def test_otel_traces_sampler_from_the_environment(monkeypatch, sampler, arg, parent, exported):
    """Each OTEL_TRACES_SAMPLER value decides as the spec says; metrics count either way."""
    ss.shutdown()
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    monkeypatch.setenv("OTEL_TRACES_SAMPLER", sampler)
    if arg is None:
        monkeypatch.delenv("OTEL_TRACES_SAMPLER_ARG", raising=False)
    else:
        monkeypatch.setenv("OTEL_TRACES_SAMPLER_ARG", arg)
    monkeypatch.delenv("SWARMSCOPE_SAMPLE_RATIO", raising=False)
    exporter = InMemorySpanExporter()
    rt = ss.init(namespace="sampled", span_exporter=exporter, log_stream="none")
    assert rt.settings.traces_sampler == sampler
    headers = {}
    if parent is not None:
        trace_id, flags = parent
        headers = {"traceparent": f"00-{trace_id}-b7ad6b7169203331-{flags}"}
    try:
        with ss.continue_trace(headers):
            with ss.agent_run("a"), ss.tool_call("t"):
                pass
        rt.flush()
        names = sorted(s.name for s in exporter.get_finished_spans())
        assert names == (["execute_tool t", "invoke_agent a"] if exported else [])
        assert tool_calls_counted(rt) == 1
    finally:
        ss.shutdown()


def test_sdk_disabled_by_keyword_matches_the_environment_switch(tmp_path):
    """init(sdk_disabled=True) behaves as OTEL_SDK_DISABLED=true: no-op spans, counted metrics."""
    ss.shutdown()
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    exporter = InMemorySpanExporter()
    rt = ss.init(namespace="off", sdk_disabled=True, span_exporter=exporter, log_stream="none")
    try:
        with ss.agent_run("a"), ss.tool_call("t"):
            assert ss.current_trace_id() is None
        rt.flush()
        assert exporter.get_finished_spans() == ()
        assert tool_calls_counted(rt) == 1
    finally:
        ss.shutdown()


CONSOLE_SCRIPT = """
import swarmscope as ss
ss.init(namespace="dev", traces_exporter="console", log_stream="none")
with ss.agent_run("a"), ss.tool_call("t"):
    pass
ss.shutdown()
"""


def test_console_exporter_prints_spans_for_development():
    """In its own process: the console exporter holds the stdout it found at import."""
    done = subprocess.run(
        [sys.executable, "-c", CONSOLE_SCRIPT], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    spans = {span["name"]: span for span in json_documents(done.stdout)}
    assert set(spans) == {"execute_tool t", "invoke_agent a"}
    assert spans["execute_tool t"]["parent_id"] == spans["invoke_agent a"]["context"]["span_id"]
    assert spans["execute_tool t"]["attributes"]["gen_ai.tool.name"] == "t"


def json_documents(text: str) -> list[dict]:
    """The JSON documents printed one after another (the console exporter indents them)."""
    decoder, found, index = json.JSONDecoder(), [], 0
    while index < len(text):
        if text[index].isspace():
            index += 1
            continue
        document, index = decoder.raw_decode(text, index)
        found.append(document)
    return found
