/**
 * One HTTP request and its response, as swarmscope records them: a SERVER span under the
 * caller's `traceparent`, `http_requests_total{method,endpoint,status}`, the duration and
 * body-size histograms, the in-progress gauge, and `request_completed`/`request_failed`.
 *
 * Metrics are labelled by route template, never by raw path. The exchange finishes when the
 * response does ('finish'), or when the connection closes first (499, the client left), so
 * a streamed response is timed to its end and counted once. `x-trace-id` and `x-request-id`
 * are set on the response, so a user reporting a problem can quote the trace.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { randomBytes } from "node:crypto";
import { type Attributes, type Context, type Span, SpanKind, SpanStatusCode, context, propagation, trace } from "@opentelemetry/api";
import { ATTRIBUTES } from "./catalog.generated.js";
import { bindFields } from "./context.js";
import type { Series } from "./metrics.js";
import { describeError, errorFields, errorName, safely } from "./operation.js";
import { current, type Runtime } from "./runtime.js";

export const UNMATCHED = "unmatched";
export const DEFAULT_EXCLUDED_PATHS = ["/metrics", "/health/live", "/health/ready"];
const CLIENT_CLOSED = 499;
const KNOWN_METHODS = new Set(["CONNECT", "DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT", "QUERY", "TRACE"]);
// An incoming X-Request-Id is echoed and logged, so only a short, plain one is trusted.
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;
const RECORDED = Symbol.for("swarmscope.exchange");

function header(request: IncomingMessage, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[value.length - 1] : value;
}

function newRequestId(): string {
  return `req_${randomBytes(6).toString("hex")}`;
}

export class Exchange {
  readonly context: Context;
  readonly span: Span;
  readonly method: string;
  readonly requestId: string;
  private readonly started = performance.now();
  private readonly inProgress: Series;
  private failure: unknown;
  private failedIn: string | undefined;
  private finished = false;

  constructor(
    private readonly rt: Runtime,
    private readonly request: IncomingMessage,
    private readonly response: ServerResponse,
    private endpoint: string,
    private readonly routeAtEnd?: () => string | undefined,
  ) {
    const rawMethod = request.method ?? "GET";
    const method = KNOWN_METHODS.has(rawMethod) ? rawMethod : "_OTHER";
    this.method = method;
    const incoming = header(request, "x-request-id");
    this.requestId = incoming !== undefined && REQUEST_ID.test(incoming) ? incoming : newRequestId();
    const path = (request.url ?? "/").split("?")[0] ?? "/";
    const attributes: Attributes = {
      [ATTRIBUTES.HTTP_REQUEST_METHOD]: method,
      [ATTRIBUTES.URL_PATH]: rt.redactor.text(path),
      [ATTRIBUTES.URL_SCHEME]: "encrypted" in request.socket ? "https" : "http",
      [ATTRIBUTES.NETWORK_PROTOCOL_VERSION]: request.httpVersion,
    };
    if (method !== rawMethod) attributes[ATTRIBUTES.HTTP_REQUEST_METHOD_ORIGINAL] = rawMethod;
    if (endpoint !== UNMATCHED) attributes[ATTRIBUTES.HTTP_ROUTE] = endpoint;
    const host = header(request, "host");
    if (host) {
      const [address, port] = host.split(":");
      if (address) attributes[ATTRIBUTES.SERVER_ADDRESS] = address;
      if (port && /^\d+$/.test(port)) attributes[ATTRIBUTES.SERVER_PORT] = Number(port);
    }
    if (request.socket.remoteAddress) attributes[ATTRIBUTES.CLIENT_ADDRESS] = request.socket.remoteAddress;
    const agent = header(request, "user-agent");
    if (agent) attributes[ATTRIBUTES.USER_AGENT_ORIGINAL] = rt.redactor.text(agent);
    const logFields: Record<string, string> = { request_id: this.requestId };
    const session = header(request, "x-session-id");
    if (session) {
      attributes[ATTRIBUTES.SESSION_ID] = rt.redactor.text(session);
      logFields.session_id = session;
    }
    const user = header(request, "x-user-id");
    if (user) {
      attributes[ATTRIBUTES.USER_ID] = rt.redactor.text(user);
      logFields.user_id = user;
    }
    // An outer layer that already opened a span for the request read the traceparent too.
    const active = context.active();
    const parent = trace.getSpan(active)?.spanContext().isRemote === false ? active : propagation.extract(active, request.headers);
    this.span = rt.tracer.startSpan(
      endpoint === UNMATCHED ? method : `${method} ${endpoint}`,
      { kind: SpanKind.SERVER, attributes },
      parent,
    );
    this.context = bindFields(trace.setSpan(parent, this.span), logFields);
    this.inProgress = rt.metrics.get("http_requests_in_progress").child(method, endpoint);
    this.inProgress.inc();
    if (!response.headersSent) {
      response.setHeader("x-trace-id", this.span.spanContext().traceId);
      response.setHeader("x-request-id", this.requestId);
    }
    if (rt.logsAt("debug")) {
      rt.event("request_started", { method, path, route: endpoint, client_ip: request.socket.remoteAddress ?? null }, this.span.spanContext());
    }
    response.once("finish", () => { this.finish(); });
    response.once("close", () => { this.finish(); });
  }

  /** The route template, once the router knows it (Express finds it after this opened). */
  private setRoute(template: string | undefined): void {
    if (template && this.endpoint === UNMATCHED) {
      this.endpoint = template;
      this.span.updateName(`${this.method} ${template}`);
      this.span.setAttribute(ATTRIBUTES.HTTP_ROUTE, template);
    }
  }

  /** The handler failed with `error` (thrown in `module`): recorded when the response ends, if it is a 5xx. */
  fail(error: unknown, module?: string): void {
    this.failure = error;
    this.failedIn = module;
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    safely("http.finish", () => { this.record(); });
  }

  private record(): void {
    const rt = this.rt;
    const span = this.span;
    try {
      this.inProgress.dec();
      if (this.routeAtEnd !== undefined) this.setRoute(this.routeAtEnd());
      const duration = (performance.now() - this.started) / 1000;
      const response = this.response;
      const disconnected = !response.writableFinished;
      const status = disconnected && !response.headersSent ? CLIENT_CLOSED : response.statusCode;
      const metrics = rt.metrics;
      const endpoint = this.endpoint;
      metrics.get("http_requests_total").child(this.method, endpoint, String(status)).inc();
      metrics.get("http_request_duration_seconds").child(this.method, endpoint).observe(duration);
      const declared = Number(header(this.request, "content-length") ?? 0);
      metrics.get("http_request_body_size_bytes").child(this.method, endpoint).observe(Number.isFinite(declared) ? declared : 0);
      const sent = Number(response.getHeader("content-length") ?? 0);
      metrics.get("http_response_body_size_bytes").child(this.method, endpoint).observe(Number.isFinite(sent) ? sent : 0);
      span.setAttribute(ATTRIBUTES.HTTP_RESPONSE_STATUS_CODE, status);
      const fields: Record<string, unknown> = {
        method: this.method,
        path: (this.request.url ?? "/").split("?")[0],
        route: endpoint,
        status_code: status,
        duration_ms: Math.round(duration * 1e6) / 1000,
        client_ip: this.request.socket.remoteAddress ?? null,
        request_id: this.requestId,
      };
      const error = this.failure;
      if (error !== undefined && status >= 500) {
        metrics.get("exceptions_unhandled_total").child(errorName(error), this.failedIn ?? null).inc();
        span.recordException(error instanceof Error ? error : describeError(error));
        span.setStatus({ code: SpanStatusCode.ERROR, message: rt.redactor.text(describeError(error)) });
        span.setAttribute(ATTRIBUTES.ERROR_TYPE, errorName(error));
        rt.event("request_failed", { ...fields, ...errorFields(error) }, span.spanContext());
        return;
      }
      if (status >= 500) {
        span.setStatus({ code: SpanStatusCode.ERROR });
        span.setAttribute(ATTRIBUTES.ERROR_TYPE, String(status));
      }
      if (disconnected) {
        fields.client_disconnected = true;
        span.setAttribute(ATTRIBUTES.SWARMSCOPE_CLIENT_DISCONNECTED, true);
      }
      rt.event("request_completed", fields, span.spanContext());
    } finally {
      span.end();
    }
  }
}

