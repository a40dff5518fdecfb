import "reflect-metadata";
import assert from "node:assert/strict";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { Controller, Get, HttpException, Injectable, Module, Param, type INestApplication } from "@nestjs/common";
import { NestFactory } from "@nestjs/core";
import { SpanKind } from "@opentelemetry/api";
import * as ss from "../src/index.js";
import { InstrumentAgentRun, InstrumentToolCall, SwarmscopeModule } from "../src/nestjs.js";
import { capture, type Captured } from "./support.js";

@Injectable()
class Planner {
  @InstrumentAgentRun("planner", { operation: "lookup" })
  async plan(id: string): Promise<string> {
    return this.fetch(id);
  }

  @InstrumentToolCall("fetch_item")
  async fetch(id: string): Promise<string> {
    await new Promise((resolve) => setTimeout(resolve, 1));
    return `item ${id}`;
  }
}

@Controller("items")
class ItemsController {
  constructor(private readonly planner: Planner) {}

  @Get(":id")
  async item(@Param("id") id: string): Promise<{ item: string }> {
    if (id === "missing") throw new HttpException("no such item", 404);
    if (id === "crash") throw new Error("database down");
    return { item: await this.planner.plan(id) };
  }
}

const health = new ss.HealthChecks();
health.register("database", () => true);

@Module({
  imports: [SwarmscopeModule.forRoot({ health })],
  controllers: [ItemsController],
  providers: [Planner],
})
class AppModule {}

describe("the NestJS module", () => {
  let t: Captured;
  let app: INestApplication;
  let base: string;

  before(async () => {
    t = await capture();
    // Nest types its options as a class; a literal is how its own docs pass them.
    // eslint-disable-next-line @typescript-eslint/no-unsafe-class-instance-assignment
    app = await NestFactory.create(AppModule, { logger: false });
    await app.listen(0, "127.0.0.1");
    const address = (app.getHttpServer() as Server).address() as AddressInfo;
    base = `http://127.0.0.1:${String(address.port)}`;
  });
  after(async () => {
    await app.close();
    await ss.shutdown();
  });

  it("records each request by route template, with the handler's agent run nested in its span", async () => {
    const response = await fetch(`${base}/items/7`, { headers: { traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01" } });
    assert.equal(response.status, 200);
    assert.deepEqual(await response.json(), { item: "item 7" });
    assert.equal(response.headers.get("x-trace-id"), "0af7651916cd43dd8448eb211c80319c");
    const server = await t.span("GET /items/:id");
    assert.equal(server.kind, SpanKind.SERVER);
    assert.equal(server.parentSpanContext?.spanId, "b7ad6b7169203331");
    assert.equal(server.attributes["http.route"], "/items/:id");
    assert.equal(server.attributes["http.response.status_code"], 200);
    const agent = await t.span("invoke_agent planner");
    assert.equal(agent.parentSpanContext?.spanId, server.spanContext().spanId);
    const tool = await t.span("execute_tool fetch_item");
    assert.equal(tool.parentSpanContext?.spanId, agent.spanContext().spanId);
    assert.equal(await t.metric("http_requests_total", { method: "GET", endpoint: "/items/:id", status: "200" }), 1);
    assert.equal(await t.metric("http_requests_in_progress", { method: "GET", endpoint: "/items/:id" }), 0);
    assert.equal(await t.metric("agent_tool_calls_total", { agent_type: "planner", tool_name: "fetch_item", status: "success" }), 1);
    const [completed] = await t.events("request_completed");
    assert.equal(completed?.route, "/items/:id");
    assert.equal(completed.trace_id, "0af7651916cd43dd8448eb211c80319c");
  });

  it("counts an HttpException by its status and a crash as an unhandled 500", async () => {
    assert.equal((await fetch(`${base}/items/missing`)).status, 404);
    assert.equal((await fetch(`${base}/items/crash`)).status, 500);
    assert.equal(await t.metric("http_requests_total", { method: "GET", endpoint: "/items/:id", status: "404" }), 1);
    assert.equal(await t.metric("http_requests_total", { method: "GET", endpoint: "/items/:id", status: "500" }), 1);
    assert.equal(await t.metric("exceptions_unhandled_total", { exception_type: "Error", module: "ItemsController" }), 1);
    const [failed] = await t.events("request_failed");
    assert.equal(failed?.error_message, "database down");
  });

  it("serves /metrics and the probes without recording them", async () => {
    const metrics = await fetch(`${base}/metrics`);
    assert.equal(metrics.status, 200);
    assert.match(await metrics.text(), /# TYPE sergas_http_requests_total counter/);
    const ready = await fetch(`${base}/health/ready`);
    assert.equal(ready.status, 200);
    const body = (await ready.json()) as { status: string; checks: Record<string, { status: string }> };
    assert.equal(body.status, "ready");
    assert.equal(body.checks.database?.status, "pass");
    assert.equal((await fetch(`${base}/health/live`)).status, 200);
    assert.equal(await t.metric("integration_health_status", { integration_name: "database" }), 1);
    const recorded = (await t.spans()).filter((span) => span.kind === SpanKind.SERVER).map((span) => span.name);
    assert.ok(!recorded.some((name) => name.includes("metrics") || name.includes("health")), recorded.join(", "));
  });
});
