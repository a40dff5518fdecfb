"""The SDK's use of the shared price lookup (``swarmscope.prices``): warmed off the app's
thread, so the first LLM call's usage is not held up by loading the price table."""

from __future__ import annotations

import contextlib
import threading

from swarmscope.prices import price_for

_lock = threading.Lock()
_warming: threading.Thread | None = None


def warm(model: str, provider: str | None) -> None:
    """Look a first price up on a background thread, once per process.

    The first lookup imports genai-prices and reads its price table, about a tenth of a
    second; done when the response's usage is recorded, it would stall the caller's thread
    (an event loop, often). Started when the first LLM call starts, it is done, or nearly,
    by the time that call's answer arrives; an app that calls no model never loads it.
    """
    global _warming
    with _lock:
        if _warming is not None:
            return
        _warming = threading.Thread(
            target=_look_up_quietly, args=(model, provider), name="swarmscope-prices", daemon=True
        )
    _warming.start()


def warmed(timeout: float) -> bool:
    """Whether the background lookup ``warm`` started has finished (for tests and tools)."""
    thread = _warming
    if thread is None:
        return False
    thread.join(timeout)
    return not thread.is_alive()


def _look_up_quietly(model: str, provider: str | None) -> None:
    # A failure here shows again, and is counted, when the app's own lookup meets it.
    with contextlib.suppress(Exception):
        price_for(model, provider)
