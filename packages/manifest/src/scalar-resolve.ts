/**
 * Scalar typing as Kubernetes reads YAML: sigs.k8s.io/yaml decodes with go-yaml v2, which applies
 * YAML 1.1 rules. The first character picks what a plain scalar may be (go-yaml's resolve table);
 * only then is the text tested, so most strings are settled by one table lookup.
 */
import type { ScalarValue } from "@membrane/engine";

/** The full name of a YAML core tag such as `!!str`. */
export const TAG_PREFIX = "tag:yaml.org,2002:";
const TAG_STR = TAG_PREFIX + "str";
const TAG_INT = TAG_PREFIX + "int";
const TAG_FLOAT = TAG_PREFIX + "float";
const TAG_BOOL = TAG_PREFIX + "bool";
const TAG_NULL = TAG_PREFIX + "null";
/** `!!map` in full. */
export const TAG_MAP = TAG_PREFIX + "map";
/** `!!seq` in full. */
export const TAG_SEQ = TAG_PREFIX + "seq";

const HINT_NONE = 0;
const HINT_WORD = 1; // may be a boolean or null: only the exact words count
const HINT_DOT = 2; // may be `.5` or `.inf`
const HINT_NUMBER = 3; // a sign or a digit: may be an integer or a float

const HINTS = new Uint8Array(128);
for (const ch of "yYnNtTfFoO~") HINTS[ch.charCodeAt(0)] = HINT_WORD;
for (const ch of "+-0123456789") HINTS[ch.charCodeAt(0)] = HINT_NUMBER;
HINTS[".".charCodeAt(0)] = HINT_DOT;

const WORDS = new Map<string, ScalarValue>();
function words(value: ScalarValue, list: string): void {
  for (const w of list.split(" ")) WORDS.set(w, value);
}
words(true, "y Y yes Yes YES true True TRUE on On ON");
words(false, "n N no No NO false False FALSE off Off OFF");
words(null, "~ null Null NULL");
words(NaN, ".nan .NaN .NAN");
words(Infinity, ".inf .Inf .INF +.inf +.Inf +.INF");
words(-Infinity, "-.inf -.Inf -.INF");

// go-yaml tries strconv.ParseInt(s, 0, 64) (after removing `_`), then ParseUint, then this float
// pattern; the octal branch also accepts a bare `0`.
const INT = /^[-+]?(?:0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|0[0-7]*|[1-9][0-9]*)$/;
const FLOAT = /^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$/;
const DOT_FLOAT = /^\.[0-9]+(?:[eE][-+]?[0-9]+)?$/;
const INT64_MIN = -(2n ** 63n);
const UINT64_MAX = 2n ** 64n - 1n;

/** The value of a plain (unquoted, untagged) scalar. Empty text is null. */
export function resolvePlain(raw: string): ScalarValue {
  if (raw.length === 0) return null;
  const c = raw.charCodeAt(0);
  const hint = c < 128 ? HINTS[c] : HINT_NONE;
  // The longest special word (`false`, `+.inf`) has 5 characters.
  if (hint === HINT_NONE || (hint === HINT_WORD && raw.length > 5)) return raw;
  const word = WORDS.get(raw);
  if (word !== undefined) return word;
  if (hint === HINT_DOT) return DOT_FLOAT.test(raw) ? finiteOr(Number(raw), raw) : raw;
  if (hint === HINT_NUMBER) return resolveNumber(raw);
  return raw;
}

function resolveNumber(raw: string): ScalarValue {
  const plain = withoutUnderscores(raw);
  if (INT.test(plain)) {
    const n = intValue(plain);
    if (n !== undefined) return n;
  }
  // Also where an integer overflowed: a long decimal (or leading-0 "octal") reads as a float.
  if (FLOAT.test(plain)) return finiteOr(Number(plain), raw);
  return raw;
}

// go-yaml's ParseFloat fails on overflow, and then the text stays a string.
function finiteOr(n: number, raw: string): ScalarValue {
  return Number.isFinite(n) ? n : raw;
}

function withoutUnderscores(raw: string): string {
  return raw.includes("_") ? raw.replaceAll("_", "") : raw;
}

// Splits a text matching INT into its sign and a literal that Number and BigInt both read.
function intLiteral(plain: string): { negative: boolean; literal: string } {
  const first = plain.charCodeAt(0);
  const negative = first === 0x2d;
  const unsigned = negative || first === 0x2b ? plain.slice(1) : plain;
  const leadingZeroOctal = unsigned.length > 1 && unsigned.charCodeAt(0) === 0x30 && /^[0-7]+$/.test(unsigned);
  return { negative, literal: leadingZeroOctal ? "0o" + unsigned.slice(1) : unsigned };
}

/**
 * The exact value of a text matching {@link INT} (underscores removed), or undefined when it does
 * not fit go-yaml's integers (int64, or uint64 when positive).
 */
function exactInt(plain: string): bigint | undefined {
  const { negative, literal } = intLiteral(plain);
  const value = negative ? -BigInt(literal) : BigInt(literal);
  return value < INT64_MIN || value > UINT64_MAX ? undefined : value;
}

function intValue(plain: string): number | undefined {
  const { negative, literal } = intLiteral(plain);
  // Up to 15 characters no literal form can reach 2^53, so Number is exact and cheaper than BigInt.
  if (literal.length > 15) {
    const big = exactInt(plain);
    return big === undefined ? undefined : Number(big);
  }
  const n = Number(literal);
  return negative && n !== 0 ? -n : n;
}

/**
 * The exact decimal text of a plain scalar that reads as an integer (`0x10` gives `"16"`), or
 * undefined when it does not read as one. Kubernetes stringifies integer keys this way.
 */
export function intText(raw: string): string | undefined {
  const plain = withoutUnderscores(raw);
  if (!INT.test(plain)) return undefined;
  const big = exactInt(plain);
  return big === undefined ? undefined : big.toString();
}

/**
 * The value of a scalar carrying the tag `tag` (in full form), or undefined when the text cannot
 * have that tag (`!!int abc`). Tags other than the core scalar tags leave the text a string, as
 * go-yaml does for tags it cannot resolve.
 */
export function resolveTagged(tag: string, raw: string): ScalarValue | undefined {
  switch (tag) {
    case TAG_STR:
      return raw;
    case TAG_NULL: {
      const v = resolvePlain(raw);
      return v === null ? null : undefined;
    }
    case TAG_BOOL: {
      const v = resolvePlain(raw);
      return typeof v === "boolean" ? v : undefined;
    }
    case TAG_INT: {
      const v = resolvePlain(raw);
      return typeof v === "number" && intText(raw) !== undefined ? v : undefined;
    }
    case TAG_FLOAT: {
      const v = resolvePlain(raw);
      return typeof v === "number" ? v : undefined;
    }
    default:
      return raw;
  }
}

/** Whether `tag` (in full form) is one of the core scalar tags this reader applies. */
export function isScalarTag(tag: string): boolean {
  return tag === TAG_STR || tag === TAG_INT || tag === TAG_FLOAT || tag === TAG_BOOL || tag === TAG_NULL;
}

/** A full tag in its short `!!name` form when it is a core tag, for messages. */
export function shortTag(tag: string): string {
  return tag.startsWith(TAG_PREFIX) ? "!!" + tag.slice(TAG_PREFIX.length) : tag;
}
