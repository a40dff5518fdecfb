/**
 * `@swarmscope/browser`: the page's side of a swarmscope trace.
 *
 *     import * as swarmscope from "@swarmscope/browser";
 *     swarmscope.init({ endpoint: "https://telemetry.example.com", serviceName: "shop-web" });
 *
 * `init` starts the exporters, wraps fetch (traceparent, latency), listens for clicks on
 * `[data-ss-action]` elements and for errors, and flushes everything when the page is hidden.
 * Every function here is safe to call before `init` (it does nothing) and never throws.
 */

import { clickListener } from "./actions";
import { listenForErrors } from "./errors";
import { safely } from "./guard";
import { type Options, settings } from "./options";
import { instrumentFetch } from "./requests";
import { runtime, setRuntime, start } from "./runtime";

export { action } from "./actions";
export { agUiEventReceived, agUiSubscriber, trackAgUiAgent } from "./agui";
export type { AgUiAgent, AgUiEvent, AgUiSubscriber } from "./agui";
export { trackCopilotAction } from "./copilotkit";
export { captureError } from "./errors";
export { swallowedErrors } from "./guard";
export { approvalShown } from "./hitl";
export type { ApprovalPrompt } from "./hitl";
export type { Options } from "./options";
export { errorBoundary, reportReactError } from "./react";
export { scrub } from "./scrub";
export { Stream, trackEventSource } from "./streams";

let undo: (() => void)[] = [];

/** Start sending the page's telemetry; a second call replaces the first. */
export function init(options: Options): void {
  safely(() => {
    // What a previous init left is sent in the background.
    void shutdown();
    const rt = start(settings(options));
    setRuntime(rt);
    undo.push(instrumentFetch(rt.settings.propagateTo));
    if (typeof document !== "undefined") {
      const onClick = clickListener(rt.settings.actionAttribute);
      document.addEventListener("click", onClick, true);
      undo.push(() => {
        document.removeEventListener("click", onClick, true);
      });
      // The last chance to send: the page is going away or to the background.
      const onHidden = (): void => {
        if (document.visibilityState === "hidden") void flush();
      };
      const onPageHide = (): void => {
        void flush();
      };
      document.addEventListener("visibilitychange", onHidden);
      addEventListener("pagehide", onPageHide);
      undo.push(() => {
        document.removeEventListener("visibilitychange", onHidden);
        removeEventListener("pagehide", onPageHide);
      });
    }
    if (typeof window !== "undefined") undo.push(listenForErrors(window));
  }, undefined);
}

/** Send what is buffered now (spans, logs and metrics). */
export async function flush(): Promise<void> {
  await safely(async () => runtime()?.flush(), Promise.resolve());
}

/** Stop: unwrap fetch, remove listeners, send what is left. */
export function shutdown(): Promise<void> {
  return safely(() => {
    for (const step of undo) safely(step, undefined);
    undo = [];
    const rt = runtime();
    setRuntime(undefined);
    return rt === undefined ? Promise.resolve() : rt.shutdown();
  }, Promise.resolve());
}
