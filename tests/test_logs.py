"""JSON log lines: fields, trace correlation, stdlib bridge, error file, rotation, console, OTLP."""

from __future__ import annotations

import json
import logging
import re
import socket
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import structlog
from opentelemetry.sdk._logs.export import InMemoryLogRecordExporter

import swarmscope as ss
from swarmscope.telemetry.runtime import Runtime
from test_runtime import json_documents

RFC3339_UTC = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$")


def read_lines(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line]


def by_event(lines: list[dict[str, Any]], event: str) -> list[dict[str, Any]]:
    return [line for line in lines if line.get("event") == event]


@pytest.fixture
def start(tmp_path: Path) -> Iterator[Callable[..., Runtime]]:
    """Start swarmscope with custom settings; always shut down afterwards."""

    def begin(**settings: Any) -> Runtime:
        ss.shutdown()
        options: dict[str, Any] = {
            "namespace": "sergas",
            "service_name": "logs-test",
            "log_stream": "none",
            "log_file": str(tmp_path / "logs" / "app.log"),
            "export_interval_seconds": 0.05,
        }
        options.update(settings)
        return ss.init(**options)

    ss.shutdown()
    try:
        yield begin
    finally:
        structlog.contextvars.clear_contextvars()
        ss.shutdown()


@pytest.fixture(autouse=True)
def _clean_contextvars() -> Iterator[None]:
    structlog.contextvars.clear_contextvars()
    yield
    structlog.contextvars.clear_contextvars()


def test_json_line_has_the_standard_fields(telemetry):
    before = datetime.now(UTC)
    structlog.get_logger("myapp").info("outside_span")
    with telemetry.rt.tracer.start_as_current_span("unit-of-work") as span:
        structlog.get_logger("myapp").info("inside_span")
        context = span.get_span_context()

    [outside] = telemetry.events("outside_span")
    [inside] = telemetry.events("inside_span")
    for line in (outside, inside):
        assert RFC3339_UTC.match(line["timestamp"]), line["timestamp"]
        stamp = datetime.fromisoformat(line["timestamp"].replace("Z", "+00:00"))
        assert before - timedelta(seconds=1) <= stamp <= datetime.now(UTC) + timedelta(seconds=1)
        assert line["level"] == "info"
        assert line["logger"] == "myapp"
        assert line["service"] == "test-service"
        assert line["environment"] == "test"
        assert line["hostname"] == socket.gethostname()
        assert line["version"] == telemetry.rt.settings.service_version
    assert inside["trace_id"] == f"{context.trace_id:032x}"
    assert inside["span_id"] == f"{context.span_id:016x}"
    assert "trace_id" not in outside
    assert "span_id" not in outside


def test_service_version_and_environment_come_from_settings(start, tmp_path):
    rt = start(service_version="1.2.3", environment="staging", hostname="box-7")
    structlog.get_logger("myapp").info("hello")
    assert rt.flush(timeout=10)
    [line] = by_event(read_lines(tmp_path / "logs" / "app.log"), "hello")
    assert (line["version"], line["environment"], line["hostname"]) == ("1.2.3", "staging", "box-7")
    assert line["service"] == "logs-test"


def test_structlog_logger_name_and_fields(telemetry):
    structlog.get_logger("myapp").info("hello", account_id="A1", attempts=3)
    [line] = telemetry.events("hello")
    assert line["logger"] == "myapp"
    assert line["account_id"] == "A1"
    assert line["attempts"] == 3


def test_bound_context_variables_appear(telemetry):
    structlog.contextvars.bind_contextvars(request_id="req-42")
    structlog.get_logger("myapp").info("with_context")
    logging.getLogger("lib").warning("stdlib_with_context")
    structlog.contextvars.unbind_contextvars("request_id")
    structlog.get_logger("myapp").info("without_context")

    assert telemetry.events("with_context")[0]["request_id"] == "req-42"
    assert telemetry.events("stdlib_with_context")[0]["request_id"] == "req-42"
    assert "request_id" not in telemetry.events("without_context")[0]


def test_agent_run_binds_agent_id_to_app_logs(telemetry):
    with ss.agent_run("planner"):
        structlog.get_logger("myapp").info("planning")
    structlog.get_logger("myapp").info("after")
    assert telemetry.events("planning")[0]["agent_id"] == "planner"
    assert "agent_id" not in telemetry.events("after")[0]


