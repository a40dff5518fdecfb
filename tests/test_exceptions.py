"""Every exception swarmscope raises on purpose is a SwarmscopeError, found in one module and
still importable where it is raised, and still the built-in its callers catch."""

from __future__ import annotations

import importlib
import inspect
from pathlib import Path

import pytest

import swarmscope as ss
from swarmscope import exceptions

RAISED_IN = {
    "swarmscope.config": ["ConfigError"],
    "swarmscope.instrument.integrations": ["CircuitOpenError"],
    "swarmscope.stack.local": ["StackError"],
    "swarmscope.debug.client": ["CommandError", "NotFound"],
    "swarmscope.server.store.database": ["StoreError", "StoreFull"],
    "swarmscope.server.intake.otlp": ["BadPayload", "UnsupportedMediaType", "TooLarge"],
    "swarmscope.server.intake.queue": ["Full", "NeverFits"],
    "swarmscope.server.intake.decoding": ["WorkerLost"],
    "swarmscope.api_words": ["BadParameter"],
    "swarmscope.definitions.templates": ["Unsupported"],
    "swarmscope.server.intake.span_fields": ["TimeOutOfRange"],
}


def declared() -> list[type[BaseException]]:
    return [
        value
        for value in vars(exceptions).values()
        if inspect.isclass(value) and issubclass(value, BaseException)
    ]


def test_every_declared_exception_is_a_swarmscope_error():
    assert all(issubclass(error, ss.SwarmscopeError) for error in declared())


@pytest.mark.parametrize(("module", "names"), RAISED_IN.items())
def test_the_modules_that_raise_them_give_the_same_classes(module, names):
    loaded = importlib.import_module(module)
    for name in names:
        assert getattr(loaded, name) is getattr(exceptions, name)


def test_no_other_module_declares_an_exception_of_its_own():
    package = importlib.import_module("swarmscope")
    root = inspect.getfile(package).rsplit("/", 1)[0]
    offenders = []
    for path in Path(root).rglob("*.py"):
        if path.name == "exceptions.py":
            continue
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if line.startswith("class ") and ("Error(" in line or "Exception)" in line):
                offenders.append(f"{path.relative_to(root)}:{number}: {line}")
    assert offenders == []


def test_callers_catching_the_builtins_still_catch_them():
    with pytest.raises(ValueError):
        ss.Settings.load(env={}, namespace="not a name")
    assert issubclass(ss.CircuitOpenError, RuntimeError)
    assert issubclass(exceptions.BadParameter, ValueError)
