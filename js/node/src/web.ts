/**
 * `GET /metrics` and the liveness and readiness probes, as plain Node handlers
 * (`(request, response) => void`), so Express, NestJS and `node:http` mount them alike.
 *
 * Liveness checks nothing: a database outage must not make an orchestrator restart every
 * replica. Readiness runs the registered checks concurrently, each under its own timeout,
 * answers 503 while any fails, with every verdict in the body, and publishes each verdict as
 * `integration_health_status{integration_name}` so dashboards see what the load balancer sees.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { safely } from "./operation.js";
import { current } from "./runtime.js";

export type Handler = (request: IncomingMessage, response: ServerResponse) => void;
export type Check = () => boolean | undefined | Promise<boolean | undefined>;

export const LIVE_PATH = "/health/live";
export const READY_PATH = "/health/ready";
const NO_STORE = { "Cache-Control": "no-store", "Content-Type": "application/json" };

/** Serves the Prometheus text exposition of swarmscope's registry. */
export function metricsHandler(): Handler {
  return (_request, response) => {
    const registry = current().metrics.registry;
    registry.metrics().then(
      (body) => {
        response.writeHead(200, { "Content-Type": registry.contentType });
        response.end(body);
      },
      (error: unknown) => {
        response.writeHead(500, { "Content-Type": "text/plain" });
        response.end(`metrics unavailable: ${error instanceof Error ? error.name : "error"}\n`);
      },
    );
  };
}

interface Verdict {
  status: "pass" | "fail";
  duration_ms: number;
  error: string | null;
}

const healthSeen = new Map<string, boolean>();

function publish(name: string, healthy: boolean): void {
  safely("integration_health", () => {
    const rt = current();
    rt.metrics.get("integration_health_status").child(name).set(healthy ? 1 : 0);
    if (healthSeen.get(name) !== healthy) {
      healthSeen.set(name, healthy);
      rt.event("integration_health_changed", { integration: name, healthy });
    }
  });
}

async function runOne(check: Check, timeoutSeconds: number): Promise<Verdict> {
  const started = performance.now();
  let error: string | null = null;
  let timer: NodeJS.Timeout | undefined;
  try {
    const timeout = new Promise<"timeout">((resolve) => {
      timer = setTimeout(() => { resolve("timeout"); }, timeoutSeconds * 1000);
    });
    const result = await Promise.race([Promise.resolve().then(check), timeout]);
    if (result === "timeout") error = `timed out after ${String(timeoutSeconds)}s`;
    else if (result === false) error = "check returned false";
  } catch (problem) {
    const text = problem instanceof Error ? `${problem.name}: ${problem.message}` : String(problem);
    // The probe body is often readable from outside.
    error = safely("health", () => current().redactor.text(text)) ?? "error";
  } finally {
    clearTimeout(timer);
  }
  return { status: error === null ? "pass" : "fail", duration_ms: Math.round((performance.now() - started) * 1000) / 1000, error };
}

/** A named set of readiness checks and the two probe handlers that serve them. */
export class HealthChecks {
  private readonly checks = new Map<string, { check: Check; timeoutSeconds: number }>();

  /** Add (or replace) the check `name`: it fails by returning false, throwing or running past its timeout. */
  register(name: string, check: Check, timeoutSeconds = 2): void {
    if (!(timeoutSeconds > 0)) throw new Error(`health check ${name}: timeout must be positive, got ${String(timeoutSeconds)}`);
    this.checks.set(name, { check, timeoutSeconds });
  }

  unregister(name: string): void {
    this.checks.delete(name);
  }

  /** Run every check at once; `ok` when all passed (or there are none). */
  async run(): Promise<{ ok: boolean; checks: Record<string, Verdict> }> {
    const entries = [...this.checks.entries()];
    const verdicts = await Promise.all(entries.map(([, entry]) => runOne(entry.check, entry.timeoutSeconds)));
    const checks: Record<string, Verdict> = {};
    entries.forEach(([name], index) => {
      const verdict = verdicts[index];
      if (verdict === undefined) return;
      checks[name] = verdict;
      publish(name, verdict.status === "pass");
    });
    return { ok: Object.values(checks).every((verdict) => verdict.status === "pass"), checks };
  }

  /** `GET /health/live`: 200 while the process can answer. */
  readonly live: Handler = (_request, response) => {
    response.writeHead(200, NO_STORE);
    response.end(JSON.stringify({ status: "alive" }));
  };

  /** `GET /health/ready`: 200 when every check passes, else 503; both list the checks. */
  readonly ready: Handler = (_request, response) => {
    void this.run().then(({ ok, checks }) => {
      response.writeHead(ok ? 200 : 503, NO_STORE);
      response.end(JSON.stringify({ status: ok ? "ready" : "not_ready", checks }));
    });
  };
}

export const defaultHealth = new HealthChecks();

/** One handler for both probes: `/health/ready` (by path suffix) is readiness, anything else liveness. */
export function healthHandler(checks: HealthChecks = defaultHealth): Handler {
  return (request, response) => {
    const path = (request.url ?? "").split("?")[0] ?? "";
    if (path.endsWith(READY_PATH)) checks.ready(request, response);
    else checks.live(request, response);
  };
}
