import type { Cluster, Namespace, Node, Pod, Service } from "../cluster/types.ts";
import { InMemoryAllocator, type IdentityAllocator } from "../identity/allocator.ts";
import { RESERVED, type NumericIdentity } from "../identity/numeric-identity.ts";
import { IpCache } from "../ipcache/ipcache.ts";
import { LabelSet, type Label } from "../labels/label-set.ts";
import { parseIp, parsePrefix, prefixContains } from "../net/ip.ts";
import { DnsCache } from "../fqdn/dns-cache.ts";
import { compileDnsPattern, matchesName } from "../l7/dns-pattern.ts";
import { cidrKey } from "../selector/match.ts";
import type { Policy } from "../policy-api/types.ts";
import { namespacesOf, type IdentityInfo, type PeerContext } from "../policy/peer-selector.ts";
import { NamedPortIndex } from "../policy/named-ports.ts";
import { l7PolicyFor } from "../policy/l7-filter.ts";
import { resolveEndpoint, selectsSubject, type EndpointPolicy, type Subject } from "../policy/resolve.ts";
import type { L7Policy } from "../l7/l7-policy.ts";
import { SelectorCache, type SelectionChange } from "../policy/selector-cache.ts";
import { BugError } from "../result.ts";
import type { RuleEntry, RuleOrigin } from "../translate/rule-form.ts";
import { isAudited, originKey } from "./audit.ts";
import { translatePolicy } from "../translate/translate.ts";
import {
  cidrIdentityLabels,
  endpointLabels,
  hostLabels,
  isDualStack,
  remoteNodeIdentity,
  reservedIdentities,
  worldIdentity,
  worldLabel,
} from "./identities.ts";
import { diffMaps, type MapChange } from "./map-diff.ts";
import { DEFAULT_ENGINE_OPTIONS, type EngineOptions } from "./options.ts";

/** A pod endpoint: a pod that is not on the host network. */
export interface EndpointInfo {
  /** `namespace/name`. */
  readonly key: string;
  readonly pod: Pod;
  readonly identity: IdentityInfo;
}

/** What one change did to the programmed maps: every endpoint map change, at a new revision. */
export interface ChangeSet {
  readonly revision: number;
  readonly changes: readonly MapChange[];
  readonly endpointsAdded: readonly string[];
  readonly endpointsRemoved: readonly string[];
}

/** A policy's name as the repository keys it. */
export function policyKey(
  p: Pick<Policy, "kind"> & { readonly meta: { readonly namespace: string | null; readonly name: string } },
): string {
  return `${p.kind}/${p.meta.namespace ?? ""}/${p.meta.name}`;
}

/** The key under which #prefixRefs counts toServices peers (their selectorless backends need CIDR identities). */
const SERVICE_PEERS = "toServices";

const podKey = (p: { readonly namespace: string; readonly name: string }): string => `${p.namespace}/${p.name}`;

interface Resolution {
  readonly policy: EndpointPolicy;
  readonly users: Set<string>;
}

/**
 * The policy engine over one cluster: identities, the ipcache, the selector cache, the rule entries
 * of every policy, and each endpoint's resolved policy. Endpoints whose subject sees the same
 * applicable entries share one resolution (Cilium shares one selector policy per identity).
 *
 * It is incremental: `upsertPolicy`, `deletePolicy`, `upsertPod`, `deletePod`, `upsertNamespace`,
 * `upsertNode`, `upsertService` (and deletes) recompute only the endpoints a change affects and
 * return the map-state change sets an agent applies to the kernel.
 */
