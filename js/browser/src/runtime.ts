/**
 * The page's telemetry: one tracer, one logger and one meter over OpenTelemetry's SDKs, each
 * exporting OTLP/HTTP (JSON) in batches, with retries, to the server's `/v1/traces`,
 * `/v1/logs` and `/v1/metrics`.
 *
 * Nothing is registered globally: a page that runs OpenTelemetry of its own keeps its
 * providers and context manager, and ours never touches them. Parents are passed explicitly
 * (`parent()`): the span a synchronous callback runs inside, else the user action whose
 * click is being handled.
 */

import {
  type Attributes,
  type Context,
  type Counter,
  type Histogram,
  type Logger,
  type Meter,
  ROOT_CONTEXT,
  SeverityNumber,
  type Span,
  type Tracer,
  type UpDownCounter,
  trace,
} from "@opentelemetry/api";
import { OTLPLogExporter } from "@opentelemetry/exporter-logs-otlp-http";
import {
  AggregationTemporalityPreference,
  OTLPMetricExporter,
} from "@opentelemetry/exporter-metrics-otlp-http";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { BatchLogRecordProcessor, LoggerProvider } from "@opentelemetry/sdk-logs";
import { MeterProvider, PeriodicExportingMetricReader } from "@opentelemetry/sdk-metrics";
import { BatchSpanProcessor, TracerProvider } from "@opentelemetry/sdk-trace";
import { ATTRIBUTES, EVENTS, type EventName, INSTRUMENTATION_SCOPE, METRICS, type MetricName } from "./catalog.generated";
import { safely } from "./guard";
import type { Settings } from "./options";
import { REDACTED, type Fields, scrubFields } from "./scrub";

const SEVERITY: Record<string, SeverityNumber> = {
  debug: SeverityNumber.DEBUG,
  info: SeverityNumber.INFO,
  warning: SeverityNumber.WARN,
  error: SeverityNumber.ERROR,
  critical: SeverityNumber.FATAL,
};

export interface Instruments {
  counters: Map<string, Counter>;
  histograms: Map<string, Histogram>;
  gauges: Map<string, UpDownCounter>;
}

export interface Runtime {
  settings: Settings;
  tracer: Tracer;
  logger: Logger;
  meter: Meter;
  instruments: Instruments;
  flush: () => Promise<void>;
  shutdown: () => Promise<void>;
}

let active: Runtime | undefined;
const scopes: Span[] = [];
let interaction: Span | undefined;

export function runtime(): Runtime | undefined {
  return active;
}

export function setRuntime(value: Runtime | undefined): void {
  active = value;
}

/** The context new spans start in: the span a callback runs inside, else the open click. */
export function parent(): Context {
  const span = scopes[scopes.length - 1] ?? interaction;
  return span === undefined ? ROOT_CONTEXT : trace.setSpan(ROOT_CONTEXT, span);
}

/** Run `body` with `span` as the parent of what it starts synchronously. */
export function inside<T>(span: Span, body: () => T): T {
  scopes.push(span);
  try {
    return body();
  } finally {
    scopes.pop();
  }
}

/** The user action whose handlers are running (set by the click tracker, for a moment). */
export function setInteraction(span: Span | undefined): void {
  interaction = span;
}

function headers(settings: Settings): Record<string, string> {
  return settings.apiKey === undefined ? {} : { "x-api-key": settings.apiKey };
}

function instruments(meter: Meter, namespace: string): Instruments {
  const found: Instruments = { counters: new Map(), histograms: new Map(), gauges: new Map() };
  for (const spec of Object.values(METRICS)) {
    if (spec.group !== "ui") continue;
    const name = `${namespace}_${spec.name}`;
    if (spec.kind === "counter") {
      found.counters.set(spec.name, meter.createCounter(name, { description: spec.help }));
    } else if (spec.kind === "histogram" && "buckets" in spec) {
      const advice = { explicitBucketBoundaries: [...spec.buckets] };
      found.histograms.set(spec.name, meter.createHistogram(name, { description: spec.help, advice }));
    } else {
      found.gauges.set(spec.name, meter.createUpDownCounter(name, { description: spec.help }));
    }
  }
  return found;
}

