"""The simulated outside world of the demo: its settings, its faults, its dice.

Everything random in the demo draws from generators seeded here, so a run with the same
seed makes the same choices (timing still varies with the machine).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

FAULTS = (
    "crm-outage",
    "crm-rate-limits",
    "llm-errors",
    "llm-slow",
    "slow-approvals",
    "compliance-down",
)


# How the agents are written: with swarmscope's calls by hand, or as a LangGraph graph.
HAND_WRITTEN, LANGGRAPH = "hand-written", "langgraph"
FRAMEWORKS = (HAND_WRITTEN, LANGGRAPH)

# The embedded server's alert rules run this many times faster than in production: a
# five-minute window or `for` is five seconds, so a CRM outage of a few seconds fires
# alerts within a minute of a demo's start.
DEMO_TIME_SCALE = 60.0


class FaultError(ValueError):
    """An unknown fault name; the message lists the known ones."""


def parse_faults(text: str | None) -> frozenset[str]:
    """``"crm-outage,llm-errors"`` -> the set of faults, rejecting unknown names."""
    names = frozenset(part.strip() for part in (text or "").split(",") if part.strip())
    unknown = sorted(names - set(FAULTS))
    if unknown:
        raise FaultError(f"unknown fault(s) {', '.join(unknown)}; known: {', '.join(FAULTS)}")
    return names


@dataclass
class DemoConfig:
    """How the reference system behaves; the CLI and the tests build one of these."""

    seed: int = 7
    faults: frozenset[str] = frozenset()
    approval_timeout: float = 5.0
    accounts: int = 500
    # With crm-outage: the first outage starts after outage_start_seconds, lasts
    # outage_seconds, and comes back every outage_every_seconds. Longer than a time-scaled
    # alert window (5 m is 5 s under --time-scale 60, 6 s in the ops end-to-end test): an
    # outage shorter than the window never fails more than part of it, and on a loaded
    # machine that share sank toward the alert's threshold.
    outage_start_seconds: float = 2.0
    outage_seconds: float = 8.0
    outage_every_seconds: float = 30.0
    max_concurrent_runs: int = 8
    # The support desk's MCP token lasts this long; the first call after it lapsed is refused.
    credential_lifetime_seconds: float = 8.0
    compliance_url: str | None = None
    speed: float = 1.0  # multiplies every simulated latency; tests run faster

    def rng(self, stream: str) -> random.Random:
        """An independent generator per component, so one component's draws don't shift another's."""
        return random.Random(f"{self.seed}:{stream}")

    def has(self, fault: str) -> bool:
        return fault in self.faults


class Occasionally:
    """True about once in ``every`` calls, and never for long without: the first time within
    ``every`` calls, then after gaps drawn from 1..2*every-1. A short run still sees it."""

    def __init__(self, rng: random.Random, every: int) -> None:
        self.rng = rng
        self.every = every
        self.left = rng.randint(1, every)

    def __call__(self) -> bool:
        self.left -= 1
        if self.left > 0:
            return False
        self.left = self.rng.randint(1, 2 * self.every - 1)
        return True


def account_ids(count: int) -> list[str]:
    return [f"ACC-{index:05d}" for index in range(1, count + 1)]


@dataclass
class Account:
    account_id: str
    name: str
    tier: str
    annual_revenue: int
    deals: list[dict[str, object]] = field(default_factory=list)


def make_accounts(config: DemoConfig) -> dict[str, Account]:
    rng = config.rng("accounts")
    accounts = {}
    for account_id in account_ids(config.accounts):
        deals = [
            {
                "deal_id": f"{account_id}-D{n}",
                "stage": rng.choice(["prospect", "won", "lost"]),
                "amount": rng.randint(1_000, 250_000),
            }
            for n in range(rng.randint(0, 6))
        ]
        accounts[account_id] = Account(
            account_id=account_id,
            name=f"Customer {account_id[-5:]}",
            tier=rng.choice(["tier1", "tier2", "tier3"]),
            annual_revenue=rng.randint(50_000, 50_000_000),
            deals=deals,
        )
    return accounts
