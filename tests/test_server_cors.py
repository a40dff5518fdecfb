"""CORS: a web page of another origin may send OTLP and read answers only when its origin is
listed (``--cors-origins``, ``SWARMSCOPE_CORS_ORIGINS``); by default none is, loopback
included. Checked header by header over HTTP, then in Chromium from a page served on
another loopback port."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser
from starlette.applications import Starlette
from starlette.responses import HTMLResponse
from starlette.routing import Route

from loopback import serve, serve_command
from otlp_requests import PROTOBUF, span_request
from swarmscope.exceptions import ConfigError
from swarmscope.server.app import create_app
from swarmscope.server.settings import ServerSettings
from swarmscope.server.store.database import Store
from test_server_console import browser

__all__ = ["browser"]  # the Chromium fixture, shared with the console's tests

PAGE = "http://localhost:5173"
KEY = "cors-test-key"
PREFLIGHT = {
    "origin": PAGE,
    "access-control-request-method": "POST",
    "access-control-request-headers": "authorization,content-type",
}


@contextmanager
def server(tmp_path: Path, **settings: object) -> Iterator[tuple[str, Store]]:
    store = Store(tmp_path / "store.duckdb")
    try:
        with serve(create_app(store, ServerSettings(**settings))) as url:  # type: ignore[arg-type]
            yield url, store
    finally:
        store.close()


def cors_headers(answer: httpx.Response) -> dict[str, str]:
    return {name: value for name, value in answer.headers.items() if name.startswith("access-")}


def test_an_allowed_origin_gets_its_preflight_and_readable_answers(tmp_path: Path):
    with server(tmp_path, cors_origins=(PAGE,), api_key=KEY) as (url, store):
        # A preflight carries no key: the browser sends it before the request it asks about.
        preflight = httpx.options(f"{url}/v1/traces", headers=PREFLIGHT)
        sent = httpx.post(
            f"{url}/v1/traces",
            content=span_request(0, 1, "page"),
            headers={**PROTOBUF, "origin": PAGE, "authorization": f"Bearer {KEY}"},
        )
        unkeyed = httpx.get(f"{url}/api/traces", headers={"origin": PAGE})
        stored = store.rows("SELECT count(*) AS n FROM spans")
    assert preflight.status_code == 204
    assert preflight.headers["access-control-allow-origin"] == PAGE
    assert "POST" in preflight.headers["access-control-allow-methods"]
    allowed_headers = preflight.headers["access-control-allow-headers"].split(", ")
    assert {"authorization", "content-type"} <= set(allowed_headers)
    assert int(preflight.headers["access-control-max-age"]) > 0
    assert "access-control-allow-credentials" not in preflight.headers
    assert "origin" in preflight.headers["vary"].lower()
    # The security headers stay on every answer, the preflight's too.
    assert preflight.headers["x-content-type-options"] == "nosniff"
    assert "frame-ancestors 'none'" in preflight.headers["content-security-policy"]
    assert sent.status_code == 200 and stored == [{"n": 1}]
    assert sent.headers["access-control-allow-origin"] == PAGE
    assert sent.headers["access-control-expose-headers"] == "retry-after"
    # A 401 is readable by the page too, so it can say why.
    assert unkeyed.status_code == 401 and unkeyed.headers["access-control-allow-origin"] == PAGE


def test_an_origin_not_listed_gets_no_cors_header(tmp_path: Path):
    with server(tmp_path, cors_origins=(PAGE,)) as (url, _):
        other = {**PREFLIGHT, "origin": "http://localhost:5174"}
        preflight = httpx.options(f"{url}/v1/traces", headers=other)
        sent = httpx.post(
            f"{url}/v1/traces",
            content=span_request(0, 1, "page"),
            headers={**PROTOBUF, "origin": other["origin"]},
        )
    assert preflight.status_code == 405 and cors_headers(preflight) == {}
    # The request itself is answered (a program may send an Origin); its browser hides it.
    assert sent.status_code == 200 and cors_headers(sent) == {}
    # A cache keeps answers apart by origin: this one must not reach an allowed page.
    assert sent.headers["vary"].lower() == "origin"


def test_by_default_no_origin_is_allowed_loopback_included(tmp_path: Path):
    with server(tmp_path) as (url, _):
        for origin in (PAGE, "http://127.0.0.1:8080", "https://example.org"):
            preflight = httpx.options(f"{url}/v1/traces", headers={**PREFLIGHT, "origin": origin})
            assert preflight.status_code == 405 and cors_headers(preflight) == {}


def test_any_origin_with_a_star(tmp_path: Path):
    with server(tmp_path, cors_origins=("*",)) as (url, _):
        preflight = httpx.options(
            f"{url}/v1/logs", headers={**PREFLIGHT, "origin": "https://example.org"}
        )
        listing = httpx.get(f"{url}/api/traces", headers={"origin": "https://example.org"})
    assert preflight.status_code == 204
    assert preflight.headers["access-control-allow-origin"] == "*"
    assert listing.status_code == 200 and listing.headers["access-control-allow-origin"] == "*"


def test_origins_are_read_from_the_environment_and_checked():
    settings = ServerSettings.load(
        env={"SWARMSCOPE_CORS_ORIGINS": "http://localhost:5173/, https://app.example.org"}
    )
    assert settings.cors_origins == ("http://localhost:5173", "https://app.example.org")
    with pytest.raises(ConfigError, match=r"SWARMSCOPE_CORS_ORIGINS=.*scheme://host"):
        ServerSettings.load(env={"SWARMSCOPE_CORS_ORIGINS": "localhost:5173"})
    with pytest.raises(ConfigError, match="cors_origins"):
        ServerSettings(cors_origins=("http://localhost:5173/path",))


def test_serve_refuses_a_bad_origin_with_a_message(tmp_path: Path):
    command = serve_command(tmp_path, "--cors-origins", "http://ok:1,ftp//bad")
    result = subprocess.run(
        command,
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
        env={**os.environ},
    )
    assert result.returncode == 2
    assert "--cors-origins" in result.stderr and "ftp//bad" in result.stderr
    assert "Traceback" not in result.stderr


# -- in a browser -----------------------------------------------------------------------------

SEND = """
async ([url, key, body]) => {
  const headers = {"content-type": "application/json"};
  if (key) headers["authorization"] = `Bearer ${key}`;
  try {
    const answer = await fetch(url, {method: "POST", headers, body});
    return {status: answer.status, body: await answer.text()};
  } catch (error) {
    return {error: String(error)};
  }
}
"""


@pytest.fixture(scope="module")
def page_origin() -> Iterator[str]:
    """A static page on a loopback port of its own: another origin than the server's."""

    async def page(request: object) -> HTMLResponse:
        return HTMLResponse("<!doctype html><title>front end</title><p>a front end</p>")

    with serve(Starlette(routes=[Route("/", page)])) as url:
        yield url


