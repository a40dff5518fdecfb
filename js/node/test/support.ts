/** A live runtime whose spans, log lines and metric samples a test reads back. */
import { InMemorySpanExporter, type ReadableSpan } from "@opentelemetry/sdk-trace-base";
import { init, shutdown, type Runtime } from "../src/index.js";

export const NAMESPACE = "sergas";

export interface Captured {
  rt: Runtime;
  spans(): Promise<ReadableSpan[]>;
  span(name: string): Promise<ReadableSpan>;
  lines(): Promise<Record<string, unknown>[]>;
  events(name: string): Promise<Record<string, unknown>[]>;
  metric(name: string, labels?: Record<string, string>): Promise<number>;
}

export async function capture(): Promise<Captured> {
  await shutdown();
  const exporter = new InMemorySpanExporter();
  const written: string[] = [];
  const rt = init({
    serviceName: "test-service",
    namespace: NAMESPACE,
    environment: "test",
    spanExporter: exporter,
    logLevel: "debug",
    logDestination: { write: (line: string) => { written.push(line); } },
  });
  const spans = async (): Promise<ReadableSpan[]> => {
    await rt.flush();
    return exporter.getFinishedSpans();
  };
  const lines = async (): Promise<Record<string, unknown>[]> => {
    await rt.flush();
    return written.join("").split("\n").filter(Boolean).map((line) => JSON.parse(line) as Record<string, unknown>);
  };
  return {
    rt,
    spans,
    async span(name) {
      const found = (await spans()).filter((span) => span.name === name);
      if (found.length !== 1) throw new Error(`expected one span ${name}, got ${(await spans()).map((s) => s.name).join(", ")}`);
      return found[0] as ReadableSpan;
    },
    lines,
    async events(name) {
      return (await lines()).filter((line) => line.event === name);
    },
    async metric(name, labels = {}) {
      const text = await rt.metrics.registry.metrics();
      for (const sample of parseExposition(text)) {
        if (sample.name !== `${NAMESPACE}_${name}`) continue;
        const keys = Object.keys(sample.labels);
        if (keys.length === Object.keys(labels).length && keys.every((key) => sample.labels[key] === labels[key])) {
          return sample.value;
        }
      }
      return 0;
    },
  };
}

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** The samples of a Prometheus text exposition (label values without escapes, as ours are). */
export function parseExposition(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split("\n")) {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (match === null) continue;
    const labels: Record<string, string> = {};
    for (const pair of (match[2] ?? "").matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="([^"]*)"/g)) {
      labels[pair[1] ?? ""] = pair[2] ?? "";
    }
    samples.push({ name: match[1] ?? "", labels, value: Number(match[3]) });
  }
  return samples;
}
