import type { NumericIdentity } from "../identity/numeric-identity.ts";
import { asIdentity } from "../identity/numeric-identity.ts";
import type { RuleOrigin } from "../translate/rule-form.ts";
import { maskPort } from "./port-range.ts";

/**
 * An endpoint's policy map for one direction, as Cilium's datapath holds it (`policy-semantics.md`
 * §6.7, cilium/cilium pkg/policy/mapstate.go, bpf/lib/policy.h): keys are (peer identity or 0 for
 * any, protocol or 0 for any, port prefix); entries carry a precedence in which a deny outranks
 * every allow and a redirect outranks a plain allow.
 */

/** A map key. A protocol can only be wildcarded when the port is too (`prefixLen` 0). */
export interface PolicyKey {
  readonly identity: NumericIdentity;
  readonly proto: number;
  readonly port: number;
  readonly prefixLen: number;
}

/** What a map entry was derived from: a rule, or one of Cilium's synthetic entries. */
export type DerivedFrom =
  | { readonly kind: "rule"; readonly origin: RuleOrigin }
  | { readonly kind: "synthetic"; readonly label: "allow-any-ingress" | "allow-any-egress" | "allow-localhost-ingress" };

/** The L7 parser a redirect goes to. */
export type L7Parser = "http" | "kafka" | "dns" | "l7proto" | "tls" | "listener";

/** A map entry. `proxyPort` non-zero means redirect to that L7 proxy. */
export interface PolicyEntry {
  readonly deny: boolean;
  readonly precedence: number;
  readonly proxyPort: number;
  readonly parser: L7Parser | null;
  readonly derivedFrom: readonly DerivedFrom[];
}

/** A deny has every precedence bit set (level 0), so it beats any allow. */
export const DENY_PRECEDENCE = 0x1ff;

/** Parser priorities (lower = stronger); a redirect's precedence is 128 − priority. */
export const PARSER_PRIORITY: Readonly<Record<L7Parser, number>> = {
  http: 101,
  kafka: 106,
  l7proto: 111,
  tls: 116,
  dns: 121,
  listener: 126,
};

/** The precedence of an allow entry: a redirect outranks a plain allow; among redirects, the lower priority number. */
export function allowPrecedence(parser: L7Parser | null, listenerPriority: number | null = null): number {
  if (parser === null) return 0;
  return 128 - (parser === "listener" && listenerPriority !== null ? listenerPriority : PARSER_PRIORITY[parser]);
}

/** How the chosen entry matched (reported in policy-verdict events; pkg/monitor/api/types.go). */
export type MatchType = "NONE" | "L3_ONLY" | "L3_L4" | "L4_ONLY" | "ALL" | "L3_PROTO" | "PROTO_ONLY";

/** The result of a lookup: the chosen entry and its key, or no match. */
export type Lookup =
  | { readonly kind: "match"; readonly key: PolicyKey; readonly entry: PolicyEntry; readonly matchType: MatchType }
  | { readonly kind: "none"; readonly matchType: "NONE" };

const innerKey = (proto: number, port: number, prefixLen: number): number => (proto * 65536 + port) * 32 + prefixLen;
const unpack = (identity: number, k: number): PolicyKey => ({
  identity: asIdentity(identity),
  proto: Math.floor(k / 32 / 65536),
  port: Math.floor(k / 32) % 65536,
  prefixLen: k % 32,
});

/** The keys that cover (proto, port) from the longest prefix to the protocol wildcard. */
function coveringKeys(proto: number, port: number, prefixLen: number): number[] {
  const out: number[] = [];
  if (proto !== 0) for (let len = prefixLen; len >= 0; len--) out.push(innerKey(proto, maskPort(port, len), len));
  out.push(innerKey(0, 0, 0));
  return out;
}

function covers(outer: number, inner: number): boolean {
  const o = unpack(0, outer);
  const i = unpack(0, inner);
  if (o.proto === 0) return true;
  return o.proto === i.proto && o.prefixLen <= i.prefixLen && maskPort(i.port, o.prefixLen) === o.port;
}

function merge(a: PolicyEntry, b: PolicyEntry): PolicyEntry {
  if (a === b) return a;
  // Same key, same precedence (so the same parser priority): the lower proxy port wins; origins add up.
  const keep = b.proxyPort !== 0 && (a.proxyPort === 0 || b.proxyPort < a.proxyPort) ? b : a;
  if (keep === a && b.derivedFrom.every((d) => a.derivedFrom.includes(d))) return a;
  const seen = new Set<DerivedFrom>(a.derivedFrom);
  return { ...keep, derivedFrom: [...a.derivedFrom, ...b.derivedFrom.filter((d) => !seen.has(d))] };
}

/** One direction of an endpoint's policy map. */
export class MapState {
  readonly #byIdentity = new Map<number, Map<number, PolicyEntry>>();

  /** Inserts with Cilium's precedence rules (§6.7): a covered weaker entry is skipped or removed. */
  insert(key: PolicyKey, entry: PolicyEntry): void {
    this.insertAt(key.identity, key.proto, key.port, key.prefixLen, entry);
  }

