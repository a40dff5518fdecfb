// Time series charts drawn with uPlot (51 kB, vendored under static/vendor/uplot from the
// locked npm package, see js/console-vendor): lines, stacked areas and bucket heatmaps, each
// with a legend naming every series and giving its value (the latest, or the one under the
// cursor), in the panel's unit.

import { formatBounded, formatValue } from "./units.js";

const VENDOR = new URL("../vendor/uplot/", import.meta.url);
const PALETTE = ["#3557d4", "#e8743b", "#19a979", "#ed4a7b", "#945ecf", "#13a4b4", "#525df4", "#bf399e", "#6c8893", "#ee6868", "#2f6497", "#b3a12a"];
const GRID = { stroke: "#eef0f4", width: 1 };
const AXIS_FONT = "11px system-ui, sans-serif";

let loading = null;

/** uPlot's script and styles, fetched the first time a chart is drawn (no other view pays). */
export function uplot() {
  if (window.uPlot) return Promise.resolve(window.uPlot);
  loading ||= new Promise((resolve, reject) => {
    document.head.append(Object.assign(document.createElement("link"), { rel: "stylesheet", href: new URL("uPlot.min.css", VENDOR).href }));
    const script = Object.assign(document.createElement("script"), { src: new URL("uPlot.iife.min.js", VENDOR).href });
    script.onload = () => resolve(window.uPlot);
    script.onerror = () => {
      loading = null;
      script.remove();
      reject(new Error("uPlot could not be loaded from this server"));
    };
    document.head.append(script);
  });
  return loading;
}

/** Points' times as epoch seconds: given in seconds, milliseconds or nanoseconds, told by size. */
export function seconds(t) {
  if (typeof t === "string") return Date.parse(t) / 1000;
  if (t > 1e14) return t / 1e9;
  if (t > 1e11) return t / 1000;
  return t;
}

/**
 * The series on one time axis, as uPlot takes them: the sorted union of their times (with
 * the window's ends, so the chart spans the whole range asked for) and each series' values
 * at those times, null where it has none.
 */
export function aligned(series, span) {
  const times = new Set(span.filter(Number.isFinite).map(seconds));
  for (const one of series) for (const [t] of one.points) times.add(seconds(t));
  const xs = [...times].sort((a, b) => a - b);
  const at = new Map(xs.map((x, index) => [x, index]));
  const columns = series.map((one) => {
    const ys = new Array(xs.length).fill(null);
    for (const [t, v] of one.points) ys[at.get(seconds(t))] = v;
    return ys;
  });
  return [xs, ...columns];
}

/** Each series added to those before it (a missing value counts as 0 under a present one). */
function stackedColumns(columns) {
  const sums = [];
  columns.forEach((ys, index) => {
    sums.push(ys.map((v, i) => (v === null ? null : v + (index ? sums[index - 1][i] || 0 : 0))));
  });
  return sums;
}

/** A time as the legend and axis say it: 24-hour clock, seconds when `seconds` is set. */
function timeLabel(t, seconds = true) {
  const d = new Date(t * 1000);
  return d.toLocaleTimeString("en-GB", { hour: "2-digit", minute: "2-digit", ...(seconds ? { second: "2-digit" } : {}) });
}

/** The time axis: one line of labels, with seconds only when ticks are under a minute apart. */
const TIME_AXIS = {
  stroke: "#445",
  font: AXIS_FONT,
  grid: GRID,
  ticks: GRID,
  space: 64,
  size: 28,
  values: (u, splits, axis, space, increment) => splits.map((t) => timeLabel(t, increment < 60)),
};

/** The y axis: ticks in the panel's unit, as wide as its longest label. */
function yAxis(unit, labels) {
  return {
    stroke: "#445",
    font: AXIS_FONT,
    grid: GRID,
    ticks: GRID,
    values: labels || ((u, splits) => splits.map((v) => formatValue(v, unit))),
    size: (u, values) => 20 + 7 * Math.max(3, ...(values || []).map((v) => String(v).length)),
  };
}

/** From 0 (or the lowest value, when below) to a little above the highest: a series of zeros
 * is a flat line on 0, not a blank chart. */
function fromZero(u, min, max) {
  const low = Math.min(0, min ?? 0);
  const high = Math.max(0, max ?? 0);
  return high === low ? [low, low + 1] : [low, high + (high - low) * 0.05];
}

/** What every chart shares: the time axis, the legend, the size. */
function options(element, unit, series, extra) {
  return {
    width: Math.max(element.clientWidth, 200),
    height: 220,
    series: [{ value: (u, v) => (v === null ? "latest" : timeLabel(v)) }, ...series],
    scales: { x: { time: true } },
    axes: [TIME_AXIS, yAxis(unit)],
    legend: { live: true },
    cursor: { points: { size: 6 } },
    ...extra,
  };
}

/**
 * A legend entry's value: the one under the cursor, else the series' latest; said as a bound
 * ("≤ 5 s") where `boundsAt` (one Map of time -> {op, value} per series) has one.
 */
