import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { REDACTED, Redactor, scrub, secretName } from "../src/redact.js";

describe("secret names", () => {
  it("reads names alike whatever their case and separators", () => {
    for (const name of ["password", "userPassword", "X-Api-Key", "aws_secret_access_key", "APIKey", "dbpassword", "apiToken", "auth", "Authorization", "session_key"]) {
      assert.equal(secretName(name), true, name);
    }
  });

  it("leaves token counts and ordinary keys alone", () => {
    for (const name of ["max_tokens", "gen_ai.token.type", "llm.token_count.prompt", "cache_key", "author", "input_tokens", "tool_name"]) {
      assert.equal(secretName(name), false, name);
    }
  });
});

describe("secret shapes", () => {
  const cases: [string, string][] = [
    ["Authorization: Bearer abc.def-ghi", `Authorization: ${REDACTED}`],
    ["key sk-proj-abcdefghijklmnop1234 used", `key ${REDACTED} used`],
    ["postgres://app:s3cret@db:5432/x", `postgres://app:${REDACTED}@db:5432/x`],
    ["write to ana@example.com", `write to ${REDACTED}`],
    ["card 4111 1111 1111 1111 ok", `card ${REDACTED} ok`],
    ["order 1234 5678 9012 3456", "order 1234 5678 9012 3456"],
    ["?user=ana&password=hunter2&page=2", `?user=ana&password=${REDACTED}&page=2`],
    ['{"api_key": "abc123"}', `{"api_key": "${REDACTED}"}`],
    ["max_tokens=512", "max_tokens=512"],
    ["AKIAIOSFODNN7EXAMPLE", REDACTED],
  ];
  for (const [text, clean] of cases) {
    it(`scrubs ${JSON.stringify(text)}`, () => {
      assert.equal(scrub(text), clean);
    });
  }

  it("costs linear time on a long run of letters and cuts it to its bound", () => {
    const long = "a".repeat(1_000_000);
    const clean = scrub(long);
    assert.ok(clean.length <= 64 * 1024);
    assert.match(clean, /1000000 characters, cut\]$/);
    // Quadratic backtracking on 64 KiB would take minutes; this is a correctness bound, not a timing.
    const dense = "passkey".repeat(10_000);
    assert.equal(typeof scrub(dense), "string");
  });

  it("applies the app's own patterns and scrubs nested values by key", () => {
    const redactor = new Redactor(["ACCT-[0-9]+"]);
    assert.equal(redactor.text("see ACCT-991"), `see ${REDACTED}`);
    assert.deepEqual(redactor.value({ user: { password: "x", name: "ana" }, list: ["ana@example.com"] }), {
      user: { password: REDACTED, name: "ana" },
      list: [REDACTED],
    });
  });
});
