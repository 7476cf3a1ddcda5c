import type { Service } from "../cluster/types.ts";
import { DnsCache, type DnsCacheOptions } from "../fqdn/dns-cache.ts";
import type { InMemoryAllocator } from "../identity/allocator.ts";
import type { NumericIdentity } from "../identity/numeric-identity.ts";
import type { IpCache } from "../ipcache/ipcache.ts";
import { compileDnsPattern, matchesName } from "../l7/dns-pattern.ts";
import { LabelSet, type Label } from "../labels/label-set.ts";
import { parseIp, parsePrefix, prefixContains } from "../net/ip.ts";
import type { IdentityInfo } from "../policy/peer-selector.ts";
import { cidrKey } from "../selector/match.ts";
import type { RuleEntry } from "../translate/rule-form.ts";
import { cidrIdentityLabels, worldLabel } from "./identities.ts";

/** The key under which toServices peers are counted (their selectorless backends need CIDR identities). */
const SERVICE_PEERS = "toServices";

/** Identities that appeared and disappeared, for the selector cache. */
export interface IdentityDelta {
  readonly added: IdentityInfo[];
  readonly removed: NumericIdentity[];
}

/**
 * The local identities of the world outside the cluster (§5.4): one per policy CIDR prefix (and its
 * excepts, and selectorless service backends), and one per IP a DNS answer gave for a name some
 * toFQDNs selector matches. Keeps the ipcache's prefixes in step.
 */
export class WorldIdentities {
  readonly dns: DnsCache;
  readonly #local: InMemoryAllocator;
  readonly #ipcache: IpCache;
  readonly #refs = new Map<string, number>();
  readonly #dirty = new Set<string>();
  readonly #cidrIds = new Map<string, NumericIdentity>();
  readonly #fqdnIds = new Map<string, IdentityInfo>();
  #backends = new Set<string>();

  constructor(local: InMemoryAllocator, ipcache: IpCache, dns: DnsCacheOptions) {
    this.#local = local;
    this.#ipcache = ipcache;
    this.dns = new DnsCache(dns);
  }

  /** Counts the prefixes entries name (a CIDR and its excepts) and their toServices peers. */
  count(entries: readonly RuleEntry[], delta: 1 | -1): void {
    for (const e of entries) {
      for (const p of e.peers) {
        const prefixes = p.kind === "cidr" ? [p.cidr, ...p.except] : p.kind === "service" ? [SERVICE_PEERS] : [];
        for (const c of prefixes) {
          this.#dirty.add(c);
          const n = (this.#refs.get(c) ?? 0) + delta;
          if (n > 0) this.#refs.set(c, n);
          else this.#refs.delete(c);
        }
      }
    }
  }

  /** Brings CIDR identities in line with the counts (only changed prefixes and service backends are looked at). */
  syncCidrs(services: Iterable<Service>, dualStack: boolean): IdentityDelta {
    const backends = new Set<string>();
    if ((this.#refs.get(SERVICE_PEERS) ?? 0) > 0) {
      for (const svc of services) if (svc.selector === null) for (const ip of svc.endpointAddresses) backends.add(hostPrefix(ip));
    }
    const candidates = new Set([...this.#dirty, ...backends, ...[...this.#cidrIds.keys()].filter((p) => this.#backends.has(p))]);
    this.#backends = backends;
    this.#dirty.clear();
    candidates.delete(SERVICE_PEERS);
    const delta: IdentityDelta = { added: [], removed: [] };
    for (const prefix of [...candidates].sort()) {
      const want = ((this.#refs.get(prefix) ?? 0) > 0 || backends.has(prefix)) && parsePrefix(prefix)!.bits > 0;
      const have = this.#cidrIds.get(prefix);
      if (want && have === undefined) {
        const labels = cidrIdentityLabels(prefix, dualStack);
        const id = this.#local.allocate(labels);
        this.#cidrIds.set(prefix, id);
        this.#ipcache.upsert(parsePrefix(prefix)!, id);
        delta.added.push({ id, labels });
      } else if (!want && have !== undefined) {
        this.#cidrIds.delete(prefix);
        this.#ipcache.delete(parsePrefix(prefix)!);
        this.#local.release(cidrIdentityLabels(prefix, dualStack));
        delta.removed.push(have);
      }
    }
    return delta;
  }

  /** IPs whose FQDN identity may be stale: those the DNS cache holds and those with an identity. */
  fqdnIps(): string[] {
    return [...new Set([...this.dns.ips(), ...this.#fqdnIds.keys()])];
  }

  /**
   * Gives each IP the identity its DNS names call for: `fqdn:<selector>` for every toFQDNs selector
   * matching one of its names, the world label, and the `cidr:` label of the longest policy prefix
   * containing it (mergeParentLabels). An IP no selector wants falls back to its CIDR or world
   * identity.
   */
  syncFqdns(ips: Iterable<string>, entries: readonly RuleEntry[], dualStack: boolean): IdentityDelta {
    const unique = new Set(ips);
    if (unique.size === 0) return { added: [], removed: [] };
    const selectors = new Map<string, (name: string) => boolean>();
    for (const e of entries) {
      for (const p of e.peers) {
        if (p.kind !== "fqdn") continue;
        const f = p.fqdn;
        const text = f.kind === "matchName" ? f.matchName : f.matchPattern;
        if (!selectors.has(text))
          selectors.set(text, f.kind === "matchName" ? (n) => matchesName(f.matchName, n) : compileDnsPattern(f.matchPattern));
      }
    }
    const delta: IdentityDelta = { added: [], removed: [] };
    for (const ip of unique) {
      const addr = parseIp(ip);
      if (addr === undefined) continue;
      const names = this.dns.namesOf(ip);
      const fqdnLabels = [...selectors].filter(([, m]) => names.some(m)).map(([text]): Label => ({ source: "fqdn", key: text, value: "" }));
      const old = this.#fqdnIds.get(ip);
      const host = { addr, bits: addr.bytes.length * 8 };
      let labels: LabelSet | undefined;
      if (fqdnLabels.length > 0) {
        const parent = [...this.#cidrIds.keys()]
          .map((c) => ({ c, p: parsePrefix(c)! }))
          .filter(({ p }) => prefixContains(p, addr))
          .sort((a, b) => b.p.bits - a.p.bits)[0];
        labels = LabelSet.of([
          ...fqdnLabels,
          worldLabel(addr.family, dualStack),
          ...(parent ? [{ source: "cidr", key: cidrKey(parent.c), value: "" }] : []),
        ]);
      }
      if (old !== undefined && old.labels.text === labels?.text) continue;
      if (old !== undefined) {
        this.#fqdnIds.delete(ip);
        if (this.#local.release(old.labels)) delta.removed.push(old.id);
        const cidrId = this.#cidrIds.get(hostPrefix(ip));
        if (cidrId !== undefined) this.#ipcache.upsert(host, cidrId);
        else this.#ipcache.delete(host);
      }
      if (labels !== undefined) {
        const known = this.#local.lookup(labels) !== undefined;
        const info = { id: this.#local.allocate(labels), labels };
        this.#fqdnIds.set(ip, info);
        this.#ipcache.upsert(host, info.id);
        if (!known) delta.added.push(info);
      }
    }
    const reused = new Set(delta.added.map((a) => a.id));
    return { added: delta.added, removed: delta.removed.filter((id) => !reused.has(id)) };
  }
}

function hostPrefix(ip: string): string {
  return `${ip}/${ip.includes(":") ? 128 : 32}`;
}
