"""Settings declared field by field: ``setting(...)`` and the loader that reads them.

A field says everything about itself where it is declared: its default, the environment
variables that set it (in order of precedence), how their text is parsed, and the check a
value must pass. ``read_fields`` takes keyword arguments first and the environment second;
``check_fields`` names a field whose value is of the wrong type or fails its check. Both
raise ``ConfigError`` with a message a person can act on. The SDK's ``Settings`` and the
server's ``ServerSettings`` are declared this way; this module imports nothing of
swarmscope but its exceptions, so the server reads its settings without loading the SDK.
"""

from __future__ import annotations

import dataclasses
import os
import typing
from collections.abc import Callable, Mapping
from dataclasses import field
from typing import Any

from swarmscope.exceptions import ConfigError


def setting(
    default: Any = dataclasses.MISSING,
    *,
    env: tuple[str, ...] = (),
    parse: Callable[[str], Any] = str,
    check: Callable[[Any], object] | None = None,
    factory: Callable[[], Any] | None = None,
) -> Any:
    """A settings field with everything about it in one place: its default, the variables
    that set it in order of precedence (``parse`` reads their text), and ``check``, which
    says whether a value of the right type is usable (``ConfigError`` names it if not)."""
    metadata = {"env": env, "parse": parse, "check": check}
    if factory is not None:
        return field(default_factory=factory, metadata=metadata)
    return field(default=default, metadata=metadata)


def read_fields(
    cls: type, env: Mapping[str, str] | None, overrides: Mapping[str, Any]
) -> dict[str, Any]:
    """The values given for ``cls``'s fields: a keyword argument that is not None, else the
    first of the field's variables that is set and not blank. Fields given neither way are
    left out (they keep their defaults)."""
    env = os.environ if env is None else env
    unknown = set(overrides) - {f.name for f in dataclasses.fields(cls)}
    if unknown:
        raise ConfigError(f"unknown setting(s): {', '.join(sorted(unknown))}")
    values: dict[str, Any] = {}
    for spec in dataclasses.fields(cls):
        given = overrides.get(spec.name)
        if given is not None:
            # A list where a tuple is declared is what callers mean: take it.
            values[spec.name] = tuple(given) if isinstance(given, list) else given
            continue
        for variable in spec.metadata.get("env", ()):
            raw = env.get(variable)
            if raw is not None and raw.strip() != "":
                values[spec.name] = _parse(variable, raw.strip(), spec.metadata["parse"])
                break
    return values


def check_fields(settings: object) -> None:
    """``ConfigError`` for the first field whose value has the wrong type or fails its check."""
    hints = typing.get_type_hints(type(settings))
    for spec in dataclasses.fields(settings):  # type: ignore[arg-type]
        value = getattr(settings, spec.name)
        if not _has_type(value, hints[spec.name]):
            raise ConfigError(f"{spec.name}: {value!r} is not a {_type_word(hints[spec.name])}")
        check = spec.metadata.get("check")
        if check is not None and value is not None and not check(value):
            raise ConfigError(f"{spec.name}: {value!r} is not a valid value")


# -- parsers and checks fields share -----------------------------------------------------------


def parse_bool(raw: str) -> bool:
    lowered = raw.lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise ValueError("expected true or false")


def one_of(choices: tuple[str, ...]) -> Callable[[Any], bool]:
    return lambda value: value in choices


def positive(value: float) -> bool:
    return value > 0


def _has_type(value: object, hint: object) -> bool:
    """Whether ``value`` fits a settings field's annotation (a number is no bool; an int
    is a float, as Python's own typing reads it)."""
    if hint is bool:
        return isinstance(value, bool)
    if isinstance(value, bool):
        return False
    if hint is float:
        return isinstance(value, int | float)
    if hint == tuple[str, ...]:
        return isinstance(value, tuple) and all(isinstance(item, str) for item in value)
    if hint == str | None:
        return value is None or isinstance(value, str)
    return isinstance(value, hint) if isinstance(hint, type) else True


def _type_word(hint: object) -> str:
    if hint is float:
        return "number"
    if hint == str | None:
        return "str or None"
    if hint == tuple[str, ...]:
        return "tuple of str"
    return getattr(hint, "__name__", "value")


def _parse(variable: str, raw: str, parse: Callable[[str], Any]) -> Any:
    try:
        return parse(raw)
    except ValueError as exc:
        raise ConfigError(f"{variable}={raw!r}: {exc}") from None
