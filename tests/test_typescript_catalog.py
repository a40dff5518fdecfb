"""The JavaScript packages' copies of the catalog are what the Python conventions make now.

Each package (``js/node``, ``js/browser``) commits ``catalog.generated.ts``; when a metric,
event or attribute key changes in ``swarmscope.conventions``, this fails until the copies are
regenerated with ``python -m swarmscope.conventions.typescript``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from swarmscope.conventions import typescript

ROOT = Path(__file__).resolve().parent.parent
COPIES = [copy for copy in typescript.COPIES if (ROOT / copy).exists()]


def test_the_node_package_has_a_copy() -> None:
    assert "js/node/src/catalog.generated.ts" in COPIES


@pytest.mark.parametrize("copy", COPIES)
def test_each_committed_copy_is_what_the_conventions_render(copy: str) -> None:
    committed = (ROOT / copy).read_text(encoding="utf-8")
    assert committed == typescript.render(), (
        f"{copy} is stale: run `python -m swarmscope.conventions.typescript .` from the"
        " repository's root and commit the result"
    )
