// Traces: newest first, filtered by the form; each row says how its run ended and opens the
// trace's waterfall. Traces that are one HTTP request alone (polls) show when asked for.

import { getJSON } from "../api.js";
import { badge, clock, count, h, heading, ms, table, traceLink } from "../dom.js";
import { RANGES, field, filterForm, queryParams } from "./filters.js";

const FILTERS = [
  "service",
  "agent",
  "outcome",
  "status",
  "min_duration_ms",
  "start",
  "end",
  "attribute",
  "plain_requests",
];
// How a run ended (the API's outcome): failed is red, recovered (errors the run got over) amber.
const OUTCOMES = ["failed", "recovered", "interrupted", "ok"];

function names(list, filter) {
  return (list || []).map((name) =>
    h("a", { class: "chip small", href: `#/traces?${filter}=${encodeURIComponent(name)}` }, name),
  );
}

export async function render(page, where, signal) {
  const params = where.params;
  const form = filterForm("traces", [
    field("service", "Service", params),
    field("agent", "Agent", params),
    field("outcome", "Outcome", params, { choices: OUTCOMES }),
    field("status", "Span errors", params, { choices: ["error", "ok"] }),
    field("min_duration_ms", "Min ms", params, { size: 6, type: "number" }),
    field("start", "Since", params, { choices: RANGES }),
    field("attribute", "Attribute", params, { placeholder: "key=value", size: 22 }),
    field("limit", "Limit", params, { size: 4, type: "number", placeholder: "50" }),
    field("plain_requests", "Plain requests", params, { type: "checkbox" }),
  ]);
  page.append(heading("Traces"), form);
  const data = await getJSON("/api/traces", queryParams(params, FILTERS, 50), signal);
  const traces = data.traces || [];
  const longest = Math.max(1, ...traces.map((t) => t.duration_ms || 0));
  page.append(
    h("p", { class: "muted" }, `${count(data.count ?? traces.length)} traces`),
    table(
      [
        { label: "Started", cell: (t) => clock(t.start_ns), class: "nowrap" },
        {
          label: "Root span",
          cell: (t) => h("a", { href: `#/traces/${t.trace_id}`, class: "root" }, t.root || t.trace_id),
        },
        {
          label: "Duration",
          class: "duration",
          cell: (t) =>
            h(
              "div",
              { class: "meter" },
              h("i", { style: { width: `${(100 * (t.duration_ms || 0)) / longest}%` } }),
              h("span", {}, ms(t.duration_ms)),
            ),
        },
        { label: "Outcome", cell: (t) => badge(t.outcome), class: "outcome" },
        { label: "Spans", cell: (t) => count(t.spans), class: "num" },
        {
          label: "Errors",
          class: "num",
          cell: (t) => (t.errors ? h("span", { class: "bad" }, count(t.errors)) : "0"),
        },
        { label: "Services", cell: (t) => names(t.services, "service") },
        { label: "Agents", cell: (t) => names(t.agents, "agent") },
        { label: "Trace", cell: (t) => traceLink(t.trace_id) },
      ],
      traces,
      "No trace matches. Send OTLP to /v1/traces, or widen the filters.",
    ),
  );
}
