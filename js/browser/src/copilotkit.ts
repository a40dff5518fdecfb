/**
 * CopilotKit (`@copilotkit/react-core`): `trackCopilotAction(action)` wraps the handler of an
 * action definition given to `useCopilotAction`, so each call is a `copilotkit_action {name}`
 * span with `copilot_action_started`, then `copilot_action_completed` or
 * `copilot_action_failed`, and `copilotkit_actions_total` / `copilotkit_action_duration_seconds`
 * as the Python SDK's `ss.copilotkit_action` records them. The handler's result and errors pass
 * through unchanged.
 *
 *     useCopilotAction(trackCopilotAction({ name: "approve", handler: async (args) => ... }));
 *
 * An action that asks a person (`renderAndWaitForResponse`) also reports the prompt shown and
 * the response, with the time the person took, as `approvalShown` does.
 */

import { SpanStatusCode } from "@opentelemetry/api";
import { ATTRIBUTES, SPAN_PREFIXES, STATUSES } from "./catalog.generated";
import { describeError, safely } from "./guard";
import { approvalShown } from "./hitl";
import { count, event, inside, observe, parent, runtime } from "./runtime";

/** The part of a `useCopilotAction` definition this wraps: its name, handler and HITL render. */
export interface CopilotActionLike {
  name: string;
  handler?: (...args: never[]) => unknown;
  renderAndWaitForResponse?: (props: never) => unknown;
}

interface RenderProps {
  status?: string;
  respond?: (result: unknown) => void;
}

/** What a person's response means: a string as it is, `true`/`{approved: true}` "approved". */
function decision(result: unknown): string {
  if (typeof result === "string") return result.slice(0, 64);
  const approved =
    typeof result === "boolean"
      ? result
      : typeof result === "object" && result !== null && "approved" in result
        ? Boolean(result.approved)
        : undefined;
  if (approved === undefined) return "responded";
  return approved ? "approved" : "rejected";
}

/**
 * The action's prompt for a person (`renderAndWaitForResponse`): the first render that can
 * respond shows the prompt (`hitl_approval_requested`), and the response answers it
 * (`hitl_approval_submitted` with the person's wait). Each invocation has its own `respond`.
 */
function trackPrompt(name: string, render: (props: RenderProps) => unknown): (props: RenderProps) => unknown {
  const prompts = new WeakMap<object, (result: unknown) => void>();
  return (props: RenderProps) => {
    const respond = props.respond;
    if (props.status !== "executing" || typeof respond !== "function") return render(props);
    let answer = prompts.get(respond);
    if (answer === undefined) {
      const prompt = approvalShown(name, { action_name: name });
      answer = (result: unknown) => {
        prompt.answered(decision(result));
        respond(result);
      };
      prompts.set(respond, answer);
    }
    return render({ ...props, respond: answer });
  };
}

function errorFields(error: unknown): Record<string, string> {
  const { type, message } = describeError(error);
  return { error_type: type, error_message: message };
}

export function trackCopilotAction<T extends CopilotActionLike>(action: T): T {
  const render = action.renderAndWaitForResponse as ((props: RenderProps) => unknown) | undefined;
  const prompted = typeof render === "function" ? { ...action, renderAndWaitForResponse: trackPrompt(action.name, render) } : action;
  if (typeof action.handler !== "function") return prompted;
  const handler = action.handler as (...args: unknown[]) => unknown;
  const name = action.name;
  const traced = (...args: unknown[]): unknown => {
    const rt = runtime();
    if (rt === undefined) return handler(...args);
    const span = safely(
      () =>
        rt.tracer.startSpan(
          `${SPAN_PREFIXES.COPILOTKIT_ACTION} ${name}`,
          { attributes: { [ATTRIBUTES.SWARMSCOPE_COPILOTKIT_ACTION]: name } },
          parent(),
        ),
      undefined,
    );
    if (span === undefined) return handler(...args);
    const began = performance.now();
    event("copilot_action_started", { action_name: name }, span);
    const finish = (error?: unknown): void =>
      safely(() => {
        const seconds = (performance.now() - began) / 1000;
        const status = error === undefined ? STATUSES.SUCCESS : STATUSES.FAILURE;
        count("copilotkit_actions_total", { action_name: name, status });
        observe("copilotkit_action_duration_seconds", { action_name: name }, seconds);
        const fields = { action_name: name, status, duration_ms: seconds * 1000 };
        if (error === undefined) {
          event("copilot_action_completed", fields, span);
        } else {
          span.setStatus({ code: SpanStatusCode.ERROR, message: describeError(error).message });
          event("copilot_action_failed", { ...fields, ...errorFields(error) }, span);
        }
        span.end();
      }, undefined);
    let result: unknown;
    try {
      result = inside(span, () => handler(...args));
    } catch (error) {
      finish(error);
      throw error;
    }
    if (result instanceof Promise) {
      return result.then(
        (value: unknown) => {
          finish();
          return value;
        },
        (error: unknown) => {
          finish(error);
          throw error;
        },
      );
    }
    finish();
    return result;
  };
  return { ...prompted, handler: traced };
}
