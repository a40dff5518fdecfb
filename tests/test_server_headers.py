"""Every answer of the server carries the security headers: console, API, OTLP and errors.

What they are for is checked in a browser (``test_server_console.py``: the console and the
API docs work under the policy); here, that no kind of answer goes out without them, and
that the docs page's policy allows its one inline script and nothing else.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from loopback import serve
from swarmscope.server.app import create_app
from swarmscope.server.docs import swagger_ui_dir
from swarmscope.server.headers import script_hash
from swarmscope.server.settings import ServerSettings
from swarmscope.server.store.database import Store

KEY = "headers-test-key"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    store = Store(tmp_path / "store.duckdb")
    yield store
    store.close()


def directives(answer: httpx.Response) -> dict[str, str]:
    policy = answer.headers["content-security-policy"]
    return {
        name: value.strip()
        for name, _, value in (item.strip().partition(" ") for item in policy.split(";"))
    }


def assert_protected(answer: httpx.Response) -> dict[str, str]:
    """The headers every answer has; returns its policy's directives."""
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert answer.headers["x-frame-options"] == "DENY"
    assert answer.headers["referrer-policy"] == "no-referrer"
    policy = directives(answer)
    assert policy["default-src"] == "'self'"
    assert policy["connect-src"] == "'self'"
    assert policy["img-src"] == "'self' data:"
    assert policy["object-src"] == "'none'"
    assert policy["base-uri"] == "'none'"
    assert policy["frame-ancestors"] == "'none'"
    assert "'unsafe" not in policy["script-src"]
    return policy


def test_every_kind_of_answer_carries_the_headers(store: Store, monkeypatch: pytest.MonkeyPatch):
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("store failure")

    with serve(create_app(store)) as url, httpx.Client(base_url=url, timeout=30) as client:
        page = client.get("/")
        assert page.status_code == 200
        policy = assert_protected(page)
        assert policy["script-src"] == "'self'"
        # Style files only: the charts (uPlot) set their styles through the DOM.
        assert policy["style-src"] == "'self'"
        script = re.search(r'src="([^"]+/app\.js)"', page.text)
        assert script is not None
        assert_protected(client.get(script[1]))

        answers = {
            "API": client.get("/api/overview"),
            "OpenAPI document": client.get("/openapi.json"),
            "OTLP": client.post(
                "/v1/traces", content=b"{}", headers={"content-type": "application/json"}
            ),
            "OTLP refused": client.post(
                "/v1/traces", content=b"x", headers={"content-type": "text/plain"}
            ),
            "bad parameter": client.get("/api/overview", params={"start": "yesterday-ish"}),
            "unknown path": client.get("/api/nothing-here"),
        }
        monkeypatch.setattr(store, "rows", broken)
        answers["internal error"] = client.get("/api/overview")

    assert {name: answer.status_code for name, answer in answers.items()} == {
        "API": 200,
        "OpenAPI document": 200,
        "OTLP": 200,
        "OTLP refused": 415,
        "bad parameter": 400,
        "unknown path": 404,
        "internal error": 500,
    }
    for answer in answers.values():
        assert assert_protected(answer)["style-src"] == "'self'"


def test_a_refused_key_is_answered_with_the_headers(store: Store):
    with serve(create_app(store, ServerSettings(api_key=KEY))) as url:
        refused = httpx.get(f"{url}/api/overview")
        allowed = httpx.get(f"{url}/api/overview", headers={"x-api-key": KEY})
    assert refused.status_code == 401 and allowed.status_code == 200
    assert_protected(refused)
    assert_protected(allowed)


def test_the_docs_page_allows_its_own_inline_script_and_serves_swagger_ui_itself(store: Store):
    with serve(create_app(store)) as url, httpx.Client(base_url=url, timeout=30) as client:
        docs = client.get("/api/docs")
        assert docs.status_code == 200
        policy = assert_protected(docs)
        assert policy["style-src"] == "'self'"
        inline = re.findall(r"<script>(.*?)</script>", docs.text, re.DOTALL)
        assert len(inline) == 1 and "SwaggerUIBundle(" in inline[0]
        assert policy["script-src"] == f"'self' '{script_hash(inline[0])}'"

        # Every file the page names is this server's, and is Swagger UI's own copy.
        files = re.findall(r'(?:src|href)="([^"]+)"', docs.text)
        assert {Path(file).name for file in files} == {
            "swagger-ui-bundle.js",
            "swagger-ui.css",
            "favicon.png",
        }
        for file in files:
            assert file.startswith("/static/vendor/")
            answer = client.get(file)
            assert answer.status_code == 200
            assert "immutable" in answer.headers["cache-control"]
            assert answer.content == (swagger_ui_dir() / Path(file).name).read_bytes()
            assert_protected(answer)
