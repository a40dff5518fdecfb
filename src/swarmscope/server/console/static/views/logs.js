// Logs: newest first, filtered by the form; each record links to its trace and span.

import { getJSON } from "../api.js";
import { badge, clock, count, h, heading, table, text, traceLink } from "../dom.js";
import { RANGES, field, filterForm, queryParams } from "./filters.js";

const LEVELS = ["debug", "info", "warning", "error", "critical"];
const FILTERS = ["text", "level", "trace_id", "agent", "service", "start", "end"];

function message(log) {
  // A record with no event name (the standard OTel logging handler's) is its text alone:
  // shown once, not as the event and again as the text after it.
  const parts = [h("span", { class: "event" }, log.event || log.body || "")];
  if (log.event && log.body && log.body !== log.event) parts.push(h("span", { class: "muted" }, ` ${log.body}`));
  // What went wrong, when the record says it, without opening the attributes.
  const problem = log.attributes?.error_message;
  if (problem) parts.push(h("div", { class: "bad-text" }, text(problem)));
  const attributes = Object.entries(log.attributes || {}).filter(([key]) => key !== "event");
  if (attributes.length) {
    parts.push(
      h(
        "details",
        {},
        h("summary", {}, `${attributes.length} attributes`),
        h("dl", { class: "facts" }, attributes.map(([key, value]) => [h("dt", {}, key), h("dd", {}, text(value))])),
      ),
    );
  }
  return parts;
}

export async function render(page, where, signal) {
  const params = where.params;
  page.append(
    heading("Logs"),
    filterForm("logs", [
      field("text", "Text", params, { size: 18 }),
      field("level", "Level ≥", params, { choices: LEVELS }),
      field("service", "Service", params),
      field("agent", "Agent", params),
      field("trace_id", "Trace id", params, { size: 32 }),
      field("start", "Since", params, { choices: RANGES }),
      field("limit", "Limit", params, { size: 4, type: "number", placeholder: "100" }),
    ]),
  );
  const data = await getJSON("/api/logs", queryParams(params, FILTERS, 100), signal);
  const logs = data.logs || [];
  page.append(
    h("p", { class: "muted" }, `${count(data.count ?? logs.length)} records`),
    table(
      [
        { label: "Time", cell: (log) => clock(log.time_ns ?? log.time), class: "nowrap" },
        { label: "Level", cell: (log) => badge(log.severity || "info") },
        { label: "Service", cell: (log) => log.service || "" },
        { label: "Agent", cell: (log) => log.agent || "" },
        { label: "Message", cell: message, class: "message" },
        { label: "Trace", cell: (log) => traceLink(log.trace_id, log.span_id) },
      ],
      logs,
      "No record matches. Send OTLP logs to /v1/logs, or widen the filters.",
    ),
  );
}
