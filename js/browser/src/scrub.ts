/**
 * Secrets and personal data scrubbed before an attribute leaves the page: the same two rules
 * as the Python SDK (`swarmscope/telemetry/secrets.py`). A field whose name says it holds a
 * secret is replaced whole; in any string, values shaped like secrets or PII (bearer tokens,
 * provider API keys, JWTs, private keys, passwords in URLs and forms, e-mail addresses, card
 * numbers passing the Luhn check, AWS secret keys) are replaced. The Chromium test feeds the
 * same strings to both and compares the results.
 *
 * JavaScript's regular expressions backtrack where RE2 does not: every text is cut to
 * MAX_TEXT_CHARS first, and the runs a failed match could rescan from each position (a
 * pair's name around its keyword, a URL's user and password) are bounded, so the work per
 * position is bounded too. Names and passwords longer than those bounds are the only
 * difference from the Python patterns.
 */

export const REDACTED = "[REDACTED]";
export const MAX_TEXT_CHARS = 64 * 1024;
const MAX_MATCHES = 256;
const CUT = `${REDACTED}[rest cut: over ${MAX_MATCHES} secret-shaped values]`;
const MAX_NAME = 256;

// -- names ------------------------------------------------------------------------------------
const WORD = /[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+/g;
const SECRET_STEMS = [
  "password",
  "passwd",
  "passphrase",
  "secret",
  "credential",
  "authorization",
  "cookie",
  "apikey",
  "privatekey",
  "accesskey",
  "jwt",
];
const SECRET_WORDS = new Set(["pwd", "sig", "signature"]);
const SECRET_KEY_KINDS = new Set([
  "api",
  "access",
  "private",
  "secret",
  "signing",
  "encryption",
  "master",
  "account",
  "client",
  "auth",
  "subscription",
  "license",
  "ssh",
  "session",
]);
const TOKEN_MEASURES = new Set([
  "count",
  "counts",
  "type",
  "types",
  "usage",
  "limit",
  "limits",
  "estimate",
  "budget",
  "length",
  "index",
  "ids",
  "cost",
  "price",
  "rate",
]);
const names = new Map<string, boolean>();

/** Whether a field of this name holds a secret (`password`, `apiToken`, `X-Api-Key`...). */
export function secretName(name: string): boolean {
  const known = names.get(name);
  if (known !== undefined) return known;
  const words = (name.slice(0, MAX_NAME).match(WORD) ?? []).map((word) => word.toLowerCase());
  let secret = false;
  for (let index = 0; index < words.length && !secret; index += 1) {
    const word = words[index] ?? "";
    const following = words[index + 1] ?? "";
    secret =
      SECRET_WORDS.has(word) ||
      SECRET_STEMS.some((stem) => word.includes(stem)) ||
      (word.endsWith("token") && !TOKEN_MEASURES.has(following)) ||
      (word === "key" && index > 0 && SECRET_KEY_KINDS.has(words[index - 1] ?? "")) ||
      (word === "auth" && following === "");
  }
  if (names.size >= 4096) names.clear();
  names.set(name, secret);
  return secret;
}

// -- shapes -----------------------------------------------------------------------------------
// One alternation of named groups, in the Python module's order; where two could start at one
// place, the first listed wins. Case-insensitive parts are spelled as character classes.
const SHAPES: [string, string][] = [
  [
    "pem",
    "-----BEGIN[A-Z ]*PRIVATE KEY(?: BLOCK)?-----[\\s\\S]*?(?:-----END[A-Z ]*PRIVATE KEY(?: BLOCK)?-----|$)",
  ],
  ["url", "(?<urlHead>\\b[A-Za-z][A-Za-z0-9+.\\-]{0,32}://[^\\s:/@'\"]{0,256}:)(?<urlPw>[^\\s@/'\"]{1,256})@"],
  [
    "pair",
    "(?<pairName>[A-Za-z0-9_.\\-]{0,64}(?:[Pp][Aa][Ss][Ss]|[Pp][Ww][Dd]|[Ss][Ee][Cc][Rr][Ee][Tt]" +
      "|[Tt][Oo][Kk][Ee][Nn]|[Kk][Ee][Yy]|[Aa][Uu][Tt][Hh]|[Cc][Oo][Oo][Kk][Ii][Ee]" +
      "|[Cc][Rr][Ee][Dd][Ee][Nn][Tt][Ii][Aa][Ll]|[Jj][Ww][Tt]|[Ss][Ii][Gg])[A-Za-z0-9_.\\-]{0,64})" +
      "(?<pairSep>[\"']?[ \\t]*[=:][ \\t]*)" +
      "(?<pairValue>\"(?:[^\"\\\\\\n]|\\\\.)*\"|'[^'\\n]*'" +
      "|(?:(?:[Bb][Ee][Aa][Rr][Ee][Rr]|[Bb][Aa][Ss][Ii][Cc]|[Tt][Oo][Kk][Ee][Nn]|[Dd][Ii][Gg][Ee][Ss][Tt]" +
      "|[Aa][Ww][Ss]4-[Hh][Mm][Aa][Cc]-[Ss][Hh][Aa]256)[ \\t]+)?[^\\s&,;\"'<>]+)",
  ],
  ["bearer", "\\b[Bb][Ee][Aa][Rr][Ee][Rr][ \\t]+[A-Za-z0-9\\-._~+/]+=*"],
  ["basic", "\\b[Bb][Aa][Ss][Ii][Cc][ \\t]+[A-Za-z0-9+/]{8,}=*"],
  ["jwt", "\\beyJ[A-Za-z0-9_-]{5,}\\.[A-Za-z0-9_-]{5,}\\.[A-Za-z0-9_-]+"],
  [
    "provider",
    "\\b(?:(?:sk|pk|rk)-[A-Za-z0-9_-]{16,}|(?:sk|pk|rk)_(?:live|test)_[A-Za-z0-9]{16,}" +
      "|whsec_[A-Za-z0-9]{24,}" +
      "|(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA)[0-9A-Z]{16}\\b" +
      "|gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{22,}|glpat-[A-Za-z0-9_-]{20,}" +
      "|xox[abposrc]-[A-Za-z0-9-]{10,}|xapp-[A-Za-z0-9-]{10,}" +
      "|hooks\\.slack\\.com/services/[A-Za-z0-9/]+" +
      "|AIza[0-9A-Za-z_-]{35}|ya29\\.[0-9A-Za-z_-]{20,}" +
      "|hf_[A-Za-z0-9]{30,}|npm_[A-Za-z0-9]{36})",
  ],
  ["email", "[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9.-]+\\.[A-Za-z]{2,}"],
  ["card", "\\b(?:\\d[ -]?){12,18}\\d\\b"],
];

function alternation(skip?: string): RegExp {
  const parts = SHAPES.filter(([name]) => name !== skip).map(([name, shape]) => `(?<${name}>${shape})`);
  return new RegExp(parts.join("|"), "g");
}

const ANY = alternation();
// Without name=value: for the value of a pair whose name is harmless.
const NOT_PAIR = alternation("pair");
const BASE64_RUN = /[A-Za-z0-9/+=]{40,}/g;

function luhn(digits: string): boolean {
  let total = 0;
  for (let index = 0; index < digits.length; index += 1) {
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
  return (
    run.replace(/=+$/, "").length === 40 &&
    /[A-Z]/.test(run) &&
    /[a-z]/.test(run) &&
    /[0-9/+]/.test(run)
  );
}

function quotedRedacted(value: string): string {
  const quote = value.charAt(0);
  return (quote === '"' || quote === "'") && value.length >= 2 ? `${quote}${REDACTED}${quote}` : REDACTED;
}

/** One text's scrubbing, holding what is left of its match budget. */
class Scan {
  left = MAX_MATCHES;

  run(pattern: RegExp, text: string): string {
    const pieces: string[] = [];
    let end = 0;
    pattern.lastIndex = 0;
    for (let match = pattern.exec(text); match !== null; match = pattern.exec(text)) {
      if (match[0] === "") {
        pattern.lastIndex += 1;
        continue;
      }
      if (this.left <= 0) {
        pieces.push(text.slice(end, match.index), CUT);
        return pieces.join("");
      }
      this.left -= 1;
      // A pair's value is scanned with the other pattern, which keeps its own position.
      const next = pattern.lastIndex;
      const replaced = this.replace(pattern, match);
      pieces.push(text.slice(end, match.index), replaced);
      if (this.left <= 0 && replaced.endsWith(CUT)) return pieces.join("");
      pattern.lastIndex = next;
      end = next;
    }
    if (pieces.length === 0) return text;
    pieces.push(text.slice(end));
    return pieces.join("");
  }

  private replace(pattern: RegExp, match: RegExpExecArray): string {
    const found = match[0];
    if (pattern === BASE64_RUN) return awsSecret(found) ? REDACTED : found;
    const groups = match.groups ?? {};
    if (groups.pair !== undefined) {
      const name = groups.pairName ?? "";
      const separator = groups.pairSep ?? "";
      const value = groups.pairValue ?? "";
      if (secretName(name)) return `${name}${separator}${quotedRedacted(value)}`;
      return `${name}${separator}${this.run(NOT_PAIR, value)}`;
    }
    if (groups.url !== undefined) return `${groups.urlHead ?? ""}${REDACTED}@`;
    if (groups.card !== undefined) return card(found) ? REDACTED : found;
    return REDACTED;
  }
}

/** `text` cut to MAX_TEXT_CHARS, with a marker saying how many characters were cut. */
export function bounded(text: string): string {
  if (text.length <= MAX_TEXT_CHARS) return text;
  const marker = `...[${text.length} characters, cut]`;
  return text.slice(0, MAX_TEXT_CHARS - marker.length) + marker;
}

// Short strings (names, ids, statuses) repeat endlessly: their verdict is remembered.
const MEMO_LENGTH = 64;
const memo = new Map<string, string>();

/** `text` with every value shaped like a secret or PII replaced by `[REDACTED]`. */
export function scrub(text: string): string {
  if (text.length > MEMO_LENGTH) return scrubText(text);
  let clean = memo.get(text);
  if (clean === undefined) {
    clean = scrubText(text);
    if (memo.size >= 4096) memo.clear();
    memo.set(text, clean);
  }
  return clean;
}

function scrubText(text: string): string {
  const scan = new Scan();
  let clean = scan.run(ANY, bounded(text));
  BASE64_RUN.lastIndex = 0;
  if (scan.left > 0 && BASE64_RUN.test(clean)) clean = scan.run(BASE64_RUN, clean);
  return clean;
}

export type AttributeValue = string | number | boolean | string[] | number[] | boolean[];
export type Fields = Record<string, unknown>;

/** One field, scrubbed: secret names replaced whole, strings searched, numbers checked for cards. */
export function scrubField(key: string, value: unknown): AttributeValue | undefined {
  if (value === undefined || value === null) return undefined;
  if (secretName(key) && value !== "") return REDACTED;
  if (typeof value === "string") return scrub(value);
  if (typeof value === "number") {
    if (Number.isInteger(value) && value > 999_999_999_999 && scrub(String(value)) !== String(value)) {
      return REDACTED;
    }
    return value;
  }
  if (typeof value === "boolean") return value;
  if (Array.isArray(value) && value.every((item) => typeof item === "string")) {
    return value.map((item) => scrub(item));
  }
  return scrub(safeJson(value));
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value);
  } catch {
    return String(value);
  }
}

/** A scrubbed copy of an attribute map, without the fields that hold nothing. */
export function scrubFields(fields: Fields): Record<string, AttributeValue> {
  const clean: Record<string, AttributeValue> = {};
  for (const [key, value] of Object.entries(fields)) {
    const scrubbed = scrubField(key, value);
    if (scrubbed !== undefined) clean[key] = scrubbed;
  }
  return clean;
}
