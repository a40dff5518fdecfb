"""Query parameters the views share: time bounds and limits."""

from __future__ import annotations

import math
import time
from datetime import datetime

from swarmscope.definitions import durations
from swarmscope.exceptions import BadParameter

# Times are signed 64-bit nanoseconds wherever they go (the store's BIGINT columns, the SQL
# bound to them): a bound outside that range is refused here, by name, rather than failing
# as an overflow further down.
MIN_NS, MAX_NS = -(2**63), 2**63 - 1
_RANGE = "between 1677-09-21 and 2262-04-11 UTC (64-bit nanoseconds since 1970)"


def time_ns(name: str, text: str | None, now_ns: int | None = None) -> int | None:
    """A time bound: epoch seconds, an ISO 8601 instant, or a duration ago (``15m``).

    ``BadParameter`` for text that is none of these, and for infinity, NaN or an instant
    outside the range of 64-bit nanoseconds.
    """
    if text is None or text == "":
        return None
    now_ns = time.time_ns() if now_ns is None else now_ns
    found = _parsed_ns(name, text, now_ns)
    if not MIN_NS <= found <= MAX_NS:
        raise BadParameter(f"{name} must be {_RANGE}")
    return found


def _parsed_ns(name: str, text: str, now_ns: int) -> int:
    try:
        ago = durations.seconds(text)
    except ValueError:
        pass
    else:
        return now_ns - _whole_ns(name, ago)
    try:
        seconds = float(text)
    except ValueError:
        return _instant_ns(name, text)
    return _whole_ns(name, seconds)


def _whole_ns(name: str, seconds: float) -> int:
    """Seconds as whole nanoseconds. ``float`` reads ``inf``, ``nan`` and ``1e400`` (and a
    duration of a thousand nines) without complaint, and ``int`` of them raises."""
    ns = seconds * 1e9
    if not math.isfinite(ns):
        raise BadParameter(f"{name} must be a finite time {_RANGE}")
    return int(ns)


def _instant_ns(name: str, text: str) -> int:
    try:
        instant = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise BadParameter(
            f"{name} must be epoch seconds, an ISO 8601 time or a duration ago like 15m"
        ) from None
    if instant.tzinfo is None:
        raise BadParameter(f"{name} needs a time zone (add Z for UTC)")
    try:
        # Year 1 at +14:00 is before year 1 in UTC: datetime cannot say when that is.
        return int(instant.timestamp() * 1e9)
    except (OverflowError, ValueError):
        raise BadParameter(f"{name} must be {_RANGE}") from None
