"""Sending a recorded request again, and waiting for the run it starts to finish.

A route marked ``@replayable`` keeps its request on its SERVER span (method, path and query,
the headers that matter, the scrubbed body). Replaying sends that request to the app again
with ``X-Replay-Of: <trace id>-<span id>``, so the new SERVER span links to the old one.

The new trace is finished when the server holds its request and nothing in it still runs:
no span waits for a parent that has not ended, no agent run logged its start without its
span arriving, and, if the original run had an orchestration, the new one has one too. The
span count must then stay put for ``SETTLE_S`` (the SDK exports every second), so a batch in
flight is not mistaken for the end.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from swarmscope.api_words import REQUEST, TRACES
from swarmscope.conventions.attributes import SWARMSCOPE_REPLAY_OF
from swarmscope.conventions.spans import ORCHESTRATE
from swarmscope.debug.client import Api, CommandError, NotFound, reason

SETTLE_S = 2.0
POLL_S = 0.5
REPLAY_OF_HEADER = "X-Replay-Of"
# Replays started this long before they were sent are not theirs (clocks of two hosts).
_CLOCK_SLACK_S = 5.0


@dataclass
class Replay:
    """One recorded request sent again, and what the server has seen of its trace so far."""

    original: dict[str, Any]
    url: str
    status_code: int | None = None
    trace_id: str | None = None
    sent_s: float = 0.0
    seen: dict[str, Any] | None = None
    complete: bool = False
    _spans: int | None = field(default=None, repr=False)
    _stable_since: float = field(default=0.0, repr=False)

    @property
    def fixed(self) -> bool:
        return self.complete and self.seen is not None and not self.seen["failed"]


def replay_url(recorded: dict[str, Any], target: str | None) -> str:
    base = target or recorded["origin"]
    if not base:
        raise CommandError("the recorded request does not say which server took it: pass --target")
    if not base.startswith(("http://", "https://")):
        raise CommandError(f"--target {base!r} is not an http(s) URL", 2)
    return base.rstrip("/") + recorded["target"]


def replayable(recorded: dict[str, Any]) -> str | None:
    """Why the request cannot be sent again, or None if it can."""
    if recorded["body_too_large"]:
        return "its body was over 64 KiB, so it was not recorded"
    return None


def send(recorded: dict[str, Any], target: str | None, timeout: float = 30.0) -> Replay:
    """Send the request again; the app's answer names the new trace (``x-trace-id``)."""
    why_not = replayable(recorded)
    if why_not is not None:
        raise CommandError(f"trace {recorded['trace_id']} cannot be replayed: {why_not}")
    replay = Replay(recorded, replay_url(recorded, target))
    headers = {**recorded["headers"], REPLAY_OF_HEADER: _replay_of(recorded)}
    body = recorded["body"]
    replay.sent_s = time.time()
    import httpx  # here, not at the top: `replay --help` has no use for it

    try:
        response = httpx.request(
            recorded["method"],
            replay.url,
            headers=headers,
            content=body.encode() if body else None,
            timeout=timeout,
        )
    except httpx.HTTPError as error:
        raise CommandError(f"cannot reach the app at {replay.url} ({reason(error)})") from None
    replay.status_code = response.status_code
    trace_id = response.headers.get("x-trace-id", "").strip().lower()
    replay.trace_id = trace_id if len(trace_id) == 32 else None
    return replay


def _replay_of(recorded: dict[str, Any]) -> str:
    return f"{recorded['trace_id']}-{recorded['span_id']}"


def wait(api: Api, replays: list[Replay], wait_s: float) -> None:
    """Poll the server until every replay's trace is complete, or ``wait_s`` has passed."""
    deadline = time.monotonic() + wait_s
    while True:
        for replay in replays:
            if not replay.complete:
                _look(api, replay)
        if all(replay.complete for replay in replays) or time.monotonic() >= deadline:
            return
        time.sleep(POLL_S)


def _look(api: Api, replay: Replay) -> None:
    if replay.trace_id is None:
        replay.trace_id = _find(api, replay)
        if replay.trace_id is None:
            return
    try:
        seen = api.get(REQUEST.format(trace_id=replay.trace_id))
    except NotFound:
        return
    replay.seen = seen
    outcome = seen["outcome"] or {}
    now = time.monotonic()
    if outcome.get("spans") != replay._spans:
        replay._spans, replay._stable_since = outcome.get("spans"), now
    # A run is waited for if the original started one and the app took the replay.
    expects_run = (replay.original["outcome"] or {}).get("orchestration") is not None and (
        replay.status_code is None or replay.status_code < 400
    )
    replay.complete = (
        bool(outcome.get("complete"))
        and (outcome.get("orchestration") is not None or not expects_run)
        and now - replay._stable_since >= SETTLE_S
    )


def _find(api: Api, replay: Replay) -> str | None:
    """The replay's trace, for an app that does not answer with ``x-trace-id``."""
    answer = api.get(
        TRACES,
        {
            "attribute": f"{SWARMSCOPE_REPLAY_OF}={replay.original['trace_id']}",
            "start": f"{replay.sent_s - _CLOCK_SLACK_S:.3f}",
            "limit": 1,
        },
    )
    return answer["traces"][0]["trace_id"] if answer["traces"] else None


def facts(recorded: dict[str, Any] | None) -> dict[str, Any]:
    """What a person compares between two runs of one request."""
    outcome = (recorded or {}).get("outcome") or {}
    errors = outcome.get("error_spans") or []
    # The orchestration's error says why the run failed; an inner one may have been retried.
    errors = [e for e in errors if e["span"].startswith(f"{ORCHESTRATE} ")] or errors
    return {
        "trace": (recorded or {}).get("trace_id"),
        "status": (recorded or {}).get("status_code"),
        "duration_ms": outcome.get("duration_ms"),
        "spans": outcome.get("spans"),
        "agents": outcome.get("agents") or [],
        "orchestration": outcome.get("orchestration"),
        "errors": outcome.get("errors"),
        "first_error": f"{errors[0]['span']}: {errors[0]['message']}" if errors else None,
    }


def summary(replay: Replay) -> dict[str, Any]:
    """A replay for ``--json``: the request sent, and old against new."""
    return {
        "original_trace_id": replay.original["trace_id"],
        "url": replay.url,
        "status_code": replay.status_code,
        "replay_trace_id": replay.trace_id,
        "complete": replay.complete,
        "fixed": replay.fixed,
        "original": facts(replay.original),
        "replay": facts(replay.seen),
    }
