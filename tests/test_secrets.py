"""What counts as a secret: field names in every case style, and the shapes of secret values
(forms, JSON, headers, provider keys, private keys, connection strings) in free text."""

from __future__ import annotations

import json

import pytest

from swarmscope.telemetry.redact import REDACTED, Redactor
from swarmscope.telemetry.secrets import scrub, secret_name

# Fake values in the real formats (none of them is a live credential).
AWS_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
GITHUB = "ghp_A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"
GITHUB_PAT = "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz0123456789"
GITLAB = "glpat-Ab3dEf6hIj9kLm2nOp5q"
SLACK = "xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx"
SLACK_HOOK = "hooks.slack.com/services/T0000000/B0000000/XXXXXXXXXXXXXXXXXXXXXXXX"
STRIPE = "sk_live_4eC39HqLyjWDarjtT1zdp7dc"
STRIPE_RESTRICTED = "rk_test_51H8aBcDeFgHiJkLmNoPqRsT"
GOOGLE = "AIzaSyD-9tSrke72PouQMnMX-a7eZSW0jkFMBWY"
GOOGLE_OAUTH = "ya29.a0AfH6SMBxQ2m9Zk3LrTq8vW1yXz"
ANTHROPIC = "sk-ant-api03-Zq8Xv2Lm9Nb4Kc7Jd1Hf6Gs3"
OPENAI = "sk-proj-Tz4Rq9Wm2Xk7Lp1Vn8Bc5Jd3"
HUGGING_FACE = "hf_AbCdEfGhIjKlMnOpQrStUvWxYz01234567"
PEM_BODY = "MIIEowIBAAKCAQEA7xZpL0q9vQ"
PEM = f"-----BEGIN RSA PRIVATE KEY-----\n{PEM_BODY}\nZm9vYmFy\n-----END RSA PRIVATE KEY-----"


@pytest.mark.parametrize(
    "name",
    [
        "password",
        "userPassword",
        "user_password",
        "USER_PASSWORD",
        "user-password",
        "UserPassword",
        "dbpassword",
        "secretKey",
        "apiToken",
        "APIKey",
        "X-Api-Key",
        "api.key",
        "aws_secret_access_key",
        "AWS_SECRET_ACCESS_KEY",
        "x-amz-security-token",
        "X-Amz-Signature",
        "clientSecret",
        "privateKey",
        "Set-Cookie",
        "Proxy-Authorization",
        "sessionToken",
        "refresh_token",
        "sig",
        "basic_auth",
        "OcpApimSubscriptionKey",
    ],
)
def test_secret_names_in_every_case_style(name):
    assert secret_name(name)
    assert Redactor().fields({name: "looks harmless"}) == {name: REDACTED}


@pytest.mark.parametrize(
    "name",
    [
        "input_tokens",
        "gen_ai.usage.input_tokens",
        "gen_ai.request.max_tokens",
        "gen_ai.token.type",
        "llm.token_count.prompt",
        "llm.token_count.completion",
        "maxTokens",
        "token_usage",
        "cache_key",
        "key",
        "passport",
        "author",
        "auth_method",
        "trace_id",
        "tool_name",
    ],
)
def test_names_that_only_look_like_secrets_are_kept(name):
    assert not secret_name(name)
    assert Redactor().fields({name: 42}) == {name: 42}


