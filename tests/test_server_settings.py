"""The server's settings, declared with ``setting()``: flags first, then ``SWARMSCOPE_*``
variables, and a bad value is a ``ConfigError`` naming it (``swarmscope serve``: a message
and exit 2, never a traceback)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from swarmscope.exceptions import ConfigError
from swarmscope.server.settings import MiB, ServerSettings


def test_defaults_without_environment():
    settings = ServerSettings.load(env={})
    assert settings.max_body_bytes == 16 * MiB
    assert settings.api_key is None
    assert settings.external_url is None


def test_variables_set_fields_and_arguments_win():
    env = {
        "SWARMSCOPE_API_KEY": "s3cret",
        "SWARMSCOPE_MAX_BODY_BYTES": "1048576",
        "SWARMSCOPE_ALERTMANAGER_URL": "http://alertmanager:9093",
        "SWARMSCOPE_EXTERNAL_URL": "https://env.example",
    }
    settings = ServerSettings.load(env=env, external_url="https://flag.example")
    assert settings.api_key == "s3cret"
    assert settings.max_body_bytes == 1024 * 1024
    assert settings.alertmanager_url == "http://alertmanager:9093"
    assert settings.external_url == "https://flag.example"


def test_a_blank_key_is_no_key():
    assert ServerSettings.load(env={"SWARMSCOPE_API_KEY": "  "}).api_key is None


@pytest.mark.parametrize(
    ("env", "overrides", "reason"),
    [
        ({"SWARMSCOPE_MAX_BODY_BYTES": "0"}, {}, "max_body_bytes: 0 is not a valid value"),
        ({"SWARMSCOPE_MAX_QUEUED_ROWS": "many"}, {}, "SWARMSCOPE_MAX_QUEUED_ROWS='many'"),
        ({}, {"alert_webhook_url": "ftp://hooks"}, "alert_webhook_url: 'ftp://hooks'"),
        ({}, {"alert_time_scale": 0.0}, "alert_time_scale: 0.0 is not a valid value"),
        ({}, {"decode_processes": -1}, "decode_processes: -1 is not a valid value"),
        ({}, {"max_inflight_bytes": "32"}, "max_inflight_bytes: '32' is not a int"),
        ({}, {"retention_days": 3}, "unknown setting(s): retention_days"),
    ],
)
def test_bad_values_are_config_errors_naming_the_field(env, overrides, reason):
    with pytest.raises(ConfigError) as refused:
        ServerSettings.load(env=env, **overrides)
    assert reason in str(refused.value)


def test_constructed_settings_are_checked_too():
    with pytest.raises(ConfigError, match="max_body_bytes: -5"):
        ServerSettings(max_body_bytes=-5)


def serve(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "swarmscope", "serve", "--port", "0", *args],
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
        env={**os.environ, **env},
    )


def test_serve_refuses_a_bad_variable_with_a_message(tmp_path):
    result = serve("--data", str(tmp_path), SWARMSCOPE_MAX_BODY_BYTES="0")
    assert result.returncode == 2
    assert "swarmscope serve: max_body_bytes: 0 is not a valid value" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "swarmscope.duckdb").exists()


def test_serve_refuses_a_bad_flag_with_a_message(tmp_path):
    result = serve("--data", str(tmp_path), "--alert-webhook", "ftp://hooks")
    assert result.returncode == 2
    assert "alert_webhook_url: 'ftp://hooks' is not a valid value" in result.stderr
    assert "Traceback" not in result.stderr