export class Engine {
  readonly options: EngineOptions;
  readonly cache = new SelectorCache();
  readonly #clusterName: string;
  readonly #namespaces = new Map<string, Namespace>();
  readonly #pods = new Map<string, Pod>();
  readonly #nodes = new Map<string, Node>();
  readonly #services = new Map<string, Service>();
  readonly #policies = new Map<string, Policy>();
  readonly #entriesOf = new Map<string, readonly RuleEntry[]>();
  readonly #allocator: IdentityAllocator = new InMemoryAllocator();
  readonly #local = InMemoryAllocator.local();
  readonly #endpoints = new Map<string, EndpointInfo>();
  readonly #byIp = new IpCache();
  readonly #endpointIps = new Map<string, string>();
  readonly #cidrIds = new Map<string, NumericIdentity>();
  readonly #resolutions = new Map<string, Resolution>();
  readonly #programmed = new Map<string, { key: string; policy: EndpointPolicy }>();
  readonly #localHosts = new Map<string, IdentityInfo>();
  readonly #dns: DnsCache;
  /** FQDN identities by IP: IPs a DNS answer gave for a name some toFQDNs selector matches. */
  readonly #fqdnIds = new Map<string, IdentityInfo>();
  #revision = 0;
  #clusterView: Cluster | undefined;
  /** Every entry, flattened in repository order; rebuilt on demand after a policy change. */
  #entries: RuleEntry[] | undefined = [];
  /** Each entry's place in repository order: a sequence number given when its policy was translated. */
  readonly #entryOrder = new Map<RuleEntry, number>();
  #nextOrder = 0;
  readonly #entriesByNamespace = new Map<string, RuleEntry[]>();
  #globalEntries: RuleEntry[] = [];
  /** Prefixes whose reference count changed since the last CIDR identity sync. */
  readonly #dirtyPrefixes = new Set<string>();
  readonly #namedPorts = new NamedPortIndex();
  /** Resolutions by the selectors their maps were built from, so a selection change finds its users. */
  readonly #selectorUsers = new Map<string, Set<string>>();
  /** Policy CIDR prefixes with how many entries name them. */
  readonly #prefixRefs = new Map<string, number>();
  /** Endpoints created and deleted during the current change. */
  #created = new Set<string>();
  #deleted = new Set<string>();
  #ctx: PeerContext;
  #apiServerIps: ReadonlySet<string> = new Set();

