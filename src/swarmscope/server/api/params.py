"""Query parameters the views share: time bounds and limits."""

from __future__ import annotations

import re
import time
from datetime import datetime

_RELATIVE = re.compile(r"^(\d+(?:\.\d+)?)(ms|s|m|h|d)$")
_UNITS = {"ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}


class BadParameter(ValueError):
    """A query parameter that cannot be understood; answered with 400 and the reason."""


def time_ns(name: str, text: str | None, now_ns: int | None = None) -> int | None:
    """A time bound: epoch seconds, an ISO 8601 instant, or a duration ago (``15m``)."""
    if text is None or text == "":
        return None
    now_ns = time.time_ns() if now_ns is None else now_ns
    relative = _RELATIVE.match(text)
    if relative:
        return now_ns - int(float(relative.group(1)) * _UNITS[relative.group(2)] * 1e9)
    try:
        return int(float(text) * 1e9)
    except ValueError:
        pass
    try:
        instant = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise BadParameter(
            f"{name} must be epoch seconds, an ISO 8601 time or a duration ago like 15m"
        ) from None
    if instant.tzinfo is None:
        raise BadParameter(f"{name} needs a time zone (add Z for UTC)")
    return int(instant.timestamp() * 1e9)
