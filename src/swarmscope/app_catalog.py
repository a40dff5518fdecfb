"""An app's own metric families, log events, alert rules and dashboards, beside swarmscope's.

swarmscope's catalog names what every agent app shares (agents, tools, LLM calls,
integrations by name...). An app whose domain has figures of its own declares them here in
the same form (``MetricSpec``, ``EventSpec``, and optionally ``AlertRule``, ``Dashboard`` and
recording rules from ``swarmscope.definitions``) and registers the ``AppCatalog``:

- ``swarmscope.init(catalog=CATALOG)`` registers it and exports its families on
  ``/metrics`` (and the metric push); ``swarmscope.metric(name)`` and
  ``swarmscope.event(name, **fields)`` record into them.
- ``swarmscope stack export --catalog module:ATTR`` writes its alert rules (with their
  promtool unit tests and runbooks), its recording rules and its dashboards beside
  swarmscope's.

Registration checks a catalog the way swarmscope's own is checked (Prometheus name and label
rules, buckets, levels) and refuses a name swarmscope or another registered catalog already
uses, with a ``ConfigError`` that names it. Registered families join the catalog's lookup
tables, so queries, panels and rules name them exactly as they name the built-in ones.
"""

from __future__ import annotations

import itertools
import math
import re
from dataclasses import dataclass
from importlib import import_module
from typing import TYPE_CHECKING, get_args

from swarmscope.conventions.catalog import (
    EVENTS,
    EVENTS_BY_NAME,
    METRICS,
    METRICS_BY_NAME,
    EventSpec,
    MetricKind,
    MetricSpec,
)
from swarmscope.exceptions import ConfigError

if TYPE_CHECKING:
    from swarmscope.definitions.alerts import AlertRule
    from swarmscope.definitions.dashboards import Dashboard

# Prometheus's rules: colons are for recording rules, ``__`` prefixes are reserved.
_NAME = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")
_LEVELS = ("debug", "info", "warning", "error", "critical")
# Labels prometheus-client adds to a kind's samples itself.
_RESERVED_LABELS = {"histogram": {"le"}, "summary": {"quantile"}}


@dataclass(frozen=True)
class RecordingRule:
    """Another name for a figure the families already measure, served by a PromQL
    expression (``{ns}`` is the namespace) rather than exported twice."""

    name: str
    expr: str
    description: str


@dataclass(frozen=True)
class AppCatalog:
    """What one app declares; ``name`` names its rule groups (``{namespace}_{name}``)."""

    name: str
    metrics: tuple[MetricSpec, ...] = ()
    events: tuple[EventSpec, ...] = ()
    alerts: tuple[AlertRule, ...] = ()
    recording_rules: tuple[RecordingRule, ...] = ()
    dashboards: tuple[Dashboard, ...] = ()


_BUILT_IN_EVENTS = frozenset(spec.name for spec in EVENTS)
_registered: dict[str, AppCatalog] = {}


def register(catalog: AppCatalog) -> None:
    """Check ``catalog`` and add its families and events to the catalog's tables.

    Queries name families by their catalog name, and a query checks its name when it is
    built: an app registers its families (a catalog with only ``metrics`` and ``events``)
    before it builds the alert rules and panels that read them, then registers the whole
    catalog, which has the same name and families. Registering a catalog again does
    nothing; other families under a registered name, or a name swarmscope or another
    catalog declares, is a ``ConfigError``.
    """
    known = _registered.get(catalog.name)
    if known is not None:
        if (known.metrics, known.events) != (catalog.metrics, catalog.events):
            raise ConfigError(f"another app catalog named {catalog.name!r} is registered already")
        _registered[catalog.name] = catalog  # the same families, with their definitions
        return
    check(catalog)
    _registered[catalog.name] = catalog
    METRICS_BY_NAME.update({spec.name: spec for spec in catalog.metrics})
    EVENTS_BY_NAME.update({spec.name: spec for spec in catalog.events})


def unregister(catalog: AppCatalog) -> None:
    """Forget ``catalog`` (an app's tests register one for a test and no longer)."""
    if _registered.pop(catalog.name, None) is None:
        return
    for spec in catalog.metrics:
        METRICS_BY_NAME.pop(spec.name, None)
    for event in catalog.events:
        EVENTS_BY_NAME.pop(event.name, None)


def registered() -> tuple[AppCatalog, ...]:
    return tuple(_registered.values())


