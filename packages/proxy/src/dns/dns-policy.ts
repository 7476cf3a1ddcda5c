import { assertNever, compileDnsPattern, matchesName, toFqdn, type FqdnSelector, type L7Policy } from "@membrane/engine";

/**
 * Whether a connection's L7 policy lets a query for a name through (`policy-semantics.md` §8.4):
 * DNS rules are ORed, `matchName` is exact and `matchPattern` a pattern (both case-insensitive,
 * trailing dot implied); `allow-all` (a peer that reached the port through a rule without DNS
 * rules) allows every name; any other policy — none, a conflict, another protocol's rules —
 * allows nothing. The query type is ignored.
 */

/** Why the proxy allowed or refused a name. */
export type NameDecision =
  | { readonly kind: "allowed"; readonly by: "rule" | "allow-all" }
  | { readonly kind: "denied"; readonly reason: "no-rule-matches" | "not-dns-policy" };

/** Compiled matchers per rules array: a policy source that returns the same array reuses them. */
const compiled = new WeakMap<readonly FqdnSelector[], readonly ((name: string) => boolean)[]>();

function matchersOf(rules: readonly FqdnSelector[]): readonly ((name: string) => boolean)[] {
  let m = compiled.get(rules);
  if (m === undefined) {
    m = rules.map((r) => (r.kind === "matchName" ? (n: string) => matchesName(r.matchName, n) : compileDnsPattern(r.matchPattern)));
    compiled.set(rules, m);
  }
  return m;
}

/** Decides a query name (any case, trailing dot optional) under an L7 policy. */
export function decideName(policy: L7Policy, name: string): NameDecision {
  switch (policy.kind) {
    case "allow-all":
      return { kind: "allowed", by: "allow-all" };
    case "dns": {
      const fqdn = toFqdn(name);
      return matchersOf(policy.rules).some((m) => m(fqdn))
        ? { kind: "allowed", by: "rule" }
        : { kind: "denied", reason: "no-rule-matches" };
    }
    case "not-redirected":
    case "conflict":
    case "http":
    case "kafka":
    case "l7proto":
    case "tls":
      return { kind: "denied", reason: "not-dns-policy" };
    default:
      return assertNever(policy);
  }
}
