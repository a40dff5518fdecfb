"""Settings.load: keyword arguments first, then SWARMSCOPE_* and OTEL_* variables; bad values name themselves."""

from __future__ import annotations

import pytest

from swarmscope.config import ConfigError, Settings


def test_defaults_with_an_empty_environment():
    settings = Settings.load(env={})
    assert settings.namespace == "swarmscope"
    assert settings.traces_exporter == "none"
    assert settings.logs_exporter == "none"
    assert settings.otlp_endpoint is None
    assert settings.sample_ratio == 1.0
    assert settings.redact_patterns == ()


def test_keyword_arguments_beat_the_environment():
    env = {
        "SWARMSCOPE_NAMESPACE": "from_env",
        "OTEL_SERVICE_NAME": "env-service",
        "SWARMSCOPE_SAMPLE_RATIO": "0.25",
        "SWARMSCOPE_LOG_LEVEL": "error",
    }
    settings = Settings.load(
        env=env, namespace="from_kwargs", service_name="kw-service", sample_ratio=0.5
    )
    assert settings.namespace == "from_kwargs"
    assert settings.service_name == "kw-service"
    assert settings.sample_ratio == 0.5
    # Settings not passed as keyword arguments still come from the environment.
    assert settings.log_level == "error"


def test_a_keyword_argument_of_none_falls_back_to_the_environment():
    settings = Settings.load(env={"SWARMSCOPE_NAMESPACE": "from_env"}, namespace=None)
    assert settings.namespace == "from_env"


def test_environment_variables_are_read():
    env = {
        "SWARMSCOPE_NAMESPACE": "sergas",
        "OTEL_SERVICE_NAME": "orders-api",
        "SWARMSCOPE_SAMPLE_RATIO": "0.1",
        "SWARMSCOPE_REDACT_PATTERNS": r"ACCT-\d{6}, (?i)internal-[a-z]+ ,,",
        "SWARMSCOPE_LOG_LEVEL": "WARNING",
    }
    settings = Settings.load(env=env)
    assert settings.namespace == "sergas"
    assert settings.service_name == "orders-api"
    assert settings.sample_ratio == pytest.approx(0.1)
    assert settings.redact_patterns == (r"ACCT-\d{6}", "(?i)internal-[a-z]+")
    assert settings.log_level == "warning"


def test_swarmscope_variable_beats_the_otel_one():
    env = {"OTEL_SERVICE_NAME": "otel-name", "SWARMSCOPE_SERVICE_NAME": "ss-name"}
    assert Settings.load(env=env).service_name == "ss-name"


def test_blank_environment_values_are_ignored():
    settings = Settings.load(env={"SWARMSCOPE_NAMESPACE": "  ", "OTEL_SERVICE_NAME": ""})
    assert settings.namespace == "swarmscope"
    assert settings.service_name == "swarmscope-app"


def test_otlp_endpoint_variable_turns_on_otlp_exporters():
    settings = Settings.load(env={"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318/"})
    assert settings.otlp_endpoint == "http://collector:4318/"
    assert settings.traces_exporter == "otlp"
    assert settings.logs_exporter == "otlp"
    assert settings.signal_endpoint("traces") == "http://collector:4318/v1/traces"
    assert settings.signal_endpoint("logs") == "http://collector:4318/v1/logs"


def test_explicit_exporter_choice_survives_an_endpoint():
    env = {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318", "OTEL_LOGS_EXPORTER": "none"}
    settings = Settings.load(env=env)
    assert settings.traces_exporter == "otlp"
    assert settings.logs_exporter == "none"


@pytest.mark.parametrize(
    ("overrides", "setting"),
    [
        ({"namespace": "my-ns"}, "namespace"),
        ({"sample_ratio": 2}, "sample_ratio"),
        ({"sample_ratio": -0.1}, "sample_ratio"),
        ({"log_level": "loud"}, "log_level"),
        ({"log_format": "xml"}, "log_format"),
        ({"traces_exporter": "zipkin"}, "traces_exporter"),
        ({"max_label_values": 0}, "max_label_values"),
        ({"queue_size": 0}, "queue_size"),
        ({"redact_patterns": ("ok", "broken[")}, "redact_patterns"),
        ({"colour": "blue"}, "colour"),
    ],
)
def test_bad_keyword_values_raise_config_error_naming_the_setting(overrides, setting):
    with pytest.raises(ConfigError, match=setting):
        Settings.load(env={}, **overrides)


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"SWARMSCOPE_NAMESPACE": "my-ns"}, "namespace"),
        ({"SWARMSCOPE_SAMPLE_RATIO": "2"}, "sample_ratio"),
        ({"SWARMSCOPE_SAMPLE_RATIO": "lots"}, "SWARMSCOPE_SAMPLE_RATIO"),
        ({"OTEL_TRACES_SAMPLER_ARG": "half"}, "OTEL_TRACES_SAMPLER_ARG"),
        ({"SWARMSCOPE_LOG_LEVEL": "loud"}, "log_level"),
        ({"SWARMSCOPE_QUEUE_SIZE": "big"}, "SWARMSCOPE_QUEUE_SIZE"),
        ({"SWARMSCOPE_CAPTURE_STDLIB_LOGGING": "maybe"}, "SWARMSCOPE_CAPTURE_STDLIB_LOGGING"),
        ({"SWARMSCOPE_REDACT_PATTERNS": "fine,(unclosed"}, "redact_patterns"),
    ],
)
def test_bad_environment_values_raise_config_error_naming_the_source(env, named):
    with pytest.raises(ConfigError, match=named):
        Settings.load(env=env)


