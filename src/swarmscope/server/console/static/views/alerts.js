// Alerts: the server's own rules (firing first) and what Alertmanager sent to its webhook.

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
  page.append(
    heading("Alerts", h("span", { class: "segmented" }, choices)),
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
