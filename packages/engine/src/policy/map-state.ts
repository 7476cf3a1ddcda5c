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

/** Drop codes of the datapath (bpf/lib/drop_reasons.h): no entry matched; a deny entry matched. */
export const DROP_POLICY_DENIED = -133;
export const DROP_POLICY_DENY = -181;

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
const ANY_KEY = innerKey(0, 0, 0);
const NO_LENGTHS: readonly number[] = [];
const unpack = (identity: number, k: number): PolicyKey => ({
  identity: asIdentity(identity),
  proto: Math.floor(k / 32 / 65536),
  port: Math.floor(k / 32) % 65536,
  prefixLen: k % 32,
});

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

/** A found entry with its key and its prefix length in bits (protocol 8 + port prefix). */
interface Hit {
  readonly k: number;
  readonly entry: PolicyEntry;
  readonly len: number;
}

/** §7.2: the higher precedence wins, then the longer prefix, then the identity-specific entry. */
function choose(l3: Hit | undefined, l4: Hit | undefined): Hit | undefined {
  if (l3 === undefined) return l4;
  if (l4 === undefined) return l3;
  if (l3.entry.precedence !== l4.entry.precedence) return l3.entry.precedence > l4.entry.precedence ? l3 : l4;
  return l4.len > l3.len ? l4 : l3;
}

/** One direction of an endpoint's policy map. */
export class MapState {
  readonly #byIdentity = new Map<number, Map<number, PolicyEntry>>();
  /** Per identity and protocol, the port prefix lengths its keys use, longest first: lookups try only those. */
  readonly #lengths = new Map<number, Map<number, readonly number[]>>();

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
    let removed = false;
    // Only a key with a shorter prefix than a full port can cover other keys of this identity.
    if (proto === 0 || prefixLen < 16) {
      for (const [other, e] of m) {
        if (other !== k && e.precedence < entry.precedence && covers(k, other)) removed = m.delete(other) || removed;
      }
    }
    const existing = m.get(k);
    m.set(k, existing === undefined || existing.precedence < entry.precedence ? entry : merge(existing, entry));
    if (removed) this.#indexLengths(identity, m);
    else if (existing === undefined && proto !== 0) this.#addLength(identity, proto, prefixLen);
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
    return check(ANY_KEY);
  }

  #addLength(identity: number, proto: number, prefixLen: number): void {
    let byProto = this.#lengths.get(identity);
    if (byProto === undefined) this.#lengths.set(identity, (byProto = new Map()));
    const lens = byProto.get(proto) ?? NO_LENGTHS;
    if (!lens.includes(prefixLen))
      byProto.set(
        proto,
        [...lens, prefixLen].sort((a, b) => b - a),
      );
  }

  #indexLengths(identity: number, m: Map<number, PolicyEntry>): void {
    const byProto = new Map<number, Set<number>>();
    for (const k of m.keys()) {
      const proto = Math.floor(k / 32 / 65536);
      if (proto === 0) continue;
      let set = byProto.get(proto);
      if (set === undefined) byProto.set(proto, (set = new Set()));
      set.add(k % 32);
    }
    this.#lengths.set(identity, new Map([...byProto].map(([p, set]) => [p, [...set].sort((a, b) => b - a)])));
  }

  /** The longest-prefix entry of one identity for (proto, port). */
  #find(identity: number, proto: number, port: number): Hit | undefined {
    const m = this.#byIdentity.get(identity);
    if (m === undefined) return undefined;
    if (proto !== 0) {
      for (const len of this.#lengths.get(identity)?.get(proto) ?? NO_LENGTHS) {
        const k = innerKey(proto, maskPort(port, len), len);
        const entry = m.get(k);
        if (entry !== undefined) return { k, entry, len: 8 + len };
      }
    }
    const entry = m.get(ANY_KEY);
    return entry === undefined ? undefined : { k: ANY_KEY, entry, len: 0 };
  }

  /**
   * The lookup of bpf/lib/policy.h (§7.2): the longest-prefix entry for the identity, unless it is a
   * deny taken at once, against the longest-prefix entry for identity 0; the higher precedence wins,
   * then the longer prefix, then the identity-specific entry.
   */
  lookup(identity: NumericIdentity, proto: number, port: number): Lookup {
    const l3 = identity === 0 ? undefined : this.#find(identity, proto, port);
    if (l3 !== undefined && l3.entry.deny) return this.#result(identity, l3);
    const chosen = choose(l3, this.#find(0, proto, port));
    if (chosen === undefined) return { kind: "none", matchType: "NONE" };
    return this.#result(chosen === l3 ? identity : 0, chosen);
  }

  /**
   * The lookup's outcome alone, without building a result (the hot path, what the datapath returns):
   * the proxy port for a redirect, 0 for an allow, −181 for a deny entry, −133 when nothing matches.
   */
  verdict(identity: NumericIdentity, proto: number, port: number): number {
    const l3 = identity === 0 ? undefined : this.#find(identity, proto, port);
    if (l3 !== undefined && l3.entry.deny) return DROP_POLICY_DENY;
    const chosen = choose(l3, this.#find(0, proto, port));
    if (chosen === undefined) return DROP_POLICY_DENIED;
    return chosen.entry.deny ? DROP_POLICY_DENY : chosen.entry.proxyPort;
  }

  #result(identity: number, hit: Hit): Lookup {
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
      const keys = proto === 0 ? [] : Array.from({ length: 17 }, (_, i) => innerKey(proto, maskPort(port, 16 - i), 16 - i));
      for (const k of [...keys, ANY_KEY]) {
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
