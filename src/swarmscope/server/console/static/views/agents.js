// Agents: who hands work to whom, as an SVG graph laid out left to right in handoff order,
// with run counts, latency and error rates; and the same numbers as a table.

import { getJSON } from "../api.js";
import { count, h, heading, ms, percent, s, table } from "../dom.js";
import { RANGES } from "./filters.js";

const NODE_W = 210;
// Boxes widen to their names up to this; a longer name is cut, whole in the box's title.
const MAX_NODE_W = 340;
const NODE_H = 64;
// The room between columns, for the handoffs' labels.
const GAP = 150;
const ROW = 96;
const MARGIN = 24;
const PADDING = 10;
// The font of .agent-graph .node-name (app.css), to measure names with.
const NAME_FONT = '650 12px system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';

let measuring;
function nameWidth(text) {
  measuring ||= document.createElement("canvas").getContext("2d");
  if (!measuring) return text.length * 8;
  measuring.font = NAME_FONT;
  return measuring.measureText(text).width;
}

/** The name as it fits in `room` pixels: whole, or cut with an ellipsis. */
export function fitted(name, room, width = nameWidth) {
  if (width(name) <= room) return name;
  let cut = name.length - 1;
  while (cut > 1 && width(`${name.slice(0, cut)}…`) > room) cut -= 1;
  return `${name.slice(0, cut)}…`;
}

export function tone(errorRate, runs = 1) {
  if (!runs) return "idle";
  if (errorRate >= 0.05) return "bad";
  if (errorRate >= 0.01) return "warn";
  return "ok";
}

// The API names ends `source`/`target` (older drafts: `from`/`to`; nodes `id` or `agent`).
const nodeId = (node) => node.id ?? node.agent;
const edgeEnds = (edge) => [edge.source ?? edge.from, edge.target ?? edge.to];

/**
 * Columns by handoff order: a node's column is the longest chain of edges reaching it.
 * Edges closing a cycle are found by a depth-first walk and left out of the ranking.
 */
export function layout(ids, edges, column = NODE_W + GAP) {
  const out = new Map(ids.map((id) => [id, []]));
  const incoming = new Map(ids.map((id) => [id, 0]));
  for (const edge of edges) {
    const [from, to] = edgeEnds(edge);
    out.get(from).push(to);
    incoming.set(to, incoming.get(to) + 1);
  }
  const state = new Map();
  const back = new Set();
  const order = [];
  const visit = (id) => {
    state.set(id, "open");
    for (const next of out.get(id)) {
      if (state.get(next) === "open") back.add(`${id}\n${next}`);
      else if (!state.has(next)) visit(next);
    }
    state.set(id, "done");
    order.push(id);
  };
  const sources = [...ids].sort((a, b) => incoming.get(a) - incoming.get(b) || a.localeCompare(b));
  for (const id of sources) if (!state.has(id)) visit(id);
  const rank = new Map(ids.map((id) => [id, 0]));
  for (const id of order.reverse()) {
    for (const next of out.get(id)) {
      if (!back.has(`${id}\n${next}`)) rank.set(next, Math.max(rank.get(next), rank.get(id) + 1));
    }
  }
  // Within a column, sit near the nodes that lead in (mean row of predecessors), then by name.
  const columns = [];
  for (const id of ids) (columns[rank.get(id)] ||= []).push(id);
  const row = new Map();
  for (const column of columns) {
    if (!column) continue;
    const preferred = (id) => {
      const rows = edges.filter((e) => edgeEnds(e)[1] === id && row.has(edgeEnds(e)[0]));
      return rows.length ? rows.reduce((sum, e) => sum + row.get(edgeEnds(e)[0]), 0) / rows.length : 0;
    };
    // Agents with no edge at all go last, out of the way of the chains.
    const alone = (id) => (out.get(id).length || incoming.get(id) ? 0 : 1);
    column.sort((a, b) => alone(a) - alone(b) || preferred(a) - preferred(b) || a.localeCompare(b));
    column.forEach((id, index) => row.set(id, index));
  }
  const position = new Map(
    ids.map((id) => [id, { x: MARGIN + rank.get(id) * column, y: MARGIN + row.get(id) * ROW }]),
  );
  return { position, back, columns: columns.length, rows: Math.max(1, ...columns.map((c) => c?.length || 0)) };
}

function edgeLabel(edge) {
  const parts = [`${count(edge.count)}×`];
  if (edge.failures) parts.push(`${count(edge.failures)} failed`);
  if (edge.p95_ms !== null && edge.p95_ms !== undefined) parts.push(`p95 ${ms(edge.p95_ms)}`);
  return parts.join(" · ");
}

function edgePath(a, b, spawn, nodeW) {
  if (spawn && b.x > a.x) {
    // An orchestrator reaches its agents from below, leaving the space between columns to
    // the handoffs and their labels.
    const x1 = a.x + (nodeW * 3) / 4;
    const y1 = a.y + NODE_H;
    const x2 = b.x + nodeW / 3;
    const y2 = b.y + NODE_H;
    const low = Math.max(y1, y2) + 45;
    return { d: `M${x1},${y1} C${x1},${low} ${x2},${low} ${x2},${y2}`, mid: [(x1 + x2) / 2, low] };
  }
  if (b.x > a.x) {
    const x1 = a.x + nodeW;
    const y1 = a.y + NODE_H / 2;
    const x2 = b.x;
    const y2 = b.y + NODE_H / 2;
    const bend = (x2 - x1) / 2;
    return { d: `M${x1},${y1} C${x1 + bend},${y1} ${x2 - bend},${y2} ${x2},${y2}`, mid: [(x1 + x2) / 2, (y1 + y2) / 2] };
  }
  // Back to the same or an earlier column: loop under the nodes.
  const x1 = a.x + nodeW / 2;
  const y1 = a.y + NODE_H;
  const x2 = b.x + nodeW / 2;
  const y2 = b.y + NODE_H;
  const low = Math.max(y1, y2) + 40;
  return { d: `M${x1},${y1} C${x1},${low} ${x2},${low} ${x2},${y2}`, mid: [(x1 + x2) / 2, low - 10] };
}

