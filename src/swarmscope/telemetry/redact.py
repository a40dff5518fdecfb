"""Scrubbing of secrets and personal data before a log field or span attribute leaves the process.

Two rules (``secrets``): a field whose *name* says it holds a secret (``password``,
``apiToken``, ``X-Api-Key``...) is replaced whole; any string is searched for values shaped
like secrets or PII (bearer tokens, provider API keys, private keys, passwords in URLs and
forms, e-mail addresses, card numbers that pass the Luhn check, and the patterns the user
configured) and those parts are replaced.

Scrubbing runs in the app's thread for what the app hands to an instrumented call, so its
cost is bounded per value: a string is searched in linear time, and only its first
``MAX_TEXT_CHARS`` characters are kept (a marker says how many were cut). A 10 MB attribute
costs the caller what a 64 KiB one does.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from swarmscope.telemetry.secrets import REDACTED, scrubber, secret_name

__all__ = ["MAX_TEXT_CHARS", "REDACTED", "Redactor", "bounded"]

# As much as the replay recorder keeps of a request body: anything longer is cut.
MAX_TEXT_CHARS = 64 * 1024
_MEMO_SIZE = 4096
_MEMO_MAX_LENGTH = 64


def bounded(text: str) -> str:
    """``text`` if it has at most ``MAX_TEXT_CHARS`` characters, else its start and a marker
    saying how many were cut, ``MAX_TEXT_CHARS`` in all (so bounding twice changes nothing)."""
    if len(text) <= MAX_TEXT_CHARS:
        return text
    marker = f"...[{len(text)} characters, cut]"
    return text[: MAX_TEXT_CHARS - len(marker)] + marker


class Redactor:
    """Scrubs strings, and the strings inside dicts, lists and tuples, in place of copies."""

    def __init__(self, extra_patterns: Iterable[str] = ()) -> None:
        """``extra_patterns`` are RE2 expressions (``ValueError`` names one RE2 refuses),
        each applied on its own, so its groups and flags mean what the user wrote."""
        self._scrub = scrubber(tuple(extra_patterns))
        self._memo: dict[str, str] = {}
        self._keys: dict[str, bool] = {}

    def secret_key(self, key: str) -> bool:
        """Whether a field of this name holds a secret (remembered: field names are few)."""
        verdict = self._keys.get(key)
        if verdict is None:
            verdict = secret_name(key)
            if len(key) <= _MEMO_MAX_LENGTH:
                if len(self._keys) >= _MEMO_SIZE:
                    self._keys.clear()
                self._keys[key] = verdict
        return verdict

    def text(self, value: str) -> str:
        """``value`` scrubbed and cut to ``MAX_TEXT_CHARS``."""
        if len(value) > _MEMO_MAX_LENGTH:
            return self._scrub(bounded(value))
        # Short strings (names, ids, statuses) repeat endlessly: remember their verdict.
        known = self._memo.get(value)
        if known is None:
            known = self._scrub(value)
            if len(self._memo) >= _MEMO_SIZE:
                self._memo.clear()
            self._memo[value] = known
        return known

    def value(self, value: Any, key: str | None = None) -> Any:
        """A scrubbed copy of ``value``; ``key`` is the field name it is stored under."""
        if key is not None and value not in (None, "") and self.secret_key(key):
            return REDACTED
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, dict):
            return {k: self.value(v, str(k)) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return type(value)(self.value(v) for v in value)
        return value

    def fields(
        self, fields: Mapping[str, Any], keep: frozenset[str] = frozenset()
    ) -> dict[str, Any]:
        """A scrubbed copy of a log event or attribute map; fields named in ``keep`` are left.

        Runs for every exported log line: a known harmless name holding a number, a flag or
        a string already seen clean is copied without a call to ``field``.
        """
        keys, memo = self._keys, self._memo
        clean = dict(fields)
        for key, value in fields.items():
            if key in keep:
                continue
            kind = type(value)
            if keys.get(key) is False and (
                kind is bool
                or kind is float
                or (kind is str and len(value) <= _MEMO_MAX_LENGTH and memo.get(value) == value)
            ):
                continue
            scrubbed = self.field(key, value)
            if scrubbed is not value:
                clean[key] = scrubbed
        return clean

    def field(self, key: str, value: Any) -> Any:
        """One field, scrubbed; returns ``value`` itself when nothing needed scrubbing.

        This runs for every field of every exported log line and span, so the common cases
        (numbers, names and strings seen before) are decided with dict lookups only.
        """
        secret = self._keys.get(key)
        if secret is None:
            secret = self.secret_key(key)
        if secret:
            return REDACTED if value not in (None, "") else value
        kind = type(value)
        if kind is str:
            known = self._memo.get(value) if len(value) <= _MEMO_MAX_LENGTH else None
            if known is None:
                known = self.text(value)
            return value if known == value else known
        if kind is int and value > 999_999_999_999:
            # A card number passed as a number.
            return REDACTED if self.text(str(value)) != str(value) else value
        if kind is bool or kind is int or kind is float or value is None:
            return value
        scrubbed = self.value(value)
        return value if scrubbed == value else scrubbed

    def needs_scrubbing(self, fields: Mapping[str, Any]) -> bool:
        """Whether any field of ``fields`` would change; cheap for clean maps.

        Runs for every exported span: a known harmless name holding a string already seen
        clean is passed over with two dict lookups, anything else goes through ``field``.
        """
        keys, memo = self._keys, self._memo
        for key, value in fields.items():
            if (
                keys.get(key) is False
                and type(value) is str
                and len(value) <= _MEMO_MAX_LENGTH
                and memo.get(value) == value
            ):
                continue
            if self.field(key, value) is not value:
                return True
        return False
