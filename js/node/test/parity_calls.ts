/**
 * The concept calls tests/test_node_parity.py also makes with the Python SDK: spans go over
 * OTLP/HTTP to the endpoint in argv[2], and the /metrics text is printed on stdout, so the
 * test compares what the two languages emit for the same calls; log lines go to stderr.
 */
import * as ss from "../src/index.js";

const endpoint = process.argv[2];
if (endpoint === undefined) throw new Error("usage: node parity_calls.js OTLP_ENDPOINT");

// Log lines on stderr, the metrics text on stdout.
ss.init({ serviceName: "parity", namespace: "parity", otlpEndpoint: endpoint, logDestination: "stderr", logLevel: "debug" });
await ss.agentRun(
  "planner",
  async () => {
    await ss.toolCall("search", () => Promise.resolve("found"), { attributes: { query: "renewals" } });
    ss.handoff("planner", "writer", { task: "draft" });
    await ss.agentRun(
      "writer",
      async () => {
        await ss.approval("publish", (ap) => Promise.resolve(ap.resolve("approved")), { approvalId: "ap-1" });
        ss.llmCall("gpt-4o", (call) => { call.recordUsage({ inputTokens: 812, outputTokens: 164 }); }, { provider: "openai" });
      },
      { operation: "draft" },
    );
  },
  { operation: "plan", sessionId: "s-1" },
);
// Exported first, so the export counters are on the page as they are on Python's.
await ss.current().flush();
const text = await ss.current().metrics.registry.metrics();
await ss.shutdown();
process.stdout.write(text);
