// One trace: a waterfall (bars placed by time from the trace's start, indented by depth,
// coloured by what the span does) and the selected span's attributes and events beside it.

import { getJSON } from "../api.js";
import { ATTRIBUTES, LLM_OPERATIONS, OPERATIONS, SPAN_PREFIXES } from "../conventions.js";
import { badge, count, h, heading, ms, table, text } from "../dom.js";

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

/** The colour family of a span: its GenAI operation, else what its name or kind says. */
export function kindOf(span) {
  const operation = span.operation || "";
  if (LLM.has(operation)) return OPERATIONS.CHAT;
  if (operation in KINDS) return operation;
  const name = span.name || "";
  if (name.startsWith(SPAN_PREFIXES.HITL_APPROVAL) || span.attributes?.[ATTRIBUTES.SWARMSCOPE_APPROVAL_TYPE]) {
    return "approval";
  }
  if (name.startsWith(`${SPAN_PREFIXES.ORCHESTRATE} `)) return SPAN_PREFIXES.ORCHESTRATE;
  if (span.kind === "server" || span.kind === "client") return span.kind;
  return "internal";
}

/** Depth-first rows, children in start order: the order a waterfall reads. */
function flatten(roots) {
  const rows = [];
  const byStart = (a, b) => a.start_ns - b.start_ns;
  const walk = (span, depth, parent) => {
    rows.push({ span, depth, parent });
    [...(span.children || [])].sort(byStart).forEach((child) => walk(child, depth + 1, span));
  };
  [...roots].sort(byStart).forEach((root) => walk(root, 0, null));
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

function bar(span, depth, parent, startNs, totalNs) {
  const kind = kindOf(span);
  const left = (100 * (span.start_ns - startNs)) / totalNs;
  const width = Math.max((100 * (span.end_ns - span.start_ns)) / totalNs, 0.2);
  const error = span.status === "error";
  const label = h("span", { class: "wf-label" }, ms(span.duration_ms));
  // Beside the bar where there is room: after it, else before it, else inside its end.
  if (left + width <= 80) Object.assign(label.style, { left: `${left + width + 0.5}%` });
  else if (left >= 12) Object.assign(label.style, { right: `${100 - left + 0.5}%` });
  else {
    label.classList.add("inside");
    Object.assign(label.style, { right: `${100 - left - width + 0.5}%` });
  }
  const marks = (span.events || []).map((event) =>
    h("i", {
      class: `wf-event${event.name === "exception" ? " error" : ""}`,
      style: { left: `${(100 * (event.time_ns - startNs)) / totalNs}%` },
      title: event.name,
    }),
  );
  const otherService = parent && parent.service !== span.service;
  return h(
    "div",
    {
      class: `wf-row${error ? " error" : ""}`,
      "data-span-id": span.span_id,
      "data-kind": kind,
      tabindex: 0,
      role: "button",
    },
    h(
      "div",
      { class: "wf-name", style: { paddingLeft: `${0.4 + depth * 0.9}rem` }, title: span.name },
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

export async function render(page, where, signal) {
  const traceId = where.id.toLowerCase();
  const data = await getJSON(`/api/traces/${encodeURIComponent(traceId)}`, {}, signal);
  const rows = flatten(data.tree || []);
  const spans = rows.map((row) => row.span);
  // Loops, not Math.min(...spans): a spread of a huge trace overflows the call stack.
  let startNs = Infinity;
  let endNs = -Infinity;
  for (const span of spans) {
    startNs = Math.min(startNs, span.start_ns);
    endNs = Math.max(endNs, span.end_ns);
  }
  const totalNs = Math.max(endNs - startNs, 1);
  const errors = spans.filter((span) => span.status === "error").length;
  const services = [...new Set(spans.map((span) => span.service))];
  const root = rows[0]?.span;

  const panel = h("aside", { class: "span-detail" });
  const waterfall = h(
    "div",
    { class: "waterfall" },
    axis(totalNs / 1e6),
    rows.map(({ span, depth, parent }) => bar(span, depth, parent, startNs, totalNs)),
  );
  const byId = new Map(spans.map((span) => [span.span_id, span]));
  const select = (spanId, remember) => {
    const span = byId.get(spanId) || root;
    if (!span) return;
    for (const row of waterfall.querySelectorAll(".wf-row.selected")) row.classList.remove("selected");
    waterfall.querySelector(`[data-span-id="${CSS.escape(span.span_id)}"]`)?.classList.add("selected");
    panel.replaceChildren(...detail(span, traceId, startNs));
    // The address names the span, without a new history entry or a re-render.
    if (remember) history.replaceState(null, "", `#/traces/${traceId}?span=${span.span_id}`);
  };
  waterfall.addEventListener("click", (event) => {
    const row = event.target.closest(".wf-row[data-span-id]");
    if (row) select(row.dataset.spanId, true);
  });
  waterfall.addEventListener("keydown", (event) => {
    const row = event.target.closest(".wf-row[data-span-id]");
    if (row && (event.key === "Enter" || event.key === " ")) {
      event.preventDefault();
      select(row.dataset.spanId, true);
    }
  });

  const legend = h(
    "div",
    { class: "legend" },
    Object.entries(KINDS).map(([kind, label]) => h("span", {}, h("i", { class: `dot op-${kind}` }), label)),
    h("span", {}, h("i", { class: "dot error" }), "error"),
  );
  page.append(
    heading(
      root?.name || traceId,
      h("a", { href: "#/traces" }, "← Traces"),
      h("a", { href: `#/logs?trace_id=${traceId}`, class: "button" }, "Logs of this trace"),
    ),
    facts([
      ["Trace", h("span", { class: "mono" }, traceId)],
      ["Outcome", badge(data.outcome)],
      ["Duration", ms(totalNs / 1e6)],
      ["Spans", count(spans.length)],
      ["Errors", errors ? h("span", { class: "bad" }, count(errors)) : "0"],
      ["Services", services.join(", ")],
    ]),
    legend,
    h("div", { class: "trace-layout" }, waterfall, panel),
  );
  select(where.params.get("span"));
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
