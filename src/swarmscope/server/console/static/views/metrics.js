// Metrics: every stored metric, searchable; the one picked charted as a value, rate,
// increase or quantile, filtered by label matchers and grouped by labels. The choices live
// in the URL (#/metrics?name=...&fn=rate&by=route), so a chart can be linked and reloaded.

import { getJSON } from "../api.js";
import { clock, count, h, heading, notice, table } from "../dom.js";
import { drawLines } from "./chart.js";
import { formatBounded } from "./units.js";

const RANGES = ["15m", "1h", "6h", "24h"];
const FUNCTIONS = {
  counter: ["rate", "increase", "value"],
  gauge: ["value"],
  histogram: ["quantile", "rate", "increase", "value"],
  summary: ["quantile", "rate", "increase", "value"],
};
const MATCHER = /[a-zA-Z_][a-zA-Z0-9_]*\s*(?:=~|!~|!=|=)\s*"(?:[^"\\]|\\.)*"/g;

/** The hash for the same view with `changes` applied to its parameters (empty: removed). */
function linkWith(params, changes) {
  const next = new URLSearchParams(params);
  for (const [key, value] of Object.entries(changes)) {
    next.delete(key);
    for (const one of [].concat(value)) if (one !== undefined && one !== null && one !== "") next.append(key, one);
  }
  const query = next.toString();
  return `#/metrics${query ? `?${query}` : ""}`;
}

function go(params, changes) {
  location.hash = linkWith(params, changes);
}

function legend(labels) {
  const pairs = Object.entries(labels || {}).sort(([a], [b]) => a.localeCompare(b));
  return pairs.length ? `{${pairs.map(([k, v]) => `${k}="${v}"`).join(", ")}}` : "(all series)";
}

function picker(metrics, params) {
  const chosen = params.get("name");
  const search = h("input", { type: "search", name: "search", placeholder: "Search metrics", value: params.get("search") || "" });
  const items = metrics.map((metric) =>
    h(
      "li",
      { "data-name": metric.name },
      h("a", { class: `metric${metric.name === chosen ? " active" : ""}`, href: linkWith(new URLSearchParams(), { name: metric.name, range: params.get("range") }) }, metric.name),
      h("span", { class: "muted kind" }, ` ${metric.type}`),
    ),
  );
  const filter = () => {
    const words = search.value.trim().toLowerCase();
    for (const item of items) item.hidden = words !== "" && !item.dataset.name.toLowerCase().includes(words);
  };
  search.addEventListener("input", filter);
  filter();
  return h("aside", { class: "metric-list" }, search, h("ul", {}, items));
}

function controls(metric, params) {
  const functions = FUNCTIONS[metric.type] || ["value"];
  const fn = params.get("fn") || functions[0];
  const grouped = new Set(params.getAll("by").flatMap((by) => by.split(",")).filter(Boolean));
  const form = h(
    "form",
    { class: "filters metric-query" },
    h("label", {}, "Function", h("select", { name: "fn" }, functions.map((one) => h("option", { value: one, selected: one === fn }, one)))),
    fn === "quantile" ? h("label", {}, "Quantile", h("input", { name: "q", type: "number", min: 0, max: 1, step: 0.01, value: params.get("q") || "0.9" })) : null,
    fn === "value" ? null : h("label", {}, "Window", h("input", { name: "window", value: params.get("window") || "5m", size: 5 })),
    h("label", {}, "Filter", h("input", { name: "match", size: 30, placeholder: 'route="/a", code=~"5.."', value: params.getAll("match").join(", ") })),
    h("label", {}, "Range", h("select", { name: "range" }, RANGES.map((one) => h("option", { value: one, selected: one === (params.get("range") || "1h") }, one)))),
    h("fieldset", { class: "group-by" }, h("legend", {}, "Group by"),
      metric.labels.map((label) =>
        h("label", { class: "check" }, h("input", { type: "checkbox", name: "by", value: label, checked: grouped.has(label) }), label),
      ),
    ),
    h("button", { type: "submit" }, "Show"),
  );
  const apply = (event) => {
    event?.preventDefault();
    const data = new FormData(form);
    go(params, {
      fn: data.get("fn"),
      q: data.get("q"),
      window: data.get("window"),
      range: data.get("range"),
      by: data.getAll("by").join(","),
      match: String(data.get("match") || "").match(MATCHER) || [],
    });
  };
  form.addEventListener("submit", apply);
  // Choosing a function, a range or a label shows it at once; typed fields wait for Show.
  for (const input of form.querySelectorAll("select, input[type=checkbox]")) input.addEventListener("change", apply);
  return form;
}

