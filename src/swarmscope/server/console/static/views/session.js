// One session: its totals, then its runs (traces) in the order they ran; each opens its trace.

import { getJSON } from "../api.js";
import { badge, clock, count, h, heading, ms, table } from "../dom.js";
import { cost } from "./sessions.js";

function tile(label, value, name) {
  return h("div", { class: `tile ${name}` }, h("div", { class: "value" }, value), h("div", { class: "label" }, label));
}

export async function render(page, where, signal) {
  const data = await getJSON(`/api/sessions/${encodeURIComponent(where.id)}`, {}, signal);
  const totals = data.totals || {};
  const runs = data.runs || [];
  page.append(
    heading(h("span", { class: "mono session-id" }, data.id), h("a", { href: "#/sessions" }, "← Sessions")),
    h(
      "div",
      { class: "tiles small totals" },
      tile("runs", count(totals.runs), "runs"),
      tile("from first start to last end", ms(totals.duration_ms), "duration"),
      tile("LLM calls", count(totals.llm_calls), "llm-calls"),
      tile("tokens in", count(totals.input_tokens), "tokens-in"),
      tile("tokens out", count(totals.output_tokens), "tokens-out"),
      tile("cost", cost(totals.cost_usd), "cost"),
      tile("waits for a person", count(totals.waits), "waits"),
      tile("errors", count(totals.errors), "errors"),
    ),
    h("h2", {}, "Runs, in order"),
    table(
      [
        { label: "Started", cell: (r) => clock(r.start_ns), class: "nowrap" },
        {
          label: "Root span",
          cell: (r) => h("a", { href: `#/traces/${r.trace_id}`, class: "root" }, r.root || r.trace_id),
        },
        { label: "Agent", cell: (r) => r.agent || "–", class: "agent" },
        { label: "Duration", cell: (r) => ms(r.duration_ms), class: "num" },
        { label: "Status", cell: (r) => badge(r.status), class: "status" },
        { label: "LLM calls", cell: (r) => count(r.llm_calls), class: "num llm-calls" },
        { label: "Tokens in", cell: (r) => count(r.input_tokens), class: "num tokens-in" },
        { label: "Tokens out", cell: (r) => count(r.output_tokens), class: "num tokens-out" },
        { label: "Cost", cell: (r) => cost(r.cost_usd), class: "num cost" },
        { label: "Waits", cell: (r) => count(r.waits), class: "num waits" },
      ],
      runs,
    ),
  );
}
