"""Durations as Prometheus writes them (``30s``, ``5m``, ``1h30m``, ``1d``), read in one place.

Range windows, offsets and ``for`` in the definitions, the server's steps and its relative
times (``--since 15m``) all use this one reader, so a duration means the same everywhere.
The syntax is Prometheus's (units from years to milliseconds, largest first, each at most
once); an amount may also carry a decimal fraction (``1.5h``), which relative times have
always accepted. Whether zero or a very long duration makes sense is the caller's question.
"""

from __future__ import annotations

import re

# Milliseconds per unit, largest first: the order the units must appear in.
_UNIT_MS = (
    ("y", 365 * 86_400_000),
    ("w", 7 * 86_400_000),
    ("d", 86_400_000),
    ("h", 3_600_000),
    ("m", 60_000),
    ("s", 1000),
    ("ms", 1),
)
_DURATION = re.compile("".join(rf"(?:(\d+(?:\.\d+)?){unit})?" for unit, _ in _UNIT_MS), re.ASCII)


def milliseconds(text: str) -> float:
    """``text`` in milliseconds; ``ValueError`` when it is not a duration.

    A float, so an absurdly long duration is ``inf`` rather than a number too large to use.
    """
    match = _DURATION.fullmatch(text or "")
    if match is None or not any(match.groups()):
        raise ValueError(f"{text!r} is not a Prometheus duration (like 30s, 5m, 1h or 1d)")
    return sum(
        float(amount) * unit_ms
        for amount, (_, unit_ms) in zip(match.groups(), _UNIT_MS, strict=True)
        if amount
    )


def seconds(text: str) -> float:
    """``text`` in seconds (see :func:`milliseconds`)."""
    return milliseconds(text) / 1000


def scale(duration: str, factor: float) -> str:
    """``duration`` multiplied by ``factor``, in whole seconds and at least ``1s``: a test
    stack (``--time-scale``, the server's ``alert_time_scale``) runs the same rules faster.
    At factor 1 the text is returned as written."""
    if factor == 1:
        return duration
    return f"{max(1, round(seconds(duration) * factor))}s"