// The console's unit names (Grafana's) for the senders' UCUM units it formats specially.
const UCUM = { s: "s", ms: "ms", By: "bytes", "%": "percent" };

/** The unit of what `fn` computes: a rate is per second; a histogram's value or increase
 * counts observations; otherwise the metric's own. */
function unitOf(metric, fn) {
  if (fn === "rate") return "ops";
  if (fn !== "quantile" && (metric.type === "histogram" || metric.type === "summary")) return "";
  return UCUM[metric.unit] || "";
}

/** A series' last value in `unit`, said as a bound ("≤ 5 s") when the server marks it one. */
function lastOf(series, unit) {
  const point = series.points[series.points.length - 1];
  if (!point) return formatBounded(null);
  const mark = (series.bounds || []).find(([t]) => t === point[0]);
  return formatBounded(point[1], unit, mark && { op: mark[1], value: mark[2] });
}

async function detail(metric, params, signal) {
  const fn = params.get("fn") || (FUNCTIONS[metric.type] || ["value"])[0];
  const unit = unitOf(metric, fn);
  const query = {
    fn,
    q: fn === "quantile" ? params.get("q") || "0.9" : "",
    window: fn === "value" ? "" : params.get("window") || "5m",
    by: params.getAll("by").join(","),
    start: params.get("range") || "1h",
  };
  const url = new URL(`/api/metrics/${encodeURIComponent(metric.name)}`, location.origin);
  for (const [key, value] of Object.entries(query)) if (value) url.searchParams.set(key, value);
  for (const matcher of params.getAll("match")) url.searchParams.append("match", matcher);
  const section = h(
    "section",
    { class: "metric-detail" },
    h("h2", { class: "mono" }, metric.name),
    h(
      "dl",
      { class: "facts" },
      h("dt", {}, "Type"), h("dd", { class: "type" }, metric.type),
      h("dt", {}, "Unit"), h("dd", { class: "unit" }, metric.unit || "–"),
      h("dt", {}, "Sent by"), h("dd", {}, metric.services.join(", ")),
      h("dt", {}, "Series"), h("dd", {}, count(metric.series)),
      h("dt", {}, "Last seen"), h("dd", {}, clock(metric.last_seen)),
    ),
    h("p", { class: "help" }, metric.help || h("span", { class: "muted" }, "No description was sent.")),
    controls(metric, params),
  );
  let answer;
  try {
    answer = await getJSON(url.pathname + url.search, {}, signal);
  } catch (error) {
    section.append(notice(error));
    return section;
  }
  const plot = h("div", { class: "chart" });
  section.append(
    h("p", { class: "mono muted promql" }, answer.promql),
    answer.series.length ? plot : h("div", { class: "notice" }, "No points in this range."),
    table(
      [
        { label: "Series", cell: (one) => legend(one.labels), class: "mono" },
        { label: "Last", cell: (one) => lastOf(one, unit), class: "num" },
      ],
      answer.series,
      "No series.",
    ),
  );
  section.querySelector("table.grid").classList.add("series");
  const series = answer.series.map((one) => ({ label: legend(one.labels), points: one.points, bounds: one.bounds }));
  if (answer.series.length) section.chartWith = () => drawLines(plot, { series, unit, span: [answer.start, answer.end] });
  return section;
}

export async function render(page, where, signal) {
  const params = where.params;
  page.append(heading("Metrics"));
  const listed = await getJSON("/api/metrics", {}, signal);
  const metrics = listed.metrics || [];
  const refused = Object.entries(listed.refused || {});
  if (refused.length) {
    page.append(
      h("div", { class: "notice refused" }, "Points this server refused since it started: ", refused.map(([reason, points]) => `${reason} ${count(points)}`).join(", ")),
    );
  }
  if (!metrics.length) {
    page.append(h("div", { class: "notice" }, "No metrics are stored yet. Point an OpenTelemetry exporter at /v1/metrics."));
    return;
  }
  const layout = h("div", { class: "metrics-layout" }, picker(metrics, params));
  page.append(layout);
  const metric = metrics.find((one) => one.name === params.get("name"));
  if (!metric) {
    layout.append(h("p", { class: "muted" }, "Pick a metric."));
    return;
  }
  const section = await detail(metric, params, signal);
  layout.append(section);
  // uPlot takes its element's width: draw once it is in the page.
  await section.chartWith?.();
}
