/**
 * The one rule of this package: telemetry never breaks the page. Every entry point runs its
 * body through `safely`, which swallows (and counts) what it throws, so a bug here or an
 * odd value from the app costs a lost span, never the app's click handler.
 */

let swallowed = 0;

export function safely<T>(body: () => T, fallback: T): T {
  try {
    return body();
  } catch {
    swallowed += 1;
    return fallback;
  }
}

/** How many errors instrumentation swallowed since the page loaded (for tests and debugging). */
export function swallowedErrors(): number {
  return swallowed;
}

/** An error's class name and message, whatever was thrown (an Error, a string, an object). */
export function describeError(error: unknown): { type: string; message: string } {
  if (error instanceof Error) return { type: error.name, message: error.message };
  if (typeof error === "string") return { type: "string", message: error };
  return { type: typeof error, message: safely(() => JSON.stringify(error), "") || typeof error };
}
