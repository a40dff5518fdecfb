/**
 * Agent runs: the `invoke_agent {agent}` span of the GenAI conventions and the catalog's
 * session metrics. Inside a run, tool and LLM calls inherit the agent and every log line
 * carries `agent_id` (and `session_id`) without the app passing them around.
 */
import type { Attributes, Context } from "@opentelemetry/api";
import { ATTRIBUTES, OPERATIONS, STATUSES } from "./catalog.generated.js";
import { bindFields, withAgent } from "./context.js";
import { CATEGORIES, SEVERITIES, recordFailure } from "./errors.js";
import { arrive } from "./handoffs.js";
import { NO_ATTRIBUTES, Operation, errorFields } from "./operation.js";
import type { Runtime } from "./runtime.js";

export interface AgentRunOptions {
  /** What the run does, a bounded word ("account_analysis"); "run" by default. */
  operation?: string;
  sessionId?: string;
  /** Extra span attributes (scrubbed), also logged on `agent_execution_started`. */
  attributes?: Attributes;
}

export class AgentRun extends Operation {
  protected readonly where = "agent_run";
  readonly operation: string;
  readonly sessionId: string | undefined;

  constructor(readonly agent: string, options: AgentRunOptions = {}) {
    super();
    this.operation = options.operation ?? "run";
    this.sessionId = options.sessionId;
    this.attrs = options.attributes ?? NO_ATTRIBUTES;
  }

  protected spanName(): string {
    return `${OPERATIONS.INVOKE_AGENT} ${this.agent}`;
  }

  protected spanAttributes(): Attributes {
    const attributes: Attributes = {
      [ATTRIBUTES.GEN_AI_OPERATION_NAME]: OPERATIONS.INVOKE_AGENT,
      [ATTRIBUTES.GEN_AI_AGENT_NAME]: this.agent,
      [ATTRIBUTES.SWARMSCOPE_OPERATION]: this.operation,
      ...this.attrs,
    };
    if (this.sessionId) attributes[ATTRIBUTES.GEN_AI_CONVERSATION_ID] = this.sessionId;
    return attributes;
  }

  protected override contextFor(withSpan: Context): Context {
    const fields: Record<string, string> = { agent_id: this.agent };
    if (this.sessionId) fields.session_id = this.sessionId;
    return bindFields(withAgent(withSpan, this.agent), fields);
  }

  protected override onStart(rt: Runtime): void {
    rt.metrics.get("agent_sessions_active").child(this.agent).inc();
    arrive(rt, this.agent, this.span);
    this.event(rt, "agent_execution_started", {
      agent_id: this.agent,
      ...(this.sessionId ? { session_id: this.sessionId } : {}),
      operation: this.operation,
      input_keys: Object.keys(this.attrs).sort(),
      ...this.attrs,
    });
  }

  protected onEnd(rt: Runtime, status: string, error: unknown): void {
    rt.metrics.get("agent_sessions_active").child(this.agent).dec();
    rt.metrics.get("agent_sessions_total").child(this.agent, status, this.operation).inc();
    rt.metrics.get("agent_session_duration_seconds").child(this.agent, this.operation).observe(this.duration);
    const fields: Record<string, unknown> = {
      agent_id: this.agent,
      ...(this.sessionId ? { session_id: this.sessionId } : {}),
      operation: this.operation,
      status,
      duration_ms: this.durationMs,
    };
    if (status === STATUSES.SUCCESS) {
      this.event(rt, "agent_execution_completed", fields);
      return;
    }
    const category = status === STATUSES.TIMEOUT ? CATEGORIES.AGENT_TIMEOUT : CATEGORIES.AGENT_EXECUTION_FAILED;
    recordFailure(rt, error, category, SEVERITIES.HIGH, this.agent, this.operation);
    this.event(rt, "agent_execution_failed", { ...fields, ...errorFields(error) });
  }
}

/** Run `fn` as one execution of `agent`; returns what `fn` returns (a promise if it is async). */
export function agentRun<T>(agent: string, fn: (run: AgentRun) => T, options?: AgentRunOptions): T {
  return new AgentRun(agent, options).run(fn);
}

/** The manual form: `const run = startAgentRun("planner"); ...; run.end(error)`. */
export function startAgentRun(agent: string, options?: AgentRunOptions): AgentRun {
  return new AgentRun(agent, options).start();
}
