// One trace: a waterfall (bars placed by time from the trace's start, indented by depth,
// coloured by what the span does, subtrees folding) and the selected span's attributes and
// events beside it, read from the server when it is selected.
//
// A trace may hold 100,000 spans: the waterfall keeps in the page only the rows in view
// (rows of one fixed height in a box sized for all of them, drawn again on scroll), and the
// server sends every span's few waterfall columns, not the spans themselves. The first rows
// are asked for alone and drawn at once; the rest fill in when they arrive.

import { getJSON } from "../api.js";
import { LLM_OPERATIONS, OPERATIONS, SPAN_PREFIXES } from "../conventions.js";
import { badge, count, h, heading, ms, notice, table, text } from "../dom.js";

const KINDS = {
  [SPAN_PREFIXES.ORCHESTRATE]: "orchestration",
  [OPERATIONS.INVOKE_AGENT]: "agent",
  [OPERATIONS.EXECUTE_TOOL]: "tool",
  [OPERATIONS.CHAT]: "LLM call",
  [OPERATIONS.HANDOFF]: "handoff",
  approval: "approval",
  server: "HTTP server",
  client: "client call",
  internal: "other",
};
const LLM = new Set(LLM_OPERATIONS);
// A row's height in px (console.css gives .wf-list .wf-row this height), and how many rows
// beyond the view are drawn too, so a short scroll shows no gap.
const ROW_HEIGHT = 26;
const SPARE_ROWS = 20;
// Deeper rows are indented no further: a chain of thousands would leave no room for names.
const MAX_INDENT = 40;
// How many rows are read first: more than a screen, a small answer however big the trace.
const FIRST_ROWS = 500;

/** The colour family of a span: its GenAI operation, else what its name or kind says. */
export function kindOf(span) {
  const operation = span.operation || "";
  if (LLM.has(operation)) return OPERATIONS.CHAT;
  if (operation in KINDS) return operation;
  const name = span.name || "";
  if (name.startsWith(SPAN_PREFIXES.HITL_APPROVAL) || span.approval) return "approval";
  if (name.startsWith(`${SPAN_PREFIXES.ORCHESTRATE} `)) return SPAN_PREFIXES.ORCHESTRATE;
  if (span.kind === "server" || span.kind === "client") return span.kind;
  return "internal";
}

/** The answer's spans in its tree order (depth first, children in start order, so a span's
 * subtree is the rows right after it), each knowing its row and its parent's; `total`, how
 * many rows the trace has, and `sizes`, how many rows each row's subtree holds. An answer
 * of the first rows only has spans for those. */
function modelOf(data) {
  const { columns, order } = data;
  const rowOf = new Int32Array(columns.span_id.length).fill(-1);
  order.forEach((position, row) => {
    rowOf[position] = row;
  });
  const sizes = new Int32Array(data.spans).fill(1);
  const spans = order.map((position, row) => {
    sizes[row] = data.subtree[position];
    return {
      row,
      span_id: columns.span_id[position],
      parent: data.parent[position] >= 0 ? rowOf[data.parent[position]] : -1,
      depth: data.depth[position],
      name: columns.name[position],
      service: columns.service[position],
      kind: columns.kind[position],
      operation: columns.operation[position],
      status: columns.status[position],
      start: columns.start[position],
      duration_ms: columns.duration_ms[position],
      approval: false,
      events: [],
    };
  });
  for (const position of data.approval) {
    if (rowOf[position] >= 0) spans[rowOf[position]].approval = true;
  }
  for (const [position, at, name] of data.events) {
    if (rowOf[position] >= 0) spans[rowOf[position]].events.push({ at, name });
  }
  return { spans, sizes, total: data.spans, byId: new Map(spans.map((span) => [span.span_id, span])) };
}

/** The rows to list: every row outside a collapsed subtree, or, while searching, the spans
 * read so far whose name holds the text. */
function shownRows(model, collapsed, search) {
  const rows = [];
  if (search) {
    const wanted = search.toLowerCase();
    model.spans.forEach((span, row) => span.name.toLowerCase().includes(wanted) && rows.push(row));
    return rows;
  }
  for (let row = 0; row < model.total; row += collapsed.has(row) ? model.sizes[row] : 1) rows.push(row);
  return rows;
}

function facts(pairs) {
  const shown = pairs.filter(([, value]) => value !== null && value !== undefined && value !== "");
  return h("dl", { class: "facts" }, shown.map(([key, value]) => [h("dt", {}, key), h("dd", {}, value)]));
}