function graph(nodes, edges) {
  const ids = nodes.map(nodeId);
  for (const edge of edges) for (const end of edgeEnds(edge)) if (!ids.includes(end)) ids.push(end);
  const nodeW = Math.min(MAX_NODE_W, Math.max(NODE_W, ...ids.map((id) => nameWidth(id) + 2 * PADDING)));
  const { position, columns, rows } = layout(ids, edges, nodeW + GAP);
  const byId = new Map(nodes.map((node) => [nodeId(node), node]));
  const width = MARGIN * 2 + (columns - 1) * (nodeW + GAP) + nodeW;
  const height = MARGIN * 2 + (rows - 1) * ROW + NODE_H + 60;
  const markers = ["ok", "warn", "bad", "idle", "spawn"].map((name) =>
    s(
      "marker",
      { id: `arrow-${name}`, viewBox: "0 0 10 10", refX: 9, refY: 5, markerWidth: 9, markerHeight: 9, markerUnits: "userSpaceOnUse", orient: "auto-start-reverse" },
      s("path", { d: "M0,0 L10,5 L0,10 z", class: `arrowhead ${name}` }),
    ),
  );
  const lines = edges.map((edge) => {
    const [from, to] = edgeEnds(edge);
    const spawn = edge.kind === "spawn";
    const { d, mid } = edgePath(position.get(from), position.get(to), spawn, nodeW);
    const look = spawn ? "spawn" : tone(edge.error_rate || 0, edge.count);
    return s(
      "g",
      { class: `edge ${spawn ? "spawn" : "handoff"} tone-${look}`, "data-from": from, "data-to": to },
      s("title", {}, `${from} → ${to} (${edge.kind}): ${edgeLabel(edge)}`),
      s("path", {
        d,
        "marker-end": `url(#arrow-${look})`,
        "stroke-width": spawn ? 1 : Math.min(1.5 + Math.log10(1 + (edge.count || 0)), 5),
      }),
      spawn ? "" : s("text", { x: mid[0], y: mid[1] - 6, class: "edge-label" }, edgeLabel(edge)),
    );
  });
  const boxes = ids.map((id) => {
    const node = byId.get(id) || { runs: 0, errors: 0, error_rate: 0 };
    const { x, y } = position.get(id);
    const orchestrator = node.kind === "orchestrator";
    const name = fitted(id, nodeW - 2 * PADDING);
    const box = s(
      "g",
      { class: `node tone-${tone(node.error_rate || 0, node.runs)}${orchestrator ? " orchestrator" : ""}`, "data-agent": id },
      s("title", {}, `${id}: ${count(node.runs)} runs, ${count(node.errors)} errors`),
      s("rect", { x, y, width: nodeW, height: NODE_H, rx: 8 }),
      s("text", { x: x + PADDING, y: y + 20, class: "node-name" }, name),
      s("text", { x: x + PADDING, y: y + 38, class: "node-figures" }, `${count(node.runs)} runs · ${percent(node.error_rate || 0)} errors`),
      s("text", { x: x + PADDING, y: y + 54, class: "node-figures" }, `p50 ${ms(node.p50_ms)} · p95 ${ms(node.p95_ms)}`),
    );
    return orchestrator ? box : s("a", { href: `#/traces?agent=${encodeURIComponent(id)}` }, box);
  });
  return s(
    "svg",
    { class: "agent-graph", width, height, viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": "Agent handoff graph" },
    s("defs", {}, markers),
    lines,
    boxes,
  );
}

export async function render(page, where, signal) {
  // The last hour unless asked: the whole store can be a day of a busy system.
  const start = where.params.get("start") ?? "1h";
  const ranges = [...RANGES, ""].map((range) =>
    h("a", { href: `#/agents?start=${range}`, class: range === start ? "on" : "" }, range || "all"),
  );
  page.append(heading("Agents", h("span", { class: "segmented" }, ranges)));
  const data = await getJSON("/api/agents/graph", { start }, signal);
  const nodes = data.nodes || [];
  const edges = data.edges || [];
  if (!nodes.length && !edges.length) {
    page.append(h("p", { class: "muted" }, "No agent has run in this window."));
    return;
  }
  page.append(
    h("div", { class: "graph-frame" }, graph(nodes, edges)),
    h("p", { class: "legend" }, "Solid arrows: handoffs (count, failures, p95 time until the next agent starts). Dashed: an orchestrator starting an agent. Colour: error rate under 1%, under 5%, 5% or more."),
    table(
      [
        {
          label: "Agent",
          cell: (n) =>
            n.kind === "orchestrator" ? nodeId(n) : h("a", { href: `#/traces?agent=${encodeURIComponent(nodeId(n))}` }, nodeId(n)),
        },
        { label: "Runs", cell: (n) => count(n.runs), class: "num" },
        { label: "Errors", cell: (n) => count(n.errors), class: "num" },
        { label: "Error rate", cell: (n) => h("span", { class: tone(n.error_rate || 0, n.runs) }, percent(n.error_rate || 0)), class: "num" },
        { label: "p50", cell: (n) => ms(n.p50_ms), class: "num" },
        { label: "p95", cell: (n) => ms(n.p95_ms), class: "num" },
        { label: "Services", cell: (n) => (n.services || []).join(", ") },
      ],
      nodes,
    ),
  );
}
