import type { Cluster, Node, Pod } from "../cluster/types.ts";
import { BugError } from "../result.ts";
import { InMemoryAllocator } from "../identity/allocator.ts";
import { RESERVED, type NumericIdentity } from "../identity/numeric-identity.ts";
import { IpCache } from "../ipcache/ipcache.ts";
import { parseIp, parsePrefix } from "../net/ip.ts";
import type { Policy } from "../policy-api/types.ts";
import { namespacesOf, type IdentityInfo, type PeerContext } from "../policy/peer-selector.ts";
import { collectNamedPorts, resolveEndpoint, selectsSubject, type ClusterNamedPorts, type EndpointPolicy } from "../policy/resolve.ts";
import { SelectorCache } from "../policy/selector-cache.ts";
import type { RuleEntry } from "../translate/rule-form.ts";
import { translatePolicy } from "../translate/translate.ts";
import {
  cidrIdentityLabels,
  endpointLabels,
  hostLabels,
  isDualStack,
  remoteNodeIdentity,
  reservedIdentities,
  worldIdentity,
} from "./identities.ts";
import { DEFAULT_ENGINE_OPTIONS, type EngineOptions } from "./options.ts";

/** A pod endpoint: a pod that is not on the host network. */
export interface EndpointInfo {
  /** `namespace/name`. */
  readonly key: string;
  readonly pod: Pod;
  readonly identity: IdentityInfo;
}

/** A policy's name as the repository keys it. */
export function policyKey(
  p: Pick<Policy, "kind"> & { readonly meta: { readonly namespace: string | null; readonly name: string } },
): string {
  return `${p.kind}/${p.meta.namespace ?? ""}/${p.meta.name}`;
}

/**
 * The policy engine over one cluster: identities, the ipcache, the selector cache, the rule
 * entries of every policy, and each endpoint's resolved policy (computed on demand and cached per
 * identity and named-port set, as Cilium caches per identity).
 */
export class Engine {
  readonly options: EngineOptions;
  readonly cluster: Cluster;
  readonly policies: ReadonlyMap<string, Policy>;
  readonly entries: readonly RuleEntry[];
  readonly cache = new SelectorCache();
  readonly #allocator = new InMemoryAllocator();
  readonly #local = InMemoryAllocator.local();
  readonly #endpoints = new Map<string, EndpointInfo>();
  readonly #byIp = new IpCache();
  readonly #resolved = new Map<string, EndpointPolicy>();
  readonly #apiServerIps: ReadonlySet<string>;
  readonly #ctx: PeerContext;
  readonly #namedPorts: ClusterNamedPorts;
  readonly #dualStack: boolean;
  /** Entries whose subject is pinned to a namespace, by namespace; the rest apply anywhere. */
  readonly #entriesByNamespace = new Map<string, RuleEntry[]>();
  readonly #globalEntries: RuleEntry[] = [];
  readonly #entryOrder = new Map<RuleEntry, number>();
  readonly #localHosts = new Map<string, IdentityInfo>();

