import { START, type HeaderMatch, type HttpRule, type L7Policy } from "@membrane/engine";

/** An HTTP rule with only the given fields set. */
export function httpRule(fields: Partial<Omit<HttpRule, "pos">>): HttpRule {
  return { method: null, path: null, host: null, headers: [], headerMatches: [], pos: START, ...fields };
}

/** A headerMatches entry. */
export function headerMatch(name: string, value: string | null, mismatch: HeaderMatch["mismatch"]): HeaderMatch {
  return { name, value, secret: null, mismatch };
}

/** An `http` L7 policy of these rules. */
export function httpPolicy(...rules: HttpRule[]): L7Policy {
  return { kind: "http", rules };
}
