"""The contract is written once: no span name or attribute key literal outside ``conventions/``.

A literal is a string constant in ``src/swarmscope`` (or a string in the console's
JavaScript) that is a declared attribute key, starts with one (``"session.id = ?"``), lies
in a namespace only attributes use (``gen_ai.``, ours ``swarmscope.``...), or starts a span
name (``"invoke_agent "``). The rule is checked on planted literals first, so it cannot pass
by finding nothing.
"""

from __future__ import annotations

import ast
import re
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

import swarmscope
import swarmscope as ss
from swarmscope.conventions import attributes, logfire, openinference, spans, traceloop, vercel_ai
from swarmscope.server.console import SDK_FILE, STATIC
from swarmscope.server.console.conventions_js import OUTPUT, render

SRC = Path(swarmscope.__file__).parent
# Moving out of src/swarmscope into the example package (issue 11); they leave with the move.
MOVING_TO_THE_EXAMPLE = ("instrument/integrations.py", "instrument/recommendations.py")
# Strings that look like ours but are no attribute: the store's default file name.
NOT_ATTRIBUTE_KEYS = frozenset({"swarmscope.duckdb"})

# Other instrumentors' conventions, each mapped onto ours in a module of its own.
FOREIGN = (openinference, traceloop, vercel_ai, logfire)
KEYS = (
    frozenset(attributes.ATTRIBUTES)
    # (a key without a dot, pydantic-ai's agent_name, is a word other code uses too)
    | frozenset(key for module in FOREIGN for key in module.KEYS if "." in key)
    | {
        openinference.OPENINFERENCE_SPAN_KIND,
        openinference.GRAPH_NODE_ID,
        openinference.METADATA,
        traceloop.TRACELOOP_SPAN_KIND,
        vercel_ai.AI_OPERATION_ID,
        attributes.ASGI_SCOPE_REQUEST_ID,
    }
)
# Namespaces that hold nothing but attribute keys: any string in them is a key.
KEY_NAMESPACES = ("gen_ai.", "llm.", "openinference.", "traceloop.", "mcp.", "a2a.")
# swarmscope.<module> is a module or logger name; swarmscope.<anything else> is a key.
MODULES = frozenset(path.stem for path in SRC.iterdir() if not path.name.startswith("_"))
SPAN_PREFIXES = spans.prefixes()
# Operations and prefixes that are no English word: alone they are a literal too ("chat" or
# "handoff" alone are words any message may use).
OPERATION_WORDS = frozenset(word for word in spans.OPERATIONS if "_" in word)
# In the console a span-name prefix alone is one (`name.startsWith("hitl_approval")`); in
# Python the same words are the names of functions (``swarmscope.workflow_node``).
JS_WORDS = OPERATION_WORDS | {
    word for word in (prefix.strip() for prefix in SPAN_PREFIXES) if "_" in word or "/" in word
}
# swarmscope.<word>[.<word>...] not followed by a call's parenthesis (``swarmscope.init()``).
_OURS = re.compile(r"swarmscope\.(\w++)(?:\.\w++)*+(?!\()")


def why_a_literal(text: str, words: frozenset[str] = OPERATION_WORDS) -> str | None:
    """What ``text`` names from the contract (keys, span names, ``words`` alone), or None."""
    if text in NOT_ATTRIBUTE_KEYS:
        return None
    if text in KEYS:
        return "an attribute key"
    if text.startswith(KEY_NAMESPACES):
        return "an attribute key's namespace"
    ours = _OURS.match(text)
    if ours and ours.group(1) not in MODULES:
        return "swarmscope's attribute namespace"
    for key in KEYS:
        if text.startswith(key) and not re.match(r"[\w.]", text[len(key) : len(key) + 1]):
            return f"the attribute key {key}"
    if text.startswith(SPAN_PREFIXES):
        return "a span name"
    if text in words:
        return "a span name's word or an operation"
    return None


