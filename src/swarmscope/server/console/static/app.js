// The console's shell: read the URL hash, load that view's module, hand it a fresh page.
// Each view is its own module, fetched the first time it is shown; only charts load uPlot.

import { h, notice } from "./dom.js";

const VIEWS = {
  overview: () => import("./views/overview.js"),
  traces: () => import("./views/traces.js"),
  trace: () => import("./views/trace.js"),
  sessions: () => import("./views/sessions.js"),
  session: () => import("./views/session.js"),
  agents: () => import("./views/agents.js"),
  logs: () => import("./views/logs.js"),
  approvals: () => import("./views/approvals.js"),
  dashboards: () => import("./views/dashboards.js"),
  dashboard: () => import("./views/dashboard.js"),
  alerts: () => import("./views/alerts.js"),
  metrics: () => import("./views/metrics.js"),
};
// Detail views light up their list's tab.
const TABS = { trace: "traces", session: "sessions", dashboard: "dashboards" };

/** "#/traces/abc?span=1" -> {view: "trace", id: "abc", params: URLSearchParams("span=1")} */
export function route(hash) {
  const bare = hash.replace(/^#\/?/, "");
  const cut = bare.indexOf("?");
  const path = cut < 0 ? bare : bare.slice(0, cut);
  const params = new URLSearchParams(cut < 0 ? "" : bare.slice(cut + 1));
  const [name, id] = path.split("/").filter(Boolean).map(decodeURIComponent);
  if (id && (name === "traces" || name === "sessions" || name === "dashboards")) {
    return { view: name.slice(0, -1), id, params };
  }
  return { view: name in VIEWS ? name : "overview", params };
}

let showing = null; // the AbortController of the view on screen

async function show() {
  showing?.abort();
  const controller = new AbortController();
  showing = controller;
  const where = route(location.hash);
  const tab = TABS[where.view] || where.view;
  for (const link of document.querySelectorAll("#nav a")) {
    link.classList.toggle("active", link.dataset.tab === tab);
  }
  // A view writes into its own page; once replaced, a slow view's late writes go nowhere.
  const page = h("section", { class: `page ${where.view}`, "data-view": where.view });
  document.getElementById("view").replaceChildren(page);
  page.append(h("p", { class: "muted loading" }, "Loading…"));
  try {
    const view = await VIEWS[where.view]();
    await view.render(page, where, controller.signal);
    page.querySelector(":scope > .loading")?.remove();
  } catch (error) {
    if (controller.signal.aborted || error?.name === "AbortError") return;
    page.replaceChildren(notice(error));
  }
}

window.addEventListener("hashchange", show);
show();
