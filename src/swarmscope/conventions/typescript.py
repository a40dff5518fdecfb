"""The contract for TypeScript: ``catalog.generated.ts``, generated from these modules.

The browser and Node packages (``js/``) emit the same metric families, events, span names
and attribute keys as the Python SDK. They import them from a generated module rather than
declaring them again, so there is one source for both languages; each package commits its
copy, and its test fails when the copy differs from what ``render`` makes of the current
conventions. Regenerate every copy with ``python -m swarmscope.conventions.typescript``.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Collection, Iterable
from pathlib import Path
from types import ModuleType
from typing import Any

from swarmscope.conventions import attributes, catalog, spans

# Where the packages keep their copy, from the repository's root.
COPIES = ("js/node/src/catalog.generated.ts", "js/browser/src/catalog.generated.ts")


def constants(module: ModuleType, values: Collection[str]) -> dict[str, str]:
    """The module's upper-case string constants whose value is in ``values``, each value
    under the first name declared for it (``LINK_HANDOFF`` re-uses ``HANDOFF``'s word)."""
    names: dict[str, str] = {}
    for name, value in vars(module).items():
        if name.isupper() and isinstance(value, str) and value in values:
            names.setdefault(value, name)
    return {name: value for value, name in names.items()}


def _const(name: str, value: Any, comment: str) -> str:
    text = json.dumps(value, indent=2)
    return f"// {comment}\nexport const {name} = {text} as const;\n"


def _metric(spec: catalog.MetricSpec) -> dict[str, Any]:
    found: dict[str, Any] = {
        "name": spec.name,
        "kind": spec.kind,
        "help": spec.help,
        "labels": list(spec.labels),
        "group": spec.group,
    }
    if spec.kind == "histogram":
        found["buckets"] = list(spec.buckets or catalog.DEFAULT_BUCKETS)
    return found


def _by_name(items: Iterable[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {item["name"]: item for item in items}


def render() -> str:
    """The text of ``catalog.generated.ts`` for the current conventions."""
    prefixes = {name.prefix for name in spans.SPAN_NAMES.values() if name.prefix}
    events = (
        {"name": e.name, "level": e.level, "group": e.group, "description": e.description}
        for e in catalog.EVENTS
    )
    return "\n".join(
        [
            "// Generated from swarmscope.conventions by"
            " `python -m swarmscope.conventions.typescript`: do not edit.\n",
            _const(
                "INSTRUMENTATION_SCOPE",
                spans.INSTRUMENTATION_SCOPE,
                "The instrumentation scope (tracer and meter name) of swarmscope's telemetry.",
            ),
            _const(
                "STATUSES",
                {
                    "SUCCESS": catalog.SUCCESS,
                    "FAILURE": catalog.FAILURE,
                    "TIMEOUT": catalog.TIMEOUT,
                },
                "The statuses instrumentation emits, and only these.",
            ),
            _const(
                "METRICS",
                _by_name(_metric(spec) for spec in catalog.METRICS),
                "Every metric family, by name without the namespace (conventions/catalog.py).",
            ),
            _const(
                "EVENTS",
                _by_name(events),
                "Every log event, by name (conventions/catalog.py).",
            ),
            _const(
                "ATTRIBUTES",
                constants(attributes, attributes.ATTRIBUTES),
                "Attribute keys (conventions/attributes.py).",
            ),
            _const(
                "OPERATIONS",
                constants(spans, spans.OPERATIONS),
                "Values of gen_ai.operation.name (conventions/spans.py).",
            ),
            _const(
                "SPAN_PREFIXES",
                constants(spans, prefixes),
                "The first word of span names: name === `${prefix} ${subject}`.",
            ),
            _const(
                "LLM_OPERATIONS",
                list(spans.LLM_OPERATIONS),
                "The operations that are LLM calls.",
            ),
            "export type MetricName = keyof typeof METRICS;\n"
            "export type EventName = keyof typeof EVENTS;\n",
        ]
    )


def write(root: Path) -> list[Path]:
    """Write every package's copy under the repository ``root``; the paths written."""
    text = render()
    written = []
    for copy in COPIES:
        path = root / copy
        if path.parent.is_dir():
            path.write_text(text, encoding="utf-8")
            written.append(path)
    return written


if __name__ == "__main__":
    for path in write(Path(sys.argv[1]) if len(sys.argv) > 1 else Path.cwd()):
        print(path)
