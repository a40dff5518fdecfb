// Small DOM helpers every view uses: build elements, tables and notices; format numbers.

const SVG_NS = "http://www.w3.org/2000/svg";

function fill(element, attrs, children) {
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith("on")) element.addEventListener(key.slice(2), value);
    else if (key === "style" && typeof value === "object") Object.assign(element.style, value);
    else element.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return element;
}

/** An HTML element: h("a", {href: "#/x", class: "link"}, "text", otherNode). */
export function h(tag, attrs = {}, ...children) {
  return fill(document.createElement(tag), attrs, children);
}

/** An SVG element, same calling convention as h(). */
export function s(tag, attrs = {}, ...children) {
  return fill(document.createElementNS(SVG_NS, tag), attrs, children);
}

/** A table: columns are {label, cell: row => Node|string, class?}; empty shows `empty`. */
export function table(columns, rows, empty = "Nothing here yet.") {
  const head = h("tr", {}, columns.map((c) => h("th", { class: c.class }, c.label)));
  const body = rows.length
    ? rows.map((row) => h("tr", {}, columns.map((c) => h("td", { class: c.class }, c.cell(row)))))
    : [h("tr", {}, h("td", { colspan: columns.length, class: "muted" }, empty))];
  return h("table", { class: "grid" }, h("thead", {}, head), h("tbody", {}, body));
}

/** The reason a request failed, said plainly; 404 means this server lacks the endpoint. */
export function notice(error) {
  if (error?.status === 404 && error.path) {
    return h("div", { class: "notice" }, `This server does not answer ${error.path} (yet).`);
  }
  return h("div", { class: "notice error" }, error?.message || String(error));
}

/** A page title with optional parts on the right (links, controls). */
export function heading(title, ...extra) {
  return h("div", { class: "heading" }, h("h1", {}, title), h("div", { class: "tools" }, extra));
}

export function traceLink(traceId, spanId, text) {
  if (!traceId) return "";
  const query = spanId ? `?span=${encodeURIComponent(spanId)}` : "";
  return h("a", { href: `#/traces/${traceId}${query}`, class: "mono" }, text || traceId.slice(0, 12));
}

export function badge(text, tone) {
  return h("span", { class: `badge ${tone || String(text).toLowerCase()}` }, text);
}

/** Query-string pairs from a form, empty fields left out. */
export function formQuery(form) {
  const query = new URLSearchParams();
  for (const [key, value] of new FormData(form)) if (String(value).trim()) query.set(key, value);
  return query;
}

export function ms(value) {
  if (value === null || value === undefined || Number.isNaN(value)) return "–";
  if (value < 1) return `${(value * 1000).toFixed(0)} µs`;
  if (value < 1000) return `${value.toFixed(value < 10 ? 1 : 0)} ms`;
  if (value < 60000) return `${(value / 1000).toFixed(2)} s`;
  return `${(value / 60000).toFixed(1)} min`;
}

export function count(value) {
  if (value === null || value === undefined) return "–";
  return Number(value).toLocaleString("en-US", { maximumFractionDigits: 2 });
}

export function percent(ratio) {
  if (ratio === null || ratio === undefined) return "–";
  if (ratio === 0) return "0%";
  return `${(ratio * 100).toFixed(ratio < 0.1 ? 1 : 0)}%`;
}

/** A local clock time for nanoseconds since the epoch (or an ISO string). */
export function clock(time) {
  if (time === null || time === undefined || time === "") return "–";
  const date = typeof time === "number" ? new Date(time / 1e6) : new Date(time);
  const today = new Date().toDateString() === date.toDateString();
  const hms = date.toLocaleTimeString("en-GB", { hour12: false });
  return today ? hms : `${date.toISOString().slice(0, 10)} ${hms}`;
}

/** Attribute values as text: strings as they are, everything else as JSON. */
export function text(value) {
  return typeof value === "string" ? value : JSON.stringify(value);
}

export function words(key) {
  const spaced = key.replace(/_/g, " ");
  return spaced.charAt(0).toUpperCase() + spaced.slice(1);
}
