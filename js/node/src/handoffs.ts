/**
 * Handoffs between agents: counted and logged when they happen, timed when the target starts.
 *
 * A handoff is a moment, not a block of code: `handoff(a, b, data)` records the span, the
 * counter and `agent_handoff` at once. Its latency is the time until agent `b` actually
 * starts, so the handoff is remembered (bounded, per trace) and the next `agentRun(b)` in
 * that trace observes `agent_handoff_duration_seconds` and links its span to the handoff's.
 */
import { type Attributes, type Span, type SpanContext, SpanStatusCode, context } from "@opentelemetry/api";
import { ATTRIBUTES, OPERATIONS, STATUSES } from "./catalog.generated.js";
import { CATEGORIES, SEVERITIES, recordFailure } from "./errors.js";
import { describeError, errorFields, safely } from "./operation.js";
import { current, type Runtime } from "./runtime.js";

const MAX_PENDING = 10_000;
// The value of swarmscope.link on the link from an agent's run to the handoff that started it
// (conventions/spans.py LINK_HANDOFF re-uses the operation's word).
const LINK_HANDOFF = OPERATIONS.HANDOFF;

interface Pending {
  fromAgent: string;
  at: number;
  spanContext: SpanContext;
}

// Insertion-ordered: the oldest pending handoff is dropped first.
const pending = new Map<string, Pending>();

export interface HandoffOptions {
  /** Marks the handoff failed. */
  error?: unknown;
  /** Why the work was handed on, a bounded word. */
  reason?: string;
}

/** Record that `fromAgent` hands work (`data`) to `toAgent`. */
export function handoff(fromAgent: string, toAgent: string, data?: unknown, options: HandoffOptions = {}): void {
  safely("handoff", () => { record(current(), fromAgent, toAgent, data, options); });
}

function payloadSize(data: unknown): number {
  if (data === undefined || data === null) return 0;
  if (typeof data === "string") return Buffer.byteLength(data);
  if (data instanceof Uint8Array) return data.byteLength;
  try {
    return Buffer.byteLength(JSON.stringify(data));
  } catch {
    // A cycle or a BigInt: the size is unknown rather than worth a second serialiser.
    return 0;
  }
}

function record(rt: Runtime, fromAgent: string, toAgent: string, data: unknown, options: HandoffOptions): void {
  const keys = data !== null && typeof data === "object" && !Array.isArray(data) ? Object.keys(data).sort() : [];
  const size = payloadSize(data);
  const failed = options.error !== undefined && options.error !== null;
  const attributes: Attributes = {
    [ATTRIBUTES.GEN_AI_OPERATION_NAME]: OPERATIONS.HANDOFF,
    [ATTRIBUTES.GEN_AI_AGENT_NAME]: fromAgent,
    [ATTRIBUTES.SWARMSCOPE_HANDOFF_FROM_AGENT]: fromAgent,
    [ATTRIBUTES.SWARMSCOPE_HANDOFF_TO_AGENT]: toAgent,
    [ATTRIBUTES.SWARMSCOPE_HANDOFF_DATA_KEYS]: keys,
    [ATTRIBUTES.SWARMSCOPE_HANDOFF_DATA_BYTES]: size,
  };
  if (options.reason) attributes[ATTRIBUTES.SWARMSCOPE_HANDOFF_REASON] = options.reason;
  const span = rt.tracer.startSpan(
    `${OPERATIONS.HANDOFF} ${fromAgent} -> ${toAgent}`,
    { attributes: rt.redactor.fields(attributes) as Attributes },
    context.active(),
  );
  try {
    rt.metrics.get("agent_handoffs_total").child(fromAgent, toAgent, failed ? STATUSES.FAILURE : STATUSES.SUCCESS).inc();
    const fields: Record<string, unknown> = {
      agent_id: fromAgent,
      previous_agent: fromAgent,
      next_agent: toAgent,
      handoff_data_keys: keys,
      handoff_data_bytes: size,
    };
    const spanContext = span.spanContext();
    if (!failed) {
      const key = `${spanContext.traceId}/${toAgent}`;
      pending.delete(key);
      pending.set(key, { fromAgent, at: performance.now(), spanContext });
      while (pending.size > MAX_PENDING) {
        const oldest = pending.keys().next();
        if (oldest.done === true) break;
        pending.delete(oldest.value);
      }
      rt.event("agent_handoff", fields, spanContext);
      return;
    }
    const error = options.error;
    span.setStatus({ code: SpanStatusCode.ERROR, message: rt.redactor.text(describeError(error)) });
    span.recordException(error instanceof Error ? error : describeError(error));
    recordFailure(rt, error, CATEGORIES.AGENT_HANDOFF_FAILED, SEVERITIES.HIGH, fromAgent, OPERATIONS.HANDOFF);
    rt.event("agent_handoff_failed", { ...fields, ...errorFields(error) }, spanContext);
  } finally {
    span.end();
  }
}

/** Called when `agent` starts: closes a pending handoff to it in the same trace. */
export function arrive(rt: Runtime, agent: string, span: Span): void {
  const key = `${span.spanContext().traceId}/${agent}`;
  const found = pending.get(key);
  if (found === undefined) return;
  pending.delete(key);
  const latency = (performance.now() - found.at) / 1000;
  rt.metrics.get("agent_handoff_duration_seconds").child(found.fromAgent, agent).observe(latency);
  span.addLink({ context: found.spanContext, attributes: { [ATTRIBUTES.SWARMSCOPE_LINK]: LINK_HANDOFF } });
  span.setAttribute(ATTRIBUTES.SWARMSCOPE_HANDOFF_FROM_AGENT, found.fromAgent);
  span.setAttribute(ATTRIBUTES.SWARMSCOPE_HANDOFF_LATENCY_MS, Math.round(latency * 1e6) / 1000);
}
