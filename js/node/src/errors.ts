/**
 * Failures counted once on `errors_total{error_type,severity}` and
 * `agent_errors_total{agent_type,error_type,operation}`, however many layers see the same
 * error (a failed tool call inside a failed agent run counts once), with the Python SDK's
 * categories and severities.
 */
import type { Runtime } from "./runtime.js";

export const CATEGORIES = {
  AGENT_EXECUTION_FAILED: "agent_execution_failed",
  AGENT_TOOL_CALL_FAILED: "agent_tool_call_failed",
  AGENT_HANDOFF_FAILED: "agent_handoff_failed",
  AGENT_TIMEOUT: "agent_timeout",
  LLM_ERROR: "llm_error",
  HITL_TIMEOUT: "hitl_timeout",
  SERVER_INTERNAL: "server_internal",
  UNKNOWN: "unknown",
} as const;

export const SEVERITIES = { LOW: "low", MEDIUM: "medium", HIGH: "high", CRITICAL: "critical" } as const;

const tracked = new WeakSet<object>();

/** Count one failure unless this error was counted already; true if counted. */
export function recordFailure(
  rt: Runtime,
  error: unknown,
  category: string,
  severity: string,
  agent: string | undefined,
  operation: string | undefined,
): boolean {
  if (typeof error === "object" && error !== null) {
    if (tracked.has(error)) return false;
    tracked.add(error);
  }
  rt.metrics.get("errors_total").child(category, severity).inc();
  rt.metrics.get("agent_errors_total").child(agent, category, operation).inc();
  return true;
}