def otlp_json_trace(trace_id: str) -> str:
    span = {
        "traceId": trace_id,
        "spanId": "eee19b7ec3c1b174",
        "name": "checkout clicked",
        "kind": 1,
        "startTimeUnixNano": "1700000000000000000",
        "endTimeUnixNano": "1700000000250000000",
    }
    resource = {"attributes": [{"key": "service.name", "value": {"stringValue": "web-page"}}]}
    return json.dumps(
        {"resourceSpans": [{"resource": resource, "scopeSpans": [{"spans": [span]}]}]}
    )


def send_from_page(browser: Browser, page_url: str, url: str, key: str | None, body: str) -> dict:
    page = browser.new_page()
    try:
        page.goto(page_url)
        return dict(page.evaluate(SEND, [f"{url}/v1/traces", key, body]))
    finally:
        page.close()


def test_a_page_of_a_listed_origin_sends_a_trace_with_fetch(
    browser: Browser, page_origin: str, tmp_path: Path
):
    trace_id = "5b8efff798038103d269b633813fc60c"
    with server(tmp_path, cors_origins=(page_origin,), api_key=KEY) as (url, _):
        assert url != page_origin
        answer = send_from_page(browser, page_origin, url, KEY, otlp_json_trace(trace_id))
        unkeyed = send_from_page(browser, page_origin, url, None, otlp_json_trace(trace_id))
        stored = httpx.get(
            f"{url}/api/traces/{trace_id}", headers={"authorization": f"Bearer {KEY}"}
        ).json()
    assert answer == {"status": 200, "body": "{}"}
    assert unkeyed["status"] == 401 and "API key" in unkeyed["body"]
    [span] = stored["tree"]
    assert span["name"] == "checkout clicked" and span["service"] == "web-page"


def test_a_page_of_an_origin_not_listed_cannot_send(
    browser: Browser, page_origin: str, tmp_path: Path
):
    trace_id = "6c9f000798038103d269b633813fc60c"
    with server(tmp_path) as (url, store):
        answer = send_from_page(browser, page_origin, url, None, otlp_json_trace(trace_id))
        stored = store.rows("SELECT count(*) AS n FROM spans")
    # The preflight gets no CORS header, so the browser never sends the request.
    assert "Failed to fetch" in answer.get("error", ""), answer
    assert stored == [{"n": 0}]