def test_stdlib_records_carry_trace_ids_and_split_by_level(telemetry):
    error_file = telemetry.log_file.with_name("app.error.log")
    with telemetry.rt.tracer.start_as_current_span("request") as span:
        logging.getLogger("lib").info("lib_info")
        logging.getLogger("lib").error("lib_error %s", "x")
        context = span.get_span_context()

    [info] = telemetry.events("lib_info")
    [error] = telemetry.events("lib_error x")
    assert error["logger"] == "lib"
    assert error["level"] == "error"
    assert info["level"] == "info"
    for line in (info, error):
        assert line["trace_id"] == f"{context.trace_id:032x}"
        assert line["span_id"] == f"{context.span_id:016x}"
    errors = read_lines(error_file)
    assert [line["event"] for line in errors] == ["lib_error x"]
    assert errors[0]["trace_id"] == f"{context.trace_id:032x}"


def test_warning_is_not_in_the_error_file(telemetry):
    logging.getLogger("lib").warning("just_a_warning")
    structlog.get_logger("myapp").critical("really_bad")
    assert telemetry.events("just_a_warning")
    telemetry.flush()
    errors = read_lines(telemetry.log_file.with_name("app.error.log"))
    assert [line["event"] for line in errors] == ["really_bad"]
    assert errors[0]["level"] == "critical"


@pytest.mark.parametrize("source", ["stdlib", "structlog"])
def test_logged_exception_includes_the_traceback(telemetry, source):
    def fail() -> None:
        raise ZeroDivisionError("division by zero in fail()")

    try:
        fail()
    except ZeroDivisionError:
        if source == "stdlib":
            logging.getLogger("lib").exception("it_broke")
        else:
            structlog.get_logger("myapp").exception("it_broke")

    [line] = telemetry.events("it_broke")
    assert line["level"] == "error"
    assert "Traceback (most recent call last)" in line["exception"]
    assert "ZeroDivisionError: division by zero in fail()" in line["exception"]
    assert "in fail" in line["exception"]
    errors = read_lines(telemetry.log_file.with_name("app.error.log"))
    assert [entry["event"] for entry in errors] == ["it_broke"]


def test_log_level_warning_drops_info(start, tmp_path):
    rt = start(log_level="warning")
    structlog.get_logger("myapp").info("app_info")
    structlog.get_logger("myapp").warning("app_warning")
    logging.getLogger("lib").info("lib_info")
    logging.getLogger("lib").warning("lib_warning")
    with ss.tool_call("search"):  # tool_call_completed is an info event
        pass
    assert rt.flush(timeout=10)
    events = {line["event"] for line in read_lines(tmp_path / "logs" / "app.log")}
    assert events == {"app_warning", "lib_warning"}


def test_log_file_rotates(start, tmp_path):
    rt = start(log_file_max_bytes=2000, log_file_backups=50)
    logger = structlog.get_logger("myapp")
    for batch in range(10):
        for index in range(20):
            logger.info("rotating", batch=batch, index=index, padding="x" * 40)
        assert rt.flush(timeout=10)

    log_dir = tmp_path / "logs"
    assert (log_dir / "app.log.1").exists()
    assert read_lines(log_dir / "app.log.1"), "the first backup is empty"
    lines = [line for path in log_dir.glob("app.log*") for line in read_lines(path)]
    seen = sorted((line["batch"], line["index"]) for line in lines if line["event"] == "rotating")
    assert seen == [(b, i) for b in range(10) for i in range(20)]


def test_console_format_writes_readable_text_to_stdout(start, capsys):
    rt = start(log_format="console", log_stream="stdout", log_file=None)
    structlog.get_logger("myapp").info("hello_console", account_id="A1")
    assert rt.flush(timeout=10)

    out = capsys.readouterr().out
    [line] = [line for line in out.splitlines() if "hello_console" in line]
    with pytest.raises(json.JSONDecodeError):
        json.loads(line)
    assert "account_id=A1" in line
    assert "myapp" in line
    assert "info" in line


def test_json_lines_to_stderr(start, capsys):
    rt = start(log_stream="stderr", log_file=None)
    structlog.get_logger("myapp").warning("to_stderr")
    assert rt.flush(timeout=10)
    captured = capsys.readouterr()
    assert "to_stderr" not in captured.out
    [line] = [json.loads(line) for line in captured.err.splitlines() if "to_stderr" in line]
    assert line["level"] == "warning"


