"""No secret reaches the server's store, whatever path it takes out of the app: span
attributes, log fields and messages, exception messages, request headers and query strings,
replay bodies (JSON and form-encoded).

The app sends to a real server over OTLP/HTTP; afterwards every table of the DuckDB file is
read back as text, and the file's bytes are searched too.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import structlog

import swarmscope as ss
from loopback import serve
from replay_app import replayable_app
from swarmscope.server.app import create_app
from swarmscope.server.settings import ServerSettings
from swarmscope.server.store.database import Store

AWS_SECRETS = [
    "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    "Zq9v8X7w6U5t4S3r2Q1pOnMlKjIhGfEdCbA0/+ab",
    "aB3dE5gH7jK9mN1pQ3sT5vX7zA9cE1gI3kM5oQ7s",
    "Qw2Er4Ty6Ui8Op0As2Df4Gh6Jk8Lz0Xc2Vb4Nm6Q",
    "mN8bV6cX4zL2kJ0hG8fD6sA4pO2iU0yT8rE6wQ4Z",
]
PROVIDER_TOKENS = [
    "ghp_A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8",
    "xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx",
    "sk_live_4eC39HqLyjWDarjtT1zdp7dc",
    "AIzaSyD-9tSrke72PouQMnMX-a7eZSW0jkFMBWY",
    "sk-ant-api03-Zq8Xv2Lm9Nb4Kc7Jd1Hf6Gs3",
    "sk-proj-Tz4Rq9Wm2Xk7Lp1Vn8Bc5Jd3",
    "glpat-Ab3dEf6hIj9kLm2nOp5q",
]
PEM_BODY = "MIIEowIBAAKCAQEA7xZpL0q9vQsEcReT"
PEM = f"-----BEGIN PRIVATE KEY-----\n{PEM_BODY}\n-----END PRIVATE KEY-----"
# Values that only their field's name or their neighbourhood marks as secret.
NAMED = {
    "span_password": "Pw-span-7f3k9Q",
    "span_secret_key": "Sk-span-2m8x4L",
    "span_token": "Tk-span-9c1v5B",
    "form_pwd": "Pw-form-3h6j2N",
    "form_camel": "Pw-form-8k2l4M",
    "db_password": "Db-pass-5t7y1R",
    "log_token": "Tk-log-4r6t8Y",
    "stdlib_extra": "Pw-extra-1q3w5E",
    "stdlib_message": "Sk-msg-6y8u0I",
    "exception_db": "Db-exc-2w4e6R",
    "query_token": "Tk-query-7u9i1O",
    "query_sig": "Sg-query-3e5r7T",
    "replay_form_pwd": "Pw-replay-9o1p3A",
    "replay_form_camel": "Pw-replay-4s6d8F",
    "replay_json_camel": "Pw-json-2g4h6J",
    "replay_json_nested": "Tk-json-8j0k2L",
    "header": "Tk-header-5z7x9C",
}


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, Store, Path]]:
    path = tmp_path / "store.duckdb"
    store = Store(path)
    try:
        with serve(create_app(store, ServerSettings(api_key=None))) as url:
            yield url, store, path
    finally:
        store.close()


def send_everything() -> None:
    with ss.tool_call(
        "crm_lookup",
        userPassword=NAMED["span_password"],
        secretKey=NAMED["span_secret_key"],
        apiToken=NAMED["span_token"],
        aws_secret_access_key=AWS_SECRETS[0],
        note=(
            f"form pwd={NAMED['form_pwd']}&userPassword={NAMED['form_camel']}; "
            f"{' '.join(PROVIDER_TOKENS)} {PEM} "
            f"postgresql://app:{NAMED['db_password']}@db/prod aws {AWS_SECRETS[1]}"
        ),
    ):
        structlog.get_logger("app").info(
            "crm_sync", apiToken=NAMED["log_token"], detail=f"key {AWS_SECRETS[2]}"
        )
        logging.getLogger("app").warning(
            "creds %s",
            f"secretKey={NAMED['stdlib_message']}",
            extra={"userPassword": NAMED["stdlib_extra"]},
        )
    with pytest.raises(RuntimeError), ss.tool_call("crm_write"):
        raise RuntimeError(
            f"boto3: {AWS_SECRETS[3]} rejected; conn=mongodb://u:{NAMED['exception_db']}@h/db"
        )

    async def requests() -> None:
        transport = httpx.ASGITransport(app=replayable_app())
        async with httpx.AsyncClient(transport=transport, base_url="http://app") as client:
            form = await client.post(
                f"/tickets?access_token={NAMED['query_token']}&sig={NAMED['query_sig']}",
                content=(
                    f"pwd={NAMED['replay_form_pwd']}&userPassword={NAMED['replay_form_camel']}"
                    "&note=hello-form"
                ),
                headers={
                    "content-type": "application/x-www-form-urlencoded",
                    "authorization": f"Bearer {NAMED['header']}",
                    "x-session-id": f"token={NAMED['header']}",
                },
            )
            assert form.status_code == 200
            body = {
                "userPassword": NAMED["replay_json_camel"],
                "nested": {"apiToken": NAMED["replay_json_nested"]},
                "text": f"my key {AWS_SECRETS[4]}",
                "pem": PEM,
                "note": "hello-json",
            }
            assert (await client.post("/tickets", json=body)).status_code == 200

    asyncio.run(requests())


def stored_text(store: Store) -> str:
    """Every row of every table, as text (attribute JSON is stored compressed)."""
    tables = [row["table_name"] for row in store.rows("SELECT table_name FROM duckdb_tables()")]
    return "\n".join(str(row) for table in tables for row in store.rows(f'SELECT * FROM "{table}"'))


def raw_bytes(path: Path) -> bytes:
    files = [path, path.with_name(path.name + ".wal")]
    return b"".join(file.read_bytes() for file in files if file.exists())


def test_no_secret_reaches_the_store_by_any_path(server):
    url, store, path = server
    ss.shutdown()
    ss.init(service_name="leaky-app", otlp_endpoint=url, log_stream="none")
    try:
        send_everything()
    finally:
        ss.shutdown()  # flushes spans and logs to the server

    text = stored_text(store)
    # What carried the secrets did arrive.
    for arrived in ("crm_lookup", "crm_sync", "creds", "boto3", "hello-form", "hello-json"):
        assert arrived in text, f"{arrived} never reached the store"
    assert "[REDACTED]" in text

    raw = raw_bytes(path)
    secrets = [*AWS_SECRETS, *PROVIDER_TOKENS, PEM_BODY, *NAMED.values()]
    leaked = [secret for secret in secrets if secret in text or secret.encode() in raw]
    assert leaked == []