/** Start recording `request`, unless it is excluded or already recorded; undefined then. */
export function openExchange(
  request: IncomingMessage,
  response: ServerResponse,
  route: string | undefined,
  excludedPaths: readonly string[] = DEFAULT_EXCLUDED_PATHS,
  routeAtEnd?: () => string | undefined,
): Exchange | undefined {
  const marked = request as IncomingMessage & { [RECORDED]?: Exchange };
  if (marked[RECORDED] !== undefined) return undefined;
  const path = (request.url ?? "/").split("?")[0] ?? "/";
  if (excludedPaths.includes(path)) return undefined;
  return safely("http.start", () => {
    const exchange = new Exchange(current(), request, response, route ?? UNMATCHED, routeAtEnd);
    marked[RECORDED] = exchange;
    return exchange;
  });
}

type Next = (error?: unknown) => void;
interface RoutedRequest extends IncomingMessage {
  baseUrl?: string;
  route?: { path?: unknown };
}

/**
 * Express (or connect) middleware recording every request; mount it first. The route
 * template is read from Express when the response ends, so metrics carry `/items/:id`.
 */
export function expressMiddleware(options: { excludedPaths?: readonly string[] } = {}) {
  return (request: IncomingMessage, response: ServerResponse, next: Next): void => {
    const exchange = openExchange(request, response, undefined, options.excludedPaths, () =>
      routeOf(request),
    );
    if (exchange === undefined) {
      next();
      return;
    }
    context.with(exchange.context, next);
  };
}

/** The matched route template of an Express request (`/items/:id`), if routing matched one. */
export function routeOf(request: RoutedRequest): string | undefined {
  const path = request.route?.path;
  return typeof path === "string" ? `${request.baseUrl ?? ""}${path}` : undefined;
}
