"""The repository's shared fixtures for the example's tests: swarmscope's own test helpers
(``telemetry``, a live runtime whose spans, log records and log lines a test can read, and
the ``loopback`` server), imported from the product's tests folder rather than copied."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

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
