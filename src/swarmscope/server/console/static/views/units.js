// Numbers as a reader takes them in at a glance, by the panel's unit (Grafana's unit names,
// as the ops bundle writes them): counts whole, rates and durations to three significant
// digits, bytes in binary multiples, ratios as percentages. A value the server marks as only
// a bucket's bound is said as one ("≤ 5 s").

/** `value` to `digits` significant digits, grouped, without trailing zeros: 1286.21 -> "1,290". */
export function significant(value, digits = 3) {
  if (value === 0) return "0";
  const magnitude = Math.floor(Math.log10(Math.abs(value)));
  const decimals = Math.max(0, digits - 1 - magnitude);
  const rounded = Number(value.toFixed(Math.min(decimals, 20)));
  return rounded.toLocaleString("en-US", { maximumFractionDigits: decimals });
}

/** A count: whole numbers grouped (1,286), past a million in k-style multiples (1.29 M). */
function counted(value) {
  const size = Math.abs(value);
  if (size >= 1e9) return `${significant(value / 1e9)} G`;
  if (size >= 1e6) return `${significant(value / 1e6)} M`;
  if (size >= 100 || Number.isInteger(value)) return Math.round(value).toLocaleString("en-US");
  return significant(value);
}

function seconds(value) {
  const size = Math.abs(value);
  if (size === 0) return "0 s";
  if (size < 1e-3) return `${significant(value * 1e6)} µs`;
  if (size < 1) return `${significant(value * 1e3)} ms`;
  if (size < 60) return `${significant(value)} s`;
  if (size < 3600) return `${significant(value / 60)} min`;
  return `${significant(value / 3600)} h`;
}

function bytes(value) {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let scaled = value;
  let index = 0;
  while (Math.abs(scaled) >= 1024 && index < units.length - 1) {
    scaled /= 1024;
    index += 1;
  }
  return `${index ? significant(scaled) : Math.round(scaled)} ${units[index]}`;
}

/** A value in a panel's unit; "–" when there is none (null, NaN). */
export function formatValue(value, unit) {
  if (value === null || value === undefined || Number.isNaN(value)) return "–";
  if (typeof value !== "number") return String(value);
  switch (unit) {
    case "percentunit":
      return `${significant(value * 100)}%`;
    case "percent":
      return `${significant(value)}%`;
    case "s":
      return seconds(value);
    case "ms":
      return seconds(value / 1000);
    case "bytes":
      return bytes(value);
    case "currencyUSD":
      return `$${value.toFixed(Math.abs(value) < 1 && value !== 0 ? 4 : 2)}`;
    case "reqps":
      return `${significant(value)} req/s`;
    case "ops":
      return `${significant(value)} /s`;
    default:
      return counted(value);
  }
}

/**
 * A value as said, or the bound the server marks it as when that is all it knows (a bucket
 * quantile in the lowest bucket, or in the +Inf one): `bound` {op: "le", value: 5} is "≤ 5 s",
 * {op: "ge", ...} "≥ ..."; without one, the value in its unit.
 */
export function formatBounded(value, unit, bound) {
  if (bound?.op === "le" || bound?.op === "ge") return `${bound.op === "le" ? "≤" : "≥"} ${formatValue(bound.value, unit)}`;
  return formatValue(value, unit);
}
