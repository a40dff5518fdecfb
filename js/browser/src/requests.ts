/**
 * The page's requests to its backends: `fetch` wrapped so that each request is a CLIENT span
 * (`fetch GET /api/run`) under the user action that caused it, carries W3C `traceparent` (so
 * the backend's SERVER span is its child), and times the wait for the response's headers
 * into `frontend_backend_latency_seconds`. An AG-UI `HttpAgent` sends its run with fetch, so
 * its stream request is covered too.
 *
 * The header goes to the page's own origin and to the origins listed in `propagateTo` only:
 * to any other origin it would add a CORS preflight the page did not ask for. Requests to
 * the telemetry endpoint itself are left alone (the exporters call the original fetch).
 */

import { type Span, SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import { ATTRIBUTES, SPAN_PREFIXES } from "./catalog.generated";
import { hold } from "./actions";
import { describeError, safely } from "./guard";
import { parent, runtime } from "./runtime";

type Fetch = typeof fetch;
type Wrapped = Fetch & { __original?: Fetch };

const propagator = new W3CTraceContextPropagator();

function propagates(url: URL, allowed: (string | RegExp)[]): boolean {
  if (typeof location !== "undefined" && url.origin === location.origin) return true;
  return allowed.some((rule) =>
    typeof rule === "string" ? url.href.startsWith(rule) : rule.test(url.href),
  );
}

function target(input: RequestInfo | URL): URL | undefined {
  return safely(() => {
    const href = input instanceof Request ? input.url : String(input);
    return new URL(href, typeof location === "undefined" ? undefined : location.href);
  }, undefined);
}

function method(input: RequestInfo | URL, init: RequestInit | undefined): string {
  return (init?.method ?? (input instanceof Request ? input.method : "GET")).toUpperCase();
}

/** The request's headers with `traceparent` (and `tracestate`) for `span` added. */
function withTrace(input: RequestInfo | URL, init: RequestInit | undefined, span: Span): RequestInit {
  const headers = new Headers(init?.headers ?? (input instanceof Request ? input.headers : undefined));
  propagator.inject(trace.setSpan(parent(), span), headers, {
    set: (carrier: Headers, key: string, value: string) => {
      carrier.set(key, value);
    },
  });
  return { ...init, headers };
}

interface Started {
  span: Span;
  began: number;
  verb: string;
  release: () => void;
}

function begin(url: URL, verb: string): Started | undefined {
  const rt = runtime();
  if (rt === undefined || url.href.startsWith(rt.settings.endpoint)) return undefined;
  const context = parent();
  const span = rt.tracer.startSpan(
    `${SPAN_PREFIXES.FETCH} ${verb} ${url.pathname}`,
    {
      kind: SpanKind.CLIENT,
      attributes: {
        [ATTRIBUTES.HTTP_REQUEST_METHOD]: verb,
        [ATTRIBUTES.URL_PATH]: url.pathname,
        [ATTRIBUTES.SERVER_ADDRESS]: url.hostname,
      },
    },
    context,
  );
  const owner = trace.getSpan(context);
  return { span, began: performance.now(), verb, release: owner === undefined ? () => undefined : hold(owner) };
}

function end(started: Started, status: number | undefined, error?: unknown): void {
  safely(() => {
    const { span, began, verb } = started;
    const seconds = (performance.now() - began) / 1000;
    const rt = runtime();
    const label = status === undefined ? "error" : String(status);
    rt?.instruments.histograms.get("frontend_backend_latency_seconds")?.record(seconds, { method: verb, status: label });
    if (status !== undefined) span.setAttribute(ATTRIBUTES.HTTP_RESPONSE_STATUS_CODE, status);
    if (error !== undefined || (status !== undefined && status >= 500)) {
      const problem = error === undefined ? { type: label, message: label } : describeError(error);
      span.setStatus({ code: SpanStatusCode.ERROR, message: problem.message });
      span.setAttribute(ATTRIBUTES.ERROR_TYPE, problem.type);
    }
    span.end();
    started.release();
  }, undefined);
}

/** Wrap `globalThis.fetch`; returns the function that puts the original back. */
export function instrumentFetch(propagateTo: (string | RegExp)[]): () => void {
  const original = globalThis.fetch as Wrapped | undefined;
  if (original === undefined || original.__original !== undefined) return () => undefined;
  const wrapped: Wrapped = function (input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
    const url = target(input);
    const started = url === undefined ? undefined : safely(() => begin(url, method(input, init)), undefined);
    if (started === undefined || url === undefined) return original(input, init);
    const sent = propagates(url, propagateTo)
      ? safely(() => withTrace(input, init, started.span), init)
      : init;
    return original(input, sent).then(
      (response) => {
        end(started, response.status);
        return response;
      },
      (error: unknown) => {
        end(started, undefined, error);
        throw error;
      },
    );
  };
  wrapped.__original = original;
  globalThis.fetch = wrapped;
  return () => {
    if (globalThis.fetch === wrapped) globalThis.fetch = original;
  };
}
