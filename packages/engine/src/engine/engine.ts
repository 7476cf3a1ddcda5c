import type { Cluster, Namespace, Node, Pod, Service } from "../cluster/types.ts";
import { InMemoryAllocator, type IdentityAllocator } from "../identity/allocator.ts";
import { RESERVED, type NumericIdentity } from "../identity/numeric-identity.ts";
import { IpCache } from "../ipcache/ipcache.ts";
import type { LabelSet } from "../labels/label-set.ts";
import { parseIp, parsePrefix, type IpPrefix } from "../net/ip.ts";
import type { Policy } from "../policy-api/types.ts";
import type { IdentityInfo, PeerContext } from "../policy/peer-selector.ts";
import { NamedPortIndex } from "../policy/named-ports.ts";
import { l7PolicyFor } from "../policy/l7-filter.ts";
import type { PolicyEntry } from "../policy/map-state.ts";
import { resolveEndpoint, selectsSubject, type EndpointPolicy, type Subject } from "../policy/resolve.ts";
import type { L7Policy } from "../l7/l7-policy.ts";
import { SelectorCache, type SelectionChange } from "../policy/selector-cache.ts";
import { BugError } from "../result.ts";
import type { RuleEntry, RuleOrigin } from "../translate/rule-form.ts";
import { auditedPolicyKeys, isAudited } from "./audit.ts";
import { sameValue } from "./same-value.ts";
import { EntryIndex, pinnedNamespaces } from "./entry-index.ts";
import { WorldIdentities, type IdentityDelta } from "./world-identities.ts";
import { translatePolicy } from "../translate/translate.ts";
import { endpointLabels, hostLabels, isDualStack, remoteNodeIdentity, reservedIdentities, worldIdentity } from "./identities.ts";
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
  /** The keys of the policies in audit mode, once asked for (forgotten at every policy change). */
  #auditedPolicies: Set<string> | null = null;
  readonly #allocator: IdentityAllocator = new InMemoryAllocator();
  readonly #local = InMemoryAllocator.local();
  readonly #endpoints = new Map<string, EndpointInfo>();
  /** The endpoints of each namespace by pod name (a namespaced policy change looks only there). */
  readonly #endpointsIn = new Map<string, Map<string, EndpointInfo>>();
  readonly #byIp = new IpCache();
  readonly #endpointIps = new Map<string, string>();
  readonly #resolutions = new Map<string, Resolution>();
  readonly #programmed = new Map<string, { key: string; policy: EndpointPolicy }>();
  readonly #localHosts = new Map<string, IdentityInfo>();
  readonly #world: WorldIdentities;
  readonly #index = new EntryIndex();
  #revision = 0;
  #clusterView: Cluster | undefined;
  readonly #namedPorts = new NamedPortIndex();
  /** Resolutions by the selectors their maps were built from, so a selection change finds its users. */
  readonly #selectorUsers = new Map<string, Set<string>>();
  /** Endpoints created and deleted during the current change. */
  #created = new Set<string>();
  #deleted = new Set<string>();
  #ctx: PeerContext;
  #apiServerIps: ReadonlySet<string> = new Set();
  /** Grows when nodes or services change: what ipcacheFrom shows of node addresses depends on them. */
  #factsVersion = 0;

  constructor(cluster: Cluster, policies: readonly Policy[], options: EngineOptions = DEFAULT_ENGINE_OPTIONS) {
    this.options = options;
    this.#world = new WorldIdentities(this.#local, this.#byIp, options.dns);
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
    return this.#index.all();
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

  /** One pod endpoint by namespace and name (no key to build: `membrane test` asks this per case). */
  endpointIn(namespace: string, name: string): EndpointInfo | undefined {
    return this.#endpointsIn.get(namespace)?.get(name);
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

  /** Changes whenever ipcacheFrom's answer may: an agent skips re-syncing its ipcache while it stays the same. */
  get ipcacheRevision(): string {
    return `${this.#byIp.version}.${this.#factsVersion}`;
  }

  /**
   * The ipcache as the datapath of `localNode` needs it: every pod, CIDR and FQDN prefix with its
   * identity, each node address as that node is seen from here (host, remote-node,
   * kube-apiserver), and the default routes as world (world-ipv4/-ipv6 in dual-stack, §7.1).
   */
  ipcacheFrom(localNode: string | null): { readonly prefix: IpPrefix; readonly identity: NumericIdentity }[] {
    const out: { prefix: IpPrefix; identity: NumericIdentity }[] = [];
    for (const family of [4, 6] as const)
      out.push({
        prefix: { addr: { family, bytes: new Uint8Array(family === 4 ? 4 : 16) }, bits: 0 },
        identity: worldIdentity(family, this.#ctx.dualStack),
      });
    for (const e of this.#byIp.entries()) out.push({ prefix: parsePrefix(e.prefix)!, identity: e.id });
    for (const node of this.#nodes.values()) {
      const id = this.nodeIdentityFrom(node.name, localNode).id;
      for (const text of node.addresses) {
        const addr = parseIp(text);
        if (addr !== undefined) out.push({ prefix: { addr, bits: addr.bytes.length * 8 }, identity: id });
      }
    }
    return out;
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
    return this.#audited(ep, origins, this.options.auditMode);
  }

  /** `global`: the agent-wide flag applies (it does to L3/L4 drops, never to L7 denials: §9). */
  #audited(ep: EndpointInfo | null, origins: readonly RuleOrigin[], global: boolean): boolean {
    return isAudited({
      global,
      namespace: ep === null ? undefined : this.#namespaces.get(ep.pod.namespace),
      pod: ep?.pod,
      origins,
      auditedPolicies: (this.#auditedPolicies ??= auditedPolicyKeys(this.#policies)),
    });
  }

  /** Whether `ep`'s drops for want of an allow in `direction` are audited (by the policies that made it default deny). */
  defaultDenyAudited(ep: EndpointInfo, direction: "ingress" | "egress"): boolean {
    const e = this.policyOf(ep)[direction].enforcement;
    return "by" in e && this.isAudited(ep, [...e.by]);
  }

  /** Whether a deny entry of `ep`'s map is in audit mode (its rules' policies, or the endpoint's own mode). */
  entryAudited(ep: EndpointInfo, entry: PolicyEntry): boolean {
    return (
      entry.deny &&
      this.isAudited(
        ep,
        entry.derivedFrom.flatMap((d) => (d.kind === "rule" ? [d.origin] : [])),
      )
    );
  }

  /**
   * Whether the proxy lets a request it would deny pass, reported AUDIT: the redirect entry of
   * `ep`'s map for (peer, proto, port) comes from policies in audit mode, or `ep` or its namespace
   * is marked. Cilium's agent-wide audit mode leaves L7 rules enforced (§9), and so does
   * membrane's `--policy-audit-mode`.
   */
  l7Audited(ep: EndpointInfo, direction: "ingress" | "egress", peer: NumericIdentity, proto: number, port: number): boolean {
    const hit = this.policyOf(ep)[direction].map.lookup(peer, proto, port);
    if (hit.kind !== "match" || hit.entry.proxyPort === 0) return false;
    return this.#audited(
      ep,
      hit.entry.derivedFrom.flatMap((d) => (d.kind === "rule" ? [d.origin] : [])),
      false,
    );
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
    const applicable = this.#index.candidates(ep.pod.namespace).filter((e) => selectsSubject(e, subject));
    const ports = ep.pod.ports.map((p) => `${p.name}:${p.port}/${p.protocol}`).join(",");
    const init = ep.identity.labels.has("reserved", "init") ? "init" : "";
    const key = `${applicable.map((e) => this.#index.order(e)).join(",")}|${ports}|${init}|${localHost.labels.text}`;
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
      // The same policy again (a reload of unchanged files) changes nothing.
      if (sameValue(this.#policies.get(key), policy)) return new Set<string>();
      const after = this.#translate(policy);
      this.#policies.set(key, policy);
      this.#auditedPolicies = null;
      const before = this.#setPolicyEntries(key, after);
      return this.#endpointsSelectedBy([...before, ...after]);
    });
  }

  /** Removes a policy by `Kind/namespace/name`. */
  deletePolicy(key: string): ChangeSet {
    return this.#change(() => {
      this.#policies.delete(key);
      this.#auditedPolicies = null;
      return this.#endpointsSelectedBy(this.#setPolicyEntries(key, undefined));
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
      this.#syncFqdnIdentities(this.#world.dns.learn(name, ips, ttlSeconds, now));
      return new Set();
    });
  }

  /** Expires DNS answers past their TTL (keeping IPs in `inUse`); their FQDN allows close. */
  expireDns(now: number, inUse: ReadonlySet<string> = new Set()): ChangeSet {
    return this.#change(() => {
      this.#syncFqdnIdentities(this.#world.dns.expire(now, inUse));
      return new Set();
    });
  }

  /** The names the DNS cache holds for an IP. */
  dnsNamesOf(ip: string): string[] {
    return this.#world.dns.namesOf(ip);
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
    this.#syncFqdnIdentities(this.#world.fqdnIps());
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
    const ep = { key, pod, identity };
    this.#endpoints.set(key, ep);
    let inNamespace = this.#endpointsIn.get(pod.namespace);
    if (inNamespace === undefined) this.#endpointsIn.set(pod.namespace, (inNamespace = new Map()));
    inNamespace.set(pod.name, ep);
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
    this.#endpointsIn.get(pod.namespace)?.delete(pod.name);
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
    this.#factsVersion++;
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

  /** Replaces one policy's entries (undefined removes them), keeping prefix counts; returns the old ones. */
  #setPolicyEntries(key: string, entries: readonly RuleEntry[] | undefined): readonly RuleEntry[] {
    const old = this.#index.set(key, entries);
    this.#world.count(old, -1);
    if (entries !== undefined) this.#world.count(entries, 1);
    return old;
  }

  /** The endpoints whose subject selectors match any of `entries` (the endpoints a policy change touches). */
  #endpointsSelectedBy(entries: readonly RuleEntry[]): Set<string> {
    const out = new Set<string>();
    if (entries.length === 0) return out;
    const pinned = entries.map(pinnedNamespaces);
    const namespaces = pinned.every((n) => n !== null) ? new Set(pinned.flat()) : null;
    const candidates =
      namespaces === null ? this.#endpoints.values() : [...namespaces].flatMap((ns) => [...(this.#endpointsIn.get(ns)?.values() ?? [])]);
    // Subject selection depends on the identity's labels alone: decide once per identity.
    const selected = new Map<NumericIdentity, boolean>();
    for (const ep of candidates) {
      let hit = selected.get(ep.identity.id);
      if (hit === undefined) {
        const subject = { identity: ep.identity, isHost: false };
        hit = entries.some((e) => selectsSubject(e, subject));
        selected.set(ep.identity.id, hit);
      }
      if (hit) out.add(ep.key);
    }
    return out;
  }

  /** Every policy CIDR (with its excepts) and selectorless service backend gets a local identity (§5.4). */
  #syncCidrIdentities(): void {
    this.#applyDelta(this.#world.syncCidrs(this.#services.values(), this.#ctx.dualStack));
  }

  /** IPs from DNS answers get FQDN identities for the toFQDNs selectors matching their names (§8.5). */
  #syncFqdnIdentities(ips: Iterable<string>): void {
    this.#applyDelta(this.#world.syncFqdns(ips, this.entries, this.#ctx.dualStack));
  }

  #applyDelta(delta: IdentityDelta): void {
    if (delta.added.length > 0) this.#upsertIdentities(delta.added);
    if (delta.removed.length > 0) this.#removeIdentities(delta.removed);
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