def test_otlp_log_records_carry_trace_context(telemetry):
    logging.getLogger("lib").warning("outside_any_span")
    with ss.tool_call("search", query="weather"):
        structlog.get_logger("myapp").info("searching", page=2)

    span = telemetry.span("execute_tool search")
    records = [r.log_record for r in telemetry.log_exporter.get_finished_logs()]
    by_name = {record.event_name: record for record in records}

    completed = by_name["tool_call_completed"]
    assert completed.trace_id == span.context.trace_id
    assert completed.span_id == span.context.span_id
    assert completed.severity_text == "INFO"
    assert completed.attributes["tool_name"] == "search"
    assert completed.attributes["event"] == "tool_call_completed"
    assert completed.attributes["success"] is True

    app = by_name["searching"]
    assert app.trace_id == span.context.trace_id
    assert app.span_id == span.context.span_id
    assert app.attributes["page"] == 2
    assert app.attributes["logger"] == "myapp"

    outside = by_name["outside_any_span"]
    assert not outside.trace_id
    assert outside.severity_text == "WARNING"


def test_otlp_log_records_take_ids_an_app_logs_as_hex_text(telemetry):
    """An app that logs ids of its own (from another tracer, say) gets them on the record."""
    structlog.get_logger("myapp").info(
        "relayed", trace_id="0af7651916cd43dd8448eb211c80319c", span_id="b7ad6b7169203331"
    )
    telemetry.rt.flush(timeout=10)
    [record] = [
        r.log_record
        for r in telemetry.log_exporter.get_finished_logs()
        if r.log_record.event_name == "relayed"
    ]
    assert record.trace_id == 0x0AF7651916CD43DD8448EB211C80319C
    assert record.span_id == 0xB7AD6B7169203331


def test_console_logs_exporter_prints_each_record_as_exported(start, capsys):
    """logs_exporter="console": the OpenTelemetry log records, with trace context, on stdout."""
    rt = start(logs_exporter="console", log_file=None)
    with ss.tool_call("search", query="weather") as call:
        span_context = call.span.get_span_context()
    assert rt.flush(timeout=10)

    records = json_documents(capsys.readouterr().out)
    [completed] = [r for r in records if r.get("event_name") == "tool_call_completed"]
    assert completed["severity_text"] == "INFO"
    assert completed["attributes"]["tool_name"] == "search"
    assert completed["trace_id"] == f"0x{span_context.trace_id:032x}"
    assert completed["span_id"] == f"0x{span_context.span_id:016x}"
    assert completed["resource"]["attributes"]["service.name"] == "logs-test"


def test_otlp_log_records_respect_the_level(start):
    exporter = InMemoryLogRecordExporter()
    rt = start(log_level="error", log_exporter=exporter)
    structlog.get_logger("myapp").warning("dropped")
    structlog.get_logger("myapp").error("kept")
    assert rt.flush(timeout=10)
    assert [r.log_record.event_name for r in exporter.get_finished_logs()] == ["kept"]


def test_shutdown_restores_the_root_logger_level(start):
    """swarmscope lowers the root level to see records; shutdown gives the host its level back."""
    root = logging.getLogger()
    original = root.level
    root.setLevel(logging.WARNING)
    try:
        start(log_level="debug")
        ss.shutdown()
        assert root.level == logging.WARNING
    finally:
        root.setLevel(original)


def test_every_event_of_a_busy_run_reaches_the_file(telemetry):
    """Span ids are numbers until written; one that passes the card-number check must not be
    scrubbed, and no line may be lost with it."""
    for call in range(3000):
        with ss.tool_call("lookup"):
            pass
        if call % 1000 == 999:
            # Two events a call: flushing keeps them within the queue however slow the
            # export thread runs on a loaded machine (past it they are dropped, by design).
            telemetry.flush()
    lines = telemetry.events("tool_call_completed")
    assert len(lines) == 3000
    assert all(len(line["span_id"]) == 16 and line["span_id"] != "[REDACTED]" for line in lines)
    assert (
        telemetry.metric("telemetry_dropped_total", signal="log_output", reason="render_failed")
        == 0
    )
