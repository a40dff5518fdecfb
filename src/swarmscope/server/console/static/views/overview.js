// Overview: the chosen window in a few numbers, each against the window of the same length
// before it (up or down, and whether that is bad news), each a link into the view that
// explains it: the traces behind it, the dashboard that charts it, the approvals, the alerts.

import { getJSON } from "../api.js";
import { ATTRIBUTES, OPERATIONS } from "../conventions.js";
import { count, h, heading, ms, percent } from "../dom.js";

export const WINDOWS = ["15m", "1h", "6h", "24h"];

function usd(value) {
  if (value === null || value === undefined) return "–";
  return `$${Number(value).toFixed(value >= 100 ? 0 : 4)}`;
}

// How each trend reads: its label, how its value and a difference are written, and whether
// a rise is bad news (red), good news (green) or neither.
const TRENDS = {
  runs: { label: "runs (traces)", format: count, rise: "neutral" },
  error_traces: { label: "failed runs", format: count, rise: "bad" },
  error_rate: { label: "failure rate", format: percent, rise: "bad", points: true },
  llm_cost_usd: { label: "LLM cost", format: usd, rise: "neutral" },
  llm_tokens: { label: "LLM tokens", format: count, rise: "neutral" },
  p95_run_ms: { label: "p95 run duration", format: ms, rise: "bad" },
  approvals_open: { label: "approvals open", format: count, rise: "bad", state: true },
  alerts_firing: { label: "alerts firing", format: count, rise: "bad", state: true },
};

/** How a figure moved from `before` to `now`: {direction: up|down|flat|none, text}. */
export function delta(now, before, { format, points } = TRENDS.runs) {
  if (now === null || now === undefined || before === null || before === undefined) {
    return { direction: "none", text: "nothing to compare" };
  }
  const change = now - before;
  if (Math.abs(change) < 1e-9) return { direction: "flat", text: "= no change" };
  const direction = change > 0 ? "up" : "down";
  const arrow = change > 0 ? "▲" : "▼";
  const sign = change > 0 ? "+" : "−";
  if (points) return { direction, text: `${arrow} ${sign}${(Math.abs(change) * 100).toFixed(1)} pts` };
  if (before === 0) return { direction, text: `${arrow} ${sign}${format(Math.abs(change))} (none before)` };
  const relative = Math.abs(change / before) * 100;
  return {
    direction,
    text: `${arrow} ${sign}${format(Math.abs(change))} (${sign}${relative.toFixed(relative < 10 ? 1 : 0)}%)`,
  };
}

function tone(direction, rise) {
  if (rise === "neutral" || direction === "flat" || direction === "none") return "";
  return (direction === "up") === (rise === "bad") ? "worse" : "better";
}

function trendTile(name, trend, href, window) {
  const how = TRENDS[name];
  const moved = delta(trend.now, trend.before, how);
  const versus = how.state ? `vs ${window} ago` : `vs previous ${window}`;
  return h(
    "a",
    { class: "tile trend", href, "data-trend": name, title: `${versus}: ${how.format(trend.before)}` },
    h("div", { class: "value" }, how.format(trend.now)),
    h("div", { class: "label" }, how.label),
    h("div", { class: `delta ${moved.direction} ${tone(moved.direction, how.rise)}`.trim() }, `${moved.text} ${versus}`),
  );
}

function tile(label, value, href, detail) {
  const body = [h("div", { class: "value" }, value), h("div", { class: "label" }, label)];
  if (detail) body.push(h("div", { class: "detail" }, detail));
  return href ? h("a", { class: "tile", href }, body) : h("div", { class: "tile" }, body);
}

function chips(title, entries) {
  const items = entries.length
    ? entries.map(([label, href, figure]) =>
        h("a", { class: "chip", href }, label, figure === undefined ? "" : h("b", {}, count(figure))),
      )
    : [h("span", { class: "muted" }, "none")];
  return h("div", { class: "chips" }, h("h2", {}, title), items);
}

/** Where each trend is explained, over the same window. */
function explained(data, window) {
  const since = `start=${window}`;
  const dashboard = (name) => `#/dashboards/${encodeURIComponent(data.dashboards[name])}?range=${window}`;
  const p95 = data.trends.p95_run_ms.now;
  return {
    runs: `#/traces?${since}`,
    error_traces: `#/traces?status=error&${since}`,
    error_rate: dashboard("error_rate"),
    llm_cost_usd: dashboard("llm_cost_usd"),
    llm_tokens: dashboard("llm_tokens"),
    // The slowest runs: those at or past the p95.
    p95_run_ms: p95 ? `#/traces?min_duration_ms=${Math.floor(p95)}&${since}` : `#/traces?${since}`,
    approvals_open: "#/approvals",
    alerts_firing: "#/alerts?state=firing",
  };
}

export async function render(page, where, signal) {
  const chosen = where.params.get("window");
  const window = WINDOWS.includes(chosen) ? chosen : "1h";
  const data = await getJSON("/api/overview", { start: window }, signal);
  const llm = data.llm || {};
  const logs = data.logs || {};
  const levels = Object.entries(logs.by_level || {});
  const since = `start=${window}`;
  const links = explained(data, window);
  const choices = WINDOWS.map((one) =>
    h("a", { href: `#/overview?window=${one}`, class: one === window ? "on" : "" }, one),
  );
  page.append(
    heading(`Last ${window}`, h("span", { class: "segmented windows" }, choices)),
    h("div", { class: "tiles trends" }, Object.keys(TRENDS).map((name) => trendTile(name, data.trends[name], links[name], window))),
    h(
      "div",
      { class: "tiles small" },
      tile("agents", count((data.agents || []).length), "#/agents"),
      tile("spans", count(data.spans), `#/traces?${since}`),
      tile(
        "LLM calls",
        count(llm.calls),
        `#/traces?attribute=${encodeURIComponent(`${ATTRIBUTES.GEN_AI_OPERATION_NAME}=${OPERATIONS.CHAT}`)}&${since}`,
        `${count(llm.input_tokens)} in · ${count(llm.output_tokens)} out`,
      ),
      tile("log records", count(logs.records), `#/logs?${since}`),
    ),
    chips(
      "Services",
      (data.services || []).map((name) => [name, `#/traces?service=${encodeURIComponent(name)}&${since}`]),
    ),
    chips("Agents", (data.agents || []).map((name) => [name, `#/traces?agent=${encodeURIComponent(name)}`])),
    chips("Logs by level", levels.map(([level, n]) => [level, `#/logs?level=${level}&${since}`, n])),
    chips(
      "LLM calls by model",
      Object.entries(llm.calls_by_model || {}).map(([model, n]) => [
        model,
        `#/traces?attribute=${encodeURIComponent(`${ATTRIBUTES.GEN_AI_REQUEST_MODEL}=${model}`)}&${since}`,
        n,
      ]),
    ),
  );
}
