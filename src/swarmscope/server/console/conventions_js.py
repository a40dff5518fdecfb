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
from pathlib import Path

from swarmscope.conventions import attributes, spans
from swarmscope.conventions.typescript import constants

OUTPUT = Path(__file__).parent / "static" / "conventions.js"


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
                constants(attributes, attributes.ATTRIBUTES),
                "Attribute keys (conventions/attributes.py).",
            ),
            _object(
                "OPERATIONS",
                constants(spans, spans.OPERATIONS),
                "Values of gen_ai.operation.name (conventions/spans.py).",
            ),
            _object(
                "SPAN_PREFIXES",
                constants(spans, prefixes),
                "The first word of span names: name === `${prefix} ${subject}`.",
            ),
            "// The operations that are LLM calls.\n"
            f"export const LLM_OPERATIONS = Object.freeze({json.dumps(list(spans.LLM_OPERATIONS))});\n",
        ]
    )


if __name__ == "__main__":
    OUTPUT.write_text(render(), encoding="utf-8")