export function start(settings: Settings): Runtime {
  const resource = resourceFromAttributes({
    [ATTRIBUTES.SERVICE_NAME]: settings.serviceName,
    [ATTRIBUTES.SERVICE_NAMESPACE]: settings.namespace,
    [ATTRIBUTES.SERVICE_VERSION]: settings.serviceVersion,
    [ATTRIBUTES.DEPLOYMENT_ENVIRONMENT_NAME]: settings.environment,
  });
  const common = { headers: headers(settings) };
  const batch = { scheduledDelayMillis: settings.batchDelayMs, disableAutoFlushOnDocumentHide: true };
  const tracerProvider = new TracerProvider({
    resource,
    spanProcessors: [
      new BatchSpanProcessor({
        ...batch,
        exporter: new OTLPTraceExporter({ ...common, url: `${settings.endpoint}/v1/traces` }),
      }),
    ],
  });
  const loggerProvider = new LoggerProvider({
    resource,
    processors: [
      new BatchLogRecordProcessor({
        ...batch,
        exporter: new OTLPLogExporter({ ...common, url: `${settings.endpoint}/v1/logs` }),
      }),
    ],
  });
  // Delta: a page is short-lived, and a server adding up deltas needs no series per tab.
  const meterProvider = new MeterProvider({
    resource,
    readers: [
      new PeriodicExportingMetricReader({
        exporter: new OTLPMetricExporter({
          ...common,
          url: `${settings.endpoint}/v1/metrics`,
          temporalityPreference: AggregationTemporalityPreference.DELTA,
        }),
        exportIntervalMillis: settings.metricIntervalMs,
      }),
    ],
  });
  const meter = meterProvider.getMeter(INSTRUMENTATION_SCOPE);
  const flush = async (): Promise<void> => {
    await Promise.allSettled([
      tracerProvider.forceFlush(),
      loggerProvider.forceFlush(),
      meterProvider.forceFlush(),
    ]);
  };
  const shutdown = async (): Promise<void> => {
    await Promise.allSettled([
      tracerProvider.shutdown(),
      loggerProvider.shutdown(),
      meterProvider.shutdown(),
    ]);
  };
  return {
    settings,
    tracer: tracerProvider.getTracer(INSTRUMENTATION_SCOPE),
    logger: loggerProvider.getLogger(INSTRUMENTATION_SCOPE),
    meter,
    instruments: instruments(meter, settings.namespace),
    flush,
    shutdown,
  };
}

/** `fields` scrubbed, with the app's own patterns applied after the built-in ones. */
export function clean(rt: Runtime, fields: Fields): Attributes {
  const scrubbed = scrubFields(fields);
  if (rt.settings.redactPatterns.length === 0) return scrubbed;
  for (const [key, value] of Object.entries(scrubbed)) {
    if (typeof value === "string") {
      scrubbed[key] = rt.settings.redactPatterns.reduce(
        (text, pattern) => text.replace(new RegExp(pattern.source, pattern.flags.includes("g") ? pattern.flags : `${pattern.flags}g`), REDACTED),
        value,
      );
    }
  }
  return scrubbed;
}

/** Log one catalog event as an OTLP log record, in the trace of `span` (or the current parent). */
export function event(name: EventName, fields: Fields, span?: Span): void {
  safely(() => {
    const rt = active;
    if (rt === undefined) return;
    const level = EVENTS[name].level;
    if (level === "debug" && !rt.settings.logEveryEvent) return;
    rt.logger.emit({
      eventName: name,
      severityNumber: SEVERITY[level] ?? SeverityNumber.INFO,
      severityText: level,
      body: name,
      attributes: clean(rt, { event: name, ...fields }),
      context: span === undefined ? parent() : trace.setSpan(ROOT_CONTEXT, span),
    });
  }, undefined);
}

export function count(metric: MetricName, labels: Record<string, string>, value = 1): void {
  safely(() => active?.instruments.counters.get(metric)?.add(value, labels), undefined);
}

export function observe(metric: MetricName, labels: Record<string, string>, value: number): void {
  safely(() => active?.instruments.histograms.get(metric)?.record(value, labels), undefined);
}

export function move(metric: MetricName, labels: Record<string, string>, by: number): void {
  safely(() => active?.instruments.gauges.get(metric)?.add(by, labels), undefined);
}
