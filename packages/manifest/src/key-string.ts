/**
 * Mapping keys as Kubernetes sees them. go-yaml resolves a key like any scalar (`80` is an int,
 * `on` is true), then sigs.k8s.io/yaml turns it back into a JSON object key: integers in decimal,
 * booleans as `true`/`false`, floats with Go's `strconv.FormatFloat(f, 'g', -1, 32)`.
 */
import type { ScalarValue } from "@membrane/engine";
import { intText, resolvePlain, resolveTagged } from "./scalar-resolve.ts";

/** The key string of a scalar key read from source: its text, whether it was plain, and its tag. */
export function keyFromText(raw: string, plain: boolean, tag: string | null): string {
  if (tag !== null) return keyFromValue(resolveTagged(tag, raw) ?? raw);
  if (!plain) return raw;
  const value = resolvePlain(raw);
  if (typeof value === "number") return intText(raw) ?? goFloatKey(value);
  return keyFromValue(value);
}

/** The key string of an already resolved value (an alias used as a key). */
export function keyFromValue(value: ScalarValue): string {
  if (typeof value === "string") return value;
  if (value === null) return "null";
  if (typeof value === "boolean") return value ? "true" : "false";
  return Number.isInteger(value) ? String(value === 0 ? 0 : value) : goFloatKey(value);
}

/** Go's shortest `'g'` formatting at 32-bit precision, with YAML's names for the specials. */
function goFloatKey(value: number): string {
  if (Number.isNaN(value)) return ".nan";
  const f = Math.fround(value);
  if (f === Infinity) return ".inf";
  if (f === -Infinity) return "-.inf";
  if (f === 0) return Object.is(f, -0) ? "-0" : "0";
  const sign = f < 0 ? "-" : "";
  const magnitude = Math.abs(f);
  // The fewest significant digits that still read back as the same 32-bit float.
  let exp = "";
  for (let p = 1; p <= 9; p++) {
    exp = magnitude.toExponential(p - 1);
    if (Math.fround(Number(exp)) === magnitude) break;
  }
  const e = exp.indexOf("e");
  const digits = exp.slice(0, e).replace(".", "");
  const exponent = Number(exp.slice(e + 1));
  if (exponent < -4 || exponent >= 6) {
    const fraction = digits.length > 1 ? "." + digits.slice(1) : "";
    const absExp = Math.abs(exponent);
    return `${sign}${digits[0] ?? ""}${fraction}e${exponent < 0 ? "-" : "+"}${absExp < 10 ? "0" : ""}${absExp}`;
  }
  if (exponent < 0) return `${sign}0.${"0".repeat(-exponent - 1)}${digits}`;
  const whole = digits.slice(0, exponent + 1).padEnd(exponent + 1, "0");
  const fraction = digits.slice(exponent + 1);
  return sign + whole + (fraction.length > 0 ? "." + fraction : "");
}
