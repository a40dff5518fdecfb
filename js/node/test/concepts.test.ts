import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, it } from "node:test";
import { SpanKind, SpanStatusCode } from "@opentelemetry/api";
import * as ss from "../src/index.js";
import { capture, type Captured } from "./support.js";

let t: Captured;

beforeEach(async () => {
  t = await capture();
});
afterEach(async () => {
  await ss.shutdown();
});

describe("agent runs", () => {
  it("emit the invoke_agent span, the session metrics and the start and end events", async () => {
    const result = await ss.agentRun("planner", () => Promise.resolve("done"), { operation: "account_analysis", sessionId: "s-1" });
    assert.equal(result, "done");
    const span = await t.span("invoke_agent planner");
    assert.equal(span.attributes["gen_ai.operation.name"], "invoke_agent");
    assert.equal(span.attributes["gen_ai.agent.name"], "planner");
    assert.equal(span.attributes["swarmscope.operation"], "account_analysis");
    assert.equal(span.attributes["gen_ai.conversation.id"], "s-1");
    const labels = { agent_type: "planner", status: "success", operation: "account_analysis" };
    assert.equal(await t.metric("agent_sessions_total", labels), 1);
    assert.equal(await t.metric("agent_sessions_active", { agent_type: "planner" }), 0);
    const [completed] = await t.events("agent_execution_completed");
    assert.equal(completed?.agent_id, "planner");
    assert.equal(completed.session_id, "s-1");
    assert.equal(completed.trace_id, span.spanContext().traceId);
    assert.equal(completed.span_id, span.spanContext().spanId);
    assert.equal(completed.level, "info");
  });

  it("pass the app's error through and count it once, however many layers fail", async () => {
    const error = new Error("tool broke");
    await assert.rejects(
      ss.agentRun("planner", () => ss.toolCall("search", () => Promise.reject(error))),
      (thrown) => thrown === error,
    );
    assert.equal(await t.metric("agent_sessions_total", { agent_type: "planner", status: "failure", operation: "run" }), 1);
    assert.equal(await t.metric("agent_tool_calls_total", { agent_type: "planner", tool_name: "search", status: "failure" }), 1);
    assert.equal(await t.metric("errors_total", { error_type: "agent_tool_call_failed", severity: "medium" }), 1);
    assert.equal(await t.metric("errors_total", { error_type: "agent_execution_failed", severity: "high" }), 0);
    const span = await t.span("invoke_agent planner");
    assert.equal(span.status.code, SpanStatusCode.ERROR);
    assert.equal(span.attributes["error.type"], "Error");
    const [failed] = await t.events("tool_call_failed");
    assert.equal(failed?.error_message, "tool broke");
  });

  it("have a manual form for code that cannot be wrapped", async () => {
    const run = ss.startAgentRun("worker");
    run.end(Object.assign(new Error("late"), { name: "TimeoutError" }));
    assert.equal(await t.metric("agent_sessions_total", { agent_type: "worker", status: "timeout", operation: "run" }), 1);
    assert.equal(await t.metric("errors_total", { error_type: "agent_timeout", severity: "high" }), 1);
  });
});

describe("tool calls", () => {
  it("nest under the agent run across awaits and inherit its agent", async () => {
    await ss.agentRun("planner", async () => {
      await new Promise((resolve) => setTimeout(resolve, 1));
      ss.toolCall("search", () => 1, { attributes: { query: "q", api_key: "sk-proj-abcdefghijklmnop1234" } });
    });
    const agent = await t.span("invoke_agent planner");
    const tool = await t.span("execute_tool search");
    assert.equal(tool.parentSpanContext?.spanId, agent.spanContext().spanId);
    assert.equal(tool.attributes["gen_ai.tool.name"], "search");
    assert.equal(tool.attributes.api_key, ss.REDACTED);
    assert.equal(await t.metric("agent_tool_calls_total", { agent_type: "planner", tool_name: "search", status: "success" }), 1);
    assert.equal(await t.metric("agent_tool_call_duration_seconds_count", { agent_type: "planner", tool_name: "search" }), 1);
    const [completed] = await t.events("tool_call_completed");
    assert.deepEqual(completed?.tool_params, { query: "q", api_key: ss.REDACTED });
  });

  it("count a call marked failed without an error", async () => {
    ss.toolCall("lookup", (call) => { call.markFailed(); });
    assert.equal(await t.metric("agent_tool_calls_total", { agent_type: "unknown", tool_name: "lookup", status: "failure" }), 1);
  });
});