  /** `insert` without building a key object (the hot path of map computation). */
  insertAt(identity: number, proto: number, port: number, prefixLen: number, entry: PolicyEntry): void {
    const k = innerKey(proto, port, prefixLen);
    if (this.#coveredBy(identity, proto, port, prefixLen, k, entry)) return;
    if (identity !== 0 && this.#coveredBy(0, proto, port, prefixLen, k, entry)) return;
    let m = this.#byIdentity.get(identity);
    if (m === undefined) this.#byIdentity.set(identity, (m = new Map()));
    // Only a key with a shorter prefix than a full port can cover other keys of this identity.
    if (proto === 0 || prefixLen < 16)
      for (const [other, e] of m) if (other !== k && e.precedence < entry.precedence && covers(k, other)) m.delete(other);
    const existing = m.get(k);
    m.set(k, existing === undefined || existing.precedence < entry.precedence ? entry : merge(existing, entry));
  }

  /** Whether a key of `identity` covering (proto, port/prefixLen) makes `entry` redundant. */
  #coveredBy(identity: number, proto: number, port: number, prefixLen: number, k: number, entry: PolicyEntry): boolean {
    const m = this.#byIdentity.get(identity);
    if (m === undefined) return false;
    const check = (c: number): boolean => {
      const existing = m.get(c);
      if (existing === undefined) return false;
      return existing.precedence > entry.precedence || (entry.deny && existing.deny && c !== k);
    };
    if (proto !== 0) for (let len = prefixLen; len >= 0; len--) if (check(innerKey(proto, maskPort(port, len), len))) return true;
    return check(innerKey(0, 0, 0));
  }

  /**
   * The lookup of bpf/lib/policy.h (§7.2): the longest-prefix entry for the identity, unless it is a
   * deny taken at once, against the longest-prefix entry for identity 0; the higher precedence wins,
   * then the longer prefix, then the identity-specific entry.
   */
  lookup(identity: NumericIdentity, proto: number, port: number): Lookup {
    const l3 = identity === 0 ? undefined : this.#longest(identity, proto, port);
    if (l3 !== undefined && l3.entry.deny) return this.#result(identity, l3);
    const l4 = this.#longest(0, proto, port);
    let chosen: { k: number; entry: PolicyEntry; id: number } | undefined;
    if (l3 !== undefined && l4 !== undefined) {
      const lenOf = (x: number): number => (unpack(0, x).proto === 0 ? 0 : 8 + (x % 32));
      if (l3.entry.precedence !== l4.entry.precedence)
        chosen = l3.entry.precedence > l4.entry.precedence ? { ...l3, id: identity } : { ...l4, id: 0 };
      else chosen = lenOf(l4.k) > lenOf(l3.k) ? { ...l4, id: 0 } : { ...l3, id: identity };
    } else if (l3 !== undefined) chosen = { ...l3, id: identity };
    else if (l4 !== undefined) chosen = { ...l4, id: 0 };
    return chosen === undefined ? { kind: "none", matchType: "NONE" } : this.#result(chosen.id, chosen);
  }

  #longest(identity: number, proto: number, port: number): { k: number; entry: PolicyEntry } | undefined {
    const m = this.#byIdentity.get(identity);
    if (m === undefined) return undefined;
    for (const k of coveringKeys(proto, port, 16)) {
      const entry = m.get(k);
      if (entry !== undefined) return { k, entry };
    }
    return undefined;
  }

  #result(identity: number, hit: { k: number; entry: PolicyEntry }): Lookup {
    const key = unpack(identity, hit.k);
    const l3 = identity !== 0;
    const matchType: MatchType =
      key.proto === 0 ? (l3 ? "L3_ONLY" : "ALL") : key.prefixLen === 0 ? (l3 ? "L3_PROTO" : "PROTO_ONLY") : l3 ? "L3_L4" : "L4_ONLY";
    return { kind: "match", key, entry: hit.entry, matchType };
  }

  /** The entries that cover (proto, port) for the identity or for any identity: what a lookup chooses from. */
  candidates(identity: NumericIdentity, proto: number, port: number): { key: PolicyKey; entry: PolicyEntry }[] {
    const out: { key: PolicyKey; entry: PolicyEntry }[] = [];
    for (const id of identity === 0 ? [0] : [identity, 0]) {
      const m = this.#byIdentity.get(id);
      if (m === undefined) continue;
      for (const k of coveringKeys(proto, port, 16)) {
        const entry = m.get(k);
        if (entry !== undefined) out.push({ key: unpack(id, k), entry });
      }
    }
    return out;
  }

  /** Every entry, ordered by identity then key. */
  entries(): { key: PolicyKey; entry: PolicyEntry }[] {
    const out: { key: PolicyKey; entry: PolicyEntry }[] = [];
    for (const id of [...this.#byIdentity.keys()].sort((a, b) => a - b)) {
      const m = this.#byIdentity.get(id)!;
      for (const k of [...m.keys()].sort((a, b) => a - b)) out.push({ key: unpack(id, k), entry: m.get(k)! });
    }
    return out;
  }

  /** How many entries the map holds (Cilium's policy map has room for 16,384 per endpoint). */
  get size(): number {
    let n = 0;
    for (const m of this.#byIdentity.values()) n += m.size;
    return n;
  }
}
