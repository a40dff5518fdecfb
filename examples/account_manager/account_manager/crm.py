"""A simulated Zoho CRM: latency, 429s and outages, called through a circuit breaker.

The API itself is in-process (a dict of accounts); what makes it realistic is its failure
behaviour, which is what the integration panels and alerts are about. With the
``crm-outage`` fault the CRM goes down ``outage_start_seconds`` after start, for
``outage_seconds``, and again every ``outage_every_seconds``; the breaker opens during an
outage and closes after it.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import swarmscope as ss
from account_manager.integrations import CRM, CRM_RATE_LIMIT, crm_breaker_changed, crm_outcome
from account_manager.world import Account, DemoConfig


class CrmUnavailable(ConnectionError):
    """The CRM answered 503."""


class CrmRateLimited(RuntimeError):
    """The CRM answered 429."""

    def __init__(self, retry_after: float) -> None:
        super().__init__(f"rate limited, retry after {retry_after:.2f}s")
        self.retry_after = retry_after


class UnknownAccount(KeyError):
    """No such account in the CRM."""


class ZohoClient:
    """What the data scout calls; every call is an instrumented integration call."""

    def __init__(
        self,
        config: DemoConfig,
        accounts: dict[str, Account],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.config = config
        self.accounts = accounts
        self._rng = config.rng("crm")
        self._clock = clock
        self._started = clock()
        self.breaker = ss.CircuitBreaker(
            CRM, failure_threshold=3, reset_timeout=1.5, tier="api", on_change=crm_breaker_changed
        )
        ss.metric("zoho_circuit_breaker_state").child("api").set(int(self.breaker.state))

    def is_down(self) -> bool:
        if not self.config.has("crm-outage"):
            return False
        elapsed = self._clock() - self._started - self.config.outage_start_seconds
        return (
            elapsed >= 0 and elapsed % self.config.outage_every_seconds < self.config.outage_seconds
        )

    async def get_account(self, account_id: str) -> Account:
        return await self._call("get_account", account_id, lambda: self._account(account_id))

    async def search_deals(self, account_id: str) -> list[dict[str, Any]]:
        account = self._account(account_id)
        return await self._call("search_deals", account_id, lambda: list(account.deals))

    def _account(self, account_id: str) -> Account:
        try:
            return self.accounts[account_id]
        except KeyError:
            raise UnknownAccount(account_id) from None

    async def _call(self, operation: str, account_id: str, answer: Callable[[], Any]) -> Any:
        tier = self.accounts[account_id].tier if account_id in self.accounts else "unknown"
        rate_limit_chance = 0.3 if self.config.has("crm-rate-limits") else 0.08
        for attempt in range(1, 4):
            try:
                async with ss.integration_call(
                    CRM,
                    operation,
                    tier=tier,
                    breaker=self.breaker,
                    on_outcome=crm_outcome,
                    account_id=account_id,
                ) as call:
                    ss.event("zoho_api_call_started", operation=operation, tier=tier)
                    await asyncio.sleep(self._rng.uniform(0.01, 0.06) * self.config.speed)
                    if self.is_down():
                        raise CrmUnavailable("zoho answered 503 Service Unavailable")
                    if self._rng.random() < rate_limit_chance:
                        retry_after = round(self._rng.uniform(0.02, 0.1), 3)
                        call.rate_limited(retry_after=retry_after)
                        ss.event(
                            "zoho_rate_limit_hit",
                            operation=operation,
                            tier=tier,
                            retry_after_s=retry_after,
                        )
                        raise CrmRateLimited(retry_after)
                    return answer()
            except CrmRateLimited as limited:
                if attempt == 3:
                    raise
                ss.retry(operation, reason="rate_limit", attempt=attempt, max_attempts=3)
                async with ss.recovery_attempt(CRM_RATE_LIMIT, "backoff"):
                    await asyncio.sleep(limited.retry_after * self.config.speed)
        raise AssertionError("unreachable")  # the loop returns or raises