function attributeTable(attributes) {
  const entries = Object.entries(attributes || {}).sort(([a], [b]) => a.localeCompare(b));
  return table(
    [
      { label: "Key", cell: ([key]) => key, class: "mono key" },
      { label: "Value", cell: ([, value]) => text(value), class: "mono" },
    ],
    entries,
    "No attributes.",
  );
}

function detail(span, traceId, startNs) {
  const offset = (ns) => ms((ns - startNs) / 1e6);
  const tokens =
    span.input_tokens || span.output_tokens
      ? `${count(span.input_tokens)} in · ${count(span.output_tokens)} out`
      : null;
  const events = (span.events || []).map((event) =>
    h(
      "div",
      { class: "event" },
      h("div", {}, h("b", {}, event.name), " ", h("span", { class: "muted" }, `at +${offset(event.time_ns)}`)),
      Object.keys(event.attributes || {}).length ? attributeTable(event.attributes) : "",
    ),
  );
  return [
    h("h2", {}, span.name, " ", badge(span.status || "unset")),
    facts([
      ["Service", span.service],
      ["Kind", span.kind],
      ["Operation", span.operation],
      ["Agent", span.agent && h("a", { href: `#/traces?agent=${encodeURIComponent(span.agent)}` }, span.agent)],
      ["Tool", span.tool],
      ["Model", span.model && (span.provider ? `${span.model} (${span.provider})` : span.model)],
      ["Tokens", tokens],
      ["Cost", span.cost_usd == null ? null : `$${span.cost_usd.toFixed(6)}`],
      ["Session", span.session && h("a", { href: `#/sessions/${encodeURIComponent(span.session)}` }, span.session)],
      ["Handoff", span.handoff_from || span.handoff_to ? `${span.handoff_from || "?"} → ${span.handoff_to || "?"}` : null],
      ["Waits for", span.wait],
      ["Starts at", `+${offset(span.start_ns)}`],
      ["Duration", ms(span.duration_ms)],
      ["Status message", span.status_message],
      ["Span id", h("span", { class: "mono" }, span.span_id)],
      ["Parent", span.parent_span_id && h("span", { class: "mono" }, span.parent_span_id)],
    ]),
    h("p", {}, h("a", { href: `#/logs?trace_id=${traceId}` }, "Logs of this trace →")),
    ...(span.messages?.length ? [h("h3", {}, "Messages"), chat(span.messages)] : []),
    h("h3", {}, "Attributes"),
    attributeTable(span.attributes),
    h("h3", {}, `Events (${events.length})`),
    ...(events.length ? events : [h("p", { class: "muted" }, "No events.")]),
    h("details", {}, h("summary", {}, "Resource"), attributeTable(span.resource)),
  ];
}

function axis(totalMs) {
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((at) =>
    h("span", { class: "tick", style: { left: `${at * 100}%` } }, at ? ms(totalMs * at) : "0"),
  );
  return h("div", { class: "wf-row wf-axis" }, h("div", { class: "wf-name muted" }, "Span"), h("div", { class: "wf-track" }, ticks));
}

function bar(span, parent, totalNs, subtree, collapsed) {
  const kind = kindOf(span);
  const left = (100 * span.start) / totalNs;
  const width = Math.max((100 * span.duration_ms * 1e6) / totalNs, 0.2);
  const error = span.status === "error";
  const label = h("span", { class: "wf-label" }, ms(span.duration_ms));
  // Beside the bar where there is room: after it, else before it, else inside its end.
  if (left + width <= 80) Object.assign(label.style, { left: `${left + width + 0.5}%` });
  else if (left >= 12) Object.assign(label.style, { right: `${100 - left + 0.5}%` });
  else {
    label.classList.add("inside");
    Object.assign(label.style, { right: `${100 - left - width + 0.5}%` });
  }
  const marks = span.events.map((event) =>
    h("i", {
      class: `wf-event${event.name === "exception" ? " error" : ""}`,
      style: { left: `${(100 * event.at) / totalNs}%` },
      title: event.name,
    }),
  );
  const otherService = parent && parent.service !== span.service;
  const toggle =
    subtree > 1
      ? h(
          "button",
          {
            class: "wf-toggle",
            "aria-expanded": String(!collapsed),
            title: `${collapsed ? "Show" : "Hide"} ${count(subtree - 1)} spans below`,
          },
          collapsed ? "▸" : "▾",
        )
      : h("span", { class: "wf-toggle" });
  return h(
    "div",
    {
      class: `wf-row${error ? " error" : ""}`,
      "data-span-id": span.span_id,
      "data-row": span.row,
      "data-kind": kind,
      tabindex: 0,
      role: "button",
    },
    h(
      "div",
      {
        class: "wf-name",
        style: { paddingLeft: `${0.4 + Math.min(span.depth, MAX_INDENT) * 0.9}rem` },
        title: span.depth > MAX_INDENT ? `${span.name} (depth ${count(span.depth)})` : span.name,
      },
      toggle,
      h("i", { class: `dot op-${kind}${error ? " error" : ""}` }),
      h("span", { class: "name" }, span.name),
      otherService ? h("span", { class: "svc" }, span.service) : "",
    ),
    h(
      "div",
      { class: "wf-track" },
      h("div", {
        class: `wf-bar op-${kind}${error ? " error" : ""}`,
        style: { left: `${left}%`, width: `${width}%` },
        title: `${span.name}: ${ms(span.duration_ms)}`,
      }),
      marks,
      label,
    ),
  );
}