  constructor(cluster: Cluster, policies: readonly Policy[], options: EngineOptions = DEFAULT_ENGINE_OPTIONS) {
    this.options = options;
    this.cluster = cluster;
    this.policies = new Map(policies.map((p) => [policyKey(p), p]));
    this.entries = policies.flatMap((p) => this.#translate(p));
    this.#indexEntries();
    this.#dualStack = isDualStack(cluster);
    this.#ctx = { clusterName: cluster.name, dualStack: this.#dualStack, services: cluster.services, semantics: options.semantics };
    this.#namedPorts = collectNamedPorts(cluster.pods);
    const api = cluster.services.find((s) => s.namespace === "default" && s.name === "kubernetes");
    this.#apiServerIps = new Set(api?.endpointAddresses ?? []);
    const infos: IdentityInfo[] = [...reservedIdentities()];
    // Allocate in label order, so the same cluster always gets the same numbers.
    const pods = cluster.pods.filter((p) => !p.hostNetwork);
    const labelled = pods
      .map((pod) => ({ pod, labels: endpointLabels(pod, cluster, options.semantics) }))
      .sort((a, b) => (a.labels.text < b.labels.text ? -1 : a.labels.text > b.labels.text ? 1 : 0));
    const seen = new Set<NumericIdentity>();
    for (const { pod, labels } of labelled) {
      const id = this.#allocator.allocate(labels);
      const identity = { id, labels };
      if (!seen.has(id)) infos.push(identity);
      seen.add(id);
      const key = `${pod.namespace}/${pod.name}`;
      this.#endpoints.set(key, { key, pod, identity });
      for (const ip of pod.ips) {
        const a = parseIp(ip);
        if (a !== undefined) this.#byIp.upsert({ addr: a, bits: a.bytes.length * 8 }, id);
      }
    }
    for (const prefix of this.#policyPrefixes()) {
      const labels = cidrIdentityLabels(prefix, this.#dualStack);
      const id = this.#local.allocate(labels);
      this.#byIp.upsert(parsePrefix(prefix)!, id);
      infos.push({ id, labels });
    }
    for (const node of cluster.nodes) {
      const { labels } = remoteNodeIdentity(node, this.#runsApiServer(node), options.semantics);
      if (labels !== undefined) infos.push({ id: this.#local.allocate(labels), labels });
    }
    this.cache.upsertIdentities(infos);
  }

  #runsApiServer(node: Node): boolean {
    return node.addresses.some((a) => this.#apiServerIps.has(a));
  }

  #translate(p: Policy): RuleEntry[] {
    const entries = translatePolicy(p, this.options.translation);
    if (this.options.semantics === "cilium" || p.kind !== "NetworkPolicy" || p.spec.policyTypes === null) return entries;
    // Upstream: a direction missing from policyTypes is not affected by the policy at all.
    return entries.filter((e) => p.spec.policyTypes!.includes(e.direction === "ingress" ? "Ingress" : "Egress"));
  }

  #indexEntries(): void {
    this.entries.forEach((e, i) => this.#entryOrder.set(e, i));
    for (const e of this.entries) {
      const namespaces = e.subject.kind === "endpoints" ? namespacesOf(e.subject.selector.requirements) : null;
      if (namespaces === null) this.#globalEntries.push(e);
      else for (const ns of namespaces) this.#entriesByNamespace.set(ns, [...(this.#entriesByNamespace.get(ns) ?? []), e]);
    }
  }

  /** The entries that may select a pod of `namespace`, in repository order. */
  #candidateEntries(namespace: string): RuleEntry[] {
    const pinned = this.#entriesByNamespace.get(namespace) ?? [];
    if (pinned.length === 0) return this.#globalEntries;
    if (this.#globalEntries.length === 0) return pinned;
    return [...pinned, ...this.#globalEntries].sort((a, b) => this.#entryOrder.get(a)! - this.#entryOrder.get(b)!);
  }

  /** Every CIDR a policy names (with its excepts, §5.4) and every selectorless service backend. */
  #policyPrefixes(): string[] {
    const out = new Set<string>();
    for (const e of this.entries) {
      for (const p of e.peers) {
        if (p.kind === "cidr") [p.cidr, ...p.except].forEach((c) => out.add(c));
        if (p.kind === "service") {
          for (const s of this.cluster.services)
            if (s.selector === null) for (const ip of s.endpointAddresses) out.add(`${ip}/${ip.includes(":") ? 128 : 32}`);
        }
      }
    }
    return [...out].filter((c) => parsePrefix(c)!.bits > 0).sort();
  }

  /** Every pod endpoint, by `namespace/name`. */
  endpoints(): EndpointInfo[] {
    return [...this.#endpoints.values()];
  }

  /** One pod endpoint. */
  endpoint(key: string): EndpointInfo | undefined {
    return this.#endpoints.get(key);
  }

  /** The identity an address has as seen from `localNode` (node addresses are relative to it). */
  identityOfIp(ip: string, localNode: string | null): IdentityInfo {
    const addr = parseIp(ip);
    if (addr === undefined) return this.#info(RESERVED.world);
    const node = this.cluster.nodes.find((n) => n.addresses.includes(ip));
    if (node !== undefined) return this.nodeIdentityFrom(node.name, localNode);
    const hit = this.#byIp.lookup(addr);
    if (hit !== undefined) return this.#info(hit.id);
    return this.#info(worldIdentity(addr.family, this.#dualStack));
  }

  /** The identity of a node's host network as seen from `viewer`: `host` on itself, else remote-node or kube-apiserver. */
  nodeIdentityFrom(nodeName: string, viewer: string | null): IdentityInfo {
    const node = this.cluster.nodes.find((n) => n.name === nodeName);
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
      const node = this.cluster.nodes.find((n) => n.name === nodeName);
      info = { id: RESERVED.host, labels: hostLabels(node, node !== undefined && this.#runsApiServer(node)) };
      this.#localHosts.set(key, info);
    }
    return info;
  }

  /** A reserved identity with its labels. */
  reservedIdentity(id: NumericIdentity): IdentityInfo {
    return this.#info(id);
  }

  #info(id: NumericIdentity): IdentityInfo {
    const info = this.cache.identity(id);
    if (info === undefined) throw new BugError(`identity ${id} is not in the selector cache`);
    return info;
  }

  /**
   * The resolved policy of a pod endpoint. Endpoints whose subject sees the same applicable entries
   * (and the same named ports, and init state) get the same map states, so they share one
   * resolution, as Cilium shares one selector policy per identity.
   */
  policyOf(ep: EndpointInfo): EndpointPolicy {
    const localHost = this.localHostOf(ep.pod.nodeName);
    const subject = { identity: ep.identity, isHost: false, ports: ep.pod.ports, localHost };
    const applicable = this.#candidateEntries(ep.pod.namespace).filter((e) => selectsSubject(e, subject));
    const ports = ep.pod.ports.map((p) => `${p.name}:${p.port}/${p.protocol}`).join(",");
    const init = ep.identity.labels.has("reserved", "init") ? "init" : "";
    const key = `${applicable.map((e) => this.#entryOrder.get(e)).join(",")}|${ports}|${init}|${localHost.labels.text}`;
    let resolved = this.#resolved.get(key);
    if (resolved === undefined) {
      resolved = resolveEndpoint(subject, applicable, this.cache, this.#ctx, this.#namedPorts, this.options.resolve);
      this.#resolved.set(key, resolved);
    }
    return resolved;
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
}
