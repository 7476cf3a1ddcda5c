import type { ClusterObject } from "../manifest/load-manifests.ts";
import type { MapNode, SourceNode } from "../source/node.ts";
import type { PathSegment } from "../source/problem.ts";
import { field, type Reader } from "../source/reader.ts";
import type { ContainerPort, K8sProtocol, Namespace, Node, Pod, Service, ServicePort } from "./types.ts";

type Path = readonly PathSegment[];

const PROTOCOLS: readonly K8sProtocol[] = ["TCP", "UDP", "SCTP"];

function str(r: Reader, m: MapNode, key: string, path: Path): string | null | undefined {
  const n = field(m, key);
  return n === undefined ? null : r.string(n, [...path, key]);
}

function labelsOf(r: Reader, m: MapNode | undefined, key: string, path: Path): Map<string, string> | undefined {
  const n = m && field(m, key);
  return n === undefined ? new Map() : r.stringMap(n, [...path, key]);
}

function metaOf(
  r: Reader,
  o: ClusterObject,
): { meta: MapNode; name: string; namespace: string; labels: Map<string, string>; annotations: Map<string, string> } | undefined {
  const p = [...o.path, "metadata"];
  const mNode = field(o.node, "metadata");
  const meta = mNode === undefined ? undefined : r.object(mNode, p);
  const name = meta && str(r, meta, "name", p);
  if (meta === undefined || name === undefined) return undefined;
  if (name === null || name === "") {
    r.report(meta, [...p, "name"], "schema.required", `${o.kind} needs metadata.name`);
    return undefined;
  }
  const namespace = str(r, meta, "namespace", p);
  const labels = labelsOf(r, meta, "labels", p);
  const annotations = labelsOf(r, meta, "annotations", p);
  if (namespace === undefined || labels === undefined || annotations === undefined) return undefined;
  return { meta, name, namespace: namespace || "default", labels, annotations };
}

function protocolOf(r: Reader, m: MapNode, path: Path): K8sProtocol | undefined {
  const n = field(m, "protocol");
  return n === undefined ? "TCP" : r.oneOf(n, [...path, "protocol"], PROTOCOLS);
}

function portNumber(r: Reader, n: SourceNode, path: Path): number | undefined {
  const v = r.integer(n, path);
  if (v !== undefined && (v < 1 || v > 65535)) {
    r.report(n, path, "k8s.port", `port ${v} must be between 1 and 65535, inclusive`);
    return undefined;
  }
  return v;
}

/** Reads a Namespace. */
export function readNamespace(r: Reader, o: ClusterObject): Namespace | undefined {
  const m = metaOf(r, o);
  if (m === undefined) return undefined;
  return { name: m.name, labels: new Map([...m.labels, ["kubernetes.io/metadata.name", m.name]]), annotations: m.annotations };
}

