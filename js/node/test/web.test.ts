import assert from "node:assert/strict";
import { once } from "node:events";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, beforeEach, describe, it } from "node:test";
import express from "express";
import * as ss from "../src/index.js";
import { capture, type Captured } from "./support.js";

let t: Captured;
let server: Server | undefined;

beforeEach(async () => {
  t = await capture();
});
afterEach(async () => {
  server?.close();
  server = undefined;
  await ss.shutdown();
});

async function listen(app: express.Express): Promise<string> {
  server = app.listen(0, "127.0.0.1");
  await once(server, "listening");
  return `http://127.0.0.1:${String((server.address() as AddressInfo).port)}`;
}

describe("Express", () => {
  it("records requests by route template, found after routing", async () => {
    const app = express();
    app.use(ss.expressMiddleware());
    app.get("/metrics", ss.metricsHandler());
    app.get("/users/:id", (request, response) => {
      ss.agentRun("support", () => response.json({ id: request.params.id }));
    });
    const base = await listen(app);
    assert.equal((await fetch(`${base}/users/42`, { headers: { "x-session-id": "sess-9" } })).status, 200);
    assert.equal((await fetch(`${base}/nowhere`)).status, 404);
    assert.equal(await t.metric("http_requests_total", { method: "GET", endpoint: "/users/:id", status: "200" }), 1);
    assert.equal(await t.metric("http_requests_total", { method: "GET", endpoint: "unmatched", status: "404" }), 1);
    const span = await t.span("GET /users/:id");
    assert.equal(span.attributes["session.id"], "sess-9");
    assert.equal((await t.span("invoke_agent support")).parentSpanContext?.spanId, span.spanContext().spanId);
    const [started] = await t.events("agent_execution_started");
    assert.equal(started?.session_id, "sess-9");
    assert.match(started.request_id as string, /^req_[0-9a-f]{12}$/);
    const scrape = await fetch(`${base}/metrics`);
    assert.match(await scrape.text(), /sergas_http_request_duration_seconds_bucket\{le="0.01",method="GET",endpoint="\/users\/:id"\} /);
    assert.equal(await t.metric("http_requests_total", { method: "GET", endpoint: "unmatched", status: "200" }), 0);
  });
});

describe("health", () => {
  it("answers 503 while a check fails, times out a hung one, and scrubs the reason", async () => {
    const checks = new ss.HealthChecks();
    checks.register("crm", () => {
      throw new Error("login failed for password=hunter2");
    });
    checks.register("memory", () => new Promise<boolean>(() => undefined), 0.02);
    checks.register("db", () => Promise.resolve(true));
    const app = express();
    app.get("/health/*path", ss.healthHandler(checks));
    const base = await listen(app);
    const ready = await fetch(`${base}/health/ready`);
    assert.equal(ready.status, 503);
    const body = (await ready.json()) as { status: string; checks: Record<string, { status: string; error: string | null }> };
    assert.equal(body.status, "not_ready");
    assert.equal(body.checks.db?.status, "pass");
    assert.equal(body.checks.memory?.error, "timed out after 0.02s");
    assert.equal(body.checks.crm?.error, `Error: login failed for password=${ss.REDACTED}`);
    assert.equal((await fetch(`${base}/health/live`)).status, 200);
    assert.equal(await t.metric("integration_health_status", { integration_name: "crm" }), 0);
  });
});
