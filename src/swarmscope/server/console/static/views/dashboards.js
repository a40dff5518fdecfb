// Dashboards: the list; each opens its panels (#/dashboards/<id>).

import { getJSON } from "../api.js";
import { count, h, heading, table } from "../dom.js";

export async function render(page, where, signal) {
  // A namespace chosen on a dashboard stays chosen on the others.
  const namespace = where.params.get("namespace");
  const suffix = namespace ? `?namespace=${encodeURIComponent(namespace)}` : "";
  page.append(heading("Dashboards"));
  const data = await getJSON("/api/dashboards", {}, signal);
  // The list is {dashboards: [...]}, or a bare list from servers that answer it that way.
  const dashboards = Array.isArray(data) ? data : data.dashboards || [];
  page.append(
    table(
      [
        { label: "Dashboard", cell: (d) => h("a", { href: `#/dashboards/${encodeURIComponent(d.id)}${suffix}` }, d.title || d.id) },
        { label: "Panels", cell: (d) => count(Array.isArray(d.panels) ? d.panels.length : d.panels), class: "num" },
        { label: "About", cell: (d) => d.description || "", class: "message" },
      ],
      dashboards,
      "This server has no dashboards.",
    ),
  );
}