def _docstrings(tree: ast.AST) -> set[int]:
    """The ids of constants that are docstrings or bare string statements (prose)."""
    return {
        id(node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
    }


def python_literals(source: str) -> list[tuple[int, str, str]]:
    """(line, text, why) of each string constant in ``source`` that names the contract."""
    tree = ast.parse(source)
    prose = _docstrings(tree)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in prose:
            why = why_a_literal(node.value)
            if why is not None:
                found.append((node.lineno, node.value, why))
    return found


_JS_STRINGS = [re.compile(rf"{quote}((?:\\.|[^{quote}\\\n])*){quote}") for quote in "\"'`"]


def js_literals(source: str) -> list[tuple[int, str, str]]:
    """(line, text, why) of each quoted string in JavaScript ``source`` naming the contract."""
    found = []
    for number, line in enumerate(source.splitlines(), 1):
        if line.lstrip().startswith(("//", "*", "/*")):
            continue
        for pattern in _JS_STRINGS:
            for match in pattern.finditer(line):
                why = why_a_literal(match.group(1), JS_WORDS)
                if why is not None:
                    found.append((number, match.group(1), why))
    return found


def linted_python() -> list[Path]:
    skipped = ("conventions/", *MOVING_TO_THE_EXAMPLE)
    return [
        path
        for path in sorted(SRC.rglob("*.py"))
        if not path.relative_to(SRC).as_posix().startswith(skipped)
    ]


def test_the_rule_finds_planted_literals_and_passes_what_names_nothing():
    planted = '''
"""A docstring may say gen_ai.agent.name and invoke_agent freely."""
span.set_attribute("gen_ai.agent.name", agent)
span.set_attribute("gen_ai.brand_new.key", 1)
name = f"invoke_agent {agent}"
where = "swarmscope.approval.type IS NOT NULL"
other = "swarmscope.something_new"
read = attrs.get("llm.token_count.prompt")
http = {"http.route": route}
bare = "execute_tool"
mcp = f"tools/call {tool}"
fine = ("http.response.start", "swarmscope.server.alerting", "chat", "handoff", "x.y")
'''
    found = {text for _, text, _ in python_literals(planted)}
    assert found == {
        "gen_ai.agent.name",
        "gen_ai.brand_new.key",
        "invoke_agent ",
        "swarmscope.approval.type IS NOT NULL",
        "swarmscope.something_new",
        "llm.token_count.prompt",
        "http.route",
        "execute_tool",
        "tools/call ",
    }
    javascript = """
// a comment may say "gen_ai.operation.name"
if (name.startsWith("hitl_approval")) {}
const link = `#/traces?attribute=${encodeURIComponent("gen_ai.operation.name=chat")}`;
const key = 'swarmscope.approval.type';
const fine = "op-" + kind;
"""
    assert [text for _, text, _ in js_literals(javascript)] == [
        "hitl_approval",
        "gen_ai.operation.name=chat",
        "swarmscope.approval.type",
    ]


def literals_in(
    paths: list[Path], root: Path, finder: Callable[[str], list[tuple[int, str, str]]]
) -> list[str]:
    """One line per literal ``finder`` finds in ``paths``: where it is, what it names."""
    return [
        f"{path.relative_to(root)}:{line}: {text!r} is {why}"
        for path in paths
        for line, text, why in finder(path.read_text(encoding="utf-8"))
    ]


def test_no_span_name_or_attribute_key_literal_in_python_outside_conventions():
    files = linted_python()
    assert len(files) > 60, "the walk found too few modules to mean anything"
    found = literals_in(files, SRC, python_literals)
    assert not found, "take these from swarmscope.conventions:\n" + "\n".join(found)


def test_no_span_name_or_attribute_key_literal_in_the_console_javascript():
    # Generated files: the conventions module, and the browser package's bundle (built from
    # js/browser, whose sources import its own generated catalog).
    generated = (OUTPUT, STATIC / SDK_FILE)
    scripts = [path for path in sorted(STATIC.rglob("*.js")) if path not in generated]
    assert len(scripts) > 5
    found = literals_in(scripts, STATIC, js_literals)
    assert not found, "import these from conventions.js:\n" + "\n".join(found)


def test_the_consoles_conventions_module_is_generated_from_the_current_contract():
    assert OUTPUT.read_text(encoding="utf-8") == render(), (
        "console/static/conventions.js is stale: python -m swarmscope.server.console.conventions_js"
    )


def test_every_declared_name_is_in_the_consoles_module():
    text = render()
    for key in attributes.ATTRIBUTES:
        assert f'"{key}"' in text
    for operation in spans.OPERATIONS:
        assert f'"{operation}"' in text


def test_conventions_imports_only_the_standard_library_and_itself():
    for path in sorted((SRC / "conventions").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                assert top in sys.stdlib_module_names or name.startswith(
                    "swarmscope.conventions"
                ), f"{path.name} imports {name}"


def test_a_key_declared_twice_is_refused():
    with pytest.raises(ValueError, match="declared twice"):
        attributes._key(attributes.GEN_AI_AGENT_NAME, "string", "again")


def _template(name: spans.SpanName) -> re.Pattern[str]:
    """The span names a declared family matches: each ``{subject}`` part is any text."""
    parts = re.split(r"\{\w+\}", f"{name.prefix} {name.subject}".strip())
    return re.compile(".+".join(re.escape(part) for part in parts), re.DOTALL)


# Keys the OpenTelemetry SDK itself writes on exception events.
_SDK_EVENT_KEYS = frozenset({"exception.stacktrace", "exception.escaped"})


def test_every_span_the_sdk_emits_is_declared_with_its_kind_and_keys(telemetry):
    """Each concept once: every span's name and kind, attribute, link and event as declared."""
    with ss.orchestration("plan"), ss.agent_run("planner", session_id="s-1"):
        ss.handoff("planner", "writer", {"task": 1}, reason="draft")
        with ss.agent_run("writer"):
            with ss.tool_call("search"):
                pass
            with ss.llm_call("gpt-4o", provider="openai") as call:
                call.record_usage(10, 5, response_model="gpt-4o-1", finish_reason="stop")
            with ss.mcp_tool("lookup", server="mcp.local"):
                pass
            with ss.a2a_delegation("remote"):
                pass
            with ss.approval("publish", timeout=5, approval_id="a-1") as ap:
                ap.resolve("approved", reason="fine")
            with ss.workflow("review"), ss.workflow_node("review", "check"):
                ss.state_transition("writer", "draft", "review")
                ss.retry("draft", "rate_limit", agent="writer", attempt=1)
            with ss.recovery_attempt(ss.ErrorCategory.AGENT_TIMEOUT, "retry"):
                pass
            with ss.copilotkit_action("publish"), ss.sse_connection("updates") as stream:
                stream.sent("delta")
            with ss.db_query("select", "postgresql"):
                pass
            ss.audit("LOGIN")
            ss.auth_failure("expired")
            ss.rbac_denied("reports", "viewer")
            ss.rate_limit_rejected("client-1")
            ss.guardrail_violation("pii")
            with pytest.raises(KeyError), ss.tool_call("broken"):
                raise KeyError("missing")

    emitted = telemetry.spans()
    assert len(emitted) >= 15
    families = {name: _template(name) for name in spans.SPAN_NAMES.values()}
    for span in emitted:
        kind = span.kind.name.lower()
        assert any(
            name.kind == kind and pattern.fullmatch(span.name) for name, pattern in families.items()
        ), f"span {span.name!r} ({kind}) is not declared in conventions.spans"
        undeclared = set(span.attributes or {}) - KEYS
        assert not undeclared, f"{span.name}: {undeclared} not in conventions.attributes"
        for link in span.links:
            assert set(link.attributes or {}) <= KEYS
            assert (link.attributes or {})[attributes.SWARMSCOPE_LINK] in spans.LINK_REASONS
        for event in span.events:
            assert event.name in spans.SPAN_EVENTS, event.name
            dotted = {key for key in event.attributes or {} if "." in key}
            assert dotted <= KEYS | _SDK_EVENT_KEYS, f"{event.name}: {dotted - KEYS}"
    assert {span.name.split(" ")[0] for span in emitted} >= {
        spans.INVOKE_AGENT,
        spans.EXECUTE_TOOL,
        spans.CHAT,
        spans.HANDOFF,
        spans.MCP_TOOLS_CALL,
        spans.HITL_APPROVAL,
        spans.WORKFLOW_NODE,
        spans.ORCHESTRATE,
        spans.RECOVER,
        spans.SSE,
    }
