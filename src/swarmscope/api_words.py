"""The words the server's query API and its clients (the CLI's debugging commands) share.

Paths, the grammar of time and level parameters, and the filters of a log search. The
server's routers register these paths and parse with these functions; the CLI builds its
requests (and its Loki search) from them. It lives at the package root, not in
``swarmscope.server``, because a client must not import the server (FastAPI, DuckDB) to
name a path; and not in ``swarmscope.conventions``, which is the contract of the telemetry
an app emits, not of the HTTP API that reads it back. It imports nothing of swarmscope but
its exceptions and the duration grammar, so either side loads it in a few milliseconds.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from swarmscope.definitions import durations
from swarmscope.exceptions import BadParameter

# -- paths (a ``{name}`` is a path parameter: ``TRACE.format(trace_id=...)``) ------------------

TRACES = "/api/traces"
TRACE = "/api/traces/{trace_id}"
TRACE_WATERFALL = "/api/traces/{trace_id}/waterfall"
TRACE_SPAN = "/api/traces/{trace_id}/spans/{span_id}"
LOGS = "/api/logs"
AGENT_GRAPH = "/api/agents/graph"
AGENT = "/api/agents/{agent}"
HANDOFFS = "/api/handoffs"
REQUESTS = "/api/requests"
REQUEST = "/api/requests/{trace_id}"
SESSIONS = "/api/sessions"
SESSION = "/api/sessions/{session:path}"
WAITS = "/api/waits"

# -- how a trace's run ended ---------------------------------------------------------------------


class Outcome(StrEnum):
    """How a trace's run ended, as the trace list and one trace say it.

    A span that failed and was retried does not fail the run: only its root (or its run at
    the top, an orchestration or an agent run) ending in error does.
    """

    FAILED = "failed"  # the root, or the run at the top, ended in error
    RECOVERED = "recovered"  # some span ended in error, the run did not
    INTERRUPTED = "interrupted"  # the run stopped to wait for a person (an interrupt)
    OK = "ok"  # no span ended in error


# -- times -------------------------------------------------------------------------------------
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


def iso(ns: int) -> str:
    """An instant in nanoseconds as ISO 8601 UTC with microseconds, as answers write times."""
    return datetime.fromtimestamp(ns / 1e9, UTC).isoformat().replace("+00:00", "Z")


# -- log levels and searches -------------------------------------------------------------------

LEVELS = {"trace": 0, "debug": 1, "info": 2, "warning": 3, "error": 4, "critical": 5}
_ALIASES = {"warn": "warning", "fatal": "critical", "err": "error"}


def level_rank(text: str) -> int:
    """The rank of a level name a user typed; ``BadParameter`` for a name no logger uses."""
    name = text.strip().lower()
    name = _ALIASES.get(name, name)
    if name not in LEVELS:
        raise BadParameter(f"level must be one of {', '.join(LEVELS)} (or warn)")
    return LEVELS[name]


@dataclass(frozen=True)
class LogQuery:
    """The filters of one log search (``/api/logs``, or LogQL); ``None`` leaves one out."""

    text: str | None = None
    min_rank: int | None = None
    trace_id: str | None = None
    agent: str | None = None
    service: str | None = None
    since_ns: int | None = None
    until_ns: int | None = None
    limit: int = 100
