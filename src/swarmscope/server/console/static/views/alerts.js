// Alerts: the server's own rules (firing first) and what Alertmanager sent to its webhook.
// Each rule shows its query, with a link to the metrics view of every series it reads, and
// links its runbook (served by this server, or wherever the export put them).

import { getJSON } from "../api.js";
import { badge, clock, count, h, heading, table } from "../dom.js";

const STATES = ["firing", "pending", "error", "unsupported", "inactive"];

function labels(all) {
  const shown = Object.entries(all || {}).filter(([key]) => key !== "alertname" && key !== "severity");
  return shown.map(([key, value]) => h("span", { class: "chip small" }, `${key}=${value}`));
}

function value(alert) {
  if (alert.value === null || alert.value === undefined) return "";
  return typeof alert.value === "number" ? count(alert.value) : String(alert.value);
}

/** The query as PromQL, then a link per series it reads to that series in the metrics view. */
function query(alert) {
  const charts = (alert.metrics || []).map((series) => {
    const params = new URLSearchParams({ name: series.name });
    if (series.match) params.set("match", series.match);
    return h("a", { class: "chip small metric-link", href: `#/metrics?${params}` }, `chart ${series.name}`);
  });
  return [h("code", { class: "mono expr" }, alert.expr || ""), charts.length ? h("div", {}, charts) : ""];
}

function runbook(alert) {
  const url = alert.annotations?.runbook_url;
  return url ? h("a", { class: "runbook", href: url, target: "_blank", rel: "noopener" }, "runbook") : "";
}

/** "1/60" for a scale of 1/60: how much shorter windows and `for` are than in production. */
export function scaleText(scale) {
  const shrink = 1 / scale;
  return Number.isInteger(Math.round(shrink * 1000) / 1000) ? `1/${Math.round(shrink)}` : `×${scale}`;
}

function about(alert) {
  const notes = alert.annotations || {};
  return [
    notes.summary || notes.description || "",
    alert.reason ? h("div", { class: "muted" }, alert.reason) : "",
  ];
}

export async function render(page, where, signal) {
  const wanted = where.params.get("state") || "";
  const data = await getJSON("/api/alerts", {}, signal);
  const alerts = data.alerts || [];
  const tally = Object.fromEntries(STATES.map((state) => [state, alerts.filter((a) => a.state === state).length]));
  const choices = ["", ...STATES].map((state) =>
    h(
      "a",
      { href: `#/alerts${state ? `?state=${state}` : ""}`, class: state === wanted ? "on" : "" },
      state ? `${state} (${tally[state]})` : `all (${alerts.length})`,
    ),
  );
  const received = data.received || [];
  const scale = data.time_scale ?? 1;
  page.append(
    heading("Alerts", h("span", { class: "segmented" }, choices)),
    scale === 1
      ? ""
      : h(
          "div",
          { class: "notice time-scale" },
          `Alert windows and \`for\` durations scaled ${scaleText(scale)} for the demo (--alert-time-scale): a five-minute rule reacts in ${count(300 * scale)} s. Exported rules (stack export) stay at production length.`,
        ),
    h(
      "p",
      { class: "muted" },
      `${count(data.rules ?? 0)} rules, last evaluated ${clock(data.evaluated_at)}.`,
    ),
    table(
      [
        { label: "State", cell: (a) => badge(a.state) },
        { label: "Alert", cell: (a) => h("b", {}, a.name) },
        { label: "Severity", cell: (a) => (a.severity ? badge(a.severity) : "") },
        { label: "Value", cell: value, class: "num" },
        { label: "Labels", cell: (a) => labels(a.labels) },
        { label: "Active since", cell: (a) => clock(a.active_since), class: "nowrap" },
        { label: "Fired", cell: (a) => clock(a.fired_at), class: "nowrap" },
        { label: "About", cell: about, class: "message" },
        { label: "Query", cell: query, class: "query" },
        { label: "Runbook", cell: runbook },
      ],
      wanted ? alerts.filter((a) => a.state === wanted) : alerts,
      "No alert in this state.",
    ),
    h("h2", {}, `From Alertmanager (${received.length})`),
    table(
      [
        { label: "Status", cell: (a) => badge(a.status === "firing" ? "firing" : "resolved") },
        { label: "Alert", cell: (a) => h("b", {}, a.labels?.alertname || "") },
        { label: "Severity", cell: (a) => (a.labels?.severity ? badge(a.labels.severity) : "") },
        { label: "Labels", cell: (a) => labels(a.labels) },
        { label: "Receiver", cell: (a) => a.receiver || "" },
        { label: "Starts", cell: (a) => clock(a.startsAt), class: "nowrap" },
        { label: "Received", cell: (a) => clock(a.received_at), class: "nowrap" },
        { label: "About", cell: about, class: "message" },
      ],
      received,
      "Nothing received. Point Alertmanager's webhook at /api/alertmanager/webhook.",
    ),
  );
}
