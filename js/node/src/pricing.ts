/**
 * LLM prices from `@pydantic/genai-prices`, the same price data the Python SDK reads, looked
 * up once per model and provider: an app makes thousands of calls to a handful of models,
 * so the per-token prices are resolved once and applied with plain arithmetic. A model with
 * tiered prices is priced by the library for each call.
 */
import { calcPrice } from "@pydantic/genai-prices";

export interface Price {
  cost(inputTokens: number, outputTokens: number, cacheReadTokens: number): number;
}

const cache = new Map<string, Price | null>();
const MAX_CACHED = 1024;

type Tokens = Parameters<typeof calcPrice>[0];

function calculate(tokens: Tokens, model: string, provider: string | undefined): number | null {
  try {
    return calcPrice(tokens, model, provider === undefined ? {} : { providerId: provider })?.total_price ?? null;
  } catch {
    return null;
  }
}

function lookup(model: string, provider: string | undefined): Price | null {
  let found: ReturnType<typeof calcPrice>;
  try {
    found = calcPrice({ input_tokens: 0, output_tokens: 0 }, model, provider === undefined ? {} : { providerId: provider });
  } catch {
    found = null;
  }
  if (found === null) return null;
  const prices = found.model_price;
  const library: Price = {
    cost: (input, output, cacheRead) =>
      calculate({ input_tokens: input, output_tokens: output, ...(cacheRead ? { cache_read_tokens: cacheRead } : {}) }, model, provider) ?? 0,
  };
  if (typeof prices.input_mtok !== "number" || typeof prices.output_mtok !== "number") return library;
  const input = prices.input_mtok / 1e6;
  const output = prices.output_mtok / 1e6;
  const cacheRead = typeof prices.cache_read_mtok === "number" ? prices.cache_read_mtok / 1e6 : undefined;
  return {
    cost: (inputTokens, outputTokens, cacheReadTokens) => {
      if (cacheReadTokens > 0 && cacheRead === undefined) return library.cost(inputTokens, outputTokens, cacheReadTokens);
      return Math.max(inputTokens - cacheReadTokens, 0) * input + outputTokens * output + cacheReadTokens * (cacheRead ?? 0);
    },
  };
}

/** The model's price, or null when the price table does not know the model. */
export function priceFor(model: string, provider: string | undefined): Price | null {
  const key = `${provider ?? ""}/${model}`;
  let price = cache.get(key);
  if (price === undefined) {
    // A provider id the table does not know (aws.bedrock) is no reason to call a known model unpriced.
    price = lookup(model, provider) ?? (provider === undefined ? null : lookup(model, undefined));
    if (cache.size >= MAX_CACHED) cache.clear();
    cache.set(key, price);
  }
  return price;
}
