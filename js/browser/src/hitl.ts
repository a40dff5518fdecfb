/**
 * Approvals on the page: `approvalShown(type)` when the prompt appears (`hitl_approval_requested`
 * and a `hitl_prompt {type}` span), then `.answered(decision)` when the person decides
 * (`hitl_approval_submitted` with `wait_ms`, the time they took). The backend's own
 * `ss.approval` records the same approval from its side; the two share the trace when the
 * prompt came from a traced request.
 */

import { SpanStatusCode } from "@opentelemetry/api";
import { ATTRIBUTES, SPAN_PREFIXES } from "./catalog.generated";
import { safely } from "./guard";
import { event, parent, runtime } from "./runtime";
import type { Fields } from "./scrub";

export interface ApprovalPrompt {
  /** The person decided ("approved", "rejected"...); returns the wait in milliseconds. */
  answered: (decision: string, fields?: Fields) => number;
  /** The prompt went away unanswered (closed, timed out on the page). */
  dismissed: (reason?: string) => void;
}

export function approvalShown(approvalType: string, fields: Fields = {}): ApprovalPrompt {
  const began = performance.now();
  let settled = false;
  const span = safely(
    () =>
      runtime()?.tracer.startSpan(
        `${SPAN_PREFIXES.HITL_PROMPT} ${approvalType}`,
        { attributes: { [ATTRIBUTES.SWARMSCOPE_APPROVAL_TYPE]: approvalType } },
        parent(),
      ),
    undefined,
  );
  event("hitl_approval_requested", { approval_type: approvalType, ...fields }, span);
  return {
    answered: (decision, more = {}) =>
      safely(() => {
        const waited = performance.now() - began;
        if (settled) return waited;
        settled = true;
        span?.setAttribute(ATTRIBUTES.SWARMSCOPE_APPROVAL_DECISION, decision);
        span?.setAttribute(ATTRIBUTES.SWARMSCOPE_APPROVAL_WAIT_MS, waited);
        event(
          "hitl_approval_submitted",
          { approval_type: approvalType, decision, wait_ms: waited, ...fields, ...more },
          span,
        );
        span?.end();
        return waited;
      }, 0),
    dismissed: (reason = "dismissed") =>
      safely(() => {
        if (settled) return;
        settled = true;
        span?.setStatus({ code: SpanStatusCode.ERROR, message: reason });
        span?.end();
      }, undefined),
  };
}