def load(target: str) -> AppCatalog:
    """The catalog at ``module:ATTR`` (the form ``--catalog`` takes), registered."""
    module_name, _, attribute = target.partition(":")
    if not module_name or not attribute:
        raise ConfigError(f"--catalog {target!r}: expected module:ATTRIBUTE")
    try:
        catalog = getattr(import_module(module_name), attribute)
    except (ImportError, AttributeError) as error:
        raise ConfigError(f"--catalog {target!r}: {error}") from None
    if not isinstance(catalog, AppCatalog):
        raise ConfigError(f"--catalog {target!r} is a {type(catalog).__name__}, not an AppCatalog")
    register(catalog)
    return catalog


def every_metric() -> tuple[MetricSpec, ...]:
    """swarmscope's families, then each registered app's."""
    return (*METRICS, *(spec for app in registered() for spec in app.metrics))


def every_alert() -> tuple[AlertRule, ...]:
    from swarmscope.definitions.alerts import ALERTS

    return (*ALERTS, *(rule for app in registered() for rule in app.alerts))


def every_dashboard() -> tuple[Dashboard, ...]:
    from swarmscope.definitions.dashboards import DASHBOARDS

    return (*DASHBOARDS, *(board for app in registered() for board in app.dashboards))


def check(catalog: AppCatalog) -> None:
    """Raise ``ConfigError`` for the first declaration Prometheus or swarmscope would refuse."""
    where = f"app catalog {catalog.name!r}"
    if not _NAME.fullmatch(catalog.name):
        raise ConfigError(f"{where}: the name must match {_NAME.pattern}")
    built_in = {_exposed(spec) for spec in METRICS}
    taken_metrics = {_exposed(spec) for spec in every_metric()}
    taken_events = _BUILT_IN_EVENTS | {e.name for app in registered() for e in app.events}
    taken_rules = {rule.name for app in registered() for rule in app.recording_rules}
    seen: set[str] = set()
    for spec in catalog.metrics:
        _check_metric(spec, where)
        exposed = _exposed(spec)
        if exposed in taken_metrics or exposed in seen:
            owner = "swarmscope's" if exposed in built_in else "another declared"
            raise ConfigError(f"{where}: metric {spec.name!r} clashes with {owner} family")
        seen.add(exposed)
    for event in catalog.events:
        if not _NAME.fullmatch(event.name):
            raise ConfigError(f"{where}: event {event.name!r} must match {_NAME.pattern}")
        if event.level not in _LEVELS:
            raise ConfigError(f"{where}: event {event.name!r} has level {event.level!r}")
        if event.name in taken_events:
            raise ConfigError(f"{where}: event {event.name!r} is declared already")
        taken_events = taken_events | {event.name}
    for rule in catalog.recording_rules:
        if not _NAME.fullmatch(rule.name):
            raise ConfigError(f"{where}: recording rule {rule.name!r} must match {_NAME.pattern}")
        if rule.name in taken_metrics | seen | taken_rules:
            raise ConfigError(f"{where}: recording rule {rule.name!r} clashes with a family")
        taken_rules = taken_rules | {rule.name}


def _check_metric(spec: MetricSpec, where: str) -> None:
    name = f"{where}: metric {spec.name!r}"
    if not _NAME.fullmatch(spec.name) or spec.name.startswith("__"):
        raise ConfigError(f"{name}: the name must match {_NAME.pattern}")
    if spec.kind not in get_args(MetricKind):
        raise ConfigError(f"{name}: kind {spec.kind!r} is not one of {get_args(MetricKind)}")
    reserved = _RESERVED_LABELS.get(spec.kind, set())
    for label in spec.labels:
        if not _NAME.fullmatch(label) or label.startswith("__") or label in reserved:
            raise ConfigError(f"{name}: {label!r} cannot be a label name")
    if len(set(spec.labels)) != len(spec.labels):
        raise ConfigError(f"{name}: a label is named twice in {spec.labels}")
    if spec.buckets is None:
        return
    if spec.kind != "histogram":
        raise ConfigError(f"{name}: only a histogram has buckets")
    bounds = list(spec.buckets)
    finite = all(math.isfinite(bound) for bound in bounds)
    if not bounds or not finite or any(b <= a for a, b in itertools.pairwise(bounds)):
        raise ConfigError(f"{name}: buckets must be finite and strictly increasing, got {bounds}")


def _exposed(spec: MetricSpec) -> str:
    """The family name Prometheus sees (prometheus-client drops a counter's ``_total``)."""
    return spec.name.removesuffix("_total") if spec.kind == "counter" else spec.name
