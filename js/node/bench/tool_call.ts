/**
 * An instrumented tool call against the same telemetry written by hand (a prom-client
 * counter and histogram, an OTel span, one pino line with the trace ids), in the same
 * process, alternating passes; prints each side's median time per call and their ratio.
 * The floor: the instrumented call is no slower than the hand-written one.
 *
 *     node dist/bench/tool_call.js [CALLS_PER_PASS] [PASSES]
 */
import { SpanStatusCode, trace } from "@opentelemetry/api";
import { pino } from "pino";
import { Counter, Histogram, Registry } from "prom-client";
import * as ss from "../src/index.js";

const callsPerPass = Number(process.argv[2] ?? 5_000);
const passes = Number(process.argv[3] ?? 41);
const sink = pino.destination({ dest: "/dev/null", sync: false });

ss.init({ serviceName: "bench", namespace: "bench", hostname: "bench-host", logDestination: sink });

// What a developer writes without swarmscope: the same families, span and log line.
const registry = new Registry();
const calls = new Counter({
  name: "hand_agent_tool_calls_total",
  help: "Total tool calls",
  labelNames: ["agent_type", "tool_name", "status"],
  registers: [registry],
});
const durations = new Histogram({
  name: "hand_agent_tool_call_duration_seconds",
  help: "Tool call duration",
  labelNames: ["agent_type", "tool_name"],
  buckets: [...ss.catalog.METRICS.agent_tool_call_duration_seconds.buckets],
  registers: [registry],
});
const tracer = trace.getTracer("hand-written");
// The same line as swarmscope's: its fields, level names and RFC 3339 timestamp.
const logger = pino(
  {
    base: { service: "bench", environment: "development", hostname: "bench-host", version: "unknown" },
    messageKey: "event",
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label: string) => ({ level: label }) },
  },
  sink,
);

function work(): number {
  return 42;
}

function handWritten(): number {
  return tracer.startActiveSpan(
    "execute_tool search",
    { attributes: { "gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "search" } },
    (span) => {
      const started = performance.now();
      let status = "success";
      try {
        return work();
      } catch (error) {
        status = "failure";
        span.setStatus({ code: SpanStatusCode.ERROR });
        throw error;
      } finally {
        const seconds = (performance.now() - started) / 1000;
        calls.labels("planner", "search", status).inc();
        durations.labels("planner", "search").observe(seconds);
        const ids = span.spanContext();
        logger.info(
          {
            logger: "swarmscope",
            tool_name: "search",
            agent_id: "planner",
            duration_ms: seconds * 1000,
            success: status === "success",
            trace_id: ids.traceId,
            span_id: ids.spanId,
          },
          "tool_call_completed",
        );
        span.end();
      }
    },
  );
}

function instrumented(): number {
  return ss.toolCall("search", work, { agent: "planner" });
}

/** CPU microseconds per call over one pass of `run`: CPU time, so that time the process spends
 *  descheduled on a busy machine counts against neither side. */
function pass(run: () => number): number {
  const started = process.cpuUsage();
  for (let index = 0; index < callsPerPass; index++) run();
  const used = process.cpuUsage(started);
  return (used.user + used.system) / callsPerPass;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

// Warm both paths up (JIT, label caches, price lookups) before measuring.
pass(handWritten);
pass(instrumented);
const timings = { instrumented: [] as number[], hand: [] as number[] };
for (let round = 0; round < passes; round++) {
  // Alternate which goes first, so neither always runs on a warmer or cooler machine.
  if (round % 2 === 0) {
    timings.instrumented.push(pass(instrumented));
    timings.hand.push(pass(handWritten));
  } else {
    timings.hand.push(pass(handWritten));
    timings.instrumented.push(pass(instrumented));
  }
}
const ours = median(timings.instrumented);
const theirs = median(timings.hand);
console.log(`tool call, ${String(callsPerPass)} calls x ${String(passes)} passes (median CPU µs per call)`);
console.log(`  swarmscope toolCall:                          ${ours.toFixed(2)}`);
console.log(`  hand-written prom-client + OTel span + pino:  ${theirs.toFixed(2)}`);
console.log(`  ratio (swarmscope / hand-written):            ${(ours / theirs).toFixed(3)}`);
await ss.shutdown();
