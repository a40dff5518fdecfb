"""Secrets and PII are scrubbed before a log field or span attribute leaves the process."""

from __future__ import annotations

import json
import logging

import pytest
import structlog
from opentelemetry import trace
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

import swarmscope as ss
from swarmscope.telemetry.redact import REDACTED, Redactor

JWT = (
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9"
    ".eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4ifQ"
    ".SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"
)


@pytest.fixture
def redactor() -> Redactor:
    return Redactor()


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("Authorization: Bearer abc.DEF-123_xyz", "abc.DEF-123_xyz"),
        ("header bearer ya29.a0AfH6SMBx", "ya29.a0AfH6SMBx"),
        ("key sk-abcdefghijklmnopqrstuvwx in text", "sk-abcdefghijklmnopqrstuvwx"),
        ("anthropic sk-ant-api03-abcdefghijklmnop1234", "abcdefghijklmnop1234"),
        ("aws AKIAIOSFODNN7EXAMPLE used", "AKIAIOSFODNN7EXAMPLE"),
        (f"jwt {JWT} end", JWT[20:]),
        ("mail bob.smith+tag@example.co.uk please", "bob.smith+tag@example.co.uk"),
        ("card 4111 1111 1111 1111 ok", "4111 1111 1111 1111"),
        ("card 4111111111111111 ok", "4111111111111111"),
        ("card 5500-0000-0000-0004 ok", "5500-0000-0000-0004"),
        ("login password=hunter2 done", "hunter2"),
        ("url ?api_key=zzTop123&x=1", "zzTop123"),
        ("cfg token: abc123secret", "abc123secret"),
    ],
)
def test_secret_values_in_text_are_replaced(redactor, text, secret):
    clean = redactor.text(text)
    assert secret not in clean
    assert REDACTED in clean


def test_surrounding_text_is_kept(redactor):
    assert redactor.text("mail bob@example.com now") == f"mail {REDACTED} now"


@pytest.mark.parametrize(
    "text",
    [
        "card 4111111111111112 fails luhn",
        "order 1234567812345678 is not a card",
        "plain words, nothing secret",
        "tool fetch_accounts took 12 ms",
    ],
)
def test_harmless_text_is_kept(redactor, text):
    assert redactor.text(text) == text


@pytest.mark.parametrize(
    "key", ["password", "api_key", "API-KEY", "authorization", "Authorization", "client_secret"]
)
def test_fields_named_as_secrets_are_replaced_whole(redactor, key):
    fields = {key: "harmless-looking value", "note": "fine"}
    assert redactor.fields(fields) == {key: REDACTED, "note": "fine"}
    assert redactor.value(fields) == {key: REDACTED, "note": "fine"}


def test_secret_named_field_is_replaced_whatever_its_type(redactor):
    assert redactor.fields({"password": 1234, "api_key": {"v": 1}}) == {
        "password": REDACTED,
        "api_key": REDACTED,
    }


def test_nested_dicts_and_lists_are_scrubbed(redactor):
    value = {
        "user": {"profile": {"email": "a@b.com", "api_key": "k1", "age": 30}},
        "items": [{"token": "t1", "name": "x"}, "bob@example.com", ("ok", "AKIAIOSFODNN7EXAMPLE")],
    }
    clean = redactor.fields({"payload": value, "count": 3})
    assert clean == {
        "payload": {
            "user": {"profile": {"email": REDACTED, "api_key": REDACTED, "age": 30}},
            "items": [{"token": REDACTED, "name": "x"}, REDACTED, ("ok", REDACTED)],
        },
        "count": 3,
    }
    # The caller's data is not modified.
    assert value["user"]["profile"]["api_key"] == "k1"


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("input_tokens", 1234),
        ("output_tokens", 56),
        ("gen_ai.usage.input_tokens", 7),
        ("trace_id", "4bf92f3577b34da6a3ce929d0e0e4736"),
        ("span_id", "00f067aa0ba902b7"),
        ("tool_name", "fetch_accounts"),
    ],
)
def test_ordinary_fields_are_not_redacted(redactor, key, value):
    assert redactor.fields({key: value}) == {key: value}


