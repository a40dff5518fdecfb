/**
 * The shape every timed concept shares: one span, one status, metrics and events at both ends.
 *
 * `start()` opens a span under the active context and a clock; `end(error?)` closes both and
 * records the concept's metrics and log events with the span's ids. `run(fn)` does both around
 * `fn`, with the span current inside it (so children nest, across awaits), and returns what
 * `fn` returns: a value, or a promise that settles as `fn`'s does. Any error inside swarmscope
 * is counted on `telemetry_instrumentation_errors_total` and swallowed; the app's own errors
 * pass through untouched.
 */
import {
  type Attributes,
  type Context,
  INVALID_SPAN_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  context,
  trace,
} from "@opentelemetry/api";
import { ATTRIBUTES, STATUSES } from "./catalog.generated.js";
import type { EventName } from "./catalog.generated.js";
import { current, type Runtime } from "./runtime.js";

export const CANCELLED = "cancelled";
// The attributes of a call that passed none: shared, so a plain call allocates no object for them.
export const NO_ATTRIBUTES: Attributes = Object.freeze({});

/** The status an outcome is counted under: `success`, `failure`, `timeout` or `cancelled`. */
export function statusOf(error: unknown): string {
  if (error === undefined || error === null) return STATUSES.SUCCESS;
  const name = error instanceof Error ? error.name : "";
  if (name === "TimeoutError") return STATUSES.TIMEOUT;
  if (name === "AbortError") return CANCELLED;
  return STATUSES.FAILURE;
}

export function errorName(error: unknown): string {
  return error instanceof Error ? error.name : typeof error;
}

function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (typeof error === "string") return error;
  const text = JSON.stringify(error) as string | undefined;
  return text ?? typeof error;
}

/** `Name: message`, as span statuses and failure logs describe an error. */
export function describeError(error: unknown): string {
  return `${errorName(error)}: ${errorMessage(error)}`;
}

/** The log fields that describe an error (none when there is no error). */
export function errorFields(error: unknown): Record<string, string> {
  if (error === undefined || error === null) return {};
  return { error_type: errorName(error), error_message: errorMessage(error) };
}

/** Run a piece of instrumentation; on error count it under `where` and carry on. */
export function safely<T>(where: string, action: () => T): T | undefined {
  try {
    return action();
  } catch {
    try {
      current().instrumentationError(where);
    } catch {
      // Counting failed too: nothing more can be done without risking the app.
    }
    return undefined;
  }
}

/** Whether `object` has any own key, without allocating the list of them. */
export function hasKeys(object: object): boolean {
  for (const key in object) if (Object.hasOwn(object, key)) return true;
  return false;
}

function isPromise(value: unknown): value is PromiseLike<unknown> {
  return (
    value !== null &&
    (typeof value === "object" || typeof value === "function") &&
    typeof (value as { then?: unknown }).then === "function"
  );
}

export abstract class Operation {
  protected abstract readonly where: string;
  protected readonly spanKind: SpanKind = SpanKind.INTERNAL;
  /** Attributes the caller passed: the only span data that is not ours, so scrubbed. */
  protected attrs: Attributes = NO_ATTRIBUTES;
  protected rt: Runtime | undefined;
  private spanRef: Span | undefined;
  private ctx: Context | undefined;
  private startedAt = 0;
  private failure: string | undefined;
  private ended = false;
  status: string | undefined;
  /** Seconds from `start` to `end`. */
  duration = 0;

  protected abstract spanName(): string;
  protected abstract spanAttributes(parent: Context): Attributes;
  /** The context the operation's code runs in; a subclass adds to it (the agent). */
  protected contextFor(withSpan: Context): Context {
    return withSpan;
  }
  protected onStart(_rt: Runtime): void {
    // A concept with nothing to record at its start.
  }
  protected abstract onEnd(rt: Runtime, status: string, error: unknown): void;

  get span(): Span {
    return this.spanRef ?? trace.wrapSpanContext(INVALID_SPAN_CONTEXT);
  }

  /** The context with this operation's span current: `context.with(op.context, fn)`. */
  get context(): Context {
    return this.ctx ?? context.active();
  }

  /** Milliseconds, rounded to the microsecond, as the log lines carry them. */
  get durationMs(): number {
    return Math.round(this.duration * 1_000_000) / 1000;
  }

  /** Seconds since `start`. */
  protected elapsed(): number {
    return (performance.now() - this.startedAt) / 1000;
  }

  setAttribute(key: string, value: string | number | boolean | string[]): void {
    const span = this.spanRef;
    const rt = this.rt;
    if (span === undefined || rt === undefined) return;
    safely(this.where, () => span.setAttribute(key, rt.redactor.value(value, key) as string));
  }

  /** Record this operation as failed without throwing (an error result, a refusal). */
  markFailed(reason: string = STATUSES.FAILURE): void {
    this.failure = reason;
  }

  protected event(rt: Runtime, name: EventName, fields: Record<string, unknown>): void {
    rt.event(name, fields, this.spanRef?.spanContext());
  }

  /** Open the span and start the clock (the manual form: pair it with `end`). */
  start(): this {
    try {
      const rt = current();
      this.rt = rt;
      const parent = context.active();
      let attributes = this.spanAttributes(parent);
      if (hasKeys(this.attrs)) attributes = rt.redactor.fields(attributes) as Attributes;
      const span = rt.tracer.startSpan(this.spanName(), { kind: this.spanKind, attributes }, parent);
      this.spanRef = span;
      this.ctx = this.contextFor(trace.setSpan(parent, span));
      this.startedAt = performance.now();
      this.onStart(rt);
    } catch {
      this.countError("start");
    }
    return this;
  }

  /** Close the span and record the outcome; `error` is what the operation failed with. */
  end(error?: unknown): void {
    const rt = this.rt;
    const span = this.spanRef;
    if (rt === undefined || span === undefined || this.ended) return;
    this.ended = true;
    this.duration = this.elapsed();
    try {
      let status = statusOf(error);
      if (status === STATUSES.SUCCESS && this.failure !== undefined) status = this.failure;
      this.status = status;
      if (error !== undefined && error !== null) {
        span.setStatus({ code: SpanStatusCode.ERROR, message: rt.redactor.text(describeError(error)) });
        span.recordException(error instanceof Error ? error : describeError(error));
        span.setAttribute(ATTRIBUTES.ERROR_TYPE, errorName(error));
      } else if (status !== STATUSES.SUCCESS) {
        span.setStatus({ code: SpanStatusCode.ERROR, message: status });
        span.setAttribute(ATTRIBUTES.ERROR_TYPE, status);
      }
      this.onEnd(rt, status, error);
    } catch {
      this.countError("end");
    } finally {
      span.end();
    }
  }

  /** Run `fn` inside the operation: started before, ended when `fn` returns or settles. */
  run<T>(fn: (operation: this) => T): T {
    this.start();
    let result: T;
    try {
      result = context.with(this.context, fn, undefined, this);
    } catch (error) {
      this.end(error);
      throw error;
    }
    if (!isPromise(result)) {
      this.end();
      return result;
    }
    return result.then(
      (value) => {
        this.end();
        return value;
      },
      (error: unknown) => {
        this.end(error);
        throw error;
      },
    ) as T;
  }

  private countError(phase: string): void {
    try {
      current().instrumentationError(`${this.where}.${phase}`);
    } catch {
      // See safely().
    }
  }
}
