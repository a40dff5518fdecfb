/**
 * Errors the page meets: uncaught (`window.onerror`), unhandled promise rejections, and those a
 * React error boundary catches. Each is a `frontend_error` log with its type, message and stack
 * (scrubbed), in the trace of whatever was running, and counts in `frontend_errors_total`.
 */

import { ATTRIBUTES } from "./catalog.generated";
import { describeError, safely } from "./guard";
import { count, event } from "./runtime";

export type ErrorSource = "window" | "unhandled_rejection" | "react" | "manual";

export function captureError(error: unknown, source: ErrorSource = "manual", fields: Record<string, unknown> = {}): void {
  safely(() => {
    const { type, message } = describeError(error);
    const stack = error instanceof Error ? error.stack : undefined;
    count("frontend_errors_total", { error_type: type, source });
    event("frontend_error", {
      error_type: type,
      error_message: message,
      [ATTRIBUTES.EXCEPTION_TYPE]: type,
      [ATTRIBUTES.EXCEPTION_MESSAGE]: message,
      [ATTRIBUTES.EXCEPTION_STACKTRACE]: stack,
      source,
      ...fields,
    });
  }, undefined);
}

/** Listen for uncaught errors and unhandled rejections; returns the function that stops. */
export function listenForErrors(target: Window): () => void {
  const onError = (problem: ErrorEvent): void => {
    const error: unknown = problem.error ?? new Error(problem.message);
    captureError(error, "window", { filename: problem.filename, lineno: problem.lineno, colno: problem.colno });
  };
  const onRejection = (problem: PromiseRejectionEvent): void => {
    captureError(problem.reason, "unhandled_rejection");
  };
  target.addEventListener("error", onError);
  target.addEventListener("unhandledrejection", onRejection);
  return () => {
    target.removeEventListener("error", onError);
    target.removeEventListener("unhandledrejection", onRejection);
  };
}