def test_user_patterns_are_applied():
    redactor = Redactor([r"ACCT-\d{6}"])
    assert redactor.text("account ACCT-123456 closed") == f"account {REDACTED} closed"
    assert redactor.text("account ACCT-12 kept") == "account ACCT-12 kept"


def test_user_pattern_with_inline_flag_is_scoped_to_itself():
    redactor = Redactor([r"(?i)internal-[a-z]+"])
    assert redactor.text("see INTERNAL-Project now") == f"see {REDACTED} now"
    # Built-in patterns keep their own case rules: a lower-case AWS-like id is not a key.
    assert redactor.text("id akiaiosfodnn7example") == "id akiaiosfodnn7example"
    assert redactor.text("id AKIAIOSFODNN7EXAMPLE") == f"id {REDACTED}"


def test_user_pattern_that_cannot_match_in_linear_time_is_refused():
    """Backreferences and lookaround need backtracking, which can stall the app's thread."""
    with pytest.raises(ValueError, match="invalid escape"):
        Redactor([r"(['\"])hidden\1"])
    with pytest.raises(ss.ConfigError, match=r"RE2.*no backreferences or lookaround"):
        ss.Settings.load(env={}, redact_patterns=(r"secret(?=\d)",))


def test_user_patterns_sharing_a_group_name_both_apply():
    """Patterns that each compile also work together."""
    redactor = Redactor([r"(?P<id>ACCT-\d+)", r"(?P<id>CUST-\d+)"])
    assert redactor.text("ACCT-1 and CUST-2") == f"{REDACTED} and {REDACTED}"


# -- end to end: what the exporters and the log file receive --------------------------------


def test_tool_call_secrets_never_reach_spans_or_logs(telemetry):
    with ss.tool_call("x", api_key="sk-abcdefghijklmnopqrstuvwx", note="mail bob@example.com"):
        pass

    span = telemetry.span("execute_tool x")
    assert span.attributes["api_key"] == REDACTED
    assert span.attributes["note"] == f"mail {REDACTED}"
    assert "sk-abcdefghijklmnopqrstuvwx" not in repr(dict(span.attributes))
    assert "bob@example.com" not in repr(dict(span.attributes))

    [completed] = telemetry.events("tool_call_completed")
    assert completed["tool_params"] == {"api_key": REDACTED, "note": f"mail {REDACTED}"}
    text = telemetry.log_file.read_text()
    assert "abcdefghijklmnopqrstuvwx" not in text
    assert "bob@example.com" not in text

    exported = [
        record.log_record
        for record in telemetry.log_exporter.get_finished_logs()
        if record.log_record.event_name == "tool_call_completed"
    ]
    assert len(exported) == 1
    attributes = repr(dict(exported[0].attributes))
    assert REDACTED in attributes
    assert "abcdefghijklmnopqrstuvwx" not in attributes
    assert "bob@example.com" not in attributes


def test_configured_patterns_apply_end_to_end(tmp_path):
    ss.shutdown()
    spans = InMemorySpanExporter()
    log_file = tmp_path / "app.log"
    rt = ss.init(
        namespace="sergas",
        span_exporter=spans,
        log_stream="none",
        log_file=str(log_file),
        export_interval_seconds=0.05,
        redact_patterns=(r"ACCT-\d{6}",),
    )
    try:
        with ss.tool_call("lookup", account="ACCT-123456"):
            pass
        assert rt.flush(timeout=10)
        [span] = spans.get_finished_spans()
        assert span.attributes["account"] == REDACTED
        lines = [json.loads(line) for line in log_file.read_text().splitlines()]
        [completed] = [line for line in lines if line["event"] == "tool_call_completed"]
        assert completed["tool_params"] == {"account": REDACTED}
        assert "ACCT-123456" not in log_file.read_text()
    finally:
        ss.shutdown()


def test_structlog_fields_are_scrubbed(telemetry):
    structlog.get_logger("myapp").info("signup", email="bob@example.com", password="pw1")
    [line] = telemetry.events("signup")
    assert line["email"] == REDACTED
    assert line["password"] == REDACTED


