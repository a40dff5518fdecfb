// Sessions: conversations (threads), the latest active first, filtered like the traces;
// each opens its runs in order, so a thread that waited for a person and resumed reads as two.

import { getJSON } from "../api.js";
import { ATTRIBUTES } from "../conventions.js";
import { clock, count, h, heading, table } from "../dom.js";
import { RANGES, field, filterForm, queryParams } from "./filters.js";

const FILTERS = ["service", "start", "end"];

/** Dollars readable at any size: cents for big sums, two significant digits for tiny ones. */
export function usd(value) {
  if (value === null || value === undefined) return "–";
  if (value === 0) return "$0";
  if (value >= 1) return `$${value.toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
  return `$${value.toPrecision(2)}`;
}

/** A cost cell that says the exact figure on hover. */
export function cost(value) {
  return h("span", { title: value == null ? undefined : `$${value}` }, usd(value));
}

export function sessionLink(id) {
  return h("a", { href: `#/sessions/${encodeURIComponent(id)}`, class: "mono session-id" }, id);
}

function problems(value) {
  return value ? h("span", { class: "bad" }, count(value)) : "0";
}

/** Names as chips, each a link to `${base}${name}` (a filtered list). */
function chips(list, base) {
  return (list || []).map((name) =>
    h("a", { class: "chip small", href: `${base}${encodeURIComponent(name)}` }, name),
  );
}

export async function render(page, where, signal) {
  const params = where.params;
  const form = filterForm("sessions", [
    field("service", "Service", params),
    field("start", "Since", params, { choices: RANGES }),
    field("limit", "Limit", params, { size: 4, type: "number", placeholder: "100" }),
  ]);
  page.append(heading("Sessions"), form);
  const data = await getJSON("/api/sessions", queryParams(params, FILTERS, 100), signal);
  const sessions = data.sessions || [];
  const total = data.count ?? sessions.length;
  page.append(
    h("p", { class: "muted" }, `${count(total)} session${total === 1 ? "" : "s"}`),
    table(
      [
        { label: "Session", cell: (s) => sessionLink(s.id), class: "wrap-anywhere" },
        { label: "Services", cell: (s) => chips(s.services, "#/sessions?service=") },
        { label: "Runs", cell: (s) => count(s.runs), class: "num runs" },
        { label: "Agents", cell: (s) => chips(s.agents, "#/traces?agent=") },
        { label: "LLM calls", cell: (s) => count(s.llm_calls), class: "num llm-calls" },
        { label: "Tokens in", cell: (s) => count(s.input_tokens), class: "num tokens-in" },
        { label: "Tokens out", cell: (s) => count(s.output_tokens), class: "num tokens-out" },
        { label: "Cost", cell: (s) => cost(s.cost_usd), class: "num cost" },
        { label: "Waits", cell: (s) => count(s.waits), class: "num waits" },
        { label: "Errors", cell: (s) => problems(s.errors), class: "num errors" },
        { label: "Last seen", cell: (s) => clock(s.last_ns), class: "nowrap" },
      ],
      sessions,
      `No session in this range. A span names its session with ${ATTRIBUTES.GEN_AI_CONVERSATION_ID} or ${ATTRIBUTES.SESSION_ID}.`,
    ),
  );
}
