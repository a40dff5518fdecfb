"""Which route template ("/items/{item_id}") a request is for, without serving it.

HTTP metrics are labelled by route template, never by raw path: ``/items/1`` and
``/items/2`` are one series, and a scanner probing random paths adds none. The template is
known for certain only once the router has matched, but the in-progress gauge must be
raised *before* the app runs, with the same labels it is lowered with. So the middleware
asks here first: the app's routes are matched against the scope the way Starlette's router
does (first full match wins, else the first partial match, which the router answers with
405), through ``route.matches(scope)``, which only reads the scope.

Mounts and hosts are followed into their sub-routes and their path prefixes joined, so a
route under ``Mount("/api", ...)`` is ``/api/items/{id}``; a mounted app with no routes of
its own (static files, another framework) is ``/static/{path}``. FastAPI's lazily included
routers are followed through their matcher when it is there. Anything this cannot
understand gives ``None`` and the middleware falls back to what the router leaves in
``scope["route"]`` after it has run, then to ``"unmatched"``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from starlette.routing import Host, Match, Mount
from starlette.types import Scope

_MAX_WRAPPERS = 16


def find_routes(app: Any, scope: Scope) -> list[Any] | None:
    """The top-level routes serving this request: of ``scope["app"]`` or of the wrapped app.

    Starlette sets ``scope["app"]`` to itself before running its middleware, so a middleware
    added with ``app.add_middleware`` finds the application there; a middleware wrapped around
    the application from outside finds it by following ``.app`` through other wrappers.
    """
    for candidate in (scope.get("app"), app):
        seen = 0
        while candidate is not None and seen < _MAX_WRAPPERS:
            routes = _routes_of(candidate)
            if routes is not None:
                return routes
            candidate = getattr(candidate, "app", None)
            seen += 1
    return None


def route_template(routes: Iterable[Any], scope: Scope) -> str | None:
    """The template of the route the router will pick for ``scope``, or ``None``."""
    return _match(routes, scope, "")


def template_of(route: Any) -> str | None:
    """A single route's own template: its ``path_format`` (converters stripped) or ``path``."""
    template = getattr(route, "path_format", None) or getattr(route, "path", None)
    return template if isinstance(template, str) else None


def _routes_of(obj: Any) -> list[Any] | None:
    router = getattr(obj, "router", None)
    routes = getattr(router, "routes", None)
    if isinstance(routes, list):
        return routes
    routes = getattr(obj, "routes", None)
    # A Router is an app with routes; a Mount also has routes but is not an app we wrap.
    return routes if isinstance(routes, list) and not isinstance(obj, Mount) else None


def route_path(scope: Scope) -> str:
    """The path below the app's root path, as Starlette's router matches it."""
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    if not root or not path.startswith(root):
        return path
    if path == root:
        return ""
    return path[len(root) :] if path[len(root)] == "/" else path


def _match(routes: Iterable[Any], scope: Scope, prefix: str) -> str | None:
    partial: tuple[Any, Scope] | None = None
    path = route_path(scope)
    method = scope.get("method")
    for route in routes:
        if _plain(type(route)):
            # The common case, matched without building the child scope it does not need.
            if route.path_regex.match(path) is None:
                continue
            if not route.methods or method in route.methods:
                return prefix + route.path_format
            if partial is None:
                partial = (route, {})
            continue
        try:
            match, child_scope = route.matches(scope)
        except Exception:
            continue
        if match is Match.FULL:
            return _template(route, {**scope, **child_scope}, prefix)
        if match is Match.PARTIAL and partial is None:
            partial = (route, child_scope)
    if partial is not None:
        route, child_scope = partial
        return _template(route, {**scope, **child_scope}, prefix)
    return None


_PLAIN_MATCHERS = {("starlette.routing", "Route.matches"), ("fastapi.routing", "APIRoute.matches")}
_plain_classes: dict[type, bool] = {}


def _plain(cls: type) -> bool:
    """Whether ``cls`` matches as Starlette's ``Route`` does: one regex and a method set.

    FastAPI's ``APIRoute`` only adds what matters inside an included router, which is
    matched through the router's own matcher, never here.
    """
    plain = _plain_classes.get(cls)
    if plain is None:
        matches = getattr(cls, "matches", None)
        key = (getattr(matches, "__module__", None), getattr(matches, "__qualname__", None))
        plain = _plain_classes[cls] = key in _PLAIN_MATCHERS
    return plain


def _template(route: Any, scope: Scope, prefix: str) -> str | None:
    if isinstance(route, Mount):
        mounted = prefix + route.path
        if route.routes:
            return _match(route.routes, scope, mounted)
        return mounted + "/{path}"
    if isinstance(route, Host):
        return _match(route.routes, scope, prefix)
    matcher = getattr(route, "_match", None)
    if matcher is not None:
        return _included(matcher, scope, prefix)
    template = template_of(route)
    return None if template is None else prefix + template


def _included(matcher: Any, scope: Scope, prefix: str) -> str | None:
    """FastAPI's included router (a private matcher): the effective, prefixed template."""
    match, _child, route, context = matcher(dict(scope))
    if match is Match.NONE:
        return None
    if context is not None:
        template = template_of(getattr(context, "starlette_route", None)) or template_of(context)
        return None if template is None else prefix + template
    inner = getattr(route, "_match", None)
    return _included(inner, scope, prefix) if inner is not None else None