describe("handoffs", () => {
  it("count and log the handoff, and time it to the target's start with a link", async () => {
    ss.agentRun("planner", () => {
      ss.handoff("planner", "writer", { task: "draft", password: "x" }, { reason: "delegate" });
      ss.agentRun("writer", () => undefined);
    });
    const handoff = await t.span("handoff planner -> writer");
    assert.deepEqual(handoff.attributes["swarmscope.handoff.data_keys"], ["password", "task"]);
    assert.equal(handoff.attributes["swarmscope.handoff.reason"], "delegate");
    const writer = await t.span("invoke_agent writer");
    assert.equal(writer.links.length, 1);
    assert.equal(writer.links[0]?.context.spanId, handoff.spanContext().spanId);
    assert.equal(writer.attributes["swarmscope.handoff.from_agent"], "planner");
    assert.equal(await t.metric("agent_handoffs_total", { from_agent: "planner", to_agent: "writer", status: "success" }), 1);
    assert.equal(await t.metric("agent_handoff_duration_seconds_count", { from_agent: "planner", to_agent: "writer" }), 1);
    assert.equal((await t.events("agent_handoff")).length, 1);
  });

  it("record a failed handoff", async () => {
    ss.handoff("planner", "writer", undefined, { error: new Error("queue full") });
    assert.equal(await t.metric("agent_handoffs_total", { from_agent: "planner", to_agent: "writer", status: "failure" }), 1);
    assert.equal((await t.span("handoff planner -> writer")).status.code, SpanStatusCode.ERROR);
    assert.equal((await t.events("agent_handoff_failed")).length, 1);
  });
});

describe("approvals", () => {
  it("count the request, keep the pending gauge up until the decision and time it", async () => {
    const approval = ss.startApproval("refund", { agent: "cashier", approvalId: "ap-1" });
    assert.equal(await t.metric("hitl_approvals_pending", { approval_type: "refund" }), 1);
    assert.equal(approval.resolve("approved", "looks fine"), true);
    assert.equal(approval.resolve("rejected"), false);
    approval.end();
    assert.equal(await t.metric("hitl_approvals_pending", { approval_type: "refund" }), 0);
    assert.equal(await t.metric("hitl_approvals_requested_total", { approval_type: "refund", agent_type: "cashier" }), 1);
    const received = { approval_type: "refund", decision: "approved", agent_type: "cashier" };
    assert.equal(await t.metric("hitl_approvals_received_total", received), 1);
    assert.equal(await t.metric("hitl_approval_latency_seconds_count", { approval_type: "refund", agent_type: "cashier" }), 1);
    const span = await t.span("hitl_approval refund");
    assert.equal(span.attributes["swarmscope.approval.decision"], "approved");
    assert.equal(span.attributes["swarmscope.approval.id"], "ap-1");
    const [event] = await t.events("hitl_approval_received");
    assert.equal(event?.approved, true);
  });

  it("expire when nobody answers in time, and lower the gauge once", async () => {
    await assert.rejects(
      ss.approval("refund", (ap) => ap.wait(new Promise(() => undefined)), { timeoutSeconds: 0.01 }),
      { name: "TimeoutError" },
    );
    assert.equal(await t.metric("hitl_approvals_pending", { approval_type: "refund" }), 0);
    assert.equal(await t.metric("hitl_approval_timeouts_total", { approval_type: "refund", agent_type: "unknown" }), 1);
    assert.equal((await t.events("hitl_approval_timeout")).length, 1);
  });

  it("record an approval left undecided as cancelled", async () => {
    ss.approval("refund", () => undefined);
    assert.equal(await t.metric("hitl_approvals_pending", { approval_type: "refund" }), 0);
    assert.equal((await t.events("hitl_approval_cancelled")).length, 1);
  });
});

