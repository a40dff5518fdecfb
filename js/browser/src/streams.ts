/**
 * Streams the page reads: an `EventSource` (SSE) or an AG-UI run. Each is an `sse {stream}`
 * span from open to close, with `sse_connection_opened`, `sse_connection_closed` (messages
 * read, reconnects, how long) and `sse_connection_error` (failed, or reconnecting) logs, the
 * `sse_connections_active` gauge and `sse_connection_duration_seconds`.
 */

import { type Span, SpanKind, SpanStatusCode } from "@opentelemetry/api";
import { ATTRIBUTES, SPAN_PREFIXES, STATUSES } from "./catalog.generated";
import { describeError, safely } from "./guard";
import { event, move, observe, parent, runtime } from "./runtime";
import type { Fields } from "./scrub";

export class Stream {
  private span: Span | undefined;
  private began = 0;
  private closed = false;
  messages = 0;
  reconnects = 0;
  failed = false;

  constructor(readonly name: string, readonly fields: Fields = {}) {}

  /** The stream is open; call again after a reconnect (counted, not a second span). */
  opened(): void {
    safely(() => {
      const rt = runtime();
      if (rt === undefined || this.closed) return;
      if (this.span !== undefined) return;
      this.began = performance.now();
      this.span = rt.tracer.startSpan(
        `${SPAN_PREFIXES.SSE} ${this.name}`,
        { kind: SpanKind.CLIENT, attributes: { [ATTRIBUTES.SWARMSCOPE_SSE_STREAM]: this.name } },
        parent(),
      );
      move("sse_connections_active", {}, 1);
      event("sse_connection_opened", { stream: this.name, ...this.fields }, this.span);
    }, undefined);
  }

  /** One message read; logged only with `logEveryEvent`. */
  message(messageType: string): void {
    this.messages += 1;
    event("sse_message_received", { stream: this.name, message_type: messageType }, this.span);
  }

  /** The stream failed; `reconnecting` when the browser will try again by itself. */
  error(reconnecting: boolean, error?: unknown): void {
    safely(() => {
      if (reconnecting) this.reconnects += 1;
      else this.failed = true;
      const fields: Fields = { stream: this.name, reconnecting, reconnects: this.reconnects };
      if (error !== undefined) {
        const { type, message } = describeError(error);
        fields.error_type = type;
        fields.error_message = message;
      }
      event("sse_connection_error", fields, this.span);
    }, undefined);
  }

  close(): void {
    safely(() => {
      const span = this.span;
      if (this.closed || span === undefined) return;
      this.closed = true;
      const seconds = (performance.now() - this.began) / 1000;
      const status = this.failed ? STATUSES.FAILURE : STATUSES.SUCCESS;
      span.setAttribute(ATTRIBUTES.SWARMSCOPE_SSE_MESSAGES, this.messages);
      span.setAttribute(ATTRIBUTES.SWARMSCOPE_SSE_RECONNECTS, this.reconnects);
      if (this.failed) span.setStatus({ code: SpanStatusCode.ERROR, message: "stream failed" });
      event(
        "sse_connection_closed",
        {
          stream: this.name,
          status,
          messages_received: this.messages,
          reconnects: this.reconnects,
          duration_ms: seconds * 1000,
        },
        span,
      );
      move("sse_connections_active", {}, -1);
      observe("sse_connection_duration_seconds", {}, seconds);
      span.end();
    }, undefined);
  }
}

/**
 * Follow an `EventSource`: open, each message (by event type), errors (a reconnect while the
 * browser retries, a failure once it gives up) and close. An EventSource cannot send headers,
 * so its request carries no `traceparent`: a stream that must be traced end to end is read
 * with fetch (as AG-UI's HttpAgent does). Returns a function that stops following it.
 */
export function trackEventSource(source: EventSource, name = "events", messageTypes: string[] = []): () => void {
  const stream = new Stream(name, { url: source.url });
  const onOpen = (): void => {
    stream.opened();
  };
  const onMessage = (message: Event): void => {
    stream.message(message.type);
  };
  const onError = (): void => {
    if (source.readyState === source.CLOSED) {
      stream.error(false);
      stream.close();
    } else {
      stream.error(true);
    }
  };
  source.addEventListener("open", onOpen);
  source.addEventListener("error", onError);
  for (const type of ["message", ...messageTypes]) source.addEventListener(type, onMessage);
  if (source.readyState === source.OPEN) stream.opened();
  const close = source.close.bind(source);
  source.close = () => {
    close();
    stream.close();
  };
  return () => {
    source.removeEventListener("open", onOpen);
    source.removeEventListener("error", onError);
    for (const type of ["message", ...messageTypes]) source.removeEventListener(type, onMessage);
    source.close = close;
    stream.close();
  };
}
