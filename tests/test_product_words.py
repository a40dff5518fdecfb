"""The product speaks its users' language: no customer's name, and no word about where a
requirement came from (a plan, a seed), in any file of src/swarmscope: code, docstrings,
comments, dashboard titles and descriptions, the console's files. A customer's own
vocabulary lives in its app (examples/account_manager declares it as an app catalog)."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import swarmscope
from swarmscope.conventions.catalog import MetricSpec

SRC = Path(swarmscope.__file__).parent
# Whole words, where an underscore also separates words (``sergas_agent_sessions_total``).
FORBIDDEN = re.compile(
    r"(?<![a-z0-9])(zoho|cognee|sergas|seeds?|plans? ?\d+|(?:first|second|seed|the) plan'?s?)"
    r"(?![a-z0-9])",
    re.IGNORECASE,
)
TEXT = {".py", ".pyi", ".pyx", ".js", ".html", ".css", ".md", ".json", ".txt"}


def test_no_customer_or_requirement_words_in_the_product():
    found = [
        f"{path.relative_to(SRC.parent)}:{number}: {match.group(0)!r} in {line.strip()[:90]}"
        for path in sorted(SRC.rglob("*"))
        if path.suffix in TEXT and path.is_file()
        for number, line in enumerate(path.read_text(errors="replace").splitlines(), 1)
        for match in FORBIDDEN.finditer(line)
    ]
    assert found == [], "\n".join(found)


def test_the_pattern_catches_what_it_is_for():
    caught = ["Zoho API calls", "the SEED plans", "(plan 1)", "plan1", "Plans 2 and 5", "sergas_x"]
    assert all(FORBIDDEN.search(text) for text in caught)
    kept = ["the relation API plans no query", "seeded generator", "planned", "rate_limit_hit"]
    assert not any(FORBIDDEN.search(text) for text in kept)


def test_a_metric_family_says_what_it_is_not_where_it_came_from():
    assert "source" not in {field.name for field in dataclasses.fields(MetricSpec)}
