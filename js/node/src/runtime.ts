/**
 * The one live set of signals: metrics, tracer, event log, built by `init` and torn down by
 * `shutdown`. Instrumentation asks for `current()`; before `init` that builds a runtime from
 * the environment, so a library instrumented with swarmscope works in an app that never
 * heard of it, and a broken environment falls back to the defaults with a warning.
 */
import { context, propagation, trace, type SpanContext, type Tracer } from "@opentelemetry/api";
import type { BasicTracerProvider } from "@opentelemetry/sdk-trace-base";
import { EVENTS, type EventName } from "./catalog.generated.js";
import { loadSettings, type LogLevel, type Options, type Settings } from "./config.js";
import { EventLog, LEVELS } from "./logs.js";
import { MetricSet } from "./metrics.js";
import { Redactor } from "./redact.js";
import { buildTracing } from "./tracing.js";

export class Runtime {
  readonly metrics: MetricSet;
  readonly redactor: Redactor;
  readonly logs: EventLog;
  readonly provider: BasicTracerProvider;
  readonly tracer: Tracer;

  constructor(readonly settings: Settings) {
    this.metrics = new MetricSet(settings.namespace, settings.maxLabelValues);
    this.redactor = new Redactor(settings.redactPatterns);
    this.logs = new EventLog(settings, this.redactor);
    const metrics = this.metrics;
    const tracing = buildTracing(settings, {
      exported: (count) => { metrics.get("telemetry_exported_total").child("traces").inc(count); },
      dropped: (reason, count) => { metrics.get("telemetry_dropped_total").child("traces", reason).inc(count); },
    });
    this.provider = tracing.provider;
    this.tracer = tracing.tracer;
  }

  /** Log one catalog event at its declared level (`fields` becomes the line: pass a new object). */
  event(name: EventName, fields: Record<string, unknown>, spanContext?: SpanContext): void {
    this.logs.event(name, EVENTS[name].level, fields, spanContext);
  }

  logsAt(level: LogLevel): boolean {
    return LEVELS[level] >= this.logs.threshold;
  }

  instrumentationError(where: string): void {
    this.metrics.get("telemetry_instrumentation_errors_total").child(where).inc();
  }

  /** Export what is queued: spans to their exporter, log lines to their stream. */
  async flush(): Promise<void> {
    await Promise.all([this.provider.forceFlush(), this.logs.flush()]);
  }

  async close(): Promise<void> {
    await this.flush();
    await this.provider.shutdown();
  }
}

let running: Runtime | undefined;

/** Start swarmscope once; later calls return the running instance (`shutdown` first to change it). */
export function init(options: Options = {}): Runtime {
  if (running !== undefined) {
    if (Object.keys(options).length > 0) {
      process.emitWarning("swarmscope.init() was already called: call shutdown() first to change its settings");
    }
    return running;
  }
  running = new Runtime(loadSettings(options));
  return running;
}

/** The running instance, started from the environment if `init` was not called. */
export function current(): Runtime {
  if (running !== undefined) return running;
  try {
    return init();
  } catch (problem) {
    process.emitWarning(`swarmscope: ignoring the environment (${String(problem)}); using defaults`);
    running = new Runtime(
      loadSettings({ namespace: "swarmscope", logLevel: "info", maxLabelValues: 200, redactPatterns: [] }),
    );
    return running;
  }
}

/** Export what is left and release the global tracer, context manager and propagator. */
export async function shutdown(): Promise<void> {
  const stopping = running;
  running = undefined;
  if (stopping === undefined) return;
  await stopping.close();
  trace.disable();
  context.disable();
  propagation.disable();
}
