// One dashboard: timeseries drawn with Plotly (loaded now, not before), stats and gauges as
// big numbers, breakdowns as bars and tables in plain DOM; a time range and auto-refresh.

import { getJSON } from "../api.js";
import { count, h, heading, notice, table } from "../dom.js";
import { plotly } from "./plotly.js";

const RANGES = ["15m", "1h", "6h", "24h"];
const REFRESH_MS = 15000;
const PLOTTED = new Set(["timeseries", "heatmap"]);
const WIDE = new Set([...PLOTTED, "table"]);
// Where a panel's figures come from (the API's panel "sources"), said beside its title.
const SOURCES = {
  pushed: "pushed metrics",
  spans: "counted from spans",
  "pushed spans": "pushed metrics and counts from spans",
};
const LEGEND_MAX = 6;

/** A value in a panel's unit (Grafana's unit names, as the ops bundle writes them). */
export function formatValue(value, unit) {
  if (value === null || value === undefined || Number.isNaN(value)) return "–";
  if (typeof value !== "number") return String(value);
  switch (unit) {
    case "percentunit":
      return `${(value * 100).toFixed(Math.abs(value) < 0.1 ? 2 : 1)}%`;
    case "percent":
      return `${value.toFixed(1)}%`;
    case "s":
      return value < 1 ? `${(value * 1000).toFixed(0)} ms` : `${value.toFixed(2)} s`;
    case "ms":
      return `${value.toFixed(0)} ms`;
    case "bytes": {
      const units = ["B", "KiB", "MiB", "GiB", "TiB"];
      let scaled = value;
      let index = 0;
      while (Math.abs(scaled) >= 1024 && index < units.length - 1) {
        scaled /= 1024;
        index += 1;
      }
      return `${scaled.toFixed(index ? 1 : 0)} ${units[index]}`;
    }
    case "currencyUSD":
      return `$${value.toFixed(value < 1 ? 4 : 2)}`;
    case "reqps":
      return `${count(value)} req/s`;
    case "ops":
      return `${count(value)} /s`;
    default:
      return count(value);
  }
}

const AXES = {
  percentunit: { tickformat: ".3~%" },
  percent: { ticksuffix: "%" },
  s: { ticksuffix: " s" },
  ms: { ticksuffix: " ms" },
  bytes: { tickformat: ".2s", ticksuffix: "B" },
  currencyUSD: { tickprefix: "$" },
  reqps: { ticksuffix: " req/s" },
  ops: { ticksuffix: " /s" },
};

/** Points' times as Dates: epoch seconds, milliseconds or nanoseconds, told by size. */
function when(t) {
  if (typeof t === "string") return new Date(t);
  if (t > 1e14) return new Date(t / 1e6);
  if (t > 1e11) return new Date(t);
  return new Date(t * 1000);
}

/** A series' single value: the one the server gave, else its last point. */
function last(series) {
  if (series.value !== undefined && series.value !== null) return series.value;
  const points = series.points || [];
  return points.length ? points[points.length - 1][1] : null;
}

