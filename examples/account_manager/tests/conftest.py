"""The repository's shared fixtures for the example's tests: swarmscope's own test helpers
(``telemetry``, a live runtime whose spans, log records and log lines a test can read, and
the ``loopback`` server), imported from the product's tests folder rather than copied."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from account_manager.catalog import CATALOG
from swarmscope.app_catalog import AppCatalog, register, unregister

PRODUCT_TESTS = Path(__file__).resolve().parents[3] / "tests"
sys.path.insert(0, str(PRODUCT_TESTS))  # loopback, otlp_requests


def _load_product_conftest():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location(
        "swarmscope_product_conftest", PRODUCT_TESTS / "conftest.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


_product = _load_product_conftest()
telemetry = _product.telemetry


# Importing the catalog registers its families (its rules and panels read them); the product's
# tests share this process and know swarmscope's catalog only, so it is registered for each
# of the example's tests and no longer.
unregister(CATALOG)


@pytest.fixture(autouse=True)
def app_catalog() -> Iterator[AppCatalog]:
    """The account manager's catalog, registered before ``telemetry`` starts swarmscope."""
    register(CATALOG)
    try:
        yield CATALOG
    finally:
        unregister(CATALOG)
