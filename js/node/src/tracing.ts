/**
 * The tracer provider: W3C propagation, async context that follows awaits, and spans sent
 * over OTLP/HTTP off the hot path (batched). It becomes the global provider unless the app
 * registered one, so the app's other instrumentations join the same traces.
 */
import { context, propagation, trace, type Tracer } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { type ExportResult, ExportResultCode, W3CTraceContextPropagator } from "@opentelemetry/core";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { resourceFromAttributes } from "@opentelemetry/resources";
import {
  AlwaysOffSampler,
  BasicTracerProvider,
  BatchSpanProcessor,
  ParentBasedSampler,
  AlwaysOnSampler,
  type ReadableSpan,
  type SpanExporter,
  type SpanProcessor,
} from "@opentelemetry/sdk-trace-base";
import { ATTRIBUTES, INSTRUMENTATION_SCOPE } from "./catalog.generated.js";
import type { Settings } from "./config.js";
import { VERSION } from "./version.js";

/** What happened to exported spans: `telemetry_exported_total` / `telemetry_dropped_total`. */
export interface ExportCounts {
  exported(count: number): void;
  dropped(reason: string, count: number): void;
}

/** Counts each batch the exporter took or lost, so a dead collector is visible on /metrics. */
class CountingExporter implements SpanExporter {
  constructor(private readonly inner: SpanExporter, private readonly counts: ExportCounts) {}

  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    this.inner.export(spans, (result) => {
      try {
        if (result.code === ExportResultCode.SUCCESS) this.counts.exported(spans.length);
        else this.counts.dropped("export_failed", spans.length);
      } finally {
        done(result);
      }
    });
  }

  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }

  forceFlush(): Promise<void> {
    return this.inner.forceFlush?.() ?? Promise.resolve();
  }
}

export interface Tracing {
  provider: BasicTracerProvider;
  tracer: Tracer;
}

export function buildTracing(settings: Settings, counts: ExportCounts): Tracing {
  const resource = resourceFromAttributes({
    [ATTRIBUTES.SERVICE_NAME]: settings.serviceName,
    [ATTRIBUTES.SERVICE_NAMESPACE]: settings.namespace,
    [ATTRIBUTES.SERVICE_VERSION]: settings.serviceVersion,
    [ATTRIBUTES.DEPLOYMENT_ENVIRONMENT_NAME]: settings.environment,
    [ATTRIBUTES.HOST_NAME]: settings.hostname,
    [ATTRIBUTES.TELEMETRY_DISTRO_NAME]: "swarmscope",
    [ATTRIBUTES.TELEMETRY_DISTRO_VERSION]: VERSION,
  });
  const exporter =
    settings.spanExporter ??
    (settings.tracesEndpoint === undefined ? undefined : new OTLPTraceExporter({ url: settings.tracesEndpoint }));
  const spanProcessors: SpanProcessor[] = [];
  if (exporter !== undefined && !settings.sdkDisabled) {
    spanProcessors.push(new BatchSpanProcessor(new CountingExporter(exporter, counts), { scheduledDelayMillis: 1000, maxQueueSize: 4096 }));
  }
  const provider = new BasicTracerProvider({
    resource,
    sampler: settings.sdkDisabled ? new AlwaysOffSampler() : new ParentBasedSampler({ root: new AlwaysOnSampler() }),
    spanProcessors,
  });
  // Each returns false when the app registered its own first: then that one is used.
  const manager = new AsyncLocalStorageContextManager();
  if (context.setGlobalContextManager(manager.enable())) {
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  } else {
    manager.disable();
  }
  if (!settings.sdkDisabled) trace.setGlobalTracerProvider(provider);
  return { provider, tracer: provider.getTracer(INSTRUMENTATION_SCOPE, VERSION) };
}