/** Reads a Pod: labels, node, service account, hostNetwork, named container ports and status IPs (maybe none yet). */
export function readPod(r: Reader, o: ClusterObject): Pod | undefined {
  const m = metaOf(r, o);
  if (m === undefined) return undefined;
  const sp = [...o.path, "spec"];
  const specNode = field(o.node, "spec");
  const spec = specNode === undefined ? ({ kind: "map", pos: o.node.pos, entries: [] } as MapNode) : r.object(specNode, sp);
  if (spec === undefined) return undefined;
  const nodeName = str(r, spec, "nodeName", sp);
  const sa = str(r, spec, "serviceAccountName", sp);
  const hnNode = field(spec, "hostNetwork");
  const hostNetwork = hnNode === undefined ? false : r.boolean(hnNode, [...sp, "hostNetwork"]);
  const ports: ContainerPort[] = [];
  const containers = field(spec, "containers");
  const cs = containers === undefined ? [] : r.list(containers, [...sp, "containers"], (c, cp) => r.object(c, cp));
  cs?.forEach((c, ci) => {
    const pn = field(c, "ports");
    const pp = [...sp, "containers", ci, "ports"];
    const list = pn === undefined ? [] : r.list(pn, pp, (x, xp) => r.object(x, xp));
    list?.forEach((port, pi) => {
      const path = [...pp, pi];
      const cpNode = field(port, "containerPort");
      if (cpNode === undefined) return r.report(port, [...path, "containerPort"], "schema.required", "containerPort is required");
      const num = portNumber(r, cpNode, [...path, "containerPort"]);
      const name = str(r, port, "name", path);
      const protocol = protocolOf(r, port, path);
      if (num !== undefined && name !== undefined && protocol !== undefined)
        ports.push({ name: name?.toLowerCase() ?? null, port: num, protocol });
    });
  });
  const ips = readPodIps(r, o);
  if (nodeName === undefined || sa === undefined || hostNetwork === undefined || ips === undefined) return undefined;
  return {
    namespace: m.namespace,
    name: m.name,
    labels: m.labels,
    annotations: m.annotations,
    nodeName,
    serviceAccount: sa ?? "default",
    hostNetwork,
    ports,
    ips,
    source: { file: o.file, document: o.document, pos: o.node.pos },
  };
}

function readPodIps(r: Reader, o: ClusterObject): string[] | undefined {
  const statusNode = field(o.node, "status");
  const p = [...o.path, "status"];
  const status = statusNode === undefined ? undefined : r.object(statusNode, p);
  if (status === undefined) return statusNode === undefined ? [] : undefined;
  const ips: string[] = [];
  const podIP = str(r, status, "podIP", p);
  if (podIP) ips.push(podIP);
  const list = field(status, "podIPs");
  const items = list === undefined ? [] : r.list(list, [...p, "podIPs"], (n, np) => r.object(n, np));
  items?.forEach((item, i) => {
    const ip = str(r, item, "ip", [...p, "podIPs", i]);
    if (ip && !ips.includes(ip)) ips.push(ip);
  });
  return podIP === undefined || items === undefined ? undefined : ips;
}

/** Reads a Node: labels, InternalIP addresses and pod CIDRs. */
export function readNode(r: Reader, o: ClusterObject): Node | undefined {
  const m = metaOf(r, o);
  if (m === undefined) return undefined;
  const addresses: string[] = [];
  const statusNode = field(o.node, "status");
  const status = statusNode === undefined ? undefined : r.object(statusNode, [...o.path, "status"]);
  const addrNode = status && field(status, "addresses");
  const addrs = addrNode === undefined ? [] : r.list(addrNode, [...o.path, "status", "addresses"], (n, np) => r.object(n, np));
  addrs?.forEach((a, i) => {
    const p = [...o.path, "status", "addresses", i];
    const type = str(r, a, "type", p);
    const address = str(r, a, "address", p);
    if (type === "InternalIP" && address) addresses.push(address);
  });
  const specNode = field(o.node, "spec");
  const spec = specNode === undefined ? undefined : r.object(specNode, [...o.path, "spec"]);
  const podCIDRs: string[] = [];
  const single = spec && str(r, spec, "podCIDR", [...o.path, "spec"]);
  if (single) podCIDRs.push(single);
  const many = spec && field(spec, "podCIDRs");
  const list = many === undefined ? [] : r.list(many, [...o.path, "spec", "podCIDRs"], (n, np) => r.string(n, np));
  for (const c of list ?? []) if (!podCIDRs.includes(c)) podCIDRs.push(c);
  return { name: m.name, labels: m.labels, addresses, podCIDRs, source: { file: o.file, document: o.document, pos: o.node.pos } };
}

