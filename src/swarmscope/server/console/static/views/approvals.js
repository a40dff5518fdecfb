// Approvals: what waits for a person now, what people decided, and how long they took.

import { getJSON } from "../api.js";
import { badge, clock, count, h, heading, table, traceLink, words } from "../dom.js";

function seconds(value) {
  if (value === null || value === undefined) return "–";
  return value < 60 ? `${value.toFixed(1)} s` : `${(value / 60).toFixed(1)} min`;
}

const COMMON = [
  { label: "Requested", cell: (a) => clock(a.requested_at), class: "nowrap" },
  { label: "Type", cell: (a) => a.approval_type || "" },
  { label: "Agent", cell: (a) => a.agent || "" },
  { label: "Approval id", cell: (a) => h("span", { class: "mono" }, a.approval_id || "") },
];

/** Per approval type: how often people said yes, no, or nothing in time. */
function byType(types) {
  const rows = Object.entries(types);
  if (!rows.length) return "";
  const figure = (key) => ({ label: words(key), cell: ([, row]) => count(row[key]), class: "num" });
  return h(
    "section",
    {},
    h("h2", {}, "By type"),
    table(
      [
        { label: "Type", cell: ([type]) => type },
        ...["requested", "approved", "rejected", "timeout", "pending"].map(figure),
      ],
      rows,
    ),
  );
}

export async function render(page, where, signal) {
  page.append(heading("Approvals"));
  const data = await getJSON("/api/approvals", { limit: 100 }, signal);
  const summary = data.summary || {};
  const figures = Object.entries(summary).filter(([, value]) => typeof value === "number" || value === null);
  page.append(
    h(
      "div",
      { class: "tiles small" },
      figures.map(([key, value]) =>
        h(
          "div",
          { class: "tile" },
          h("div", { class: "value" }, key.endsWith("_seconds") ? seconds(value) : count(value)),
          h("div", { class: "label" }, words(key.replace(/_seconds$/, ""))),
        ),
      ),
    ),
    byType(summary.by_type || {}),
    h("h2", {}, `Waiting (${(data.pending || []).length})`),
    table(
      [
        ...COMMON,
        {
          label: "Waiting",
          cell: (a) => h("span", { class: a.overdue ? "bad" : "" }, seconds(a.waiting_seconds), a.overdue ? " (overdue)" : ""),
        },
        { label: "Timeout", cell: (a) => seconds(a.timeout_s) },
        { label: "Trace", cell: (a) => traceLink(a.trace_id, a.span_id) },
      ],
      data.pending || [],
      "Nobody is waiting for a decision.",
    ),
    h("h2", {}, `Decided (${(data.decided || []).length})`),
    table(
      [
        ...COMMON,
        { label: "Decision", cell: (a) => badge(a.status || "") },
        { label: "Took", cell: (a) => seconds(a.latency_seconds) },
        { label: "Decided", cell: (a) => clock(a.decided_at), class: "nowrap" },
        { label: "Trace", cell: (a) => traceLink(a.trace_id, a.span_id) },
      ],
      data.decided || [],
      "No decision yet.",
    ),
  );
}
