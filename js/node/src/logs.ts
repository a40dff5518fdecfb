/**
 * JSON log lines through pino, with the Python SDK's field names: `event`, `level`
 * ("warning", not "warn"), `logger`, `timestamp` (RFC 3339 UTC), `trace_id`/`span_id` in hex,
 * `service`/`environment`/`hostname`/`version`, and the bound fields of the enclosing run or
 * request. One pipeline for swarmscope's catalog events and the app's own lines (`logger()`),
 * so both carry the trace ids and both are scrubbed before they are written.
 */
import { type SpanContext, context, trace } from "@opentelemetry/api";
import { pino, type DestinationStream, type Logger, type LevelWithSilent } from "pino";
import { boundFields } from "./context.js";
import type { LogLevel, Settings } from "./config.js";
import type { Redactor } from "./redact.js";

const PINO_LEVEL: Record<LogLevel, LevelWithSilent> = {
  debug: "debug",
  info: "info",
  warning: "warn",
  error: "error",
  critical: "fatal",
};
const OUR_LEVEL: Record<string, LogLevel> = {
  trace: "debug",
  debug: "debug",
  info: "info",
  warn: "warning",
  error: "error",
  fatal: "critical",
};
export const LEVELS: Record<LogLevel, number> = { debug: 10, info: 20, warning: 30, error: 40, critical: 50 };
// Set by the pipeline, never from user data: not scrubbed.
const PIPELINE_FIELDS = new Set(["trace_id", "span_id", "logger", "event"]);

/** The ids of `spanContext`, or of the active span, as log fields. */
function traceFields(spanContext?: SpanContext): Record<string, string> {
  const ids = spanContext ?? trace.getSpanContext(context.active());
  if (ids === undefined || !trace.isSpanContextValid(ids)) return {};
  return { trace_id: ids.traceId, span_id: ids.spanId };
}

function destination(settings: Settings): DestinationStream | undefined {
  const target = settings.logDestination;
  if (target === "stdout") return pino.destination({ dest: 1, sync: false });
  if (target === "stderr") return pino.destination({ dest: 2, sync: false });
  if (target === "none") return undefined;
  return target;
}

export class EventLog {
  readonly threshold: number;
  /** The pino logger every line goes through; `child` it for an app's own loggers. */
  readonly logger: Logger;

  constructor(settings: Settings, redactor: Redactor) {
    this.threshold = LEVELS[settings.logLevel];
    const stream = destination(settings);
    const scrub = (fields: Record<string, unknown>): Record<string, unknown> => {
      const clean: Record<string, unknown> = {};
      for (const [key, value] of Object.entries(fields)) {
        clean[key] = PIPELINE_FIELDS.has(key) ? value : redactor.value(value, key);
      }
      return clean;
    };
    const options = {
      enabled: stream !== undefined,
      level: PINO_LEVEL[settings.logLevel],
      messageKey: "event",
      base: {
        service: settings.serviceName,
        environment: settings.environment,
        hostname: settings.hostname,
        version: settings.serviceVersion,
      },
      timestamp: () => `,"timestamp":"${new Date().toISOString()}"`,
      formatters: {
        level: (label: string) => ({ level: OUR_LEVEL[label] ?? label }),
        log: scrub,
      },
      // App lines get the active span's ids and the bound fields; explicit fields win.
      mixin: () => ({ ...boundFields(), ...traceFields() }),
    };
    this.logger = stream === undefined ? pino(options) : pino(options, stream);
  }

  /** Log one catalog event at `level`; `fields` become the line. */
  event(name: string, level: LogLevel, fields: Record<string, unknown>, spanContext?: SpanContext): void {
    if (LEVELS[level] < this.threshold) return;
    const line = { logger: "swarmscope", ...fields, ...traceFields(spanContext) };
    this.logger[PINO_LEVEL[level] as "info"](line, name);
  }

  flush(): Promise<void> {
    return new Promise((resolve) => {
      this.logger.flush(() => { resolve(); });
    });
  }
}