def test_config_error_is_a_value_error():
    with pytest.raises(ValueError):
        Settings.load(env={}, namespace="my-ns")


def test_non_number_sample_ratio_keyword_raises_config_error():
    """Keyword values are checked too: a string ratio is a ConfigError, not a TypeError."""
    with pytest.raises(ConfigError, match="sample_ratio"):
        Settings.load(env={}, sample_ratio="lots")


@pytest.mark.parametrize(
    ("overrides", "env"),
    [
        ({"traces_exporter": "otlp"}, {}),
        ({"logs_exporter": "otlp"}, {}),
        ({}, {"OTEL_TRACES_EXPORTER": "otlp"}),
    ],
)
def test_otlp_exporter_without_endpoint_raises(overrides, env):
    with pytest.raises(ConfigError, match="otlp_endpoint"):
        Settings.load(env=env, **overrides)


def test_otlp_exporter_with_endpoint_loads():
    settings = Settings.load(env={}, traces_exporter="otlp", otlp_endpoint="http://127.0.0.1:4318")
    assert settings.traces_exporter == "otlp"
    # The endpoint turns on the logs exporter too unless it was chosen explicitly.
    assert settings.logs_exporter == "otlp"


# -- the standard OTEL_* variables ------------------------------------------------------------


def test_a_per_signal_endpoint_is_used_as_is_and_turns_on_only_its_signal():
    env = {"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://tempo:4318/custom/traces"}
    settings = Settings.load(env=env)
    assert settings.traces_exporter == "otlp"
    assert (settings.logs_exporter, settings.metrics_exporter) == ("none", "none")
    assert settings.signal_endpoint("traces") == "http://tempo:4318/custom/traces"


def test_otlp_traces_exporter_with_only_the_traces_endpoint_loads():
    env = {
        "OTEL_TRACES_EXPORTER": "otlp",
        "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://tempo:4318/v1/traces",
    }
    assert Settings.load(env=env).signal_endpoint("traces") == "http://tempo:4318/v1/traces"
    # Logs asked for over OTLP with nowhere to send them is still an error, naming logs.
    with pytest.raises(ConfigError, match="logs_exporter='otlp' needs"):
        Settings.load(env={**env, "OTEL_LOGS_EXPORTER": "otlp"})


def test_a_per_signal_endpoint_beats_the_shared_one_for_its_signal_only():
    env = {
        "OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318",
        "OTEL_EXPORTER_OTLP_LOGS_ENDPOINT": "http://loki:3100/otlp/v1/logs",
        "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT": "http://mimir:9009/otlp/v1/metrics",
    }
    settings = Settings.load(env=env)
    assert settings.signal_endpoint("traces") == "http://collector:4318/v1/traces"
    assert settings.signal_endpoint("logs") == "http://loki:3100/otlp/v1/logs"
    assert settings.signal_endpoint("metrics") == "http://mimir:9009/otlp/v1/metrics"
    assert Settings.load(env={}, logs_endpoint="http://x/l").signal_endpoint("logs") == "http://x/l"


def test_sampler_variables_are_read_and_checked():
    env = {"OTEL_TRACES_SAMPLER": "TraceIdRatio", "OTEL_TRACES_SAMPLER_ARG": "0.25"}
    settings = Settings.load(env=env)
    assert (settings.traces_sampler, settings.sample_ratio) == ("traceidratio", 0.25)
    assert Settings.load(env={}).traces_sampler == "parentbased_traceidratio"
    with pytest.raises(ConfigError, match="traces_sampler"):
        Settings.load(env={"OTEL_TRACES_SAMPLER": "jaeger_remote"})


@pytest.mark.parametrize("raw", ["true", "TRUE", "1"])
def test_sdk_disabled_turns_every_exporter_off(raw):
    env = {
        "OTEL_SDK_DISABLED": raw,
        "OTEL_TRACES_EXPORTER": "otlp",  # no endpoint: not an error once nothing is exported
        "OTEL_LOGS_EXPORTER": "console",
    }
    settings = Settings.load(env=env, metrics_exporter="otlp")
    assert settings.sdk_disabled is True
    assert (settings.traces_exporter, settings.logs_exporter, settings.metrics_exporter) == (
        "none",
        "none",
        "none",
    )
    assert Settings.load(env={"OTEL_SDK_DISABLED": "false"}).sdk_disabled is False
    with pytest.raises(ConfigError, match="OTEL_SDK_DISABLED"):
        Settings.load(env={"OTEL_SDK_DISABLED": "maybe"})


def test_every_setting_is_declared_with_its_sources_and_check_beside_it():
    """One declaration per setting: a field added without ``setting(...)`` fails here."""
    import dataclasses

    for spec in dataclasses.fields(Settings):
        assert set(spec.metadata) == {"env", "parse", "check"}, spec.name
        for variable in spec.metadata["env"]:
            assert variable.startswith(("SWARMSCOPE_", "OTEL_")), variable


def test_a_list_of_patterns_is_taken_as_a_tuple():
    assert Settings.load(env={}, redact_patterns=["ACCT-\\d+"]).redact_patterns == ("ACCT-\\d+",)
