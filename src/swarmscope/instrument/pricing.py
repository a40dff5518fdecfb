"""LLM prices from ``genai-prices``, looked up once per model and provider.

A full ``calc_price`` walks the price database each time; an app makes thousands of calls
to a handful of models, so the model's price is resolved once and flat per-token prices are
applied with plain arithmetic. Tiered prices fall back to the library's own calculation.

``genai_prices`` is imported on the first lookup, not with this module: loading its price
snapshot takes longer than importing the rest of the SDK, and an app that never records an
LLM call's usage should not pay for it at start-up.
"""

from __future__ import annotations

import contextlib
import threading
from dataclasses import dataclass
from decimal import Decimal
from typing import Any


@dataclass(frozen=True)
class Price:
    """What one model costs; ``None`` fields mean the database has no such price."""

    model_price: Any
    input_per_token: float | None
    output_per_token: float | None
    cache_read_per_token: float | None

    def cost(self, input_tokens: int, output_tokens: int, cache_read_tokens: int = 0) -> float:
        flat = self.input_per_token is not None and self.output_per_token is not None
        if flat and (cache_read_tokens == 0 or self.cache_read_per_token is not None):
            uncached = max(input_tokens - cache_read_tokens, 0)
            return (
                uncached * (self.input_per_token or 0.0)
                + output_tokens * (self.output_per_token or 0.0)
                + cache_read_tokens * (self.cache_read_per_token or 0.0)
            )
        from genai_prices import Usage

        usage = Usage(
            input_tokens=input_tokens,
            output_tokens=output_tokens,
            cache_read_tokens=cache_read_tokens or None,
        )
        return float(self.model_price.calc_price(usage)["total_price"])


_cache: dict[tuple[str, str | None], Price | None] = {}
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


def price_for(model: str, provider: str | None) -> Price | None:
    """The model's price, or ``None`` when genai-prices does not know the model."""
    key = (model, provider)
    if key in _cache:
        return _cache[key]
    from genai_prices import Usage, calc_price

    try:
        found = calc_price(Usage(input_tokens=0, output_tokens=0), model, provider_id=provider)
        model_price = found.model_price
        price: Price | None = Price(
            model_price,
            _per_token(model_price.input_mtok),
            _per_token(model_price.output_mtok),
            _per_token(model_price.cache_read_mtok),
        )
    except LookupError:
        price = None
    with _lock:
        _cache[key] = price
    return price


def _per_token(per_million: Any) -> float | None:
    if isinstance(per_million, Decimal | int | float):
        return float(per_million) / 1_000_000
    return None