@pytest.mark.parametrize(
    ("text", "secrets"),
    [
        # Form-encoded bodies and query strings, names in any case style.
        ("pwd=hunter2&userPassword=s3cr3t&name=bob", ["hunter2", "s3cr3t"]),
        ("GET /cb?code=1&access_token=tok-998877&sig=AbC123xyz", ["tok-998877", "AbC123xyz"]),
        # JSON and Python reprs, where the value may hold spaces.
        ('{"userPassword": "my pass phrase", "name": "x"}', ["my pass phrase"]),
        ("{'apiToken': 'abc 123 def'}", ["abc 123 def"]),
        # Header lines.
        ("X-Api-Key: k-5551234abc", ["k-5551234abc"]),
        ("Authorization: AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/2026", ["AKIAIOSFODNN7"]),
        # AWS secret access keys, bare or named.
        (f"boto3 failed using {AWS_SECRET} in eu-west-1", [AWS_SECRET]),
        (f"aws_secret_access_key={AWS_SECRET}", [AWS_SECRET]),
        (f"export AWS_SECRET_ACCESS_KEY={AWS_SECRET}", [AWS_SECRET]),
        # Provider tokens.
        (f"github {GITHUB} and {GITHUB_PAT}", [GITHUB, GITHUB_PAT]),
        (f"gitlab {GITLAB}", [GITLAB]),
        (f"slack {SLACK} posts to https://{SLACK_HOOK}", [SLACK, SLACK_HOOK]),
        (f"stripe {STRIPE} / {STRIPE_RESTRICTED}", [STRIPE, STRIPE_RESTRICTED]),
        (f"google {GOOGLE} then {GOOGLE_OAUTH}", [GOOGLE, GOOGLE_OAUTH]),
        (f"models {ANTHROPIC} {OPENAI} {HUGGING_FACE}", [ANTHROPIC, OPENAI, HUGGING_FACE]),
        # Private key blocks: whole, JSON-escaped, and cut short.
        (f"key:\n{PEM}\nend", [PEM_BODY, "Zm9vYmFy"]),
        (json.dumps({"private_key_pem": PEM}), [PEM_BODY]),
        (f"-----BEGIN OPENSSH PRIVATE KEY-----\n{PEM_BODY}", [PEM_BODY]),
        # Connection strings with a password.
        ("postgresql://app:Sup3rS3cret!@db.internal:5432/prod", ["Sup3rS3cret!"]),
        ("mongodb+srv://reader:m0ng0pw@cluster0.example.net/db", ["m0ng0pw"]),
        ("redis://:r3d1spw@cache:6379/0", ["r3d1spw"]),
        ("Server=db;User Id=app;Password=AdoN3tPw;Database=x", ["AdoN3tPw"]),
        # A harmless name's value is still searched for other shapes.
        ("cache_key=bob@example.com", ["bob@example.com"]),
    ],
)
def test_secret_values_are_found_in_free_text(text, secrets):
    clean = scrub(text)
    assert REDACTED in clean
    for secret in secrets:
        assert secret not in clean, clean


def test_what_frames_a_secret_is_kept():
    assert scrub("pwd=hunter2&name=bob") == f"pwd={REDACTED}&name=bob"
    assert scrub('{"userPassword": "my pass phrase", "n": 1}') == (
        f'{{"userPassword": "{REDACTED}", "n": 1}}'
    )
    assert scrub("postgresql://app:pw1@db:5432/prod") == f"postgresql://app:{REDACTED}@db:5432/prod"


@pytest.mark.parametrize(
    "text",
    [
        "commit 3fa943c2b5e8d0a1f4c6b7e9d2a3c5f7e1b4d6a8 landed",  # a git hash: lower-case hex
        "trace 4bf92f3577b34da6a3ce929d0e0e4736 span 00f067aa0ba902b7",
        "usage tokens: 512, max_tokens=1024, cache_key=user:12",
        "https://example.com:8443/path/a:b@c",
        "ThisIsAVeryLongSentenceWithoutAnyDigitsInItAtAll",
        "gen_ai.token.type=input",
    ],
)
def test_harmless_text_is_left_alone(text):
    assert scrub(text) == text


@pytest.mark.timeout(60)
@pytest.mark.parametrize(
    "hostile",
    [
        "a" * 1_000_000 + "@",
        "key=" * 250_000,
        "token: " * 150_000,
        "-----BEGIN PRIVATE KEY-----" * 40_000,
        "eyJ-" * 250_000,
        "1 " * 500_000,
        "x://a:" * 170_000,
        "A1/+" * 250_000,
    ],
)
def test_hostile_text_is_scrubbed_in_one_pass(hostile):
    """Inputs that make a backtracking engine take minutes; RE2 reads each in one pass."""
    clean = scrub(hostile)
    assert isinstance(clean, str) and clean
