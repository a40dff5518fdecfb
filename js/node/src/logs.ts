/**
 * JSON log lines through pino, with the Python SDK's field names: `event`, `level`
 * ("warning", not "warn"), `logger`, `timestamp` (RFC 3339 UTC), `trace_id`/`span_id` in hex,
 * `service`/`environment`/`hostname`/`version`, and the bound fields of the enclosing run or
 * request. One pipeline for swarmscope's catalog events and the app's own lines (`logger()`),
 * so both carry the trace ids and both are scrubbed before they are written.
 */
import { INVALID_TRACEID, type SpanContext, context, trace } from "@opentelemetry/api";
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

let lastMillis = -1;
let lastStamp = "";

/** pino's timestamp field, RFC 3339 UTC as the Python SDK writes it; formatted once per millisecond. */
function isoTimestamp(): string {
  const now = Date.now();
  if (now !== lastMillis) {
    lastMillis = now;
    lastStamp = `,"timestamp":"${new Date(now).toISOString()}"`;
  }
  return lastStamp;
}

/** The ids of the active span, as log fields. */
function traceFields(): Record<string, string> {
  const ids = trace.getSpanContext(context.active());
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
  /** The app's lines: `child` it for an app's own loggers. */
  readonly logger: Logger;
  // swarmscope's own events: the same stream and fields, without the mixin (they carry their
  // ids already, and a mixin costs a copy of every line).
  private readonly events: Logger;

  constructor(settings: Settings, redactor: Redactor) {
    this.threshold = LEVELS[settings.logLevel];
    const stream = destination(settings);
    // Runs for every line: a field that is a number, a flag or a string already seen clean,
    // under a name known to be harmless, costs two Map lookups, and a clean line is not copied.
    const scrub = (fields: Record<string, unknown>): Record<string, unknown> => {
      let clean: Record<string, unknown> | undefined;
      for (const key in fields) {
        if (PIPELINE_FIELDS.has(key)) continue;
        const value = fields[key];
        const scrubbed = redactor.field(key, value);
        if (scrubbed === value) continue;
        clean ??= { ...fields };
        clean[key] = scrubbed;
      }
      return clean ?? fields;
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
      timestamp: isoTimestamp,
      formatters: {
        level: (label: string) => ({ level: OUR_LEVEL[label] ?? label }),
        log: scrub,
      },
    };
    this.events = stream === undefined ? pino(options) : pino(options, stream);
    // App lines get the active span's ids and the bound fields (explicit fields win).
    const app = { ...options, mixin: () => ({ ...boundFields(), ...traceFields() }) };
    this.logger = stream === undefined ? pino(app) : pino(app, stream);
  }

  /** Log one catalog event at `level`; `fields` become the line (pass a new object). */
  event(name: string, level: LogLevel, fields: Record<string, unknown>, spanContext?: SpanContext): void {
    if (LEVELS[level] < this.threshold) return;
    const active = context.active();
    const bound = boundFields(active);
    if (bound !== undefined) {
      for (const key in bound) if (!(key in fields)) fields[key] = bound[key];
    }
    fields.logger = "swarmscope";
    const ids = spanContext ?? trace.getSpanContext(active);
    // The ids come from a tracer, never from user data: the all-zero id is the only invalid one.
    if (ids !== undefined && ids.traceId !== INVALID_TRACEID) {
      fields.trace_id = ids.traceId;
      fields.span_id = ids.spanId;
    }
    this.events[PINO_LEVEL[level] as "info"](fields, name);
  }

  flush(): Promise<void> {
    return new Promise((resolve) => {
      // One stream under both loggers: flushing one writes the other's lines too.
      this.events.flush(() => { resolve(); });
    });
  }
}