function shownValue(xs, raw, unit, boundsAt) {
  return (u, v, index, cursor) => {
    const ys = raw[index - 1];
    let at = cursor;
    if (at === null) for (at = ys.length - 1; at > 0 && ys[at] === null; at -= 1);
    if (at === null || at < 0 || ys[at] === null) return "–";
    return formatBounded(ys[at], unit, boundsAt?.[index - 1].get(xs[at]));
  };
}

/** Redraw at the element's width whenever it changes (window resized, sidebar toggled). */
function followWidth(element, chart) {
  const observer = new ResizeObserver(() => {
    if (element.clientWidth && element.clientWidth !== chart.width) chart.setSize({ width: element.clientWidth, height: chart.height });
  });
  observer.observe(element);
  element.chart = { destroy: () => (observer.disconnect(), chart.destroy()) };
}

/**
 * Lines (or stacked areas) in `element`, replacing what it showed. `series`: [{label, points:
 * [[t, v]], bounds?: [[t, "le" | "ge", bound]]}] (bounds: the points the server could only
 * bound); `span`: the window's [start, end], in seconds.
 */
export async function drawLines(element, { series, unit, span, stacked = false }) {
  const uPlot = await uplot();
  const [xs, ...raw] = aligned(series, span);
  const drawn = stacked ? stackedColumns(raw) : raw;
  const boundsAt = series.map((one) => new Map((one.bounds || []).map(([t, op, value]) => [seconds(t), { op, value }])));
  const few = xs.length < 40;
  const lines = series.map((one, index) => {
    const colour = PALETTE[index % PALETTE.length];
    return {
      label: one.label || "value",
      stroke: colour,
      width: 1.6,
      fill: stacked ? `${colour}55` : undefined,
      // A series only just begun is drawn as its dots too: a line needs two points.
      points: { show: few || one.points.length < 3, size: 5 },
      value: shownValue(xs, raw, unit, boundsAt),
    };
  });
  const bands = stacked ? lines.slice(1).map((_, index) => ({ series: [index + 2, index + 1] })) : undefined;
  element.chart?.destroy();
  element.replaceChildren();
  const extra = { scales: { x: { time: true }, y: { range: fromZero } }, bands };
  followWidth(element, new uPlot(options(element, unit, lines, extra), [xs, ...drawn], element));
}

/**
 * Prometheus buckets (cumulative, one series per `le`) as a heatmap of what fell in each
 * bucket per step: each bound's count minus the one below it, a row per bucket, darker for
 * more. The legend lists the buckets and, under the cursor, each one's count at that time.
 */
export async function drawHeatmap(element, { buckets, unit, span, step }) {
  const uPlot = await uplot();
  const sorted = [...buckets].sort((a, b) => Number(a.labels.le) - Number(b.labels.le));
  const [xs, ...cumulative] = aligned(sorted, span);
  const rows = cumulative.map((ys, index) =>
    ys.map((v, i) => (v === null ? null : Math.max(v - (index ? cumulative[index - 1][i] || 0 : 0), 0))),
  );
  const top = Math.max(1e-12, ...rows.flat().filter((v) => v !== null));
  const names = sorted.map((one) => `≤ ${one.labels.le === "+Inf" ? "+Inf" : formatValue(Number(one.labels.le), unit)}`);
  const half = step / 2;
  const paint = (u) => {
    const { ctx } = u;
    ctx.save();
    rows.forEach((ys, row) => {
      const y0 = u.valToPos(row - 0.5, "bucket", true);
      const y1 = u.valToPos(row + 0.5, "bucket", true);
      ys.forEach((v, i) => {
        if (!v) return; // nothing fell in the bucket: left blank, as no data is
        const x0 = u.valToPos(xs[i] - half, "x", true);
        const x1 = u.valToPos(xs[i] + half, "x", true);
        ctx.fillStyle = `rgba(53, 87, 212, ${0.06 + (0.94 * v) / top})`;
        ctx.fillRect(x0, y1, Math.max(x1 - x0, 1), y0 - y1);
      });
    });
    ctx.restore();
  };
  const lines = names.map((label, index) => ({
    label,
    scale: "count",
    stroke: PALETTE[index % PALETTE.length],
    paths: () => null,
    points: { show: false },
    value: shownValue(xs, rows, ""),
  }));
  const bucketAxis = { ...yAxis("", (u, splits) => splits.map((v) => names[v] ?? "")), scale: "bucket", splits: () => names.map((_, i) => i) };
  const extra = {
    height: 240,
    scales: { x: { time: true }, bucket: { auto: false, range: [-0.5, names.length - 0.5] }, count: { range: fromZero } },
    axes: [TIME_AXIS, bucketAxis],
    hooks: { drawClear: [paint] },
  };
  element.chart?.destroy();
  element.replaceChildren();
  followWidth(element, new uPlot(options(element, unit, lines, extra), [xs, ...rows], element));
}
