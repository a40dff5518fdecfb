"""Scrubbing of secrets and personal data before a log field or span attribute leaves the process.

Two rules: a field whose *name* says it holds a secret (``password``, ``api_key``,
``authorization``...) is replaced whole; any string is searched for values that look like
secrets or PII (bearer tokens, provider API keys, JWTs, e-mail addresses, card numbers that
pass the Luhn check, and the patterns the user configured) and those parts are replaced.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

REDACTED = "[REDACTED]"

# A field name holds a secret when one of these words is a whole part of it (parts are split
# by '_', '-', '.' or case), so "api_key" and "X-Api-Key" match and "paid_tokens" does not.
SECRET_KEY = re.compile(
    r"(?i)(?:^|[_.\-])(?:passw(?:or)?d|passwd|pwd|secret|api[_-]?key|apikey|access[_-]?key"
    r"|private[_-]?key|authorization|auth[_-]?token|access[_-]?token|refresh[_-]?token"
    r"|id[_-]?token|session[_-]?token|token|cookie|set[_-]cookie|credentials?"
    r"|client[_-]?secret)(?:$|[_.\-])"
)

_BUILTIN_VALUE_PATTERNS = (
    r"(?i:\bbearer\s+[A-Za-z0-9\-._~+/]+=*)",
    r"(?i:\bbasic\s+[A-Za-z0-9+/]{8,}=*)",
    r"\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]+",  # JWT
    r"\b(sk|pk|rk)-(proj-|ant-|live-|test-)?[A-Za-z0-9_-]{16,}",  # OpenAI, Anthropic, Stripe
    r"\b(AKIA|ASIA)[0-9A-Z]{16}\b",  # AWS access key id
    r"\bgh[pousr]_[A-Za-z0-9]{30,}\b",  # GitHub tokens
    r"\bxox[abposr]-[A-Za-z0-9-]{10,}",  # Slack tokens
    r"(?i:\b(api[_-]?key|token|secret|password|passwd|pwd)\s*[=:]\s*[^\s&,;\"']+)",
    r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}",  # e-mail
)
_MEMO_SIZE = 4096
_MEMO_MAX_LENGTH = 64
_CARD = re.compile(r"\b(?:\d[ -]?){12,18}\d\b")


def _luhn(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        number = ord(char) - 48
        if index % 2 == 1:
            number *= 2
            if number > 9:
                number -= 9
        total += number
    return total % 10 == 0


def _card(match: re.Match[str]) -> str:
    digits = re.sub(r"[ -]", "", match.group(0))
    return REDACTED if 13 <= len(digits) <= 19 and _luhn(digits) else match.group(0)


class Redactor:
    """Scrubs strings, and the strings inside dicts, lists and tuples, in place of copies."""

    def __init__(self, extra_patterns: Iterable[str] = ()) -> None:
        # The built-in patterns share one regex (one scan per string); the user's are kept
        # apart, so their groups, flags and backreferences mean what the user wrote.
        self._values = re.compile("|".join(f"(?:{p})" for p in _BUILTIN_VALUE_PATTERNS))
        self._extra = [re.compile(pattern) for pattern in extra_patterns]
        self._memo: dict[str, str] = {}
        self._keys: dict[str, bool] = {}

    def secret_key(self, key: str) -> bool:
        """Whether a field of this name holds a secret (remembered: field names are few)."""
        verdict = self._keys.get(key)
        if verdict is None:
            verdict = SECRET_KEY.search(key) is not None
            if len(self._keys) >= _MEMO_SIZE:
                self._keys.clear()
            self._keys[key] = verdict
        return verdict

    def text(self, value: str) -> str:
        # Short strings (names, ids, statuses) repeat endlessly: remember their verdict.
        if len(value) <= _MEMO_MAX_LENGTH:
            known = self._memo.get(value)
            if known is not None:
                return known
        clean = value
        if self._values.search(clean) is not None:
            clean = self._values.sub(REDACTED, clean)
        if _CARD.search(clean) is not None:
            clean = _CARD.sub(_card, clean)
        for pattern in self._extra:
            clean = pattern.sub(REDACTED, clean)
        if len(value) <= _MEMO_MAX_LENGTH:
            if len(self._memo) >= _MEMO_SIZE:
                self._memo.clear()
            self._memo[value] = clean
        return clean

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
        """A scrubbed copy of a log event or attribute map; fields named in ``keep`` are left."""
        clean = dict(fields)
        for key, value in fields.items():
            if key in keep:
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
            known = self._memo.get(value)
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
            if keys.get(key) is False and type(value) is str and memo.get(value) == value:
                continue
            if self.field(key, value) is not value:
                return True
        return False
