"""Which namespace the server reads metrics under: the one asked for, or what arrived.

The SDK prefixes every metric with its app's namespace (``shop_agent_sessions_total``) and
sends the namespace as the resource attribute ``service.namespace``. The server learns the
namespaces from those, so ``swarmscope serve`` needs no ``--namespace``: with one stored it
is used, with several the most recently pushed is the default and a request may choose
another (``?namespace=``). A namespace asked for (by a flag or a request) under which no
metrics are stored is said in a notice, so a typo shows as a sentence, not as empty panels.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from swarmscope.api_words import iso
from swarmscope.conventions.catalog import METRICS_BY_NAME
from swarmscope.exceptions import BadParameter
from swarmscope.server.store.database import Store
from swarmscope.server.store.queries.namespaces import (
    declared_namespaces,
    metric_names,
    resource_namespaces,
)

# The SDK's own default namespace: what a server with no data and no flag reads under.
DEFAULT_NAMESPACE = "swarmscope"
# What the SDK accepts as a namespace (a Prometheus name's first word).
_VALID = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")


@dataclass(frozen=True)
class Namespace:
    """One namespace the store holds data under."""

    name: str
    services: tuple[str, ...]
    # The latest span end or metric point under it, in ns since the epoch.
    last_seen_ns: int
    # The latest metric point under it; None when only spans arrived under it.
    last_metric_ns: int | None

    def answer(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "services": list(self.services),
            "last_seen": iso(self.last_seen_ns),
            "last_metric": None if self.last_metric_ns is None else iso(self.last_metric_ns),
        }


@dataclass(frozen=True)
class Served:
    """The namespace a view reads metrics under, and what to tell its user about it."""

    name: str
    # What was asked for (``?namespace=``, else ``serve --namespace``); None: nothing.
    asked: str | None
    # The namespaces with metrics, most recently pushed first.
    stored: tuple[str, ...]
    notice: str | None

    def answer(self) -> dict[str, Any]:
        return {
            "asked": self.asked,
            "served": self.name,
            "stored": list(self.stored),
            "notice": self.notice,
        }


def is_namespace(text: str) -> bool:
    """Whether ``text`` can prefix a metric name, as the SDK's namespace must."""
    return _VALID.fullmatch(text) is not None


def known_families() -> tuple[str, ...]:
    """The catalog's family names, with those of any app catalog registered in this process
    (``swarmscope.app_catalog``), longest first: ``shop_agent_errors_total`` is ``shop``
    + ``agent_errors_total``, not ``shop_agent`` + ``errors_total``. Read at each call,
    since a catalog may be registered after this module is imported."""
    return tuple(sorted(METRICS_BY_NAME, key=len, reverse=True))


def family_namespace(name: str, families: tuple[str, ...] | None = None) -> str | None:
    """The namespace of a metric name ``<namespace>_<family>``, the longest of ``families``
    (default ``known_families()``) that fits; None for a name that is no family under a
    namespace (or a family without one)."""
    families = known_families() if families is None else families
    if name in families:
        return None
    for family in families:
        namespace = name.removesuffix(f"_{family}")
        if namespace != name and is_namespace(namespace):
            return namespace
    return None


@dataclass
class _Seen:
    services: set[str]
    last_ns: int = 0
    last_metric_ns: int | None = None

    def add(self, services: Iterable[str], last_ns: int | None, metric: bool) -> None:
        self.services.update(services)
        self.last_ns = max(self.last_ns, last_ns or 0)
        if metric:
            self.last_metric_ns = max(self.last_metric_ns or 0, last_ns or 0)


def stored_namespaces(store: Store, spans: bool = True) -> list[Namespace]:
    """Every namespace the store holds, those with the most recent metrics first, then the
    ones with spans only (most recent first). ``spans`` False leaves out the spans' services
    and times (what a dashboard or an alert needs), sparing a scan of the spans.

    A family this process does not know (an app catalog registered in the app, not here)
    can end like one it knows: ``shop_crm_circuit_breaker_state`` reads as the namespace
    ``shop_crm``. So a namespace read from metric names alone that extends another one
    found (``shop`` + ``_``) is taken as that one, unless a resource declares it.
    """
    declared = declared_namespaces(store)
    found: dict[str, _Seen] = {}
    families = known_families()
    for row in metric_names(store):
        namespace = family_namespace(row["name"], families)
        if namespace is not None:
            found.setdefault(namespace, _Seen(set())).add(row["services"], row["last_ns"], True)
    for row in resource_namespaces(store) if spans else ():
        found.setdefault(row["namespace"], _Seen(set())).add(
            row["services"] or (), row["last_ns"], False
        )
    known = declared | set(found)
    for name in sorted(set(found) - declared, key=len, reverse=True):
        shorter = [other for other in known if name.startswith(f"{other}_")]
        if shorter:
            seen = found.pop(name)
            into = found.setdefault(min(shorter, key=len), _Seen(set()))
            into.add(seen.services, seen.last_ns, False)
            if seen.last_metric_ns is not None:
                into.add((), seen.last_metric_ns, True)
    namespaces = [
        Namespace(name, tuple(sorted(seen.services)), seen.last_ns, seen.last_metric_ns)
        for name, seen in found.items()
    ]
    return sorted(
        namespaces,
        key=lambda n: (n.last_metric_ns is None, -(n.last_metric_ns or 0), -n.last_seen_ns),
    )


def with_metrics(namespaces: list[Namespace]) -> tuple[str, ...]:
    """The names of those with metrics stored, in their order."""
    return tuple(n.name for n in namespaces if n.last_metric_ns is not None)


def metric_namespaces(store: Store) -> tuple[str, ...]:
    """The namespaces with metrics stored, the most recently pushed first."""
    return with_metrics(stored_namespaces(store, spans=False))


def checked(namespace: str | None) -> str | None:
    """A namespace from a request, or a ``BadParameter`` when it cannot be one."""
    if namespace in (None, ""):
        return None
    if not is_namespace(namespace):
        raise BadParameter(
            f"namespace {namespace!r} is not a metric name prefix (letters, digits, _)"
        )
    return namespace


def serve_namespace(store: Store, configured: str | None, asked: str | None = None) -> Served:
    """The namespace to read the store's metrics under (see ``choose``)."""
    return choose(metric_namespaces(store), configured, asked)


def choose(stored: tuple[str, ...], configured: str | None, asked: str | None = None) -> Served:
    """``asked`` (a request's), else ``configured`` (the server's), else the stored one with
    the most recent metrics; with a notice when the one asked for holds no metrics."""
    wanted = asked or configured
    if wanted is None:
        if stored:
            return Served(stored[0], None, stored, None)
        return Served(DEFAULT_NAMESPACE, None, stored, "No metrics have arrived yet.")
    if wanted in stored:
        return Served(wanted, wanted, stored, None)
    return Served(wanted, wanted, stored, _mismatch(wanted, stored))


def _mismatch(wanted: str, stored: tuple[str, ...]) -> str:
    if not stored:
        return f"No metrics under {wanted}_; none have arrived yet."
    held = ", ".join(stored)
    return (
        f"No metrics under {wanted}_; this server holds {held}. "
        f"Start serve with --namespace {stored[0]} or choose it."
    )
