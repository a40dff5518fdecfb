/**
 * LLM calls: the GenAI `{operation} {model}` span, token and cost metrics by model, provider
 * and agent. Cost comes from the genai-prices table; a model it does not know still records
 * its tokens, and the call is counted on `llm_price_missing_total` and logged once per model,
 * so a missing price is visible instead of silently reading as free.
 */
import { type Attributes, type Context, SpanKind } from "@opentelemetry/api";
import { ATTRIBUTES, OPERATIONS, STATUSES } from "./catalog.generated.js";
import { currentAgent } from "./context.js";
import { CATEGORIES, SEVERITIES, recordFailure } from "./errors.js";
import { NO_ATTRIBUTES, Operation, errorFields } from "./operation.js";
import { priceFor } from "./pricing.js";
import type { Runtime } from "./runtime.js";

// Models logged as unpriced; bounded, so an endless stream of model names costs no memory.
const warnedMissing = new Set<string>();
const MAX_WARNED = 1024;

export interface LlmCallOptions {
  provider?: string;
  /** The agent making the call; the enclosing agent run's by default. */
  agent?: string;
  /** One of LLM_OPERATIONS; "chat" by default. */
  operation?: string;
  attributes?: Attributes;
}

export interface Usage {
  inputTokens?: number;
  outputTokens?: number;
  cacheReadTokens?: number;
  responseModel?: string;
  finishReason?: string;
}

export class LlmCall extends Operation {
  protected readonly where = "llm_call";
  protected override readonly spanKind = SpanKind.CLIENT;
  readonly provider: string | undefined;
  readonly operation: string;
  inputTokens = 0;
  outputTokens = 0;
  cacheReadTokens = 0;
  cached = false;
  costUsd: number | null = null;
  private agentName: string | undefined;

  constructor(readonly model: string, private readonly options: LlmCallOptions = {}) {
    super();
    this.provider = options.provider;
    this.operation = options.operation ?? OPERATIONS.CHAT;
    this.attrs = options.attributes ?? NO_ATTRIBUTES;
  }

  protected spanName(): string {
    return `${this.operation} ${this.model}`;
  }

  protected spanAttributes(parent: Context): Attributes {
    this.agentName = this.options.agent ?? currentAgent(parent);
    const attributes: Attributes = {
      [ATTRIBUTES.GEN_AI_OPERATION_NAME]: this.operation,
      [ATTRIBUTES.GEN_AI_REQUEST_MODEL]: this.model,
      ...this.attrs,
    };
    if (this.provider) {
      attributes[ATTRIBUTES.GEN_AI_PROVIDER_NAME] = this.provider;
      attributes[ATTRIBUTES.GEN_AI_SYSTEM] = this.provider;
    }
    if (this.agentName) attributes[ATTRIBUTES.GEN_AI_AGENT_NAME] = this.agentName;
    return attributes;
  }

  /** The token counts the response reports (they add up when called more than once, as in streaming). */
  recordUsage(usage: Usage): void {
    this.inputTokens += Math.trunc(usage.inputTokens ?? 0);
    this.outputTokens += Math.trunc(usage.outputTokens ?? 0);
    this.cacheReadTokens += Math.trunc(usage.cacheReadTokens ?? 0);
    if (usage.responseModel) this.setAttribute(ATTRIBUTES.GEN_AI_RESPONSE_MODEL, usage.responseModel);
    if (usage.finishReason) this.setAttribute(ATTRIBUTES.GEN_AI_RESPONSE_FINISH_REASONS, [usage.finishReason]);
  }

  /** The response came from a cache rather than the model. */
  cacheHit(): void {
    this.cached = true;
  }

  protected onEnd(rt: Runtime, status: string, error: unknown): void {
    const model = this.model;
    const provider = this.provider ?? "unknown";
    const agent = this.agentName;
    rt.metrics.get("llm_requests_total").child(model, provider, agent, status).inc();
    rt.metrics.get("llm_request_duration_seconds").child(model, provider, agent).observe(this.duration);
    if (this.cached) rt.metrics.get("llm_cache_hits_total").child(model, provider).inc();
    const tokens = rt.metrics.get("llm_tokens_total");
    if (this.inputTokens) tokens.child(model, provider, agent, "input").inc(this.inputTokens);
    if (this.outputTokens) tokens.child(model, provider, agent, "output").inc(this.outputTokens);
    this.span.setAttribute(ATTRIBUTES.GEN_AI_USAGE_INPUT_TOKENS, this.inputTokens);
    this.span.setAttribute(ATTRIBUTES.GEN_AI_USAGE_OUTPUT_TOKENS, this.outputTokens);
    if (this.inputTokens || this.outputTokens) this.recordCost(rt, model, provider, agent);
    const fields: Record<string, unknown> = {
      model,
      provider,
      agent_id: agent ?? null,
      input_tokens: this.inputTokens,
      output_tokens: this.outputTokens,
      cost_usd: this.costUsd,
      latency_ms: this.durationMs,
      status,
    };
    if (status === STATUSES.SUCCESS) {
      this.event(rt, "llm_call_completed", fields);
      return;
    }
    recordFailure(rt, error, CATEGORIES.LLM_ERROR, SEVERITIES.MEDIUM, agent, "llm_call");
    this.event(rt, "llm_call_failed", { ...fields, ...errorFields(error) });
  }

  private recordCost(rt: Runtime, model: string, provider: string, agent: string | undefined): void {
    const price = priceFor(model, this.provider);
    if (price === null) {
      rt.metrics.get("llm_price_missing_total").child(model, provider).inc();
      const key = `${provider}/${model}`;
      if (!warnedMissing.has(key)) {
        if (warnedMissing.size >= MAX_WARNED) warnedMissing.clear();
        warnedMissing.add(key);
        this.event(rt, "llm_price_missing", { model, provider });
      }
      return;
    }
    this.costUsd = price.cost(this.inputTokens, this.outputTokens, this.cacheReadTokens);
    rt.metrics.get("llm_cost_usd_total").child(model, provider, agent).inc(this.costUsd);
    this.span.setAttribute(ATTRIBUTES.SWARMSCOPE_LLM_COST_USD, this.costUsd);
  }
}

/** Run `fn` as one LLM request; call `call.recordUsage(...)` with the response's token counts. */
export function llmCall<T>(model: string, fn: (call: LlmCall) => T, options?: LlmCallOptions): T {
  return new LlmCall(model, options).run(fn);
}

/** The manual form: `const call = startLlmCall("gpt-4o", {provider: "openai"}); ...; call.end()`. */
export function startLlmCall(model: string, options?: LlmCallOptions): LlmCall {
  return new LlmCall(model, options).start();
}
