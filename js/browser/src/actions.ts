/**
 * User actions: a click on an element carrying `data-ss-action="approve"` (or a call to
 * `action("approve", fn)`) is a `user_action approve` span and a `user_action_triggered` log.
 *
 * The click listener runs in the capture phase, before the app's own handlers, and leaves the
 * span open as "the interaction" until the task that dispatched the click is over; requests
 * the handlers start meanwhile (fetch, an AG-UI run) become its children and carry its trace
 * to the backend. Browsers have no async context, so work started later (after an await) is
 * parented only through `action(name, fn)`, which keeps the span current for `fn`'s promise.
 */

import { type Span, SpanStatusCode } from "@opentelemetry/api";
import { ATTRIBUTES, SPAN_PREFIXES } from "./catalog.generated";
import { safely } from "./guard";
import { event, parent, runtime, setInteraction } from "./runtime";
import type { Fields } from "./scrub";

// A click's span ends when its requests have answered, or after this long at most.
const LONGEST_ACTION_MS = 60_000;
let pending = 0;
// Open user-action spans and when each started (performance.now()).
const open = new Map<Span, number>();
// One timer for all clicks of a task, and one sweeping the spans still open: a timer per
// click would cost more than the rest of the click's telemetry.
let windowTimer: ReturnType<typeof setTimeout> | undefined;
let sweepTimer: ReturnType<typeof setTimeout> | undefined;

/** Keep `span` open while requests it started are in flight; ends it when the last one does. */
export function hold(span: Span): () => void {
  if (!open.has(span)) return () => undefined;
  pending += 1;
  let released = false;
  return () => {
    if (released) return;
    released = true;
    pending -= 1;
    if (pending === 0) closeAll();
  };
}

function closeAll(): void {
  for (const span of open.keys()) span.end();
  open.clear();
}

function sweep(): void {
  sweepTimer = undefined;
  const oldest = performance.now() - LONGEST_ACTION_MS;
  for (const [span, began] of open) {
    if (began <= oldest) {
      open.delete(span);
      span.end();
    }
  }
  if (open.size > 0) sweepTimer = setTimeout(sweep, LONGEST_ACTION_MS);
}

/** The task that dispatched the click is over: later work is not the click's any more. */
function closeWindow(): void {
  windowTimer = undefined;
  setInteraction(undefined);
  if (pending === 0) closeAll();
  else sweepTimer ??= setTimeout(sweep, LONGEST_ACTION_MS);
}

function describe(element: Element): string {
  const id = element.id ? `#${element.id}` : "";
  return `${element.tagName.toLowerCase()}${id}`.slice(0, 120);
}

/** Start a user action's span and log it; the span is the interaction until `finish`. */
export function beginAction(name: string, fields: Fields = {}): Span | undefined {
  return safely(() => {
    const rt = runtime();
    if (rt === undefined) return undefined;
    const span = rt.tracer.startSpan(
      `${SPAN_PREFIXES.USER_ACTION} ${name}`,
      { attributes: { [ATTRIBUTES.SWARMSCOPE_UI_ACTION]: name } },
      parent(),
    );
    event("user_action_triggered", { action: name, ...fields }, span);
    return span;
  }, undefined);
}

/** The listener `init` adds to the document: clicks on `[data-ss-action]` elements. */
export function clickListener(attribute: string): (click: Event) => void {
  return (click: Event) => {
    safely(() => {
      const target = click.target;
      if (!(target instanceof Element)) return;
      const element = target.closest(`[${attribute}]`);
      if (element === null) return;
      const name = element.getAttribute(attribute) ?? "click";
      const span = beginAction(name, { target: describe(element) });
      if (span === undefined) return;
      span.setAttribute(ATTRIBUTES.SWARMSCOPE_UI_TARGET, describe(element));
      open.set(span, performance.now());
      setInteraction(span);
      // The app's handlers run in this task; the next task is after them.
      windowTimer ??= setTimeout(closeWindow, 0);
    }, undefined);
  };
}

/**
 * Run `body` as the user action `name`: the span is the parent of the requests `body` starts,
 * through its awaits, and ends (with `body`'s error, if any) when its promise settles.
 */
export async function action<T>(name: string, body: () => T | Promise<T>, fields: Fields = {}): Promise<T> {
  const span = beginAction(name, fields);
  if (span === undefined) return body();
  open.set(span, performance.now());
  setInteraction(span);
  const release = hold(span);
  try {
    return await body();
  } catch (error) {
    safely(() => span.setStatus({ code: SpanStatusCode.ERROR, message: String(error) }), undefined);
    throw error;
  } finally {
    setInteraction(undefined);
    release();
  }
}
