// One dashboard: timeseries drawn with uPlot (loaded now, not before), stats and gauges as
// big numbers, breakdowns as bars and tables in plain DOM; a time range and auto-refresh.

import { getJSON } from "../api.js";
import { h, heading, notice, table } from "../dom.js";
import { drawHeatmap, drawLines, seconds, uplot } from "./chart.js";
import { formatBounded } from "./units.js";

const RANGES = ["15m", "1h", "6h", "24h"];
// With no range chosen, the last hour is read; when the data is younger than that, the charts
// show from its oldest point on (at least FIT_MIN_MINUTES) so it fills them.
const DEFAULT_RANGE = "1h";
const FIT_MIN_MINUTES = 5;
const REFRESH_MS = 15000;
const PLOTTED = new Set(["timeseries", "heatmap"]);
const WIDE = new Set([...PLOTTED, "table"]);
// Where a panel's figures come from (the API's panel "sources"), said beside its title.
const SOURCES = {
  pushed: "pushed metrics",
  spans: "counted from spans",
  "pushed spans": "pushed metrics and counts from spans",
};

/** A series' single value: the one the server gave, else its last point. */
function last(series) {
  if (series.value !== undefined && series.value !== null) return series.value;
  const points = series.points || [];
  return points.length ? points[points.length - 1][1] : null;
}

/** A value as the panel says it: a mapping's text (0 "closed"), else in its unit, "≤ 5 s"
 * when the server could only bound it (`bound`, on the series or the panel's one value). */
function shown(value, panel, series) {
  const mapped = (panel.mappings || []).find((mapping) => mapping.value === value);
  if (mapped) return mapped.text;
  return formatBounded(value, panel.unit, series ? series.bound : panel.bound);
}

// Grafana's colour names, in the console's palette.
const COLOURS = { green: "var(--ok)", orange: "var(--warn)", yellow: "var(--warn)", red: "var(--bad)" };

/** The colour of the highest threshold `value` reaches (the first step is the base). */
function colour(value, panel) {
  let found = null;
  for (const step of panel.thresholds || []) {
    if (step.value === null || (typeof value === "number" && value >= step.value)) found = step.color;
  }
  return found ? COLOURS[found] || found : null;
}

/** Draw a timeseries or heatmap panel; buckets (every series has an `le`) as a heatmap. */
async function drawChart(element, panel, span, step) {
  const series = (panel.series || []).map((one) => ({ ...one, points: one.points || [] }));
  const buckets = panel.kind === "heatmap" && step > 0 && series.every((one) => one.labels?.le !== undefined);
  if (buckets) {
    await drawHeatmap(element, { buckets: series, unit: panel.unit, span, step });
    return;
  }
  await drawLines(element, { series, unit: panel.unit, span, stacked: panel.stacked });
}

function big(value, panel, series) {
  return h("div", { class: "big", style: { color: colour(value, panel) } }, shown(value, panel, series));
}

function bigNumbers(panel) {
  const series = panel.series || [];
  if (panel.value !== undefined && panel.value !== null) return big(panel.value, panel, null);
  if (series.length <= 1) return big(series.length ? last(series[0]) : null, panel, series[0]);
  return h(
    "div",
    { class: "bigs" },
    series.map((one) => h("div", {}, big(last(one), panel, one), h("div", { class: "label" }, one.label))),
  );
}

function bars(panel) {
  const rows = (panel.series || []).map((one) => [one.label, last(one), one]).sort((a, b) => (b[1] || 0) - (a[1] || 0));
  const top = Math.max(...rows.map(([, value]) => Math.abs(value || 0)), 1e-12);
  return h(
    "div",
    { class: "bars" },
    rows.map(([label, value, one]) =>
      h(
        "div",
        { class: "bar-row" },
        h("span", { class: "bar-label", title: label }, label),
        h("span", { class: "bar" }, h("i", { style: { width: `${(100 * Math.abs(value || 0)) / top}%` } })),
        h("span", { class: "bar-value" }, shown(value, panel, one)),
      ),
    ),
  );
}

function tableOf(panel) {
  return table(
    [
      { label: "Series", cell: (one) => one.label || "" },
      { label: "Value", cell: (one) => shown(last(one), panel, one), class: "num" },
    ],
    panel.series || [],
    "No data in this range.",
  );
}

/** Fill a panel's body; charts are drawn after the body is in the page (uPlot takes its width). */
async function fill(body, panel, span, step) {
  const empty = !(panel.series || []).some((one) => (one.points || []).length) && panel.value == null;
  if (panel.kind === "nodeGraph") {
    body.replaceChildren(h("a", { href: "#/agents" }, "The agent graph →"));
  } else if (empty) {
    body.replaceChildren(h("p", { class: "muted empty" }, "No data in this range."));
  } else if (PLOTTED.has(panel.kind) || !panel.kind) {
    let chart = body.querySelector(":scope > .chart");
    if (!chart) {
      chart = h("div", { class: "chart" });
      body.replaceChildren(chart);
    }
    await drawChart(chart, panel, span, step);
  } else if (panel.kind === "stat" || panel.kind === "gauge") {
    body.replaceChildren(bigNumbers(panel));
  } else if (panel.kind === "table") {
    body.replaceChildren(tableOf(panel));
  } else {
    body.replaceChildren(bars(panel));
  }
}

