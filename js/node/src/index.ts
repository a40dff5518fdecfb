/**
 * swarmscope for Node agent services: one call per concept (agent run, tool call, handoff,
 * approval, LLM call) emits correlated Prometheus metrics, OpenTelemetry spans and JSON logs
 * with the same names, labels, buckets and attributes as the Python SDK, from one catalog.
 */
export { init, current, shutdown, Runtime } from "./runtime.js";
export type { Options, Settings, LogLevel } from "./config.js";
export { agentRun, startAgentRun, AgentRun, type AgentRunOptions } from "./agents.js";
export { toolCall, startToolCall, ToolCall, type ToolCallOptions } from "./tools.js";
export { handoff, type HandoffOptions } from "./handoffs.js";
export { approval, startApproval, Approval, type ApprovalOptions } from "./approvals.js";
export { llmCall, startLlmCall, LlmCall, type LlmCallOptions, type Usage } from "./llm.js";
export { currentAgent } from "./context.js";
export { expressMiddleware, openExchange, Exchange } from "./http.js";
export { metricsHandler, healthHandler, HealthChecks, defaultHealth, type Check } from "./web.js";
export { Redactor, scrub, secretName, REDACTED } from "./redact.js";
export { safely } from "./operation.js";
export * as catalog from "./catalog.generated.js";

import { current } from "./runtime.js";
import type { Logger } from "pino";

/** A pino logger for the app's own lines: same JSON fields, trace ids and scrubbing as swarmscope's events. */
export function logger(name = "app"): Logger {
  return current().logs.logger.child({ logger: name });
}
