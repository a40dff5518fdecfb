import assert from "node:assert/strict";
import { test } from "node:test";
import { MAX_TEXT_CHARS, REDACTED, scrub, scrubFields, secretName } from "../src/scrub";

void test("field names that hold secrets are recognised as the Python SDK recognises them", () => {
  for (const name of ["password", "userPassword", "X-Api-Key", "aws_secret_access_key", "APIKey", "apiToken", "auth", "session_key"]) {
    assert.equal(secretName(name), true, name);
  }
  for (const name of ["cache_key", "max_tokens", "gen_ai.token.type", "llm.token_count.prompt", "author", "action"]) {
    assert.equal(secretName(name), false, name);
  }
});

void test("values shaped like secrets or PII are replaced inside strings", () => {
  assert.equal(scrub("Authorization: Bearer abc.def-123"), `Authorization: ${REDACTED}`);
  assert.equal(scrub("write to ops@example.com now"), `write to ${REDACTED} now`);
  assert.equal(scrub("key sk-abcdefghijklmnopqrstu here"), `key ${REDACTED} here`);
  assert.equal(scrub("postgres://app:hunter2@db:5432/x"), `postgres://app:${REDACTED}@db:5432/x`);
  assert.equal(scrub("card 4111 1111 1111 1111 ok"), `card ${REDACTED} ok`);
  assert.equal(scrub("order 1234 5678 9012 3456"), "order 1234 5678 9012 3456");
  assert.equal(scrub('{"password": "x1", "user": "ann"}'), `{"password": "${REDACTED}", "user": "ann"}`);
  assert.equal(scrub("nothing to see"), "nothing to see");
});

void test("long texts are cut to MAX_TEXT_CHARS with a marker", () => {
  const clean = scrub("a".repeat(MAX_TEXT_CHARS * 4));
  assert.equal(clean.length, MAX_TEXT_CHARS);
  assert.ok(clean.endsWith(`[${MAX_TEXT_CHARS * 4} characters, cut]`));
});

void test("an attribute map: secret names replaced whole, nulls dropped, objects as scrubbed JSON", () => {
  const clean = scrubFields({ apiKey: "k", token_count: 3, empty: null, nested: { mail: "a@b.io" }, tags: ["x", "c@d.io"] });
  assert.deepEqual(clean, { apiKey: REDACTED, token_count: 3, nested: `{"mail":"${REDACTED}"}`, tags: ["x", REDACTED] });
});
