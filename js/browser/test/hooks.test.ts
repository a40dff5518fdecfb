import assert from "node:assert/strict";
import { test } from "node:test";
import * as swarmscope from "../src/index";

// Before init every hook does nothing but let the app's own code through unchanged.

void test("a tracked CopilotKit action returns the handler's result and rethrows its error", async () => {
  const ok = swarmscope.trackCopilotAction({ name: "ok", handler: (a: number) => a * 2 });
  assert.equal(ok.handler(21), 42);
  const later = swarmscope.trackCopilotAction({ name: "later", handler: () => Promise.resolve("done") });
  assert.equal(await later.handler(), "done");
  const bad = swarmscope.trackCopilotAction({
    name: "bad",
    handler: () => {
      throw new TypeError("nope");
    },
  });
  assert.throws(() => bad.handler(), TypeError);
});

void test("the AG-UI subscriber takes odd events without throwing", () => {
  const subscriber = swarmscope.agUiSubscriber();
  subscriber.onRunInitialized?.();
  subscriber.onEvent?.({ event: { type: "RUN_STARTED" } });
  subscriber.onEvent?.({ event: {} as swarmscope.AgUiEvent });
  subscriber.onRunFailed?.({ error: { odd: true } });
  subscriber.onRunFinalized?.();
});

void test("an approval prompt measures the person's wait and settles once", async () => {
  const prompt = swarmscope.approvalShown("refund");
  await new Promise((resolve) => setTimeout(resolve, 20));
  const waited = prompt.answered("approved");
  assert.ok(waited >= 15, String(waited));
  prompt.dismissed();
  assert.ok(prompt.answered("rejected") >= waited);
});

void test("user actions run their body and pass its error on", async () => {
  assert.equal(await swarmscope.action("go", () => 7), 7);
  await assert.rejects(swarmscope.action("fail", () => Promise.reject(new Error("x"))));
});

void test("nothing here was swallowed: the hooks did not fail inside", () => {
  assert.equal(swarmscope.swallowedErrors(), 0);
});

void test("the error boundary built from the app's React renders the fallback once a child failed", () => {
  // React's Component as far as a class boundary uses it: props kept, state assigned.
  class Component {
    state: { failed: boolean } = { failed: false };
    constructor(readonly props: { fallback?: unknown; children?: unknown }) {}
  }
  const Boundary = swarmscope.errorBoundary({ Component });
  const boundary = new Boundary({ fallback: "sorry", children: "app" }) as unknown as {
    render: () => unknown;
    componentDidCatch: (error: unknown, info: { componentStack: string }) => void;
    state: { failed: boolean };
  };
  assert.equal(boundary.render(), "app");
  const derived = (Boundary as unknown as { getDerivedStateFromError: () => { failed: boolean } }).getDerivedStateFromError();
  boundary.state = derived;
  boundary.componentDidCatch(new Error("render failed"), { componentStack: "at App" });
  assert.equal(boundary.render(), "sorry");
});

void test("a CopilotKit prompt's respond reaches the app once per invocation, unchanged", () => {
  const seen: unknown[] = [];
  const action = swarmscope.trackCopilotAction({
    name: "confirm",
    renderAndWaitForResponse: (props: { status?: string; respond?: (result: unknown) => void }) => props.respond,
  });
  const respond = (result: unknown): void => {
    seen.push(result);
  };
  const render = action.renderAndWaitForResponse;
  assert.equal(render({ status: "inProgress" }), undefined);
  const first = render({ status: "executing", respond });
  assert.equal(render({ status: "executing", respond }), first);
  first?.({ approved: true });
  assert.deepEqual(seen, [{ approved: true }]);
});
