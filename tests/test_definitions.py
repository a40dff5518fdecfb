"""The engine-neutral definitions' own helpers: one duration reader, one Go float formatter,
one annotation renderer, window scaling on the query tree, and the server's dependence on
the definitions only (never on the writers of the production files)."""

from __future__ import annotations

import ast
import math
from pathlib import Path

import pytest

from swarmscope.definitions.alerts import ALERTS
from swarmscope.definitions.durations import milliseconds, scale, seconds
from swarmscope.definitions.numbers import go_g4, go_value, le_value
from swarmscope.definitions.query import Offset, Rate, Ratio, Series, Up, scaled_query
from swarmscope.definitions.templates import render

SERVER = Path(__file__).parent.parent / "src" / "swarmscope" / "server"

# --- durations ---


@pytest.mark.parametrize(
    ("text", "ms"),
    [
        ("30s", 30_000),
        ("5m", 300_000),
        ("1h30m", 5_400_000),
        ("1d", 86_400_000),
        ("2w", 14 * 86_400_000),
        ("1y", 365 * 86_400_000),
        ("250ms", 250),
        ("1m30s500ms", 90_500),
        ("0s", 0),
        ("1.5h", 5_400_000),
    ],
)
def test_a_duration_in_milliseconds(text: str, ms: int):
    assert milliseconds(text) == ms
    assert seconds(text) == ms / 1000


@pytest.mark.parametrize(
    "text", ["", "5", "5 minutes", "m", "-5m", "5M", "30m1h", "1h1h", "1e3s", "5m\n", "\u0665m"]
)
def test_text_that_is_no_duration_says_so(text: str):
    with pytest.raises(
        ValueError, match=r"is not a Prometheus duration \(like 30s, 5m, 1h or 1d\)"
    ):
        milliseconds(text)


def test_an_absurdly_long_duration_is_infinite_not_an_overflow():
    assert milliseconds("9" * 400 + "d") == math.inf


@pytest.mark.parametrize(
    ("duration", "factor", "scaled"),
    [("5m", 1, "5m"), ("1h30m", 1, "1h30m"), ("5m", 0.01, "3s"), ("1d", 0.05, "4320s")],
)
def test_scaling_keeps_the_text_at_one_and_writes_whole_seconds_otherwise(
    duration: str, factor: float, scaled: str
):
    assert scale(duration, factor) == scaled


def test_a_scaled_duration_is_at_least_a_second():
    assert scale("0s", 0.5) == "1s"
    assert scale("30s", 0.001) == "1s"


# --- Go's float formatting ---


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (math.inf, "+Inf"),
        (-math.inf, "-Inf"),
        (math.nan, "NaN"),
        (1e21, "1e+21"),
        (0.1, "0.1"),
        (0.0, "0"),
        (-0.0, "0"),
        (123456.0, "123456"),
        (1e6, "1e+06"),
        (0.0001, "0.0001"),
        (0.00001234, "1.234e-05"),
        (-75.5, "-75.5"),
        (1 / 3, "0.3333333333333333"),
        (5e-324, "5e-324"),
    ],
)
def test_go_value_prints_as_go_percent_v(value: float, text: str):
    assert go_value(value) == text


@pytest.mark.parametrize(
    ("bound", "text"),
    [
        (0.005, "0.005"),
        (1.0, "1.0"),
        (100000.0, "100000.0"),
        (1e6, "1e+06"),
        (0.0, "0.0"),
        (-2.0, "-2.0"),
        (math.inf, "+Inf"),
        (1e-05, "1e-05"),
    ],
)
def test_le_values_are_canonical_as_prometheus_normalizes_them(bound: float, text: str):
    assert le_value(bound) == text


def test_go_g4_spells_the_infinities_and_nan_as_go():
    assert [go_g4(v) for v in (math.inf, -math.inf, math.nan, 12.3456, 1e-7)] == [
        "+Inf",
        "-Inf",
        "NaN",
        "12.35",
        "1e-07",
    ]


# --- annotation templates ---


def test_a_template_renders_labels_value_and_percentage():
    template = "{{ $labels.agent }} at {{ $value }} ({{ $value | humanizePercentage }})"
    assert render(template, {"agent": "scout"}, 0.125) == "scout at 0.125 (12.5%)"


def test_a_missing_label_renders_empty():
    assert render("[{{ $labels.missing }}] {{ .Labels.also_missing }}.", {"x": "1"}, 1.0) == "[] ."


def test_infinite_values_render_as_prometheus_writes_them():
    assert render("{{ $value }} / {{ $value | humanizePercentage }}", {}, math.inf) == (
        "+Inf / +Inf%"
    )


# --- window scaling on the query tree ---


def test_scaling_a_query_scales_every_window_and_offset_in_its_tree():
    series = Series("agent_sessions_total")
    query = Ratio(Rate(series, "10m"), Offset(Rate(series, "1h"), "1d"))
    assert scaled_query(query, 0.01) == Ratio(
        Rate(series, "6s"), Offset(Rate(series, "36s"), "864s")
    )
    assert scaled_query(query, 1) is query
    # A query without a window is what it was.
    assert scaled_query(Up(), 0.01) == Up()


def test_a_scaled_rule_has_scaled_windows_and_for_and_the_same_labels():
    for rule in ALERTS:
        fast = rule.scaled(0.01)
        assert fast.for_ == scale(rule.for_, 0.01)
        assert fast.labels == rule.labels and fast.annotations("/r") == rule.annotations("/r")
        assert "m]" not in fast.expr("ns") and "h]" not in fast.expr("ns"), fast.expr("ns")


# --- the server depends on the definitions, not on the stack's writers ---


def test_nothing_in_the_server_imports_the_stack_writers():
    found = []
    for path in sorted(SERVER.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module, *(f"{node.module}.{a.name}" for a in node.names)]
            else:
                continue
            if any(
                name == "swarmscope.stack" or name.startswith("swarmscope.stack.") for name in names
            ):
                found.append(f"{path.relative_to(SERVER)}:{node.lineno}")
    assert found == []