/**
 * The minutes back from the end of the read that the panels' points fill: from the oldest
 * one, a step's margin before it, at least FIT_MIN_MINUTES; null when there are no points or
 * they already fill most of the range read.
 */
export function fittedMinutes(data) {
  let first = Infinity;
  for (const panel of data.panels || []) {
    for (const one of panel.series || []) if (one.points?.length) first = Math.min(first, seconds(one.points[0][0]));
  }
  if (!Number.isFinite(first)) return null;
  const minutes = Math.max(FIT_MIN_MINUTES, Math.ceil((data.end - first + data.step) / 60));
  return minutes * 60 < 0.75 * (data.end - data.start) ? minutes : null;
}

/**
 * The selector lists the namespaces with metrics (shown when there is a choice, or when the
 * one read is not among them), the one read selected; the banner says the server's notice.
 */
function showNamespace(selector, banner, namespace) {
  if (!namespace) return;
  const names = [...new Set([...(namespace.stored || []), namespace.served])];
  selector.replaceChildren(...names.map((name) => h("option", { value: name, selected: name === namespace.served }, name)));
  selector.value = namespace.served;
  selector.hidden = names.length < 2;
  banner.textContent = namespace.notice || "";
  banner.hidden = !namespace.notice;
}

export async function render(page, where, signal) {
  // uPlot loads while the server computes the panels (a failure shows on the first chart).
  uplot().catch(() => {});
  const id = where.id;
  // The range the user chose (kept in the URL); none: the default, fitted to the data.
  const range = RANGES.includes(where.params.get("range")) ? where.params.get("range") : null;
  const refresh = where.params.get("refresh") === "1";
  // The namespace chosen in the selector; none: the server's (asked, else what arrived).
  const chosen = where.params.get("namespace") || "";
  const link = (r, on, ns = chosen) =>
    `#/dashboards/${encodeURIComponent(id)}?${new URLSearchParams([
      ...(r ? [["range", r]] : []),
      ...(on ? [["refresh", "1"]] : []),
      ...(ns ? [["namespace", ns]] : []),
    ])}`;
  const toggle = h("input", { type: "checkbox", checked: refresh });
  toggle.addEventListener("change", () => {
    location.hash = link(range, toggle.checked);
  });
  const selector = h("select", { class: "namespace", title: "The namespace whose metrics are shown" });
  selector.hidden = true;
  selector.addEventListener("change", () => {
    location.hash = link(range, refresh, selector.value);
  });
  const title = h("span", {}, id);
  const presets = RANGES.map((r) => h("a", { href: link(r, refresh), class: r === (range || DEFAULT_RANGE) ? "on" : "" }, r));
  // The fitted range, when the data is younger than the default: shown beside the presets.
  const fitted = h("span", { class: "on fitted", title: "Fitted to the data; pick a range to keep it" });
  fitted.hidden = true;
  const head = heading(
    title,
    h("a", { href: `#/dashboards${chosen ? `?namespace=${encodeURIComponent(chosen)}` : ""}` }, "← Dashboards"),
    selector,
    h("span", { class: "segmented" }, fitted, presets),
    h("label", { class: "refresh" }, toggle, ` every ${REFRESH_MS / 1000} s`),
  );
  // Why panels are empty when the namespace read holds no metrics (the server's notice).
  const banner = h("div", { class: "notice namespace-notice", role: "status" });
  banner.hidden = true;
  const grid = h("div", { class: "panels" });
  page.append(head, banner, grid);

  const bodies = new Map();
  const origins = new Map();
  const load = async () => {
    const data = await getJSON(`/api/dashboards/${encodeURIComponent(id)}`, { start: range || DEFAULT_RANGE, namespace: chosen }, signal);
    const fit = range ? null : fittedMinutes(data);
    const span = fit ? [data.end - fit * 60, data.end] : [data.start, data.end];
    fitted.textContent = fit ? `${fit}m` : "";
    fitted.hidden = !fit;
    if (!range) presets[RANGES.indexOf(DEFAULT_RANGE)].classList.toggle("on", !fit);
    title.textContent = data.title || id;
    showNamespace(selector, banner, data.namespace);
    const drawing = [];
    (data.panels || []).forEach((panel, index) => {
      let body = bodies.get(index);
      if (!body) {
        body = h("div", { class: "panel-body" });
        bodies.set(index, body);
        origins.set(index, h("span", { class: "muted source" }));
        const wide = WIDE.has(panel.kind) || !panel.kind;
        grid.append(
          h(
            "div",
            { class: `panel ${wide ? "wide" : "small"} kind-${panel.kind || "timeseries"}`, "data-kind": panel.kind || "" },
            h("h3", { title: panel.description || "" }, panel.title, origins.get(index)),
            body,
            panel.note ? h("p", { class: "muted note" }, panel.note) : "",
          ),
        );
      }
      origins.get(index).textContent = SOURCES[(panel.sources || []).join(" ")] || "";
      drawing.push(fill(body, panel, span, data.step).catch((error) => body.replaceChildren(notice(error))));
    });
    if (!(data.panels || []).length) grid.replaceChildren(h("p", { class: "muted" }, "This dashboard has no panels."));
    await Promise.all(drawing);
  };
  await load();
  if (refresh) {
    const timer = setInterval(() => {
      load().catch((error) => {
        if (error?.name !== "AbortError") grid.prepend(notice(error));
      });
    }, REFRESH_MS);
    signal.addEventListener("abort", () => clearInterval(timer));
  }
}
