"""Alert annotation templates expanded as Prometheus expands them, for the forms rules use.

Prometheus renders annotations with Go's text/template and ``missingkey=zero``: so
``{{ $labels.x }}`` is the sample's label (empty when missing), ``{{ $value }}`` is Go's
``%v`` of a float64, and ``{{ $value | humanizePercentage }}`` is ``%.4g`` of value * 100
with a ``%``. The server's alerts carry the very strings Prometheus would write, so a
receiver routing or deduplicating on annotations cannot tell which of the two evaluated the
rule; the promtool rule tests expect the same strings from Prometheus itself.

Anything else (other functions, trim markers, control structures) is left as written and
logged once: an annotation showing its raw template is better than an alert that is lost.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable

from swarmscope.definitions.numbers import go_g4, go_value
from swarmscope.exceptions import Unsupported

log = logging.getLogger(__name__)

_ACTION = re.compile(r"\{\{(.*?)\}\}", re.DOTALL)
_LABEL = re.compile(r"(?:\$labels|\.Labels)\.([A-Za-z_][A-Za-z0-9_]*)")
_warned: set[str] = set()


def humanize_percentage(value: float | str) -> str:
    return go_g4(_number(value) * 100) + "%"


# Functions a pipeline may name; Prometheus has more, the bundle's rules use only these.
FUNCTIONS: dict[str, Callable[[float | str], str]] = {"humanizePercentage": humanize_percentage}


def _number(value: float | str) -> float:
    if isinstance(value, float):
        return value
    try:
        return float(value)
    except ValueError:
        raise Unsupported(f"{value!r} is not a number") from None


def _operand(text: str, labels: dict[str, str], value: float) -> float | str:
    if text in ("$value", ".Value"):
        return value
    label = _LABEL.fullmatch(text)
    if label is None:
        raise Unsupported(f"unknown operand {text!r}")
    return labels.get(label.group(1), "")


def _action(text: str, labels: dict[str, str], value: float) -> str:
    """One ``{{ ... }}``: an operand, or a function applied to one, then ``| function``s."""
    head, *piped = (command.strip() for command in text.split("|"))
    words = head.split()
    if len(words) == 1:
        result: float | str = _operand(words[0], labels, value)
    elif len(words) == 2 and words[0] in FUNCTIONS:
        result = FUNCTIONS[words[0]](_operand(words[1], labels, value))
    else:
        raise Unsupported(f"unknown action {text.strip()!r}")
    for name in piped:
        if name not in FUNCTIONS:
            raise Unsupported(f"unknown function {name!r}")
        result = FUNCTIONS[name](result)
    return go_value(result) if isinstance(result, float) else result


def render(template: str, labels: dict[str, str], value: float) -> str:
    """``template`` expanded for one sample (its labels and value); as written if unknown."""
    parts = _ACTION.split(template)
    try:
        out = []
        for index, part in enumerate(parts):
            if index % 2:
                out.append(_action(part, labels, value))
            elif "{{" in part or "}}" in part:
                raise Unsupported("unbalanced braces")
            else:
                out.append(part)
        return "".join(out)
    except Unsupported as problem:
        if template not in _warned:
            _warned.add(template)
            log.warning("annotation template left as written (%s): %s", problem, template)
        return template
