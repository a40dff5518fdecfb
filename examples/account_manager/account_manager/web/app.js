/*
 * The demo's web UI: start an analysis of an account, read its AG-UI events as they arrive,
 * answer the approvals it asks for.
 *
 * Instrumented with @swarmscope/browser, loaded from the telemetry server config.js names.
 * The click on "Analyze" is a user action whose span stays the parent of everything the
 * analysis does on the page: the request that starts it (its traceparent makes the backend's
 * orchestration part of the click's trace), the read of its event stream, each approval
 * prompt, and the request that sends the person's decision. So one trace holds the whole
 * analysis, from the click to the decision. One analysis runs at a time: the browser has no
 * async context, and a second one would take the first one's place as the parent.
 */
"use strict";

const config = window.DEMO_UI;
const $ = (id) => document.getElementById(id);

// Without a telemetry server the page works the same, untraced.
const untraced = {
  init() {},
  action: (name, body) => body(),
  trackCopilotAction: (definition) => definition,
  agUiSubscriber: () => ({}),
  approvalShown: () => ({ answered: () => 0, dismissed() {} }),
};
const sdk = () => window.swarmscope ?? untraced;
// The prompts on show, by approval id, until the person answers or the run stops waiting.
const prompts = new Map();

function loadSdk() {
  if (!config.telemetry) return Promise.resolve();
  return new Promise((resolve) => {
    const script = document.createElement("script");
    script.src = `${config.telemetry}/sdk/swarmscope-browser.js`;
    script.onload = resolve;
    script.onerror = resolve;
    document.head.append(script);
  });
}

