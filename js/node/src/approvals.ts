/**
 * Human-in-the-loop approvals: requested, pending, decided or timed out, and how long it took.
 *
 * Starting an approval counts the request and raises the pending gauge; `resolve` records
 * the decision and its latency; ending it undecided records a timeout (it failed with a
 * `TimeoutError` or outlived `timeoutSeconds`) or a cancellation. Whichever way it ends, the
 * pending gauge goes back down exactly once.
 */
import { type Attributes, type Context, SpanStatusCode } from "@opentelemetry/api";
import { ATTRIBUTES, SPAN_PREFIXES, STATUSES } from "./catalog.generated.js";
import { currentAgent } from "./context.js";
import { NO_ATTRIBUTES, Operation, errorFields, safely } from "./operation.js";
import type { Runtime } from "./runtime.js";

export interface ApprovalOptions {
  /** The agent asking; the enclosing agent run's by default. */
  agent?: string;
  /** How long a person has to answer; `wait` expires the approval after it. */
  timeoutSeconds?: number;
  approvalId?: string;
  attributes?: Attributes;
}

class ApprovalTimeout extends Error {
  override readonly name = "TimeoutError";
}

export class Approval extends Operation {
  protected readonly where = "approval";
  decision: string | undefined;
  settled = false;
  private agentName: string | undefined;

  constructor(readonly approvalType: string, private readonly options: ApprovalOptions = {}) {
    super();
    this.attrs = options.attributes ?? NO_ATTRIBUTES;
  }

  protected spanName(): string {
    return `${SPAN_PREFIXES.HITL_APPROVAL} ${this.approvalType}`;
  }

  protected spanAttributes(parent: Context): Attributes {
    this.agentName = this.options.agent ?? currentAgent(parent);
    const attributes: Attributes = { [ATTRIBUTES.SWARMSCOPE_APPROVAL_TYPE]: this.approvalType, ...this.attrs };
    if (this.agentName) attributes[ATTRIBUTES.GEN_AI_AGENT_NAME] = this.agentName;
    if (this.options.approvalId) attributes[ATTRIBUTES.SWARMSCOPE_APPROVAL_ID] = this.options.approvalId;
    if (this.options.timeoutSeconds !== undefined) {
      attributes[ATTRIBUTES.SWARMSCOPE_APPROVAL_TIMEOUT_S] = this.options.timeoutSeconds;
    }
    return attributes;
  }

  protected override onStart(rt: Runtime): void {
    rt.metrics.get("hitl_approvals_requested_total").child(this.approvalType, this.agentName).inc();
    rt.metrics.get("hitl_approvals_pending").child(this.approvalType).inc();
    this.event(rt, "hitl_approval_required", this.fields({ timeout_s: this.options.timeoutSeconds ?? null, ...this.attrs }));
  }

  /** Record the person's decision ("approved", "rejected"); false if already settled. */
  resolve(decision: string, reason?: string): boolean {
    const rt = this.rt;
    if (rt === undefined || !this.settle()) return false;
    this.decision = decision;
    safely(this.where, () => {
      const latency = this.elapsed();
      rt.metrics.get("hitl_approvals_pending").child(this.approvalType).dec();
      rt.metrics.get("hitl_approvals_received_total").child(this.approvalType, decision, this.agentName).inc();
      rt.metrics.get("hitl_approval_latency_seconds").child(this.approvalType, this.agentName).observe(latency);
      this.setAttribute(ATTRIBUTES.SWARMSCOPE_APPROVAL_DECISION, decision);
      if (reason) this.setAttribute(ATTRIBUTES.SWARMSCOPE_APPROVAL_REASON, reason);
      this.event(
        rt,
        "hitl_approval_received",
        this.fields({
          decision,
          approved: decision === "approved",
          reason: reason ?? null,
          latency_ms: Math.round(latency * 1e6) / 1000,
        }),
      );
    });
    return true;
  }

  /** Record that nobody answered in time; false if already settled. */
  expire(): boolean {
    const rt = this.rt;
    if (rt === undefined || !this.settle()) return false;
    safely(this.where, () => {
      const waited = this.elapsed();
      rt.metrics.get("hitl_approvals_pending").child(this.approvalType).dec();
      rt.metrics.get("hitl_approval_timeouts_total").child(this.approvalType, this.agentName).inc();
      this.setAttribute(ATTRIBUTES.SWARMSCOPE_APPROVAL_DECISION, STATUSES.TIMEOUT);
      this.markFailed(STATUSES.TIMEOUT);
      this.span.setStatus({ code: SpanStatusCode.ERROR, message: "approval timed out" });
      this.event(
        rt,
        "hitl_approval_timeout",
        this.fields({ timeout_s: this.options.timeoutSeconds ?? null, waited_ms: Math.round(waited * 1e6) / 1000 }),
      );
    });
    return true;
  }

  /** Await the person's answer, expiring the approval (and rejecting) after `timeoutSeconds`. */
  async wait<T>(decision: Promise<T>): Promise<T> {
    const seconds = this.options.timeoutSeconds;
    if (seconds === undefined) return decision;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        this.expire();
        reject(new ApprovalTimeout(`no decision within ${String(seconds)}s`));
      }, seconds * 1000);
    });
    try {
      return await Promise.race([decision, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  protected onEnd(rt: Runtime, status: string, error: unknown): void {
    if (this.settled) return;
    const seconds = this.options.timeoutSeconds;
    const outlived = seconds !== undefined && this.duration >= seconds;
    if (status === STATUSES.TIMEOUT || outlived) {
      this.expire();
      return;
    }
    if (!this.settle()) return;
    rt.metrics.get("hitl_approvals_pending").child(this.approvalType).dec();
    this.event(rt, "hitl_approval_cancelled", this.fields({ status, ...errorFields(error) }));
  }

  private settle(): boolean {
    if (this.settled) return false;
    this.settled = true;
    return true;
  }

  private fields(extra: Record<string, unknown>): Record<string, unknown> {
    const fields: Record<string, unknown> = { approval_type: this.approvalType, agent_id: this.agentName ?? null };
    if (this.options.approvalId) fields.approval_id = this.options.approvalId;
    return { ...fields, ...extra };
  }
}

/** Run `fn` as one approval request: `approval("refund", async (ap) => ap.resolve("approved"))`. */
export function approval<T>(approvalType: string, fn: (approval: Approval) => T, options?: ApprovalOptions): T {
  return new Approval(approvalType, options).run(fn);
}

/** The manual form: `const ap = startApproval("refund"); ... ap.resolve("approved"); ap.end()`. */
export function startApproval(approvalType: string, options?: ApprovalOptions): Approval {
  return new Approval(approvalType, options).start();
}
