/** What `init` accepts, and the defaults a page gets without saying more. */

export interface Options {
  /** The swarmscope server (or any OTLP/HTTP receiver): `https://telemetry.example.com`. */
  endpoint: string;
  /** The page's service name, as the server lists it. */
  serviceName: string;
  /** The namespace of the metric families (the Python SDK's `namespace`). */
  namespace?: string;
  serviceVersion?: string;
  environment?: string;
  /** Sent as `x-api-key` when the server asks for a key (`swarmscope serve --api-key`). */
  apiKey?: string;
  /**
   * Origins (or URL prefixes) whose requests get a `traceparent` header. The page's own origin
   * always does; another origin only when listed, since the header makes the browser ask that
   * origin's CORS policy first.
   */
  propagateTo?: (string | RegExp)[];
  /** Clicks on elements carrying this attribute are user actions named by its value. */
  actionAttribute?: string;
  /** Send `ag_ui_event_received` and `sse_message_received` per event (debug level, many). */
  logEveryEvent?: boolean;
  /** How often metrics are sent, in milliseconds. */
  metricIntervalMs?: number;
  /** Longest wait before a batch of spans or logs is sent, in milliseconds. */
  batchDelayMs?: number;
  /** Patterns replaced by `[REDACTED]` in every string, besides the built-in ones. */
  redactPatterns?: RegExp[];
}

export interface Settings {
  endpoint: string;
  serviceName: string;
  namespace: string;
  serviceVersion: string;
  environment: string;
  apiKey: string | undefined;
  propagateTo: (string | RegExp)[];
  actionAttribute: string;
  logEveryEvent: boolean;
  metricIntervalMs: number;
  batchDelayMs: number;
  redactPatterns: RegExp[];
}

export function settings(options: Options): Settings {
  return {
    endpoint: options.endpoint.replace(/\/+$/, ""),
    serviceName: options.serviceName,
    namespace: options.namespace ?? "swarmscope",
    serviceVersion: options.serviceVersion ?? "unknown",
    environment: options.environment ?? "production",
    apiKey: options.apiKey,
    propagateTo: options.propagateTo ?? [],
    actionAttribute: options.actionAttribute ?? "data-ss-action",
    logEveryEvent: options.logEveryEvent ?? false,
    metricIntervalMs: options.metricIntervalMs ?? 10_000,
    batchDelayMs: options.batchDelayMs ?? 2_000,
    redactPatterns: options.redactPatterns ?? [],
  };
}