/** A value as the panel says it: a mapping's text (0 "closed"), else in its unit. */
function shown(value, panel) {
  const mapped = (panel.mappings || []).find((mapping) => mapping.value === value);
  return mapped ? mapped.text : formatValue(value, panel.unit);
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

function lines(panel) {
  return (panel.series || []).map((one) => ({
    type: "scatter",
    // A line needs two points: a series only just begun is drawn as its dots.
    mode: (one.points || []).length < 3 ? "lines+markers" : "lines",
    name: one.label || "value",
    x: (one.points || []).map(([t]) => when(t)),
    y: (one.points || []).map(([, v]) => v),
    line: { width: 1.6 },
    stackgroup: panel.stacked ? "stack" : undefined,
    cliponaxis: false,
    hovertemplate: "%{y}<extra>%{fullData.name}</extra>",
  }));
}

/**
 * Prometheus buckets (cumulative, one series per `le`) as a heatmap of what fell in each
 * bucket per step: each bound's value minus the one below it. Columns are the steps of the
 * range (`step` seconds apart, the first at the first point), so a column has its width even
 * when it is the only one.
 */
function heatmap(panel, step) {
  const buckets = [...panel.series].sort((a, b) => Number(a.labels.le) - Number(b.labels.le));
  const times = buckets.flatMap((one) => one.points.map(([t]) => t));
  const first = Math.min(...times);
  const columns = Math.round((Math.max(...times) - first) / step) + 1;
  const grid = buckets.map((one) => {
    const row = new Array(columns).fill(null);
    for (const [t, v] of one.points) row[Math.round((t - first) / step)] = v;
    return row;
  });
  const z = grid.map((row, index) =>
    row.map((value, column) => {
      const below = index ? grid[index - 1][column] : 0;
      return value === null ? null : Math.max(value - (below || 0), 0);
    }),
  );
  return [
    {
      type: "heatmap",
      x0: when(first),
      dx: step * 1000,
      y: buckets.map((one) => `≤ ${one.labels.le}${panel.unit === "s" ? " s" : ""}`),
      z,
      colorscale: [
        [0, "#f3f6fd"],
        [1, "#3557d4"],
      ],
      showscale: false,
      hovertemplate: "%{y}: %{z:.3g}<extra></extra>",
    },
  ];
}

async function drawChart(element, panel, bounds, step) {
  const Plotly = await plotly();
  const series = panel.series || [];
  const buckets = panel.kind === "heatmap" && step > 0 && series.every((one) => one.labels?.le !== undefined);
  const legend = !buckets && series.length > 1 && series.length <= LEGEND_MAX;
  const layout = {
    height: legend ? 270 : 230,
    margin: { l: buckets ? 76 : 56, r: 12, t: 8, b: 28 },
    paper_bgcolor: "rgba(0,0,0,0)",
    plot_bgcolor: "rgba(0,0,0,0)",
    font: { family: "system-ui, sans-serif", size: 11, color: "#445" },
    // Past a handful of series a legend hides the chart: hovering names each line instead.
    showlegend: legend,
    legend: { orientation: "h", x: 0, y: -0.2, font: { size: 10 } },
    // The whole range asked for, as Grafana shows it, even where there is no data yet.
    xaxis: { type: "date", gridcolor: "#eef0f4", tickformat: "%H:%M", range: bounds.every(Number.isFinite) ? bounds.map(when) : undefined },
    yaxis: buckets
      ? { type: "category" }
      : { gridcolor: "#eef0f4", rangemode: "tozero", ...(AXES[panel.unit] || {}) },
    uirevision: panel.title,
  };
  const traces = buckets ? heatmap(panel, step) : lines(panel);
  await Plotly.react(element, traces, layout, { displayModeBar: false, responsive: true });
}

function big(value, panel) {
  return h("div", { class: "big", style: { color: colour(value, panel) } }, shown(value, panel));
}

function bigNumbers(panel) {
  const series = panel.series || [];
  if (panel.value !== undefined && panel.value !== null) return big(panel.value, panel);
  if (series.length <= 1) return big(series.length ? last(series[0]) : null, panel);
  return h(
    "div",
    { class: "bigs" },
    series.map((one) => h("div", {}, big(last(one), panel), h("div", { class: "label" }, one.label))),
  );
}

function bars(panel) {
  const rows = (panel.series || []).map((one) => [one.label, last(one)]).sort((a, b) => (b[1] || 0) - (a[1] || 0));
  const top = Math.max(...rows.map(([, value]) => Math.abs(value || 0)), 1e-12);
  return h(
    "div",
    { class: "bars" },
    rows.map(([label, value]) =>
      h(
        "div",
        { class: "bar-row" },
        h("span", { class: "bar-label", title: label }, label),
        h("span", { class: "bar" }, h("i", { style: { width: `${(100 * Math.abs(value || 0)) / top}%` } })),
        h("span", { class: "bar-value" }, shown(value, panel)),
      ),
    ),
  );
}

function tableOf(panel) {
  return table(
    [
      { label: "Series", cell: (one) => one.label || "" },
      { label: "Value", cell: (one) => shown(last(one), panel), class: "num" },
    ],
    panel.series || [],
    "No data in this range.",
  );
}

/** Fill a panel's body; charts are drawn after the body is in the page (Plotly measures it). */
async function fill(body, panel, bounds, step) {
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
    await drawChart(chart, panel, bounds, step);
  } else if (panel.kind === "stat" || panel.kind === "gauge") {
    body.replaceChildren(bigNumbers(panel));
  } else if (panel.kind === "table") {
    body.replaceChildren(tableOf(panel));
  } else {
    body.replaceChildren(bars(panel));
  }
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
  const id = where.id;
  const range = RANGES.includes(where.params.get("range")) ? where.params.get("range") : "1h";
  const refresh = where.params.get("refresh") === "1";
  // The namespace chosen in the selector; none: the server's (asked, else what arrived).
  const chosen = where.params.get("namespace") || "";
  const link = (r, on, ns = chosen) =>
    `#/dashboards/${encodeURIComponent(id)}?range=${r}${on ? "&refresh=1" : ""}${ns ? `&namespace=${encodeURIComponent(ns)}` : ""}`;
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
  const head = heading(
    title,
    h("a", { href: `#/dashboards${chosen ? `?namespace=${encodeURIComponent(chosen)}` : ""}` }, "← Dashboards"),
    selector,
    h("span", { class: "segmented" }, RANGES.map((r) => h("a", { href: link(r, refresh), class: r === range ? "on" : "" }, r))),
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
    const data = await getJSON(`/api/dashboards/${encodeURIComponent(id)}`, { start: range, namespace: chosen }, signal);
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
      drawing.push(fill(body, panel, [data.start, data.end], data.step).catch((error) => body.replaceChildren(notice(error))));
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
