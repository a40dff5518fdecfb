import assert from "node:assert/strict";
import { afterEach, describe, it } from "node:test";
import { loadSettings } from "../src/config.js";
import * as ss from "../src/index.js";

const saved = { ...process.env };

afterEach(async () => {
  process.env = { ...saved };
  await ss.shutdown();
});

describe("settings", () => {
  it("read the Python SDK's variables when init is not given the option", () => {
    process.env.SWARMSCOPE_NAMESPACE = "fromenv";
    process.env.OTEL_SERVICE_NAME = "svc";
    process.env.OTEL_EXPORTER_OTLP_ENDPOINT = "http://collector:4318/";
    const settings = loadSettings({ serviceName: "explicit" });
    assert.equal(settings.namespace, "fromenv");
    assert.equal(settings.serviceName, "explicit");
    assert.equal(settings.tracesEndpoint, "http://collector:4318/v1/traces");
  });

  it("refuse a namespace that is no metric name prefix", () => {
    assert.throws(() => loadSettings({ namespace: "my-app" }), /namespace/);
  });

  it("fall back to the defaults when the environment is broken, rather than throw into the app", async () => {
    process.env.SWARMSCOPE_NAMESPACE = "not valid!";
    process.env.SWARMSCOPE_LOG_STREAM = "none";
    const warnings: string[] = [];
    const listener = (warning: Error): void => { warnings.push(warning.message); };
    process.on("warning", listener);
    try {
      assert.equal(ss.toolCall("search", () => "ok"), "ok");
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.off("warning", listener);
    }
    assert.equal(ss.current().settings.namespace, "swarmscope");
    assert.ok(warnings.some((message) => message.includes("ignoring the environment")), warnings.join("; "));
  });
});
