/**
 * What flows with the OpenTelemetry context besides the span: the agent whose run encloses
 * the current code (so tool and LLM calls inherit it) and the fields every log line of that
 * code carries (`agent_id`, `session_id`, `request_id`), as the Python SDK binds them to
 * structlog's context variables. Riding on the OTel context means they follow async code
 * wherever the span does, with no second async store.
 */
import { type Context, context, createContextKey } from "@opentelemetry/api";

const AGENT = createContextKey("swarmscope.agent");
const LOG_FIELDS = createContextKey("swarmscope.log_fields");

export type LogFields = Readonly<Record<string, string>>;

/** The agent of the enclosing agent run, if any. */
export function currentAgent(active: Context = context.active()): string | undefined {
  return active.getValue(AGENT) as string | undefined;
}

export function withAgent(parent: Context, agent: string): Context {
  return parent.setValue(AGENT, agent);
}

/** The log fields bound in `active`. */
export function boundFields(active: Context = context.active()): LogFields | undefined {
  return active.getValue(LOG_FIELDS) as LogFields | undefined;
}

/** `parent` with `fields` added to the fields every log line under it carries. */
export function bindFields(parent: Context, fields: LogFields): Context {
  const bound = boundFields(parent);
  return parent.setValue(LOG_FIELDS, bound === undefined ? fields : { ...bound, ...fields });
}
