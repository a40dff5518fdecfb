"""OTLP metric and attribute names as Prometheus's own OTLP translation writes them.

Dashboards, alert rules and users' PromQL written for Prometheus must find the same names
here. Prometheus (``otlptranslator``, strategy ``UnderscoreEscapingWithSuffixes``, its
default) and the OpenTelemetry "Prometheus and OpenMetrics compatibility" specification
agree on: every run of characters outside ``[a-zA-Z0-9:]`` is one ``_`` (dots become
underscores, ``__`` collapses), the unit is appended as words unless the name already holds
them (``s`` -> ``_seconds``, ``By`` -> ``_bytes``, ``By/s`` -> ``_bytes_per_second``; a unit
in braces, ``{request}``, is an annotation and adds nothing), a monotonic sum ends in
``_total`` and a gauge of unit ``1`` in ``_ratio`` (each moved to the end if the name held
it elsewhere), and a name starting with a digit gets a leading ``_``.

Names already in Prometheus's form, like those the swarmscope SDK pushes
(``shop_agent_sessions_total`` without a unit), come out unchanged.
"""

from __future__ import annotations

import functools
import re

# UCUM units to Prometheus's words, as the translator maps them; others are used as written.
_UNITS = {
    "d": "days",
    "h": "hours",
    "min": "minutes",
    "s": "seconds",
    "ms": "milliseconds",
    "us": "microseconds",
    "ns": "nanoseconds",
    "By": "bytes",
    "KiBy": "kibibytes",
    "MiBy": "mebibytes",
    "GiBy": "gibibytes",
    "TiBy": "tibibytes",
    "KBy": "kilobytes",
    "MBy": "megabytes",
    "GBy": "gigabytes",
    "TBy": "terabytes",
    "m": "meters",
    "V": "volts",
    "A": "amperes",
    "J": "joules",
    "W": "watts",
    "g": "grams",
    "Cel": "celsius",
    "Hz": "hertz",
    "1": "",
    "%": "percent",
}
_PER_UNITS = {
    "s": "second",
    "m": "minute",
    "h": "hour",
    "d": "day",
    "w": "week",
    "mo": "month",
    "y": "year",
}
_NOT_NAME = re.compile(r"[^a-zA-Z0-9:]+")
_NOT_LABEL = re.compile(r"[^a-zA-Z0-9_]")


def _tokens(text: str) -> list[str]:
    return [token for token in _NOT_NAME.split(text) if token]


def _unit_words(unit: str) -> tuple[str, str]:
    """The main and the per unit as name words (``By/s`` -> ``bytes``, ``per_second``)."""
    main, _, per = unit.partition("/")
    main, per = main.strip(), per.strip()
    main_words = "" if not main or "{" in main or "}" in main else _UNITS.get(main, main)
    per_words = "" if not per or "{" in per or "}" in per else _PER_UNITS.get(per, per)
    main_words = "_".join(_tokens(main_words))
    per_words = "_".join(_tokens(per_words))
    return main_words, f"per_{per_words}" if per_words else ""


@functools.lru_cache(maxsize=4096)
def metric_name(name: str, unit: str, kind: str, monotonic: bool = False) -> str:
    """The Prometheus name of an OTLP metric; ``kind`` is ``gauge``, ``sum``, ``histogram``,
    ``exponential_histogram`` or ``summary``; ``monotonic`` for a monotonic sum.

    Cached: a sender repeats its few metric names in every request.
    """
    tokens = _tokens(name)
    main, per = _unit_words(unit)
    if per:
        main = main.removesuffix("_")
    if main and main not in tokens:
        tokens.append(main)
    if per and per not in tokens:
        tokens.append(per)
    if kind == "sum" and monotonic:
        tokens = [token for token in tokens if token != "total"] + ["total"]
    if unit == "1" and kind == "gauge":
        tokens = [token for token in tokens if token != "ratio"] + ["ratio"]
    joined = "_".join(tokens)
    return f"_{joined}" if joined[:1].isdigit() else joined


@functools.lru_cache(maxsize=4096)
def label_name(key: str) -> str:
    """An attribute key as a Prometheus label name: other characters than ``[a-zA-Z0-9_]``
    become ``_``; a key starting with a digit gets ``key_`` in front, as the translator
    writes it."""
    clean = _NOT_LABEL.sub("_", key)
    return f"key_{clean}" if clean[:1].isdigit() else clean
