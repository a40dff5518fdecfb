/**
 * The tracer provider: W3C propagation, async context that follows awaits, and spans sent
 * over OTLP/HTTP off the hot path (batched). It becomes the global provider unless the app
 * registered one, so the app's other instrumentations join the same traces.
 */
import { context, propagation, trace, type Tracer } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { resourceFromAttributes } from "@opentelemetry/resources";
import {
  AlwaysOffSampler,
  BasicTracerProvider,
  BatchSpanProcessor,
  ParentBasedSampler,
  AlwaysOnSampler,
  type SpanProcessor,
} from "@opentelemetry/sdk-trace-base";
import { ATTRIBUTES, INSTRUMENTATION_SCOPE } from "./catalog.generated.js";
import type { Settings } from "./config.js";
import { VERSION } from "./version.js";

export interface Tracing {
  provider: BasicTracerProvider;
  tracer: Tracer;
}

export function buildTracing(settings: Settings): Tracing {
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
    spanProcessors.push(new BatchSpanProcessor(exporter, { scheduledDelayMillis: 1000, maxQueueSize: 4096 }));
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
