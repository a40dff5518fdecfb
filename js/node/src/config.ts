/**
 * Settings: options passed to `init` first, then the same `SWARMSCOPE_*` and standard
 * `OTEL_*` variables the Python SDK reads, then its defaults, so one environment configures
 * a Python and a Node service alike.
 */
import { hostname } from "node:os";
import type { SpanExporter } from "@opentelemetry/sdk-trace-base";
import type { DestinationStream } from "pino";

export type LogLevel = "debug" | "info" | "warning" | "error" | "critical";

export interface Options {
  serviceName?: string;
  /** The prefix of every metric family (`myapp_agent_sessions_total`). */
  namespace?: string;
  environment?: string;
  serviceVersion?: string;
  hostname?: string;
  /** Base OTLP/HTTP endpoint; spans go to `${otlpEndpoint}/v1/traces`. */
  otlpEndpoint?: string;
  /** The full traces URL, when it is not `${otlpEndpoint}/v1/traces`. */
  tracesEndpoint?: string;
  /** Replaces the OTLP exporter (tests pass an in-memory one; apps any OTel exporter). */
  spanExporter?: SpanExporter;
  logLevel?: LogLevel;
  /** Where JSON log lines go: stdout by default, "none" for nowhere, or a pino destination. */
  logDestination?: "stdout" | "stderr" | "none" | DestinationStream;
  /** Series per label past which values fold into `other`. */
  maxLabelValues?: number;
  /** Extra regular expressions whose matches are scrubbed from logs and attributes. */
  redactPatterns?: string[];
  /** Spans are no-ops and nothing is exported (OTEL_SDK_DISABLED). */
  sdkDisabled?: boolean;
}

export interface Settings {
  serviceName: string;
  namespace: string;
  environment: string;
  serviceVersion: string;
  hostname: string;
  tracesEndpoint: string | undefined;
  spanExporter: SpanExporter | undefined;
  logLevel: LogLevel;
  logDestination: "stdout" | "stderr" | "none" | DestinationStream;
  maxLabelValues: number;
  redactPatterns: string[];
  sdkDisabled: boolean;
}

const LEVELS: readonly LogLevel[] = ["debug", "info", "warning", "error", "critical"];
const NAMESPACE = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

function env(...names: string[]): string | undefined {
  for (const name of names) {
    const value = process.env[name];
    if (value !== undefined && value !== "") return value;
  }
  return undefined;
}

function flag(value: string | undefined): boolean {
  return value !== undefined && ["1", "true", "yes", "on"].includes(value.toLowerCase());
}

function tracesUrl(options: Options): string | undefined {
  const full = options.tracesEndpoint ?? env("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT");
  if (full !== undefined) return full;
  const base = options.otlpEndpoint ?? env("SWARMSCOPE_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT");
  return base === undefined ? undefined : `${base.replace(/\/+$/, "")}/v1/traces`;
}

/** The settings for these options; throws on a value no setting accepts. */
export function loadSettings(options: Options = {}): Settings {
  const namespace = options.namespace ?? env("SWARMSCOPE_NAMESPACE") ?? "swarmscope";
  if (!NAMESPACE.test(namespace)) {
    throw new Error(`swarmscope: namespace ${JSON.stringify(namespace)} is not a metric name prefix`);
  }
  const level = (options.logLevel ?? env("SWARMSCOPE_LOG_LEVEL") ?? "info").toLowerCase();
  if (!(LEVELS as readonly string[]).includes(level)) {
    throw new Error(`swarmscope: log level ${JSON.stringify(level)} is not one of ${LEVELS.join(", ")}`);
  }
  const limit = options.maxLabelValues ?? Number(env("SWARMSCOPE_MAX_LABEL_VALUES") ?? 200);
  if (!Number.isInteger(limit) || limit <= 0) {
    throw new Error(`swarmscope: maxLabelValues must be a positive integer, got ${String(limit)}`);
  }
  const patterns = env("SWARMSCOPE_REDACT_PATTERNS");
  return {
    serviceName: options.serviceName ?? env("SWARMSCOPE_SERVICE_NAME", "OTEL_SERVICE_NAME") ?? "swarmscope-app",
    namespace,
    environment: options.environment ?? env("SWARMSCOPE_ENVIRONMENT") ?? "development",
    serviceVersion: options.serviceVersion ?? env("SWARMSCOPE_SERVICE_VERSION") ?? "unknown",
    hostname: options.hostname ?? env("SWARMSCOPE_HOSTNAME") ?? hostname(),
    tracesEndpoint: tracesUrl(options),
    spanExporter: options.spanExporter,
    logLevel: level as LogLevel,
    logDestination: options.logDestination ?? (env("SWARMSCOPE_LOG_STREAM") as "stdout" | "stderr" | "none" | undefined) ?? "stdout",
    maxLabelValues: limit,
    redactPatterns: options.redactPatterns ?? (patterns === undefined ? [] : patterns.split(",").filter(Boolean)),
    sdkDisabled: options.sdkDisabled ?? flag(env("SWARMSCOPE_SDK_DISABLED", "OTEL_SDK_DISABLED")),
  };
}
