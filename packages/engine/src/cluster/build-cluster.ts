import type { ClusterObject } from "../manifest/load-manifests.ts";
import { formatIp, parsePrefix, type IpPrefix } from "../net/ip.ts";
import { toProblem, type Problem } from "../source/problem.ts";
import { Reader } from "../source/reader.ts";
import { readEndpointAddresses, readNamespace, readNode, readPod, readService } from "./parse-objects.ts";
import type { Cluster, Namespace, Node, Pod, Service } from "./types.ts";

const DEFAULT_POD_RANGE = "10.0.0.0/8";

/**
 * Builds the cluster from its objects: namespaces referenced but not declared exist with only their
 * name label; pods without an address get a stable one from their node's pod CIDR (or 10.0.0.0/8),
 * chosen by a hash of namespace/name so adding a pod never moves another; Endpoints and
 * EndpointSlices give services without selectors their backends.
 */
export function buildCluster(objects: readonly ClusterObject[], clusterName: string): { cluster: Cluster; problems: Problem[] } {
  const problems: Problem[] = [];
  const namespaces = new Map<string, Namespace>();
  const pods: Pod[] = [];
  const nodes: Node[] = [];
  const services: Service[] = [];
  const endpoints: { namespace: string; service: string; addresses: string[] }[] = [];
  const seen = new Set<string>();
  for (const o of objects) {
    const r = new Reader();
    const read = (): { id: string; add: () => void } | undefined => {
      switch (o.kind) {
        case "Namespace": {
          const ns = readNamespace(r, o);
          return ns && { id: `Namespace/${ns.name}`, add: () => namespaces.set(ns.name, ns) };
        }
        case "Pod": {
          const pod = readPod(r, o);
          return pod && { id: `Pod/${pod.namespace}/${pod.name}`, add: () => pods.push(pod) };
        }
        case "Node": {
          const node = readNode(r, o);
          return node && { id: `Node/${node.name}`, add: () => nodes.push(node) };
        }
        case "Service": {
          const svc = readService(r, o);
          return svc && { id: `Service/${svc.namespace}/${svc.name}`, add: () => services.push(svc) };
        }
        case "Endpoints":
        case "EndpointSlice": {
          const ep = readEndpointAddresses(r, o);
          return (
            ep && {
              id: `${o.kind}/${ep.namespace}/${ep.service}/${o.file}/${o.document}/${o.path.join(".")}`,
              add: () => endpoints.push(ep),
            }
          );
        }
        default:
          return undefined;
      }
    };
    const got = read();
    if (got !== undefined) {
      if (seen.has(got.id))
        r.report(
          o.node,
          o.path,
          "cluster.duplicate",
          `${got.id.split("/").slice(0, 3).join("/")} is defined twice; the first definition is used`,
        );
      else {
        seen.add(got.id);
        got.add();
      }
    }
    const id = { kind: o.kind, namespace: null, name: null };
    for (const issue of r.issues) problems.push(toProblem(issue, { file: o.file, index: o.document }, id));
  }
  for (const p of pods)
    if (!namespaces.has(p.namespace))
      namespaces.set(p.namespace, { name: p.namespace, labels: new Map([["kubernetes.io/metadata.name", p.namespace]]) });
  const withEndpoints = services.map((s) => {
    const extra = endpoints.filter((e) => e.namespace === s.namespace && e.service === s.name).flatMap((e) => e.addresses);
    return extra.length === 0 ? s : { ...s, endpointAddresses: [...s.endpointAddresses, ...extra] };
  });
  return { cluster: { name: clusterName, namespaces, pods: allocatePodIps(pods, nodes), nodes, services: withEndpoints }, problems };
}

function allocatePodIps(pods: readonly Pod[], nodes: readonly Node[]): Pod[] {
  const taken = new Set<string>([...pods.flatMap((p) => p.ips), ...nodes.flatMap((n) => n.addresses)]);
  const rangeOf = (p: Pod): IpPrefix => {
    const node = nodes.find((n) => n.name === p.nodeName) ?? nodes.find((n) => n.podCIDRs.length > 0);
    const v4 = node?.podCIDRs.map((c) => parsePrefix(c)).find((c) => c?.addr.family === 4);
    return v4 ?? parsePrefix(DEFAULT_POD_RANGE)!;
  };
  return pods.map((p) => {
    if (p.ips.length > 0) return p;
    if (p.hostNetwork) {
      const node = nodes.find((n) => n.name === p.nodeName);
      return node === undefined ? p : { ...p, ips: node.addresses };
    }
    const ip = pickAddress(rangeOf(p), `${p.namespace}/${p.name}`, taken);
    if (ip === undefined) return p;
    taken.add(ip);
    return { ...p, ips: [ip] };
  });
}

/** A free host address in `range` chosen by an FNV-1a hash of `seed`, probing forward on collision; undefined when full. */
function pickAddress(range: IpPrefix, seed: string, taken: ReadonlySet<string>): string | undefined {
  let h = 0x811c9dc5;
  for (let i = 0; i < seed.length; i++) h = Math.imul(h ^ seed.charCodeAt(i), 0x01000193) >>> 0;
  const hostBits = 32 - range.bits;
  const size = hostBits >= 32 ? 2 ** 32 : 2 ** hostBits;
  const base = range.addr.bytes.reduce((a, b) => a * 256 + b, 0);
  for (let i = 0; i < size; i++) {
    const offset = (h + i) % size;
    if (size > 2 && (offset === 0 || offset === size - 1)) continue;
    const n = base + offset;
    const ip = formatIp({ family: 4, bytes: new Uint8Array([n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255]) });
    if (!taken.has(ip)) return ip;
  }
  return undefined;
}