@pytest.mark.parametrize("source", ["stdlib", "structlog"])
def test_log_messages_are_scrubbed(telemetry, source):
    """The message itself is scrubbed, not only the fields next to it."""
    if source == "stdlib":
        logging.getLogger("thirdparty").warning("token=abc123secret")
    else:
        structlog.get_logger("thirdparty").warning("token=abc123secret")
    telemetry.flush()
    text = telemetry.log_file.read_text()
    assert "thirdparty" in text
    assert "abc123secret" not in text
    exported = repr([r.log_record.body for r in telemetry.log_exporter.get_finished_logs()])
    assert "abc123secret" not in exported


def test_stdlib_extra_fields_are_scrubbed(telemetry):
    logging.getLogger("thirdparty").warning(
        "request sent", extra={"api_key": "k-123", "target": "mail bob@example.com"}
    )
    [line] = telemetry.events("request sent")
    assert line["logger"] == "thirdparty"
    assert line["api_key"] == REDACTED
    assert line["target"] == f"mail {REDACTED}"


def test_exception_text_and_late_attributes_on_spans_are_scrubbed(telemetry):
    with pytest.raises(RuntimeError):
        with ss.tool_call("charge") as call:
            call.set_attribute("customer", "reach me at bob@example.com")
            raise RuntimeError("card 4111 1111 1111 1111 declined for bob@example.com")
    span = telemetry.span("execute_tool charge")
    assert "bob@example.com" not in span.attributes["customer"]
    assert "bob@example.com" not in span.status.description
    assert "4111 1111 1111 1111" not in span.status.description
    [event] = [e for e in span.events if e.name == "exception"]
    assert "bob@example.com" not in event.attributes["exception.message"]
    assert "bob@example.com" not in event.attributes["exception.stacktrace"]
    [failed] = telemetry.events("tool_call_failed")
    assert "bob@example.com" not in failed["error_message"]


def test_attributes_set_through_opentelemetry_on_sdk_spans_are_scrubbed(telemetry):
    """The app can reach swarmscope's spans with OpenTelemetry's own API; export scrubs those too."""
    with ss.agent_run("scout") as run:
        run.span.set_attribute("api_key", "k-123")
        with ss.tool_call("lookup"):
            trace.get_current_span().set_attribute("note", "mail bob@example.com")
            trace.get_current_span().set_attribute("rows", 3)

    agent = telemetry.span("invoke_agent scout")
    tool = telemetry.span("execute_tool lookup")
    assert agent.attributes["api_key"] == REDACTED
    assert agent.attributes["gen_ai.agent.name"] == "scout"
    assert tool.attributes["note"] == f"mail {REDACTED}"
    assert tool.attributes["rows"] == 3
    assert tool.parent.span_id == agent.context.span_id


def test_span_status_descriptions_are_scrubbed_on_export(telemetry):
    """A handoff's error, and any instrumentation's own status text, can carry a secret."""
    ss.handoff("scout", "analyst", error=RuntimeError("login failed for password=hunter2"))
    other = telemetry.rt.tracer_provider.get_tracer("other")  # the global one is set once
    with other.start_as_current_span("raw") as span:
        span.set_status(trace.Status(trace.StatusCode.ERROR, "token sk-abcdefghijklmnopqrstuvwx"))
    descriptions = [s.status.description or "" for s in telemetry.spans()]
    assert any("password=[REDACTED]" in text for text in descriptions)
    assert any(text == f"token {REDACTED}" for text in descriptions)
    assert not any("hunter2" in text or "sk-abc" in text for text in descriptions)


def test_events_added_through_opentelemetry_on_sdk_spans_are_scrubbed(telemetry):
    """Span events are looked at on export too, not only the exception ones swarmscope adds."""
    with ss.tool_call("lookup"):
        trace.get_current_span().add_event("retry", {"api_key": "k-123", "note": "bob@example.com"})
    with ss.tool_call("clean"):
        pass

    [retry] = telemetry.span("execute_tool lookup").events
    assert retry.attributes["api_key"] == REDACTED
    assert retry.attributes["note"] == REDACTED
    clean = telemetry.span("execute_tool clean")
    assert not clean.events
    assert clean.attributes["gen_ai.tool.name"] == "clean"
