/**
 * Scrubbing of secrets and personal data before a log field or span attribute leaves the
 * process, with the Python SDK's two rules (telemetry/secrets.py): a field whose *name* says
 * it holds a secret (`password`, `apiToken`, `X-Api-Key`...) is replaced whole, and any
 * string is searched for values shaped like secrets or PII (bearer tokens, provider API keys,
 * private keys, passwords in URLs and forms, e-mail addresses, card numbers that pass the
 * Luhn check) and those parts are replaced.
 *
 * It runs in the app's thread on data the app did not vet, so its cost is bounded per value:
 * only the first `MAX_TEXT_CHARS` characters of a string are kept, and at most `MAX_MATCHES`
 * replacements are made in one string.
 */

export const REDACTED = "[REDACTED]";
export const MAX_TEXT_CHARS = 64 * 1024;
const MAX_MATCHES = 256;
const MAX_NAME = 256;
const MEMO_SIZE = 4096;
const MEMO_MAX_LENGTH = 64;
const CUT = `${REDACTED}[rest cut: over ${String(MAX_MATCHES)} secret-shaped values]`;

// -- names -----------------------------------------------------------------------------------
// A key is split into lower-case words at separators, digits and case changes, so that
// "userPassword", "X-Api-Key", "aws_secret_access_key" and "APIKey" are read alike.
const WORD = /[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+/g;
const SECRET_STEMS = [
  "password", "passwd", "passphrase", "secret", "credential", "authorization", "cookie",
  "apikey", "privatekey", "accesskey", "jwt",
];
const SECRET_WORDS = new Set(["pwd", "sig", "signature"]);
// "key" is a secret only as one of these kinds of key ("cache_key" is not).
const SECRET_KEY_KINDS = new Set([
  "api", "access", "private", "secret", "signing", "encryption", "master", "account",
  "client", "auth", "subscription", "license", "ssh", "session",
]);
// "token" is a secret unless it counts or classifies tokens (LLM usage, not credentials).
const TOKEN_MEASURES = new Set([
  "count", "counts", "type", "types", "usage", "limit", "limits", "estimate", "budget",
  "length", "index", "ids", "cost", "price", "rate",
]);

/** Whether a field of this name holds a secret (`password`, `apiToken`...). */
export function secretName(name: string): boolean {
  const words = (name.slice(0, MAX_NAME).match(WORD) ?? []).map((word) => word.toLowerCase());
  for (let index = 0; index < words.length; index++) {
    const word = words[index] ?? "";
    if (SECRET_WORDS.has(word) || SECRET_STEMS.some((stem) => word.includes(stem))) return true;
    const following = words[index + 1] ?? "";
    if (word.endsWith("token") && !TOKEN_MEASURES.has(following)) return true;
    if (word === "key" && index > 0 && SECRET_KEY_KINDS.has(words[index - 1] ?? "")) return true;
    if (word === "auth" && following === "") return true;
  }
  return false;
}

// -- shapes ----------------------------------------------------------------------------------
/** `word` matched in any case, inside an expression that is otherwise case-sensitive. */
function anyCase(word: string): string {
  return Array.from(word).map((c) => (/[a-z]/i.test(c) ? `[${c.toLowerCase()}${c.toUpperCase()}]` : c)).join("");
}

const PAIR_WORDS = ["pass", "pwd", "secret", "token", "key", "auth", "cookie", "credential", "jwt", "sig"];
const SCHEMES = ["bearer", "basic", "token", "digest", "aws4-hmac-sha256"];
// Each alternative is a named group; `replace` decides by name what a match means. Where two
// could start at one place, the first listed wins. JavaScript's engine backtracks, so every
// repetition that could be retried from each start position is bounded (a pair's name, an
// e-mail's domain): a long run of letters costs linear time, not quadratic.
const SHAPES: [string, string][] = [
  ["pem", "-----BEGIN[A-Z ]*PRIVATE KEY(?: BLOCK)?-----[\\s\\S]*?(?:-----END[A-Z ]*PRIVATE KEY(?: BLOCK)?-----|$)"],
  ["url", "(?<urlHead>\\b[A-Za-z][A-Za-z0-9+.\\-]*:\\/\\/[^\\s:/@'\"]*:)(?<urlPw>[^\\s@/'\"]+)@"],
  [
    "pair",
    `(?<pairName>[A-Za-z0-9_.\\-]{0,64}(?:${PAIR_WORDS.map(anyCase).join("|")})[A-Za-z0-9_.\\-]{0,64})` +
      "(?<pairSep>[\"']?[ \\t]*[=:][ \\t]*)" +
      `(?<pairValue>"(?:[^"\\\\\\n]|\\\\.)*"|'[^'\\n]*'|(?:(?:${SCHEMES.map(anyCase).join("|")})[ \\t]+)?[^\\s&,;"'<>]+)`,
  ],
  ["bearer", `\\b${anyCase("bearer")}[ \\t]+[A-Za-z0-9\\-._~+/]+=*`],
  ["basic", `\\b${anyCase("basic")}[ \\t]+[A-Za-z0-9+/]{8,}=*`],
  ["jwt", "\\beyJ[A-Za-z0-9_-]{5,}\\.[A-Za-z0-9_-]{5,}\\.[A-Za-z0-9_-]+"],
  [
    "provider",
    "\\b(?:(?:sk|pk|rk)-[A-Za-z0-9_-]{16,}|(?:sk|pk|rk)_(?:live|test)_[A-Za-z0-9]{16,}|whsec_[A-Za-z0-9]{24,}" +
      "|(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA)[0-9A-Z]{16}\\b" +
      "|gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{22,}|glpat-[A-Za-z0-9_-]{20,}" +
      "|xox[abposrc]-[A-Za-z0-9-]{10,}|xapp-[A-Za-z0-9-]{10,}|hooks\\.slack\\.com\\/services\\/[A-Za-z0-9/]+" +
      "|AIza[0-9A-Za-z_-]{35}|ya29\\.[0-9A-Za-z_-]{20,}|hf_[A-Za-z0-9]{30,}|npm_[A-Za-z0-9]{36})",
  ],
  ["email", "[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9.-]{1,253}\\.[A-Za-z]{2,63}"],
  ["card", "\\b(?:\\d[ -]?){12,18}\\d\\b"],
];

function alternation(names: (name: string) => boolean): RegExp {
  return new RegExp(SHAPES.filter(([name]) => names(name)).map(([name, shape]) => `(?<${name}>${shape})`).join("|"), "g");
}

const ANY = alternation(() => true);
// The same shapes but name=value, for the value of a pair whose name is harmless.
const NOT_PAIR = alternation((name) => name !== "pair");
// A run of 40 base64 characters that mixes cases and digits is an AWS secret access key.
const BASE64_RUN = /[A-Za-z0-9/+=]{40,}/g;

function luhn(digits: string): boolean {
  let total = 0;
  for (let index = 0; index < digits.length; index++) {
    let number = digits.charCodeAt(digits.length - 1 - index) - 48;
    if (index % 2 === 1) {
      number *= 2;
      if (number > 9) number -= 9;
    }
    total += number;
  }
  return total % 10 === 0;
}

function card(number: string): boolean {
  const digits = number.replace(/[ -]/g, "");
  return digits.length >= 13 && digits.length <= 19 && luhn(digits);
}

function awsSecret(run: string): boolean {
  return run.replace(/=+$/, "").length === 40 && /[A-Z]/.test(run) && /[a-z]/.test(run) && /[0-9/+]/.test(run);
}

function quotedRedacted(value: string): string {
  const quote = value[0];
  return (quote === '"' || quote === "'") && value.length >= 2 ? `${quote}${REDACTED}${quote}` : REDACTED;
}

/** One text's scrubbing, holding what is left of its match budget. */
class Scan {
  left = MAX_MATCHES;

  run(pattern: RegExp, text: string): string {
    const pieces: string[] = [];
    let end = 0;
    pattern.lastIndex = 0;
    for (const match of text.matchAll(pattern)) {
      if (this.left <= 0) {
        pieces.push(CUT);
        return pieces.join("");
      }
      this.left -= 1;
      pieces.push(text.slice(end, match.index));
      pieces.push(this.replace(pattern, match));
      end = match.index + match[0].length;
    }
    if (pieces.length === 0) return text;
    pieces.push(text.slice(end));
    return pieces.join("");
  }

  private replace(pattern: RegExp, match: RegExpExecArray): string {
    const found = match[0];
    const groups = match.groups ?? {};
    if (pattern === BASE64_RUN) return awsSecret(found) ? REDACTED : found;
    if (groups.pair !== undefined) {
      const name = groups.pairName ?? "";
      const separator = groups.pairSep ?? "";
      const value = groups.pairValue ?? "";
      if (secretName(name)) return `${name}${separator}${quotedRedacted(value)}`;
      return `${name}${separator}${this.run(new RegExp(NOT_PAIR.source, "g"), value)}`;
    }
    if (groups.url !== undefined) return `${groups.urlHead ?? ""}${REDACTED}@`;
    if (groups.card !== undefined) return card(found) ? REDACTED : found;
    return REDACTED;
  }
}

/** `text`, cut to `MAX_TEXT_CHARS`, with every value shaped like a secret or PII replaced. */
export function scrub(text: string): string {
  let bounded = text;
  if (text.length > MAX_TEXT_CHARS) {
    const marker = `...[${String(text.length)} characters, cut]`;
    bounded = text.slice(0, MAX_TEXT_CHARS - marker.length) + marker;
  }
  const scan = new Scan();
  let clean = scan.run(ANY, bounded);
  BASE64_RUN.lastIndex = 0;
  if (scan.left > 0 && BASE64_RUN.test(clean)) clean = scan.run(BASE64_RUN, clean);
  return clean;
}

/** Scrubs strings and the strings inside objects and arrays, into copies. */
export class Redactor {
  private readonly extra: RegExp[];
  private readonly memo = new Map<string, string>();
  private readonly keys = new Map<string, boolean>();

  constructor(patterns: readonly string[] = []) {
    this.extra = patterns.map((pattern) => new RegExp(pattern, "g"));
  }

  secretKey(key: string): boolean {
    let verdict = this.keys.get(key);
    if (verdict === undefined) {
      verdict = secretName(key);
      if (this.keys.size >= MEMO_SIZE) this.keys.clear();
      if (key.length <= MEMO_MAX_LENGTH) this.keys.set(key, verdict);
    }
    return verdict;
  }

  text(value: string): string {
    // Short strings (names, ids, statuses) repeat endlessly: remember their verdict.
    const short = value.length <= MEMO_MAX_LENGTH;
    const known = short ? this.memo.get(value) : undefined;
    if (known !== undefined) return known;
    let clean = scrub(value);
    for (const pattern of this.extra) clean = clean.replace(pattern, REDACTED);
    if (short) {
      if (this.memo.size >= MEMO_SIZE) this.memo.clear();
      this.memo.set(value, clean);
    }
    return clean;
  }

  /** `value` scrubbed; `key` is the field name it is stored under. */
  value(value: unknown, key?: string, depth = 0): unknown {
    if (key !== undefined && value !== null && value !== undefined && value !== "" && this.secretKey(key)) {
      return REDACTED;
    }
    if (typeof value === "string") return this.text(value);
    if (typeof value === "bigint" || typeof value === "number") {
      // A card number passed as a number.
      if (Math.abs(Number(value)) <= 999_999_999_999) return value;
      return this.text(String(value)) !== String(value) ? REDACTED : value;
    }
    if (value === null || typeof value !== "object" || depth > 8) return value;
    if (Array.isArray(value)) return value.map((item: unknown) => this.value(item, undefined, depth + 1));
    if (value instanceof Error) return this.text(`${value.name}: ${value.message}`);
    const clean: Record<string, unknown> = {};
    for (const [name, item] of Object.entries(value)) clean[name] = this.value(item, name, depth + 1);
    return clean;
  }

  /** One field, scrubbed; `value` itself when nothing needed scrubbing (decided by Map lookups
   *  for the common cases: numbers, flags and strings seen before). */
  field(key: string, value: unknown): unknown {
    const type = typeof value;
    if (type === "boolean" || value === null || value === undefined) return value;
    if (this.secretKey(key)) return value === "" ? value : REDACTED;
    if (type === "number") return this.value(value);
    if (type === "string") {
      const clean = this.text(value as string);
      return clean === value ? value : clean;
    }
    const scrubbed = this.value(value);
    return JSON.stringify(scrubbed) === JSON.stringify(value) ? value : scrubbed;
  }

  /** A scrubbed copy of a log event or attribute map. */
  fields(fields: Record<string, unknown>): Record<string, unknown> {
    const clean: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(fields)) clean[key] = this.value(item, key);
    return clean;
  }
}
