"""The time range and step a chart asks for: the query parameters every charting route takes
(``start``, ``end``, ``step``), declared once, and their reading into a ``Window``."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Annotated

from fastapi import Query

from swarmscope.api_words import MAX_NS, time_ns
from swarmscope.exceptions import BadParameter
from swarmscope.server.query.promql import duration_ms

DEFAULT_RANGE_NS = 3600 * 10**9
# About this many points per series unless a step is asked for; never more than MAX_POINTS.
TARGET_POINTS = 120
MAX_POINTS = 1000

Start = Annotated[str | None, Query(description="epoch s, ISO 8601, or 15m ago; default end - 1h")]
End = Annotated[str | None, Query(description="epoch s, ISO 8601, or 15m ago; default now")]
Step = Annotated[
    str | None,
    Query(
        description=f"seconds or a duration like 30s; default about {TARGET_POINTS} points,"
        f" at most {MAX_POINTS}"
    ),
]


@dataclass(frozen=True)
class Window:
    start_ns: int
    end_ns: int
    step_ns: int


def parse_window(start: str | None, end: str | None, step: str | None) -> Window:
    """The time range and step a request asks for, or a ``BadParameter`` saying what is wrong."""
    now = time.time_ns()
    end_ns = time_ns("end", end, now) or now
    start_ns = time_ns("start", start, now)
    if start_ns is None:
        start_ns = end_ns - DEFAULT_RANGE_NS
    if end_ns <= start_ns:
        raise BadParameter("end must be after start")
    if step is None or step == "":
        seconds = max(1, math.ceil((end_ns - start_ns) / 1e9 / TARGET_POINTS))
        step_ns = seconds * 10**9
    else:
        step_ns = _step_ns(step)
    points = (end_ns - start_ns) // step_ns + 1
    if points > MAX_POINTS:
        raise BadParameter(
            f"step {step_ns / 1e9:g}s makes {points} points per series; at most {MAX_POINTS}: "
            "raise step or narrow start/end"
        )
    return Window(start_ns, end_ns, step_ns)


def _step_ns(text: str) -> int:
    """The step in nanoseconds, at most a 64-bit number of them (about 292 years): the
    evaluation's times and SQL are 64-bit, and a step of 1e300 seconds, or a duration of a
    few hundred digits, overflowed them."""
    step_ns = _parsed_step_ns(text)
    if step_ns > MAX_NS:
        raise BadParameter(f"step must be at most {MAX_NS // 10**9} seconds (about 292 years)")
    return int(step_ns)


def _parsed_step_ns(text: str) -> float | int:
    """Seconds (a float, compared before it becomes an int) or a Prometheus duration."""
    try:
        seconds = float(text)
    except ValueError:
        try:
            return duration_ms(text) * 10**6
        except ValueError:
            raise BadParameter("step must be seconds or a duration like 30s") from None
    if not math.isfinite(seconds) or seconds < 0.001:
        raise BadParameter("step must be at least 0.001 seconds")
    return seconds * 1e9
