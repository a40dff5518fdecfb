"""LLM prices from ``genai-prices``, looked up once per model and provider.

Shared by the SDK (which prices the calls it records) and the server (which prices the
calls other instrumentors send without a cost), so it imports nothing of swarmscope: the
server must not load the SDK to price a span.

A full ``calc_price`` walks the price database each time; an app makes thousands of calls
to a handful of models, so the model's price is resolved once and flat per-token prices are
applied with plain arithmetic. Tiered prices fall back to the library's own calculation.

``genai_prices`` is imported on the first lookup, not with this module: loading its price
snapshot takes longer than importing the rest of the SDK, and an app that never records an
LLM call's usage should not pay for it at start-up.
"""

from __future__ import annotations

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


def price_for(model: str, provider: str | None) -> Price | None:
    """The model's price, or ``None`` when genai-prices does not know the model.

    A provider genai-prices does not know by that id (the GenAI conventions' ``aws.bedrock``
    or ``gcp.vertex_ai``, say) is no reason to call the model free or unknown: the model is
    then looked up on its own.
    """
    key = (model, provider)
    if key in _cache:
        return _cache[key]
    price = _look_up(model, provider)
    if price is None and provider is not None:
        price = _look_up(model, None)
    with _lock:
        _cache[key] = price
    return price


def _look_up(model: str, provider: str | None) -> Price | None:
    from genai_prices import Usage, calc_price

    try:
        found = calc_price(Usage(input_tokens=0, output_tokens=0), model, provider_id=provider)
    except LookupError:
        return None
    model_price = found.model_price
    return Price(
        model_price,
        _per_token(model_price.input_mtok),
        _per_token(model_price.output_mtok),
        _per_token(model_price.cache_read_mtok),
    )


def _per_token(per_million: Any) -> float | None:
    if isinstance(per_million, Decimal | int | float):
        return float(per_million) / 1_000_000
    return None
