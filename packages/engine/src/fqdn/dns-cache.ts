import { toFqdn } from "../l7/dns-pattern.ts";

/** The DNS cache's settings (Cilium's agent flags). */
export interface DnsCacheOptions {
  /** `tofqdns-min-ttl`: answers live at least this long (seconds; default 0). */
  readonly minTtlSeconds: number;
  /** `tofqdns-endpoint-max-ip-per-hostname`: IPs kept per name, oldest evicted first (default 1000). */
  readonly maxIpsPerName: number;
}

/** Cilium's defaults. */
export const DEFAULT_DNS_CACHE_OPTIONS: DnsCacheOptions = { minTtlSeconds: 0, maxIpsPerName: 1000 };

/**
 * Names → IPs learned from DNS answers that passed the DNS proxy (cilium/cilium pkg/fqdn/cache.go,
 * `policy-semantics.md` §8.5). Node-wide: what one pod learned, every pod's toFQDNs may use. Time
 * is given by the caller (seconds); nothing here reads a clock.
 */
export class DnsCache {
  readonly options: DnsCacheOptions;
  /** name → ip → { expires, learned order } */
  readonly #byName = new Map<string, Map<string, { expires: number; seq: number }>>();
  #seq = 0;

  constructor(options: DnsCacheOptions = DEFAULT_DNS_CACHE_OPTIONS) {
    this.options = options;
  }

  /**
   * Records an answer: the IPs belong to the question name (not CNAME targets, E34), for the
   * smallest TTL of the answer raised to the minimum TTL. Returns the IPs whose names changed.
   */
  learn(name: string, ips: readonly string[], ttlSeconds: number, now: number): string[] {
    const fqdn = toFqdn(name);
    let m = this.#byName.get(fqdn);
    if (m === undefined) this.#byName.set(fqdn, (m = new Map()));
    const expires = now + Math.max(ttlSeconds, this.options.minTtlSeconds);
    const changed: string[] = [];
    for (const ip of ips) {
      if (!m.has(ip)) changed.push(ip);
      m.set(ip, { expires: Math.max(expires, m.get(ip)?.expires ?? 0), seq: this.#seq++ });
    }
    while (m.size > this.options.maxIpsPerName) {
      const oldest = [...m].reduce((a, b) => (a[1].seq <= b[1].seq ? a : b));
      m.delete(oldest[0]);
      changed.push(oldest[0]);
    }
    return changed;
  }

  /**
   * Forgets expired entries, except IPs still in use by live connections (Cilium keeps those as
   * "zombies" until conntrack lets go). Returns the IPs whose names changed.
   */
  expire(now: number, inUse: ReadonlySet<string> = new Set()): string[] {
    const changed: string[] = [];
    for (const [name, m] of this.#byName) {
      for (const [ip, e] of m) {
        if (e.expires > now || inUse.has(ip)) continue;
        m.delete(ip);
        changed.push(ip);
      }
      if (m.size === 0) this.#byName.delete(name);
    }
    return changed;
  }

  /** The names an IP currently answers for. */
  namesOf(ip: string): string[] {
    const out: string[] = [];
    for (const [name, m] of this.#byName) if (m.has(ip)) out.push(name);
    return out;
  }

  /** The IPs a name currently resolves to. */
  ipsOf(name: string): string[] {
    return [...(this.#byName.get(toFqdn(name))?.keys() ?? [])];
  }

  /** Every IP with at least one name. */
  ips(): Set<string> {
    const out = new Set<string>();
    for (const m of this.#byName.values()) for (const ip of m.keys()) out.add(ip);
    return out;
  }
}
