"""Floats written the way Prometheus (a Go program) writes them.

An alert's ``{{ $value }}``, a histogram's ``le`` label and a value JSON cannot hold (an
infinity) must read exactly as Prometheus would print them, or the server's alerts, series
and rule tests would differ from Prometheus's by a digit or a spelling. Go's ``%v`` of a
float64 is ``strconv``'s shortest ``'g'``: the fewest digits that read back as the same
float (Python's ``repr`` finds the same digits), in exponent form when the decimal exponent
is below -4 or at least 6 (``1e-05``, ``1.234567e+06``, ``1e+21``).
"""

from __future__ import annotations

import math
from decimal import Decimal


def go_value(value: float) -> str:
    """Go's ``%v`` of a float64: shortest digits, exponent form below 1e-4 or from 1e6 on,
    ``+Inf``, ``-Inf`` and ``NaN`` spelled as Go spells them."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    if value == 0:
        return "0"
    sign, digits, exponent = Decimal(repr(value)).normalize().as_tuple()
    assert isinstance(exponent, int)
    text = "".join(map(str, digits))
    power = len(text) + exponent - 1
    prefix = "-" if sign else ""
    if power < -4 or power >= 6:
        mantissa = text[0] + ("." + text[1:] if len(text) > 1 else "")
        return f"{prefix}{mantissa}e{'-' if power < 0 else '+'}{abs(power):02d}"
    point = power + 1
    if point <= 0:
        return f"{prefix}0.{'0' * -point}{text}"
    if point >= len(text):
        return f"{prefix}{text}{'0' * (point - len(text))}"
    return f"{prefix}{text[:point]}.{text[point:]}"


def go_g4(value: float) -> str:
    """Go's ``%.4g`` (``humanizePercentage``): as C's, except for how NaN and the infinities
    are spelled."""
    return f"{value:.4g}" if math.isfinite(value) else go_value(value)


def le_value(bound: float) -> str:
    """A histogram bucket's ``le`` in the canonical form Prometheus normalizes it to: Go's
    ``%v`` with ``.0`` added to a whole number (``0.005``, ``1.0``, ``100000.0``, ``1e+06``,
    ``+Inf``)."""
    text = go_value(bound)
    whole = text.lstrip("-").isdigit()
    return f"{text}.0" if whole else text
