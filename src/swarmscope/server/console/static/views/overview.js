// Overview: the last hour in a few numbers, each a link into the view that explains it.

import { getJSON } from "../api.js";
import { ATTRIBUTES, OPERATIONS } from "../conventions.js";
import { count, h, heading, percent } from "../dom.js";

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

export async function render(page, where, signal) {
  const data = await getJSON("/api/overview", { start: "1h" }, signal);
  const llm = data.llm || {};
  const tokens = (llm.input_tokens || 0) + (llm.output_tokens || 0);
  const logs = data.logs || {};
  const levels = Object.entries(logs.by_level || {});
  const since = "start=1h";
  page.append(
    heading("Last hour"),
    h(
      "div",
      { class: "tiles" },
      tile("traces", count(data.traces), `#/traces?${since}`),
      tile(
        "traces with errors",
        count(data.error_traces),
        `#/traces?status=error&${since}`,
        `${percent(data.error_rate)} of traces`,
      ),
      tile("spans", count(data.spans)),
      tile(
        "LLM calls",
        count(llm.calls),
        `#/traces?attribute=${encodeURIComponent(`${ATTRIBUTES.GEN_AI_OPERATION_NAME}=${OPERATIONS.CHAT}`)}&${since}`,
      ),
      tile(
        "LLM tokens",
        count(tokens),
        null,
        `${count(llm.input_tokens)} in · ${count(llm.output_tokens)} out`,
      ),
      tile("approvals pending", count(data.approvals_pending), "#/approvals"),
      tile("log records", count(logs.records), `#/logs?${since}`),
    ),
    chips(
      "Services",
      (data.services || []).map((name) => [name, `#/traces?service=${encodeURIComponent(name)}`]),
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
