"""What a secret looks like: by the name of the field that holds it, or by its own shape.

Both rules run in the app's thread on data the app did not vet (request bodies, exception
messages, LLM prompts), so every pattern here is an RE2 expression: RE2 matches in time
linear in the text, where a backtracking engine can take minutes on one long string. The
only Python that runs per match decides what a match means (is ``tokens=5`` a secret?
does a run of digits pass the Luhn check?); a clean string costs one RE2 search.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache

import re2

REDACTED = "[REDACTED]"


def compile_pattern(pattern: str) -> re2._Regexp:
    """An RE2 expression; ``ValueError`` says why RE2 refuses it (lookaround and
    backreferences have no linear-time match, so RE2 has neither)."""
    options = re2.Options()
    options.log_errors = False  # the reason goes into the exception, not to stderr
    try:
        return re2.compile(pattern, options)
    except re2.error as problem:
        reason = problem.args[0] if problem.args else problem
        text = reason.decode(errors="replace") if isinstance(reason, bytes) else str(reason)
        raise ValueError(text) from None


# -- names ---------------------------------------------------------------------------------
# A key is split into lower-case words at separators, digits and case changes, so that
# "userPassword", "X-Api-Key", "aws_secret_access_key" and "APIKey" are read alike.
_WORD = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")
_MAX_NAME = 256  # a longer "name" is data, not a field name: only its start is read

# Words that hold a secret wherever they appear, even glued to others ("dbpassword").
_SECRET_STEMS = (
    "password",
    "passwd",
    "passphrase",
    "secret",
    "credential",
    "authorization",
    "cookie",
    "apikey",
    "privatekey",
    "accesskey",
    "jwt",
)
_SECRET_WORDS = frozenset({"pwd", "sig", "signature"})
# "key" is a secret only as one of these kinds of key ("cache_key" is not).
_SECRET_KEY_KINDS = frozenset(
    {"api", "access", "private", "secret", "signing", "encryption", "master", "account"}
    | {"client", "auth", "subscription", "license", "ssh", "session"}
)
# "token" is a secret unless it counts or classifies tokens ("gen_ai.token.type",
# "llm.token_count.prompt", "max_tokens" are LLM usage, not credentials).
_TOKEN_MEASURES = frozenset(
    {"count", "counts", "type", "types", "usage", "limit", "limits", "estimate", "budget"}
    | {"length", "index", "ids", "cost", "price", "rate"}
)


def secret_name(name: str) -> bool:
    """Whether a field of this name holds a secret (``password``, ``apiToken``...)."""
    return _secret_words(name[:_MAX_NAME])


@lru_cache(maxsize=4096)
def _secret_words(name: str) -> bool:
    words = [word.lower() for word in _WORD.findall(name)]
    for index, word in enumerate(words):
        if word in _SECRET_WORDS or any(stem in word for stem in _SECRET_STEMS):
            return True
        following = words[index + 1] if index + 1 < len(words) else ""
        if word.endswith("token") and following not in _TOKEN_MEASURES:
            return True
        if word == "key" and index > 0 and words[index - 1] in _SECRET_KEY_KINDS:
            return True
        if word == "auth" and not following:
            return True
    return False


# -- shapes --------------------------------------------------------------------------------
# Each alternative is a named group; ``_replace`` decides by name what the match means.
# Where two could start at one place, the first listed wins.
_SHAPES = {
    # A private key block, to its END line or, when cut short, to the end of the text.
    "pem": r"-----BEGIN[A-Z ]*PRIVATE KEY(?: BLOCK)?-----[\s\S]*?"
    r"(?:-----END[A-Z ]*PRIVATE KEY(?: BLOCK)?-----|$)",
    # The password of a URL or connection string: scheme://user:PASSWORD@host.
    "url": r"(?P<url_head>\b[A-Za-z][A-Za-z0-9+.\-]*://[^\s:/@'\"]*:)(?P<url_pw>[^\s@/'\"]+)@",
    # name=value, name: value, "name": "value" (forms, query strings, JSON, headers), where
    # the name might be a secret's; ``secret_name`` decides.
    "pair": r"(?P<pair_name>[A-Za-z0-9_.\-]*(?i:pass|pwd|secret|token|key|auth|cookie"
    r"|credential|jwt|sig)[A-Za-z0-9_.\-]*)(?P<pair_sep>[\"']?[ \t]*[=:][ \t]*)"
    r"(?P<pair_value>\"(?:[^\"\\\n]|\\.)*\"|'[^'\n]*'"
    r"|(?i:(?:bearer|basic|token|digest|aws4-hmac-sha256)[ \t]+)?[^\s&,;\"'<>]+)",
    "bearer": r"(?i:\bbearer[ \t]+)[A-Za-z0-9\-._~+/]+=*",
    "basic": r"(?i:\bbasic[ \t]+)[A-Za-z0-9+/]{8,}=*",
    "jwt": r"\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]+",
    # OpenAI (sk-, sk-proj-), Anthropic (sk-ant-), Stripe (sk_live_, rk_test_, whsec_).
    "provider": r"\b(?:(?:sk|pk|rk)-[A-Za-z0-9_-]{16,}|(?:sk|pk|rk)_(?:live|test)_[A-Za-z0-9]{16,}"
    r"|whsec_[A-Za-z0-9]{24,}"
    # AWS access key ids; GitHub; GitLab; Slack tokens and webhooks; Google API keys and
    # OAuth tokens; Hugging Face; npm.
    r"|(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA)[0-9A-Z]{16}\b"
    r"|gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{22,}|glpat-[A-Za-z0-9_-]{20,}"
    r"|xox[abposrc]-[A-Za-z0-9-]{10,}|xapp-[A-Za-z0-9-]{10,}"
    r"|hooks\.slack\.com/services/[A-Za-z0-9/]+"
    r"|AIza[0-9A-Za-z_-]{35}|ya29\.[0-9A-Za-z_-]{20,}"
    r"|hf_[A-Za-z0-9]{30,}|npm_[A-Za-z0-9]{36})",
    # At most 64 characters before the @ (RFC 5321's limit), so that a long run of word
    # characters ending in one is not matched whole.
    "email": r"[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9.-]+\.[A-Za-z]{2,}",
    "card": r"\b(?:\d[ -]?){12,18}\d\b",
}
_ANY = compile_pattern("|".join(f"(?P<{name}>{shape})" for name, shape in _SHAPES.items()))
# The same shapes but name=value, for the value of a pair whose name is harmless: scanning
# it again with pairs allowed could rescan the rest of the text once per "key=".
_NOT_PAIR = compile_pattern(
    "|".join(f"(?P<{name}>{shape})" for name, shape in _SHAPES.items() if name != "pair")
)
# A run of 40 base64 characters is an AWS secret access key when it mixes cases and digits
# (a git hash is lower-case hex); longer runs are data. Its own pass, without groups: in the
# alternation above, a long run would be matched with capture groups, which RE2 does slowly.
_BASE64_RUN = compile_pattern(r"[A-Za-z0-9/+=]{40,}")

_GROUPS = {pattern: pattern.groupindex for pattern in (_ANY, _NOT_PAIR)}
_PAIR, _PAIR_NAME, _PAIR_SEP, _PAIR_VALUE = (
    _GROUPS[_ANY][name] for name in ("pair", "pair_name", "pair_sep", "pair_value")
)

# Each match costs a Python call, so a text can hold this many candidates; past them the
# rest of it is cut (a text dense with secret-shaped values is not worth keeping whole).
MAX_MATCHES = 256
CUT = f"{REDACTED}[rest cut: over {MAX_MATCHES} secret-shaped values]"


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


def _card(number: str) -> bool:
    digits = number.replace(" ", "").replace("-", "")
    return 13 <= len(digits) <= 19 and _luhn(digits)


def _aws_secret(run: str) -> bool:
    return (
        len(run.rstrip("=")) == 40
        and any(char.isupper() for char in run)
        and any(char.islower() for char in run)
        and any(char.isdigit() or char in "/+" for char in run)
    )


def _quoted_redacted(value: str) -> str:
    if value[:1] in "\"'" and len(value) >= 2:
        return f"{value[0]}{REDACTED}{value[0]}"
    return REDACTED


class _Scan:
    """One text's scrubbing, holding what is left of its match budget."""

    __slots__ = ("left",)

    def __init__(self) -> None:
        self.left = MAX_MATCHES

    def run(self, pattern: re2._Regexp, text: str) -> str:
        pieces, end = [], 0
        for match in pattern.finditer(text):
            if self.left <= 0:
                pieces.append(CUT)
                return "".join(pieces)
            self.left -= 1
            pieces.append(text[end : match.start()])
            replaced = self.replace(match)
            pieces.append(replaced)
            if self.left <= 0 and replaced.endswith(CUT):  # cut inside a pair's value
                return "".join(pieces)
            end = match.end()
        if not pieces:
            return text
        pieces.append(text[end:])
        return "".join(pieces)

    def replace(self, match: re2._Match) -> str:
        # Groups by number: google-re2 rebuilds its name table on every lookup by name.
        found = match.group(0)
        if match.re is _BASE64_RUN:
            return REDACTED if _aws_secret(found) else found
        if match.re is _ANY and match.group(_PAIR) is not None:
            name, separator = match.group(_PAIR_NAME), match.group(_PAIR_SEP)
            value = match.group(_PAIR_VALUE)
            if secret_name(name):
                return f"{name}{separator}{_quoted_redacted(value)}"
            return f"{name}{separator}{self.run(_NOT_PAIR, value)}"
        groups = _GROUPS[match.re]
        if match.group(groups["url"]) is not None:
            return f"{match.group(groups['url_head'])}{REDACTED}@"
        if match.group(groups["card"]) is not None:
            return REDACTED if _card(found) else found
        return REDACTED


def scrub(text: str) -> str:
    """``text`` with every value shaped like a secret or PII replaced by ``REDACTED``.

    Linear in the text: two RE2 passes, and a Python call per match, of which there are at
    most ``MAX_MATCHES``.
    """
    scan = _Scan()
    clean = scan.run(_ANY, text)
    if scan.left > 0 and _BASE64_RUN.search(clean) is not None:
        clean = scan.run(_BASE64_RUN, clean)
    return clean


def scrubber(patterns: tuple[str, ...]) -> Callable[[str], str]:
    """``scrub`` followed by the app's own patterns, each replaced whole."""
    extra = [compile_pattern(pattern) for pattern in patterns]
    if not extra:
        return scrub

    def scrub_all(text: str) -> str:
        clean = scrub(text)
        for pattern in extra:
            if pattern.search(clean) is not None:
                clean = pattern.sub(REDACTED, clean)
        return clean

    return scrub_all
