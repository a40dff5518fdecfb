"""Who may call the demo API: bearer tokens, roles, and a per-user rate limit.

The simulated people of ``account_manager.load`` carry tokens issued here. A request without
an ``Authorization`` header is the local operator (so ``curl`` and the README's examples
work) and is neither limited nor refused. A token that is unknown or has expired is a 401,
a user without the approver role deciding an approval a 403, and a user starting analyses
faster than the limit allows a 429 with ``Retry-After``. Each refusal goes through
swarmscope's security calls, so the auth, RBAC and rate-limit panels have data.
"""

from __future__ import annotations

import hashlib
import math
import time
from dataclasses import dataclass

from fastapi import HTTPException, Request

import swarmscope as ss
from account_manager.world import DemoConfig

OPERATOR_ROLE = "operator"
APPROVER_ROLE = "approver"


@dataclass(frozen=True)
class User:
    name: str
    role: str  # analyst: starts analyses; approver: also decides approvals; operator: local


OPERATOR = User("operator", OPERATOR_ROLE)
ANALYSTS = tuple(User(f"analyst-{n:02d}", "analyst") for n in range(1, 13))
APPROVERS = tuple(User(f"approver-{n}", APPROVER_ROLE) for n in range(1, 4))


def token_for(config: DemoConfig, user: User, expired: bool = False) -> str:
    """The bearer token the identity provider issued ``user`` (its previous one if ``expired``)."""
    generation = 0 if expired else 1
    digest = hashlib.sha256(f"{config.seed}:{user.name}:{generation}".encode()).hexdigest()
    return f"sst_{digest[:32]}"


class RateLimiter:
    """A token bucket per key: ``capacity`` requests at once, then ``per_second``."""

    def __init__(self, capacity: float, per_second: float) -> None:
        self.capacity = capacity
        self.per_second = per_second
        self._buckets: dict[str, tuple[float, float]] = {}

    def take(self, key: str) -> float:
        """0 if the request may go ahead, else the seconds until it could."""
        now = time.monotonic()
        tokens, last = self._buckets.get(key, (self.capacity, now))
        tokens = min(self.capacity, tokens + (now - last) * self.per_second)
        if tokens >= 1:
            self._buckets[key] = (tokens - 1, now)
            return 0.0
        self._buckets[key] = (tokens, now)
        return (1 - tokens) / self.per_second


class Access:
    """The demo service's tokens, roles and analysis rate limit."""

    def __init__(self, config: DemoConfig, capacity: float = 5, per_second: float = 1.0) -> None:
        users = (*ANALYSTS, *APPROVERS)
        self._current = {token_for(config, u): u for u in users}
        self._expired = {token_for(config, u, expired=True): u for u in users}
        self.analyses = RateLimiter(capacity, per_second)

    def caller(self, request: Request) -> User:
        """The user a request comes from; a 401 for a token that is not (or no longer) valid."""
        header = request.headers.get("authorization")
        if header is None:
            return OPERATOR
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token:
            reason = "malformed_header"
        elif token in self._current:
            return self._current[token]
        elif token in self._expired:
            reason = "expired_token"
        else:
            reason = "invalid_token"
        ss.auth_failure(reason, path=request.url.path)
        raise HTTPException(401, "invalid or expired token")

    def require_role(self, user: User, resource: str, *roles: str) -> None:
        if user.role not in (OPERATOR_ROLE, *roles):
            ss.rbac_denied(resource, user.role, user=user.name)
            raise HTTPException(403, f"role {user.role} may not decide {resource}")

    def limit_analyses(self, user: User) -> None:
        """At most the bucket's worth of analyses per user; the operator is not limited."""
        if user is OPERATOR:
            return
        wait = self.analyses.take(user.name)
        if wait:
            key = f"analyze:{user.name}"
            ss.rate_limit_rejected(key, retry_after_s=round(wait, 2))
            raise HTTPException(
                429, "too many analyses; retry later", {"Retry-After": str(math.ceil(wait))}
            )
