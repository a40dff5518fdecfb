/**
 * AG-UI (`@ag-ui/client`): a subscriber for any agent (`HttpAgent`, `AbstractAgent`) that
 * counts each event received by type (`ag_ui_events_received_total`), logs it with
 * `logEveryEvent`, and follows each run's stream as an `sse ag-ui` span (opened when the run
 * starts, closed when it finalizes, an error when it fails). The run's request goes out
 * through fetch, which carries the click's `traceparent` to the backend.
 *
 * The agent's types are described structurally: this package does not depend on
 * `@ag-ui/client`, and an app on any of its 0.x/1.x versions can pass its agent.
 */

import { safely } from "./guard";
import { count, event } from "./runtime";
import { Stream } from "./streams";

export interface AgUiEvent {
  type: string;
}

/** The part of `@ag-ui/client`'s AgentSubscriber this package implements. */
export interface AgUiSubscriber {
  onRunInitialized?: () => void;
  onEvent?: (params: { event: AgUiEvent }) => void;
  onRunFailed?: (params: { error: unknown }) => void;
  onRunFinalized?: () => void;
}

export interface AgUiAgent {
  agentId?: string;
  subscribe: (subscriber: AgUiSubscriber) => { unsubscribe: () => void };
}

/** Count one AG-UI event the page received (for streams read without `@ag-ui/client`). */
export function agUiEventReceived(eventType: string, fields: Record<string, unknown> = {}): void {
  count("ag_ui_events_received_total", { event_type: eventType });
  event("ag_ui_event_received", { event_type: eventType, ...fields });
}

/** A subscriber to pass to `agent.subscribe(...)` or `agent.runAgent(params, subscriber)`. */
export function agUiSubscriber(streamName = "ag-ui"): AgUiSubscriber {
  let stream: Stream | undefined;
  return {
    onRunInitialized: () =>
      safely(() => {
        stream?.close();
        stream = new Stream(streamName);
        stream.opened();
      }, undefined),
    onEvent: ({ event: received }) =>
      safely(() => {
        const type = typeof received.type === "string" ? received.type : "UNKNOWN";
        agUiEventReceived(type);
        stream?.message(type);
      }, undefined),
    onRunFailed: ({ error }) => {
      safely(() => stream?.error(false, error), undefined);
    },
    onRunFinalized: () =>
      safely(() => {
        stream?.close();
        stream = undefined;
      }, undefined),
  };
}

/** Follow every run of `agent`; returns the function that stops. */
export function trackAgUiAgent(agent: AgUiAgent): () => void {
  return safely(() => {
    const subscription = agent.subscribe(agUiSubscriber(agent.agentId ?? "ag-ui"));
    return () => {
      subscription.unsubscribe();
    };
  }, () => undefined);
}
