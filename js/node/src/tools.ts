/** Tool calls: `execute_tool {tool}` and the catalog's tool metrics and events. */
import type { Attributes, Context } from "@opentelemetry/api";
import { ATTRIBUTES, OPERATIONS, STATUSES } from "./catalog.generated.js";
import { currentAgent } from "./context.js";
import { CATEGORIES, SEVERITIES, recordFailure } from "./errors.js";
import { NO_ATTRIBUTES, Operation, errorFields, hasKeys } from "./operation.js";
import type { Runtime } from "./runtime.js";

export interface ToolCallOptions {
  /** The agent calling the tool; the enclosing agent run's by default. */
  agent?: string;
  /** The call's parameters as span attributes (scrubbed), also logged as `tool_params`. */
  attributes?: Attributes;
}

export class ToolCall extends Operation {
  protected readonly where = "tool_call";
  private agentName: string | undefined;

  constructor(readonly tool: string, private readonly options: ToolCallOptions = {}) {
    super();
    this.attrs = options.attributes ?? NO_ATTRIBUTES;
  }

  get agent(): string | undefined {
    return this.agentName;
  }

  protected spanName(): string {
    return `${OPERATIONS.EXECUTE_TOOL} ${this.tool}`;
  }

  protected spanAttributes(parent: Context): Attributes {
    this.agentName = this.options.agent ?? currentAgent(parent);
    // The agent is on the parent invoke_agent span; two attributes keep this span cheap.
    const attributes: Attributes = {
      [ATTRIBUTES.GEN_AI_OPERATION_NAME]: OPERATIONS.EXECUTE_TOOL,
      [ATTRIBUTES.GEN_AI_TOOL_NAME]: this.tool,
    };
    return hasKeys(this.attrs) ? Object.assign(attributes, this.attrs) : attributes;
  }

  protected override onStart(rt: Runtime): void {
    if (rt.logsAt("debug")) this.event(rt, "tool_call_started", { tool_name: this.tool, agent_id: this.agentName ?? null });
  }

  protected onEnd(rt: Runtime, status: string, error: unknown): void {
    const agent = this.agentName;
    rt.metrics.get("agent_tool_calls_total").child(agent, this.tool, status).inc();
    rt.metrics.get("agent_tool_call_duration_seconds").child(agent, this.tool).observe(this.duration);
    const fields: Record<string, unknown> = {
      tool_name: this.tool,
      agent_id: agent ?? null,
      duration_ms: this.durationMs,
      success: status === STATUSES.SUCCESS,
    };
    if (hasKeys(this.attrs)) fields.tool_params = this.attrs;
    if (status === STATUSES.SUCCESS) {
      this.event(rt, "tool_call_completed", fields);
      return;
    }
    recordFailure(rt, error, CATEGORIES.AGENT_TOOL_CALL_FAILED, SEVERITIES.MEDIUM, agent, "tool_call");
    this.event(rt, "tool_call_failed", { ...fields, status, ...errorFields(error) });
  }
}

/** Run `fn` as one call of `tool`; returns what `fn` returns. */
export function toolCall<T>(tool: string, fn: (call: ToolCall) => T, options?: ToolCallOptions): T {
  return new ToolCall(tool, options).run(fn);
}

/** The manual form: `const call = startToolCall("search"); ...; call.end(error)`. */
export function startToolCall(tool: string, options?: ToolCallOptions): ToolCall {
  return new ToolCall(tool, options).start();
}