describe("LLM calls", () => {
  it("record tokens and the price table's cost on the span, the metrics and the log", async () => {
    ss.agentRun("writer", () => {
      ss.llmCall("gpt-4o", (call) => { call.recordUsage({ inputTokens: 1000, outputTokens: 100, finishReason: "stop" }); }, { provider: "openai" });
    });
    const span = await t.span("chat gpt-4o");
    assert.equal(span.kind, SpanKind.CLIENT);
    assert.equal(span.attributes["gen_ai.usage.input_tokens"], 1000);
    assert.deepEqual(span.attributes["gen_ai.response.finish_reasons"], ["stop"]);
    const cost = span.attributes["swarmscope.llm.cost_usd"];
    assert.equal(typeof cost, "number");
    assert.ok((cost as number) > 0);
    const labels = { model: "gpt-4o", provider: "openai", agent_type: "writer" };
    assert.equal(await t.metric("llm_tokens_total", { ...labels, token_type: "input" }), 1000);
    assert.equal(await t.metric("llm_cost_usd_total", labels), cost);
    const [completed] = await t.events("llm_call_completed");
    assert.equal(completed?.cost_usd, cost);
  });

  it("count a model without a price instead of calling it free", async () => {
    ss.llmCall("no-such-model-xyz", (call) => { call.recordUsage({ inputTokens: 10 }); }, { provider: "nowhere" });
    ss.llmCall("no-such-model-xyz", (call) => { call.recordUsage({ inputTokens: 10 }); }, { provider: "nowhere" });
    assert.equal(await t.metric("llm_price_missing_total", { model: "no-such-model-xyz", provider: "nowhere" }), 2);
    assert.equal((await t.events("llm_price_missing")).length, 1);
  });
});

describe("never hurting the host", () => {
  it("folds label values past the limit into other and counts the overflow", async () => {
    await ss.shutdown();
    ss.init({ namespace: "limited", maxLabelValues: 2, logDestination: "none" });
    for (const tool of ["a", "b", "c", "d"]) ss.toolCall(tool, () => undefined);
    const text = await ss.current().metrics.registry.metrics();
    assert.match(text, /limited_agent_tool_calls_total\{agent_type="unknown",tool_name="other",status="success"\} 2/);
    assert.match(text, /limited_telemetry_label_overflow_total\{metric="agent_tool_calls_total",label="tool_name"\} 2/);
  });

  it("counts a fault inside instrumentation and lets the app's call go on", async () => {
    const family = t.rt.metrics.get("agent_tool_calls_total");
    family.child = () => {
      throw new Error("broken registry");
    };
    const result = ss.toolCall("search", () => "still works");
    assert.equal(result, "still works");
    const error = new Error("the app's own");
    assert.throws(() => ss.toolCall("search", () => { throw error; }), (thrown) => thrown === error);
    assert.equal(await t.metric("telemetry_instrumentation_errors_total", { where: "tool_call.end" }), 2);
    assert.equal((await t.spans()).filter((span) => span.name === "execute_tool search").length, 2);
  });

  it("app log lines carry the trace ids and bound fields, scrubbed", async () => {
    ss.agentRun("planner", () => {
      ss.logger("app").info({ token: "abc", note: "card 4111 1111 1111 1111" }, "hello");
    });
    const [line] = await t.events("hello");
    const span = await t.span("invoke_agent planner");
    assert.equal(line?.trace_id, span.spanContext().traceId);
    assert.equal(line.agent_id, "planner");
    assert.equal(line.logger, "app");
    assert.equal(line.token, ss.REDACTED);
    assert.equal(line.note, `card ${ss.REDACTED}`);
  });
});