/** A row not read yet: its place, held until the rest of the trace arrives. */
function pendingRow() {
  return h("div", { class: "wf-row wf-pending" }, h("div", { class: "wf-name muted" }, "Reading…"), h("div", { class: "wf-track" }));
}

/** The rows in view in `list`, drawn again on scroll, on folding, on search and when the
 * rest of the trace arrives (`load`). */
function virtualList(first, totalNs, isSelected) {
  let model = first;
  const collapsed = new Set();
  let search = "";
  let rows = [];
  const sizer = h("div", { class: "wf-sizer" });
  // The rows to list, and a box as tall as they are (before any scroll: none goes further).
  const listRows = () => {
    rows = shownRows(model, collapsed, search);
    sizer.style.height = `${rows.length * ROW_HEIGHT}px`;
  };
  listRows();
  const list = h("div", { class: "wf-list" }, sizer);
  let pending = false;
  const draw = () => {
    pending = false;
    const view = list.clientHeight || window.innerHeight;
    const first = Math.max(0, Math.floor(list.scrollTop / ROW_HEIGHT) - SPARE_ROWS);
    const last = Math.min(rows.length, Math.ceil((list.scrollTop + view) / ROW_HEIGHT) + SPARE_ROWS);
    const drawn = [];
    const { spans, sizes } = model;
    for (let at = first; at < last; at++) {
      const span = spans[rows[at]];
      const row = span ? bar(span, spans[span.parent], totalNs, sizes[span.row], collapsed.has(span.row)) : pendingRow();
      row.style.top = `${at * ROW_HEIGHT}px`;
      if (span && isSelected(span)) row.classList.add("selected");
      drawn.push(row);
    }
    // The row that had the keyboard's focus is drawn anew: give the focus to its new self.
    const focused = sizer.contains(document.activeElement) && document.activeElement.closest(".wf-row")?.dataset.spanId;
    sizer.replaceChildren(...drawn);
    if (focused) sizer.querySelector(`[data-span-id="${CSS.escape(focused)}"]`)?.focus({ preventScroll: true });
  };
  const redraw = () => {
    if (!pending) {
      pending = true;
      requestAnimationFrame(draw);
    }
  };
  list.addEventListener("scroll", redraw);
  const refold = () => {
    listRows();
    draw();
  };
  return {
    list,
    draw,
    /** Every span, read after the first rows: the same rows, so folds and scroll hold. */
    load(whole) {
      model = whole;
      refold();
    },
    toggle(row) {
      if (!collapsed.delete(row)) collapsed.add(row);
      refold();
    },
    search(text) {
      search = text.trim();
      list.scrollTop = 0;
      refold();
    },
    /** Unfold the span's ancestors and, unless it is in view, scroll it to the middle. */
    reveal(span) {
      let unfolded = false;
      for (let row = span.parent; row >= 0; row = model.spans[row].parent) unfolded = collapsed.delete(row) || unfolded;
      if (unfolded) listRows();
      const at = rows.indexOf(span.row);
      const top = at * ROW_HEIGHT;
      if (at >= 0 && (top < list.scrollTop || top + ROW_HEIGHT > list.scrollTop + list.clientHeight)) {
        list.scrollTop = top - list.clientHeight / 2;
      }
      draw();
    },
  };
}

