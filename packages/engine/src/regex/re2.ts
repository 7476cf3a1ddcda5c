import { RE2JS } from "re2js";
import { err, ok, type Result } from "../result.ts";

/**
 * Regular expressions with RE2 semantics (Go's regexp, which Cilium validates with, and Envoy's
 * RE2, which enforces): linear-time matching, no backreferences or lookaround. Compiled by re2js,
 * a pure-JS port of RE2 that runs in Node and in the browser alike.
 */
export interface Re2 {
  readonly source: string;
  /** Whether the whole input matches (Envoy's safe_regex full match: anchored at both ends). */
  fullMatch(input: string): boolean;
}

const META = /[\\.^$|?*+()[\]{}]/;

/** Compiles an RE2 pattern, or says why RE2 rejects it. A pattern without metacharacters is an exact comparison. */
export function compileRe2(pattern: string): Result<Re2, string> {
  if (!META.test(pattern)) return ok({ source: pattern, fullMatch: (input: string) => input === pattern });
  try {
    const re = RE2JS.compile(pattern);
    return ok({ source: pattern, fullMatch: (input: string) => re.matcher(input).matches() });
  } catch (e) {
    return err(e instanceof Error ? e.message : String(e));
  }
}
