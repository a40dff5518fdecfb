// The filter form the list views share: fields from the URL's query, submitted back to it,
// so every filtered list is a link someone can keep or send.

import { formQuery, h } from "../dom.js";

export const RANGES = ["15m", "1h", "6h", "24h", "7d"];

/** A labelled input; `choices` makes it a select whose first option is "any", type
 * "checkbox" a box that sends `name=true` when ticked. */
export function field(name, label, params, { choices, placeholder, size, type } = {}) {
  const value = params.get(name) || "";
  let input;
  if (type === "checkbox") {
    input = h("input", { name, type, value: "true", checked: value === "true" });
  } else if (choices) {
    input = h(
      "select",
      { name },
      h("option", { value: "" }, "any"),
      choices.map((choice) => h("option", { value: choice, selected: choice === value }, choice)),
    );
  } else {
    input = h("input", { name, value, placeholder, size: size || 14, type: type || "text" });
  }
  return h("label", {}, h("span", {}, label), input);
}

/** A form that, on submit, navigates to `#/{view}?{its fields}`. */
export function filterForm(view, fields) {
  const form = h(
    "form",
    { class: "filters" },
    fields,
    h("button", { type: "submit" }, "Apply"),
    h("a", { href: `#/${view}`, class: "reset" }, "Reset"),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    location.hash = `#/${view}?${formQuery(form)}`;
  });
  return form;
}

/** The URL's query as API parameters, with `limit` defaulting to `limit`. */
export function queryParams(params, names, limit) {
  const query = { limit: params.get("limit") || limit };
  for (const name of names) if (params.get(name)) query[name] = params.get(name);
  return query;
}