export async function render(page, where, signal) {
  const traceId = where.id.toLowerCase();
  const base = `/api/traces/${encodeURIComponent(traceId)}`;
  const data = await getJSON(`${base}/waterfall`, { limit: FIRST_ROWS }, signal);
  let model = modelOf(data);
  const startNs = data.start_ns;
  const totalNs = Math.max(data.end_ns - data.start_ns, 1);

  let selected = null;
  let reading = null;
  const panel = h("aside", { class: "span-detail" });
  const rows = virtualList(model, totalNs, (span) => span === selected);
  const select = async (spanId, remember) => {
    const span = model.byId.get(spanId) || model.spans[0];
    selected = span;
    rows.reveal(span);
    // The address names the span, without a new history entry or a re-render.
    if (remember) history.replaceState(null, "", `#/traces/${traceId}?span=${span.span_id}`);
    reading?.abort();
    reading = new AbortController();
    const stop = reading.signal;
    panel.replaceChildren(h("h2", {}, span.name), h("p", { class: "muted" }, "Reading the span…"));
    try {
      const whole = await getJSON(`${base}/spans/${encodeURIComponent(span.span_id)}`, {}, stop);
      panel.replaceChildren(...detail(whole, traceId, startNs));
    } catch (error) {
      if (!stop.aborted) panel.replaceChildren(notice(error));
    }
  };
  const complete = model.spans.length === model.total;
  const waterfall = h("div", { class: "waterfall", "data-complete": String(complete) }, axis(totalNs / 1e6), rows.list);
  waterfall.addEventListener("click", (event) => {
    const row = event.target.closest(".wf-row[data-span-id]");
    if (!row) return;
    if (event.target.closest("button.wf-toggle")) rows.toggle(Number(row.dataset.row));
    else select(row.dataset.spanId, true);
  });
  waterfall.addEventListener("keydown", (event) => {
    const row = event.target.closest(".wf-row[data-span-id]");
    if (row && !event.target.closest("button") && (event.key === "Enter" || event.key === " ")) {
      event.preventDefault();
      select(row.dataset.spanId, true);
    }
  });
  const find = h("input", { type: "search", name: "find", placeholder: "Find spans by name", class: "wf-find" });
  find.addEventListener("input", () => rows.search(find.value));

  const legend = h(
    "div",
    { class: "legend" },
    Object.entries(KINDS).map(([kind, label]) => h("span", {}, h("i", { class: `dot op-${kind}` }), label)),
    h("span", {}, h("i", { class: "dot error" }), "error"),
  );
  page.append(
    heading(
      model.spans[0].name,
      h("a", { href: "#/traces" }, "← Traces"),
      h("a", { href: `#/logs?trace_id=${traceId}`, class: "button" }, "Logs of this trace"),
    ),
    facts([
      ["Trace", h("span", { class: "mono" }, traceId)],
      ["Outcome", badge(data.outcome)],
      ["Duration", ms(totalNs / 1e6)],
      ["Spans", count(data.spans)],
      ["Errors", data.errors ? h("span", { class: "bad" }, count(data.errors)) : "0"],
      ["Services", data.services.join(", ")],
    ]),
    legend,
    find,
    h("div", { class: "trace-layout" }, waterfall, panel),
  );
  // A span named by the address that is not among the first rows is selected once read.
  const wanted = where.params.get("span");
  if (complete || !wanted || model.byId.has(wanted)) select(wanted);
  // The rest is asked for once the first rows are on their way to the screen: asked for
  // together, the two answers share the server and the first comes no sooner than the whole.
  if (!complete) readTheRest();

  async function readTheRest() {
    try {
      model = modelOf(await getJSON(`${base}/waterfall`, {}, signal));
    } catch (error) {
      if (signal.aborted) return;
      // The rows read stay; none is shown as still coming.
      const read = model.spans.length;
      waterfall.before(notice(`Only the first ${count(read)} of ${count(model.total)} spans could be read: ${error.message}`));
      rows.load({ ...model, total: read });
      return;
    }
    rows.load(model);
    waterfall.dataset.complete = "true";
    if (selected) selected = model.byId.get(selected.span_id) || selected;
    else select(wanted);
  }
}

/** An LLM call's messages as a chat: role, text, and the tools it asked for. */
function chat(messages) {
  return h(
    "div",
    { class: "chat" },
    messages.map((message) =>
      h(
        "div",
        { class: `message role-${message.role}` },
        h("b", {}, message.role || "?"),
        " ",
        text(message.content || ""),
        ...(message.tool_calls || []).map((call) =>
          h("div", { class: "muted mono" }, `→ ${call.name}(${text(call.arguments ?? "")})`),
        ),
      ),
    ),
  );
}
