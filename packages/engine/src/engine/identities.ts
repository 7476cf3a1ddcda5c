import type { Cluster, Node, Pod } from "../cluster/types.ts";
import { RESERVED, RESERVED_LABELS, type NumericIdentity } from "../identity/numeric-identity.ts";
import { nodeLabels, podIdentityLabels } from "../identity/workload-labels.ts";
import { LabelSet, type Label } from "../labels/label-set.ts";
import { parseIp, parsePrefix } from "../net/ip.ts";
import type { IdentityInfo } from "../policy/peer-selector.ts";
import { cidrKey } from "../selector/match.ts";
import type { Semantics } from "./options.ts";

/** Whether a cluster's addresses are both IPv4 and IPv6 (then world splits into world-ipv4/-ipv6). */
export function isDualStack(addresses: readonly string[]): boolean {
  return addresses.some((ip) => ip.includes(":")) && addresses.some((ip) => !ip.includes(":"));
}

/** The world label for an address family (single-stack: plain world). */
export function worldLabel(family: 4 | 6, dualStack: boolean): Label {
  return { source: "reserved", key: dualStack ? (family === 4 ? "world-ipv4" : "world-ipv6") : "world", value: "" };
}

/** The reserved identity of unknown addresses of a family. */
export function worldIdentity(family: 4 | 6, dualStack: boolean): NumericIdentity {
  return dualStack ? (family === 4 ? RESERVED.worldIpv4 : RESERVED.worldIpv6) : RESERVED.world;
}

/**
 * A pod endpoint's identity labels. Under Kubernetes semantics each pod also carries the
 * `cidr:` label of its addresses, so ipBlocks can select it (and every pod has its own identity).
 */
export function endpointLabels(pod: Pod, cluster: Cluster, semantics: Semantics): LabelSet {
  const base = podIdentityLabels(pod, cluster.namespaces.get(pod.namespace), cluster.name);
  if (semantics === "cilium") return base;
  return LabelSet.of([...base.labels, ...pod.ips.map(cidrLabelOfIp)]);
}

function cidrLabelOfIp(ip: string): Label {
  return { source: "cidr", key: cidrKey(`${ip}/${ip.includes(":") ? 128 : 32}`), value: "" };
}

/** The labels of a CIDR identity: its exact prefix and the world label (§5.4). */
export function cidrIdentityLabels(prefix: string, dualStack: boolean): LabelSet {
  const family = parsePrefix(prefix)!.addr.family;
  return LabelSet.of([{ source: "cidr", key: cidrKey(prefix), value: "" }, worldLabel(family, dualStack)]);
}

/** The reserved identities every cluster has, with their labels. */
export function reservedIdentities(): IdentityInfo[] {
  return [...RESERVED_LABELS].map(([id, labels]) => ({ id, labels }));
}

/**
 * How a node's address looks from another node (§5.3): `kube-apiserver` (7) when it runs the API
 * server, else `remote-node` (6). Under Kubernetes semantics a remote node instead gets its own
 * local identity that also carries its addresses' `cidr:` labels, so ipBlocks can select it; the
 * labels of that identity are returned, or undefined for the reserved one.
 */
export function remoteNodeIdentity(
  node: Node,
  runsApiServer: boolean,
  semantics: Semantics,
): { readonly reserved: NumericIdentity; readonly labels: LabelSet | undefined } {
  const reserved = runsApiServer ? RESERVED.kubeApiserver : RESERVED.remoteNode;
  if (semantics === "cilium") return { reserved, labels: undefined };
  return { reserved, labels: LabelSet.of([...RESERVED_LABELS.get(reserved)!.labels, ...node.addresses.map(cidrLabelOfIp)]) };
}

/** The host identity's labels on a node: `reserved:host` plus the node's labels (host policies match these). */
export function hostLabels(node: Node | undefined, runsApiServer: boolean): LabelSet {
  const labels: Label[] = [{ source: "reserved", key: "host", value: "" }, ...(node === undefined ? [] : nodeLabels(node))];
  if (runsApiServer) labels.push({ source: "reserved", key: "kube-apiserver", value: "" });
  return LabelSet.of(labels);
}

/** Whether `ip` parses (for inputs naming addresses). */
export function isIp(text: string): boolean {
  return parseIp(text) !== undefined;
}