async function request(method, path, body) {
  const init = { method, headers: {} };
  if (body !== undefined) {
    init.headers["content-type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const response = await fetch(path, init);
  const answer = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(answer.error ?? `${method} ${path}: ${response.status}`);
  return answer;
}

/** The AG-UI events of a server-sent event stream read with fetch (so it carries the trace). */
async function* agUiEvents(response) {
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffered = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffered += value;
    const messages = buffered.split("\n\n");
    buffered = messages.pop();
    for (const message of messages) {
      const data = message
        .split("\n")
        .filter((line) => line.startsWith("data:"))
        .map((line) => line.slice(5).trimStart())
        .join("\n");
      if (data) yield JSON.parse(data);
    }
  }
}

function setStatus(text, failed = false) {
  $("status").textContent = text;
  $("status").classList.toggle("failed", failed);
}

function showEvent(event, number) {
  const item = document.createElement("li");
  const detail = event.type === "CUSTOM" ? ` ${event.name}` : event.step_name ? ` ${event.step_name}` : "";
  item.textContent = `${event.type}${detail}`;
  $("events").append(item);
  item.scrollIntoView({ block: "nearest" });
  $("count").textContent = `(${number})`;
}

function showTrace(started) {
  const trace = $("trace");
  trace.textContent = `run ${started.run_id} · trace ${started.trace_id} `;
  if (config.telemetry && started.trace_id) {
    const link = document.createElement("a");
    link.href = `${config.telemetry}/#/traces/${started.trace_id}`;
    link.target = "_blank";
    link.textContent = "open in the console";
    trace.append(link);
  }
}

/** An approval the run asks for: a card with Approve and Reject until the person answers. */
function showApproval(approval) {
  const list = $("approvals");
  list.querySelector(".empty")?.remove();
  const rec = approval.recommendation;
  const prompt = sdk().approvalShown("recommendation", { approval_id: approval.approval_id });
  prompts.set(approval.approval_id, prompt);
  const item = document.createElement("li");
  item.dataset.approvalId = approval.approval_id;
  const what = document.createElement("span");
  what.className = "what";
  what.textContent = `${approval.account_id}: ${rec.type}, ${rec.priority} priority, confidence ${rec.confidence}`;
  item.append(what);
  for (const [label, decision] of [["Approve", "approved"], ["Reject", "rejected"]]) {
    const button = document.createElement("button");
    button.type = "button";
    button.textContent = label;
    button.className = decision === "approved" ? "approve" : "reject";
    button.addEventListener("click", () => decide(approval, prompt, decision, item));
    item.append(button);
  }
  list.append(item);
}

async function decide(approval, prompt, decision, item) {
  for (const button of item.querySelectorAll("button")) button.disabled = true;
  prompts.delete(approval.approval_id);
  prompt.answered(decision);
  const reason = decision === "approved" ? null : "rejected in the web UI";
  try {
    // Sent while the analysis is the page's action: the decision joins the analysis's trace.
    await request("POST", `/api/approvals/${approval.approval_id}`, { decision, reason });
    item.querySelector(".what").textContent += ` · ${decision}`;
  } catch (error) {
    item.querySelector(".what").textContent += ` · ${error.message}`;
  }
}

function settleApproval(approval) {
  // Decided elsewhere (the API, another page) or expired: this page's prompt went unanswered.
  prompts.get(approval.approval_id)?.dismissed(approval.status);
  prompts.delete(approval.approval_id);
  const item = document.querySelector(`[data-approval-id="${approval.approval_id}"]`);
  if (item === null) return;
  item.remove();
  if ($("approvals").children.length === 0) {
    const empty = document.createElement("li");
    empty.className = "empty";
    empty.textContent = "None pending.";
    $("approvals").append(empty);
  }
}

async function runAnalysis(accountId) {
  $("events").replaceChildren();
  setStatus(`starting the analysis of ${accountId}…`);
  const started = await request("POST", `/api/accounts/${encodeURIComponent(accountId)}/analyze`);
  showTrace(started);
  setStatus("running");
  const stream = sdk().agUiSubscriber("run_events");
  stream.onRunInitialized?.();
  let last;
  try {
    const response = await fetch(`/api/runs/${started.run_id}/events`);
    if (!response.ok) throw new Error(`the run's events: ${response.status}`);
    let number = 0;
    for await (const event of agUiEvents(response)) {
      number += 1;
      last = event;
      stream.onEvent?.({ event });
      showEvent(event, number);
      if (event.type === "CUSTOM" && event.name === "approval_request") {
        showApproval(event.value);
        setStatus("waiting for your decision");
      } else if (event.type === "CUSTOM" && event.name === "approval_result") {
        settleApproval(event.value);
        setStatus("running");
      }
    }
  } catch (error) {
    stream.onRunFailed?.({ error });
    throw error;
  } finally {
    stream.onRunFinalized?.();
  }
  if (last?.type === "RUN_ERROR") throw new Error(last.message);
  return last;
}

async function analyze() {
  const accountId = $("account").value;
  $("analyze").disabled = true;
  $("account").disabled = true;
  // A CopilotKit-style action of the page, inside the click's user action.
  const analysis = sdk().trackCopilotAction({ name: "analyze_account", handler: runAnalysis });
  try {
    await sdk().action("analyze_account", () => analysis.handler(accountId), { account_id: accountId });
    setStatus(`the analysis of ${accountId} is complete`);
  } catch (error) {
    setStatus(`the analysis failed: ${error.message}`, true);
  } finally {
    $("analyze").disabled = false;
    $("account").disabled = false;
  }
}

async function start() {
  await loadSdk();
  sdk().init({
    endpoint: config.telemetry ?? location.origin,
    serviceName: config.service_name,
    namespace: config.namespace,
    apiKey: config.api_key ?? undefined,
    // As often as the demo's own services push: the panels move while you watch.
    metricIntervalMs: 2000,
    batchDelayMs: 1000,
  });
  const { accounts } = await request("GET", "/api/accounts?limit=100");
  for (const account of accounts) {
    const option = document.createElement("option");
    option.value = account.account_id;
    option.textContent = `${account.account_id} · ${account.name} (${account.tier})`;
    $("account").append(option);
  }
  $("analyze").addEventListener("click", analyze);
  document.body.dataset.ready = "true";
}

start().catch((error) => setStatus(`the page could not start: ${error.message}`, true));