  constructor(cluster: Cluster, policies: readonly Policy[], options: EngineOptions = DEFAULT_ENGINE_OPTIONS) {
    this.options = options;
    this.#dns = new DnsCache(options.dns);
    this.#clusterName = cluster.name;
    for (const ns of cluster.namespaces.values()) this.#namespaces.set(ns.name, ns);
    for (const n of cluster.nodes) this.#nodes.set(n.name, n);
    for (const s of cluster.services) this.#services.set(podKey(s), s);
    for (const p of policies) this.#policies.set(policyKey(p), p);
    this.#ctx = this.#peerContext();
    this.#refreshClusterFacts();
    this.cache.upsertIdentities(reservedIdentities());
    // Allocate in label order, so the same cluster always gets the same numbers.
    const pods = [...cluster.pods].map((pod) => ({ pod, labels: endpointLabels(pod, cluster, options.semantics) }));
    pods.sort((a, b) => (a.labels.text < b.labels.text ? -1 : a.labels.text > b.labels.text ? 1 : 0));
    for (const { pod, labels } of pods) this.#addPod(pod, labels);
    this.#refreshClusterFacts();
    this.#ctx = this.#peerContext();
    for (const [key, p] of this.#policies) this.#setPolicyEntries(key, this.#translate(p));
    this.#syncCidrIdentities();
    this.#syncNodeIdentities();
  }

  // ------------------------------------------------------------------ queries

  /** The current cluster. */
  get cluster(): Cluster {
    this.#clusterView ??= {
      name: this.#clusterName,
      namespaces: this.#namespaces,
      pods: [...this.#pods.values()],
      nodes: [...this.#nodes.values()],
      services: [...this.#services.values()],
    };
    return this.#clusterView;
  }

  /** Every policy, by `Kind/namespace/name`. */
  get policies(): ReadonlyMap<string, Policy> {
    return this.#policies;
  }

  /** Every rule entry, in repository order. */
  get entries(): readonly RuleEntry[] {
    this.#entries ??= [...this.#entriesOf.values()].flat().sort((a, b) => this.#entryOrder.get(a)! - this.#entryOrder.get(b)!);
    return this.#entries;
  }

  /** The revision: it grows with every change. */
  get revision(): number {
    return this.#revision;
  }

  /** Every pod endpoint. */
  endpoints(): EndpointInfo[] {
    return [...this.#endpoints.values()];
  }

  /** One pod endpoint by `namespace/name`. */
  endpoint(key: string): EndpointInfo | undefined {
    return this.#endpoints.get(key);
  }

  /** The endpoint that owns an address, if any. */
  endpointByIp(ip: string): EndpointInfo | undefined {
    const key = this.#endpointIps.get(ip);
    return key === undefined ? undefined : this.#endpoints.get(key);
  }

  /** The identity an address has as seen from `localNode` (node addresses are relative to it). */
  identityOfIp(ip: string, localNode: string | null): IdentityInfo {
    const addr = parseIp(ip);
    if (addr === undefined) return this.#info(RESERVED.world);
    const node = [...this.#nodes.values()].find((n) => n.addresses.includes(ip));
    if (node !== undefined) return this.nodeIdentityFrom(node.name, localNode);
    const hit = this.#byIp.lookup(addr);
    return this.#info(hit?.id ?? worldIdentity(addr.family, this.#ctx.dualStack));
  }

  /** A node's host network as seen from `viewer`: `host` on itself, else remote-node or kube-apiserver. */
  nodeIdentityFrom(nodeName: string, viewer: string | null): IdentityInfo {
    const node = this.#nodes.get(nodeName);
    if (node === undefined) return this.#info(RESERVED.remoteNode);
    if (node.name === viewer) return this.localHostOf(node.name);
    const { reserved, labels } = remoteNodeIdentity(node, this.#runsApiServer(node), this.options.semantics);
    return labels === undefined ? this.#info(reserved) : { id: this.#local.lookup(labels) ?? reserved, labels };
  }

  /** The host identity (1) with the labels it has on `nodeName` (memoized per node). */
  localHostOf(nodeName: string | null): IdentityInfo {
    const key = nodeName ?? "";
    let info = this.#localHosts.get(key);
    if (info === undefined) {
      const node = nodeName === null ? undefined : this.#nodes.get(nodeName);
      info = { id: RESERVED.host, labels: hostLabels(node, node !== undefined && this.#runsApiServer(node)) };
      this.#localHosts.set(key, info);
    }
    return info;
  }

  /** Whether a drop at `ep` caused by rules of these origins passes in audit mode (see engine/audit.ts). */
  isAudited(ep: EndpointInfo | null, origins: readonly RuleOrigin[]): boolean {
    const keys = [...new Set(origins.map(originKey))];
    return isAudited({
      global: this.options.auditMode,
      namespace: ep === null ? undefined : this.#namespaces.get(ep.pod.namespace),
      pod: ep?.pod,
      policies: keys.map((k) => this.#policies.get(k)),
    });
  }

  /** A reserved identity with its labels. */
  reservedIdentity(id: NumericIdentity): IdentityInfo {
    return this.#info(id);
  }

  /** The resolved policy of a pod endpoint (computed on first use, then kept until a change affects it). */
  policyOf(ep: EndpointInfo): EndpointPolicy {
    const programmed = this.#programmed.get(ep.key);
    if (programmed !== undefined) return programmed.policy;
    const subject = this.#subjectOf(ep);
    const localHost = subject.localHost;
    const applicable = this.#candidateEntries(ep.pod.namespace).filter((e) => selectsSubject(e, subject));
    const ports = ep.pod.ports.map((p) => `${p.name}:${p.port}/${p.protocol}`).join(",");
    const init = ep.identity.labels.has("reserved", "init") ? "init" : "";
    const key = `${applicable.map((e) => this.#entryOrder.get(e)).join(",")}|${ports}|${init}|${localHost.labels.text}`;
    let resolution = this.#resolutions.get(key);
    if (resolution === undefined) {
      resolution = {
        policy: resolveEndpoint(subject, applicable, this.cache, this.#ctx, this.#namedPorts, this.options.resolve),
        users: new Set(),
      };
      this.#resolutions.set(key, resolution);
      for (const s of [...resolution.policy.ingress.selectors, ...resolution.policy.egress.selectors]) {
        let users = this.#selectorUsers.get(s);
        if (users === undefined) this.#selectorUsers.set(s, (users = new Set()));
        users.add(key);
      }
    }
    resolution.users.add(ep.key);
    this.#programmed.set(ep.key, { key, policy: resolution.policy });
    return resolution.policy;
  }

  /** What the L7 proxy enforces on a redirected connection to or from `ep` (see l7PolicyFor). */
  l7PolicyOf(ep: EndpointInfo, direction: "ingress" | "egress", peer: IdentityInfo, proto: number, port: number): L7Policy {
    return l7PolicyFor(
      direction,
      this.policyOf(ep)[direction],
      this.#subjectOf(ep),
      peer,
      proto,
      port,
      this.cache,
      this.#ctx,
      this.#namedPorts,
      this.options.resolve.allowLocalhost,
    );
  }

  #subjectOf(ep: EndpointInfo): Subject {
    return { identity: ep.identity, isHost: false, ports: ep.pod.ports, localHost: this.localHostOf(ep.pod.nodeName) };
  }

  /** The resolved host policy of a node (host firewall; not enforced unless it is enabled). */
  hostPolicyOf(nodeName: string): EndpointPolicy {
    const identity = this.localHostOf(nodeName);
    return resolveEndpoint(
      { identity, isHost: true, ports: [], localHost: identity },
      this.entries,
      this.cache,
      this.#ctx,
      this.#namedPorts,
      this.options.resolve,
    );
  }

  /** Computes every endpoint's maps (what an agent programs at start). */
  computeAll(): void {
    for (const ep of this.#endpoints.values()) this.policyOf(ep);
  }

  // ------------------------------------------------------------------ changes

  /** Adds or replaces a policy. */
  upsertPolicy(policy: Policy): ChangeSet {
    return this.#change(() => {
      const key = policyKey(policy);
      const before = this.#entriesOf.get(key) ?? [];
      const after = this.#translate(policy);
      this.#policies.set(key, policy);
      this.#setPolicyEntries(key, after);
      return this.#endpointsSelectedBy([...before, ...after]);
    });
  }

  /** Removes a policy by `Kind/namespace/name`. */
  deletePolicy(key: string): ChangeSet {
    return this.#change(() => {
      const before = this.#entriesOf.get(key) ?? [];
      this.#policies.delete(key);
      this.#setPolicyEntries(key, undefined);
      return this.#endpointsSelectedBy(before);
    });
  }

  /** Adds or replaces a pod (labels, ports, addresses). */
  upsertPod(pod: Pod): ChangeSet {
    return this.#change(() => {
      const key = podKey(pod);
      const old = this.#pods.get(key);
      const affected = new Set<string>([key]);
      const names = this.#namedPortMeanings(old, pod);
      if (old !== undefined) this.#removePod(old);
      this.#addPod(pod, endpointLabels(pod, this.cluster, this.options.semantics));
      this.#refreshNamedPorts(names, affected);
      return affected;
    });
  }

  /** Removes a pod. */
  deletePod(namespace: string, name: string): ChangeSet {
    return this.#change(() => {
      const old = this.#pods.get(`${namespace}/${name}`);
      const affected = new Set<string>([`${namespace}/${name}`]);
      if (old !== undefined) {
        const names = this.#namedPortMeanings(old);
        this.#removePod(old);
        this.#refreshNamedPorts(names, affected);
      }
      return affected;
    });
  }

  /** Adds or replaces a namespace: its labels are part of every pod identity in it. */
  upsertNamespace(ns: Namespace): ChangeSet {
    return this.#change(() => {
      this.#namespaces.set(ns.name, ns);
      const affected = new Set<string>();
      for (const pod of [...this.#pods.values()].filter((p) => p.namespace === ns.name)) {
        this.#removePod(pod);
        this.#addPod(pod, endpointLabels(pod, this.cluster, this.options.semantics));
        affected.add(podKey(pod));
      }
      return affected;
    });
  }

  /** Adds or replaces a node: host identities and node addresses change, so every endpoint is revisited. */
  upsertNode(node: Node): ChangeSet {
    return this.#change(() => {
      this.#nodes.set(node.name, node);
      return this.#nodesChanged();
    });
  }

  /** Removes a node. */
  deleteNode(name: string): ChangeSet {
    return this.#change(() => {
      this.#nodes.delete(name);
      return this.#nodesChanged();
    });
  }

  /** Adds or replaces a service: toServices selectors and CIDRs of selectorless backends follow it. */
  upsertService(svc: Service): ChangeSet {
    return this.#change(() => {
      this.#services.set(podKey(svc), svc);
      return this.#servicesChanged();
    });
  }

  /**
   * Records a DNS answer that passed the DNS proxy (§8.5): the IPs become FQDN identities for every
   * toFQDNs selector matching the name, so egress opens for exactly them. `now` is in seconds.
   */
  learnDnsAnswer(name: string, ips: readonly string[], ttlSeconds: number, now: number): ChangeSet {
    return this.#change(() => {
      this.#syncFqdnIdentities(this.#dns.learn(name, ips, ttlSeconds, now));
      return new Set();
    });
  }

  /** Expires DNS answers past their TTL (keeping IPs in `inUse`); their FQDN allows close. */
  expireDns(now: number, inUse: ReadonlySet<string> = new Set()): ChangeSet {
    return this.#change(() => {
      this.#syncFqdnIdentities(this.#dns.expire(now, inUse));
      return new Set();
    });
  }

  /** The names the DNS cache holds for an IP. */
  dnsNamesOf(ip: string): string[] {
    return this.#dns.namesOf(ip);
  }

  /** Removes a service. */
  deleteService(namespace: string, name: string): ChangeSet {
    return this.#change(() => {
      this.#services.delete(`${namespace}/${name}`);
      return this.#servicesChanged();
    });
  }

  /**
   * Runs a change, then recomputes the endpoints it affected directly and those whose maps used a
   * selector whose selection changed, and diffs their maps against what was programmed.
   */
  #change(apply: () => Set<string>): ChangeSet {
    this.#clusterView = undefined;
    this.#created = new Set();
    this.#deleted = new Set();
    const selectionChanges: SelectionChange[] = (this.#selectionChanges = []);
    const affected = apply();
    this.#syncCidrIdentities();
    // toFQDNs selectors come and go with policies: re-label every IP the DNS cache holds.
    if (this.#fqdnIds.size > 0 || this.#dns.ips().size > 0) this.#syncFqdnIdentities([...this.#dns.ips(), ...this.#fqdnIds.keys()]);
    this.#selectionChanges = undefined;
    for (const c of selectionChanges) {
      for (const key of [...(this.#selectorUsers.get(c.selector) ?? [])]) {
        const r = this.#resolutions.get(key);
        if (r !== undefined) this.#dropResolution(key, r, affected);
      }
    }
    const changes: MapChange[] = [];
    // Endpoints that move between the same two resolutions share one diff.
    const diffs = new Map<EndpointPolicy | undefined, Map<EndpointPolicy | undefined, readonly MapChange[]>>();
    for (const key of affected) {
      const before = this.#programmed.get(key);
      if (before !== undefined) {
        const r = this.#resolutions.get(before.key);
        r?.users.delete(key);
        if (r !== undefined && r.users.size === 0) this.#dropResolution(before.key, r, new Set());
        this.#programmed.delete(key);
      }
      const ep = this.#endpoints.get(key);
      const after = ep === undefined ? undefined : this.policyOf(ep);
      if (before?.policy === after) continue;
      let byAfter = diffs.get(before?.policy);
      if (byAfter === undefined) diffs.set(before?.policy, (byAfter = new Map()));
      let d = byAfter.get(after);
      if (d === undefined) {
        d = (["ingress", "egress"] as const).flatMap((dir) => diffMaps("", dir, before?.policy[dir].map, after?.[dir].map) ?? []);
        byAfter.set(after, d);
      }
      for (const c of d) changes.push({ ...c, endpoint: key });
    }
    return { revision: ++this.#revision, changes, endpointsAdded: [...this.#created], endpointsRemoved: [...this.#deleted] };
  }

  /** Selection changes collected while a change runs (undefined outside one). */
  #selectionChanges: SelectionChange[] | undefined;

  #upsertIdentities(infos: IdentityInfo[]): void {
    const changes = this.cache.upsertIdentities(infos);
    this.#selectionChanges?.push(...changes);
  }

  #removeIdentities(ids: NumericIdentity[]): void {
    const changes = this.cache.removeIdentities(ids);
    this.#selectionChanges?.push(...changes);
  }

  #addPod(pod: Pod, labels: LabelSet): void {
    const key = podKey(pod);
    this.#pods.set(key, pod);
    this.#namedPorts.update(pod.ports, 1);
    this.#clusterView = undefined;
    if (pod.hostNetwork) return;
    if (!this.#deleted.delete(key)) this.#created.add(key);
    const known = this.#allocator.lookup(labels) !== undefined;
    const id = this.#allocator.allocate(labels);
    const identity = { id, labels };
    if (!known) this.#upsertIdentities([identity]);
    this.#endpoints.set(key, { key, pod, identity });
    for (const ip of pod.ips) {
      const a = parseIp(ip);
      if (a !== undefined) this.#byIp.upsert({ addr: a, bits: a.bytes.length * 8 }, id);
      this.#endpointIps.set(ip, key);
    }
  }

  #removePod(pod: Pod): void {
    const key = podKey(pod);
    this.#pods.delete(key);
    this.#namedPorts.update(pod.ports, -1);
    this.#clusterView = undefined;
    const ep = this.#endpoints.get(key);
    if (ep === undefined) return;
    this.#endpoints.delete(key);
    if (!this.#created.delete(key)) this.#deleted.add(key);
    for (const ip of pod.ips) {
      const a = parseIp(ip);
      if (a !== undefined) this.#byIp.delete({ addr: a, bits: a.bytes.length * 8 });
      if (this.#endpointIps.get(ip) === key) this.#endpointIps.delete(ip);
    }
    if (this.#allocator.release(ep.identity.labels)) this.#removeIdentities([ep.identity.id]);
  }

  /**
   * Egress named ports resolve against every pod (§6.3): when what a name means cluster-wide
   * changes, the resolutions whose egress rules use that name are recomputed.
   */
  #refreshNamedPorts(names: ReadonlyMap<string, string>, affected: Set<string>): void {
    const changed = [...names].filter(([n, before]) => this.#namedPorts.meaning(n) !== before).map(([n]) => n);
    if (changed.length === 0) return;
    for (const [key, r] of this.#resolutions) {
      const uses = r.policy.egress.entries.some(
        (e) => e.ports !== "all" && e.ports.some((pr) => pr.ports.some((s) => s.port.kind === "named" && changed.includes(s.port.name))),
      );
      if (uses) this.#dropResolution(key, r, affected);
    }
  }

  /** What each named port of these pods means now (to compare after the change). */
  #namedPortMeanings(...pods: (Pod | undefined)[]): Map<string, string> {
    const names = pods.flatMap((p) => (p?.ports ?? []).flatMap((x) => (x.name === null ? [] : [x.name])));
    return new Map(names.map((n) => [n, this.#namedPorts.meaning(n)]));
  }

  /** Forgets a resolution; its users are recomputed. */
  #dropResolution(key: string, r: Resolution, affected: Set<string>): void {
    for (const u of r.users) affected.add(u);
    this.#resolutions.delete(key);
    for (const s of [...r.policy.ingress.selectors, ...r.policy.egress.selectors]) this.#selectorUsers.get(s)?.delete(key);
  }

  #nodesChanged(): Set<string> {
    this.#localHosts.clear();
    this.#refreshClusterFacts();
    this.#syncNodeIdentities();
    return this.#dropAllResolutions();
  }

  #servicesChanged(): Set<string> {
    this.#refreshClusterFacts();
    this.#ctx = this.#peerContext();
    return this.#dropAllResolutions();
  }

  #dropAllResolutions(): Set<string> {
    this.#resolutions.clear();
    this.#selectorUsers.clear();
    return new Set(this.#programmed.keys());
  }

  #refreshClusterFacts(): void {
    const api = this.#services.get("default/kubernetes");
    this.#apiServerIps = new Set(api?.endpointAddresses ?? []);
  }

  #peerContext(): PeerContext {
    const dualStack = isDualStack([
      ...[...this.#pods.values()].flatMap((p) => p.ips),
      ...[...this.#nodes.values()].flatMap((n) => n.addresses),
    ]);
    return { clusterName: this.#clusterName, dualStack, services: [...this.#services.values()], semantics: this.options.semantics };
  }

  #runsApiServer(node: Node): boolean {
    return node.addresses.some((a) => this.#apiServerIps.has(a));
  }

  #info(id: NumericIdentity): IdentityInfo {
    const info = this.cache.identity(id);
    if (info === undefined) throw new BugError(`identity ${id} is not in the selector cache`);
    return info;
  }

  #translate(p: Policy): RuleEntry[] {
    const entries = translatePolicy(p, this.options.translation);
    if (this.options.semantics === "cilium" || p.kind !== "NetworkPolicy" || p.spec.policyTypes === null) return entries;
    // Upstream: a direction missing from policyTypes is not affected by the policy at all.
    return entries.filter((e) => p.spec.policyTypes!.includes(e.direction === "ingress" ? "Ingress" : "Egress"));
  }

  /** Replaces one policy's entries (undefined removes them), keeping indexes and prefix counts. */
  #setPolicyEntries(key: string, entries: readonly RuleEntry[] | undefined): void {
    const old = this.#entriesOf.get(key) ?? [];
    this.#countPrefixes(old, -1);
    if (old.length > 0) {
      const gone = new Set(old);
      this.#globalEntries = this.#globalEntries.filter((e) => !gone.has(e));
      for (const e of old) {
        for (const ns of this.#namespacesOf(e) ?? []) {
          const list = this.#entriesByNamespace.get(ns)?.filter((x) => !gone.has(x)) ?? [];
          if (list.length > 0) this.#entriesByNamespace.set(ns, list);
          else this.#entriesByNamespace.delete(ns);
        }
        this.#entryOrder.delete(e);
      }
    }
    if (entries === undefined) this.#entriesOf.delete(key);
    else {
      this.#entriesOf.set(key, entries);
      this.#countPrefixes(entries, 1);
      for (const e of entries) {
        // New entries get the highest order numbers, so pushing keeps every list in order.
        this.#entryOrder.set(e, this.#nextOrder++);
        const namespaces = this.#namespacesOf(e);
        if (namespaces === null) this.#globalEntries.push(e);
        for (const ns of namespaces ?? []) {
          let list = this.#entriesByNamespace.get(ns);
          if (list === undefined) this.#entriesByNamespace.set(ns, (list = []));
          list.push(e);
        }
      }
    }
    this.#entries = undefined;
  }

  #namespacesOf(e: RuleEntry): readonly string[] | null {
    return e.subject.kind === "endpoints" ? namespacesOf(e.subject.selector.requirements) : null;
  }

  /** Counts the prefixes entries name (a CIDR and its excepts, §5.4), and their toServices peers. */
  #countPrefixes(entries: readonly RuleEntry[], delta: 1 | -1): void {
    for (const e of entries) {
      for (const p of e.peers) {
        const prefixes = p.kind === "cidr" ? [p.cidr, ...p.except] : p.kind === "service" ? [SERVICE_PEERS] : [];
        for (const c of prefixes) {
          this.#dirtyPrefixes.add(c);
          const n = (this.#prefixRefs.get(c) ?? 0) + delta;
          if (n > 0) this.#prefixRefs.set(c, n);
          else this.#prefixRefs.delete(c);
        }
      }
    }
  }

  /** The entries that may select a pod of `namespace`, in repository order. */
  #candidateEntries(namespace: string): readonly RuleEntry[] {
    const pinned = this.#entriesByNamespace.get(namespace) ?? [];
    if (pinned.length === 0) return this.#globalEntries;
    if (this.#globalEntries.length === 0) return pinned;
    return [...pinned, ...this.#globalEntries].sort((a, b) => this.#entryOrder.get(a)! - this.#entryOrder.get(b)!);
  }

  /** The endpoints whose subject selectors match any of `entries` (the endpoints a policy change touches). */
  #endpointsSelectedBy(entries: readonly RuleEntry[]): Set<string> {
    const out = new Set<string>();
    if (entries.length === 0) return out;
    const pinned = entries.map((e) => (e.subject.kind === "endpoints" ? namespacesOf(e.subject.selector.requirements) : null));
    const namespaces = pinned.every((n) => n !== null) ? new Set(pinned.flat()) : null;
    for (const ep of this.#endpoints.values()) {
      if (namespaces !== null && !namespaces.has(ep.pod.namespace)) continue;
      const subject = { identity: ep.identity, isHost: false, ports: ep.pod.ports, localHost: this.localHostOf(ep.pod.nodeName) };
      if (entries.some((e) => selectsSubject(e, subject))) out.add(ep.key);
    }
    return out;
  }

  /** Every CIDR a policy names (with its excepts, §5.4) and every selectorless service backend gets a local identity. */
  #syncCidrIdentities(): void {
    const backends = this.#serviceBackendPrefixes();
    // Service backends come and go with services and toServices peers: look at all of them; for
    // policy CIDRs only at the prefixes whose counts changed.
    const candidates = new Set([
      ...this.#dirtyPrefixes,
      ...backends,
      ...[...this.#cidrIds.keys()].filter((p) => this.#backendPrefixes.has(p)),
    ]);
    this.#backendPrefixes = backends;
    this.#dirtyPrefixes.clear();
    candidates.delete(SERVICE_PEERS);
    const added: IdentityInfo[] = [];
    const removed: NumericIdentity[] = [];
    for (const prefix of [...candidates].sort()) {
      const want = ((this.#prefixRefs.get(prefix) ?? 0) > 0 || backends.has(prefix)) && parsePrefix(prefix)!.bits > 0;
      const have = this.#cidrIds.get(prefix);
      if (want && have === undefined) {
        const labels = cidrIdentityLabels(prefix, this.#ctx.dualStack);
        const id = this.#local.allocate(labels);
        this.#cidrIds.set(prefix, id);
        this.#byIp.upsert(parsePrefix(prefix)!, id);
        added.push({ id, labels });
      } else if (!want && have !== undefined) {
        this.#cidrIds.delete(prefix);
        this.#byIp.delete(parsePrefix(prefix)!);
        this.#local.release(cidrIdentityLabels(prefix, this.#ctx.dualStack));
        removed.push(have);
      }
    }
    if (added.length > 0) this.#upsertIdentities(added);
    if (removed.length > 0) this.#removeIdentities(removed);
  }

  /** The prefixes selectorless services' backends need while some rule has a toServices peer. */
  #serviceBackendPrefixes(): Set<string> {
    const out = new Set<string>();
    if ((this.#prefixRefs.get(SERVICE_PEERS) ?? 0) === 0) return out;
    for (const svc of this.#services.values()) {
      if (svc.selector === null) for (const ip of svc.endpointAddresses) out.add(`${ip}/${ip.includes(":") ? 128 : 32}`);
    }
    return out;
  }

  #backendPrefixes = new Set<string>();

  /**
   * Gives each IP the identity its DNS names call for (§5.4): `fqdn:<selector>` for every toFQDNs
   * selector matching one of its names, the world label, and the `cidr:` label of the longest policy
   * prefix containing it. An IP no selector wants falls back to its CIDR or world identity.
   */
  #syncFqdnIdentities(ips: Iterable<string>): void {
    const selectors = new Map<string, (name: string) => boolean>();
    for (const e of this.entries) {
      for (const p of e.peers) {
        if (p.kind !== "fqdn") continue;
        const f = p.fqdn;
        const text = f.kind === "matchName" ? f.matchName : f.matchPattern;
        if (!selectors.has(text))
          selectors.set(text, f.kind === "matchName" ? (n) => matchesName(f.matchName, n) : compileDnsPattern(f.matchPattern));
      }
    }
    const added: IdentityInfo[] = [];
    const removed: NumericIdentity[] = [];
    for (const ip of new Set(ips)) {
      const addr = parseIp(ip);
      if (addr === undefined) continue;
      const names = this.#dns.namesOf(ip);
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
          worldLabel(addr.family, this.#ctx.dualStack),
          ...(parent ? [{ source: "cidr", key: cidrKey(parent.c), value: "" }] : []),
        ]);
      }
      if (old !== undefined && old.labels.text === labels?.text) continue;
      if (old !== undefined) {
        this.#fqdnIds.delete(ip);
        if (this.#local.release(old.labels)) removed.push(old.id);
        const cidrId = this.#cidrIds.get(`${ip}/${host.bits}`);
        if (cidrId !== undefined) this.#byIp.upsert(host, cidrId);
        else this.#byIp.delete(host);
      }
      if (labels !== undefined) {
        const known = this.#local.lookup(labels) !== undefined;
        const info = { id: this.#local.allocate(labels), labels };
        this.#fqdnIds.set(ip, info);
        this.#byIp.upsert(host, info.id);
        if (!known) added.push(info);
      }
    }
    if (added.length > 0) this.#upsertIdentities(added);
    if (removed.length > 0) this.#removeIdentities(removed.filter((id) => !added.some((a) => a.id === id)));
  }

  /** Under Kubernetes semantics remote nodes have their own identities (with `cidr:` labels). */
  #syncNodeIdentities(): void {
    const infos: IdentityInfo[] = [];
    for (const node of this.#nodes.values()) {
      const { labels } = remoteNodeIdentity(node, this.#runsApiServer(node), this.options.semantics);
      if (labels !== undefined) infos.push({ id: this.#local.lookup(labels) ?? this.#local.allocate(labels), labels });
    }
    if (infos.length > 0) this.#upsertIdentities(infos);
  }
}
