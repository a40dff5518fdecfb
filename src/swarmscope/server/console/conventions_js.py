"""The console's copy of the contract: ``static/conventions.js``, generated from conventions.

The console's views name attribute keys, operations and span-name prefixes (to colour a
span, to link to the traces of a model). They import them from this generated module rather
than from an API response: the names are fixed for a release, so they belong with the other
static files (served under the content digest, cached for good, no request before a view
can draw), and a test fails when the committed file differs from what ``render`` makes of
the current conventions. Regenerate with ``python -m swarmscope.server.console.conventions_js``.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from pathlib import Path
from types import ModuleType

from swarmscope.conventions import attributes, spans

OUTPUT = Path(__file__).parent / "static" / "conventions.js"


def _constants(module: ModuleType, values: Collection[str]) -> dict[str, str]:
    """The module's upper-case string constants whose value is in ``values``, each value
    under the first name declared for it (``LINK_HANDOFF`` re-uses ``HANDOFF``'s word)."""
    names: dict[str, str] = {}
    for name, value in vars(module).items():
        if name.isupper() and isinstance(value, str) and value in values:
            names.setdefault(value, name)
    return {name: value for value, name in names.items()}


def _object(name: str, entries: dict[str, str], comment: str) -> str:
    lines = "".join(f"  {key}: {json.dumps(value)},\n" for key, value in entries.items())
    return f"// {comment}\nexport const {name} = Object.freeze({{\n{lines}}});\n"


def render() -> str:
    """The text of ``conventions.js`` for the current conventions."""
    prefixes = {name.prefix for name in spans.SPAN_NAMES.values() if name.prefix}
    return "\n".join(
        [
            "// Generated from swarmscope.conventions by"
            " `python -m swarmscope.server.console.conventions_js`: do not edit.\n",
            _object(
                "ATTRIBUTES",
                _constants(attributes, attributes.ATTRIBUTES),
                "Attribute keys (conventions/attributes.py).",
            ),
            _object(
                "OPERATIONS",
                _constants(spans, spans.OPERATIONS),
                "Values of gen_ai.operation.name (conventions/spans.py).",
            ),
            _object(
                "SPAN_PREFIXES",
                _constants(spans, prefixes),
                "The first word of span names: name === `${prefix} ${subject}`.",
            ),
            "// The operations that are LLM calls.\n"
            f"export const LLM_OPERATIONS = Object.freeze({json.dumps(list(spans.LLM_OPERATIONS))});\n",
        ]
    )


if __name__ == "__main__":
    OUTPUT.write_text(render(), encoding="utf-8")
