"""The debugging commands' view of the server: its HTTP API, and errors as one line each.

The commands run where the on-call engineer is, which is often not where the server is, so
they read the API (as the console does) rather than the DuckDB file. Whatever goes wrong on
the way (nothing listening, a timeout, a key missing, a proxy answering HTML) becomes a
``CommandError`` whose message fits on one line; the commands print it and exit.

httpx is imported when a client is made, not with this module: every debugging command's
module imports this one, and its ``--help`` should not wait for an HTTP stack it never uses.
"""

from __future__ import annotations

import os
from types import TracebackType
from typing import TYPE_CHECKING, Any

from swarmscope.exceptions import CommandError, NotFound

if TYPE_CHECKING:
    import httpx

DEFAULT_SERVER = "http://127.0.0.1:4318"
USAGE = 2  # the exit code of a usage error, as Typer's own


def reason(error: BaseException) -> str:
    """A short text for a transport error (httpx's own messages can be empty)."""
    text = str(error).strip().splitlines()
    return text[-1] if text else type(error).__name__


class Api:
    """A client of one swarmscope server, sending ``SWARMSCOPE_API_KEY`` when it is set."""

    def __init__(self, base_url: str, timeout: float = 15.0) -> None:
        if not base_url.startswith(("http://", "https://")):
            raise CommandError(f"--server {base_url!r} is not an http(s) URL", USAGE)
        self.base_url = base_url.rstrip("/")
        key = os.environ.get("SWARMSCOPE_API_KEY")
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        import httpx

        self._http = httpx.Client(base_url=self.base_url, headers=headers, timeout=timeout)

    def __enter__(self) -> Api:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._http.close()

    def get(self, path: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        """The JSON answer of ``GET path``; parameters that are None are left out."""
        import httpx

        query = {key: value for key, value in (params or {}).items() if value is not None}
        try:
            response = self._http.get(path, params=query)
        except httpx.TimeoutException:
            raise CommandError(
                f"the swarmscope server at {self.base_url} did not answer in time"
            ) from None
        except httpx.HTTPError as error:
            raise CommandError(
                f"cannot reach the swarmscope server at {self.base_url} ({reason(error)}); "
                "start one with `swarmscope serve` or pass --server URL"
            ) from None
        return self._answer(response)

    def _answer(self, response: httpx.Response) -> dict[str, Any]:
        try:
            body = response.json()
        except ValueError:
            body = None
        message = body.get("error") if isinstance(body, dict) else None
        if response.status_code == 401:
            raise CommandError(
                f"the server at {self.base_url} wants an API key: set SWARMSCOPE_API_KEY"
            )
        if response.status_code == 404 and message:
            raise NotFound(str(message))
        if response.status_code == 400 and message:
            raise CommandError(str(message), USAGE)
        if response.status_code >= 400:
            detail = message or response.reason_phrase
            raise CommandError(f"the server answered {response.status_code}: {detail}")
        if not isinstance(body, dict):
            raise CommandError(f"{self.base_url} did not answer like a swarmscope server")
        return body