/** Reads a Service: selector, cluster IPs and ports; Endpoints/EndpointSlices add addresses later. */
export function readService(r: Reader, o: ClusterObject): Service | undefined {
  const m = metaOf(r, o);
  if (m === undefined) return undefined;
  const sp = [...o.path, "spec"];
  const specNode = field(o.node, "spec");
  const spec = specNode === undefined ? undefined : r.object(specNode, sp);
  if (spec === undefined) {
    if (specNode === undefined) r.report(o.node, sp, "schema.required", "Service needs a spec");
    return undefined;
  }
  const selNode = field(spec, "selector");
  const selector = selNode === undefined ? null : r.stringMap(selNode, [...sp, "selector"]);
  const clusterIPs: string[] = [];
  const one = str(r, spec, "clusterIP", sp);
  if (one && one !== "None") clusterIPs.push(one);
  const manyNode = field(spec, "clusterIPs");
  const many = manyNode === undefined ? [] : r.list(manyNode, [...sp, "clusterIPs"], (n, np) => r.string(n, np));
  for (const ip of many ?? []) if (ip !== "None" && !clusterIPs.includes(ip)) clusterIPs.push(ip);
  const portsNode = field(spec, "ports");
  const ports = portsNode === undefined ? [] : r.list(portsNode, [...sp, "ports"], (n, np) => readServicePort(r, n, np));
  if (selector === undefined || ports === undefined) return undefined;
  return {
    namespace: m.namespace,
    name: m.name,
    labels: m.labels,
    selector: selector === null || selector.size === 0 ? null : selector,
    clusterIPs,
    ports,
    endpointAddresses: [],
    source: { file: o.file, document: o.document, pos: o.node.pos },
  };
}

function readServicePort(r: Reader, n: SourceNode, path: Path): ServicePort | undefined {
  const m = r.object(n, path);
  if (m === undefined) return undefined;
  const portNode = field(m, "port");
  if (portNode === undefined) {
    r.report(m, [...path, "port"], "schema.required", "port is required");
    return undefined;
  }
  const port = portNumber(r, portNode, [...path, "port"]);
  const name = str(r, m, "name", path);
  const protocol = protocolOf(r, m, path);
  const tNode = field(m, "targetPort");
  let targetPort: number | string | undefined = port;
  if (tNode?.kind === "scalar" && typeof tNode.value === "string") targetPort = tNode.value;
  else if (tNode !== undefined) targetPort = portNumber(r, tNode, [...path, "targetPort"]);
  if (port === undefined || name === undefined || protocol === undefined || targetPort === undefined) return undefined;
  return { name, port, targetPort, protocol };
}

/** Reads the addresses of an Endpoints or EndpointSlice object, and the service it belongs to. */
export function readEndpointAddresses(
  r: Reader,
  o: ClusterObject,
): { namespace: string; service: string; addresses: string[] } | undefined {
  const m = metaOf(r, o);
  if (m === undefined) return undefined;
  const addresses: string[] = [];
  if (o.kind === "Endpoints") {
    const subsets = field(o.node, "subsets");
    const list = subsets === undefined ? [] : r.list(subsets, [...o.path, "subsets"], (n, p) => r.object(n, p));
    list?.forEach((s, si) => {
      const a = field(s, "addresses");
      const items = a === undefined ? [] : r.list(a, [...o.path, "subsets", si, "addresses"], (n, p) => r.object(n, p));
      items?.forEach((item, i) => {
        const ip = str(r, item, "ip", [...o.path, "subsets", si, "addresses", i]);
        if (ip) addresses.push(ip);
      });
    });
    return { namespace: m.namespace, service: m.name, addresses };
  }
  const eps = field(o.node, "endpoints");
  const list = eps === undefined ? [] : r.list(eps, [...o.path, "endpoints"], (n, p) => r.object(n, p));
  list?.forEach((e, ei) => {
    const a = field(e, "addresses");
    const items = a === undefined ? [] : r.list(a, [...o.path, "endpoints", ei, "addresses"], (n, p) => r.string(n, p));
    addresses.push(...(items ?? []));
  });
  return { namespace: m.namespace, service: m.labels.get("kubernetes.io/service-name") ?? m.name, addresses };
}
