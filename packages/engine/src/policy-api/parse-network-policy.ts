import type { MapNode, SourceNode } from "../source/node.ts";
import type { PathSegment } from "../source/problem.ts";
import { field, itemAt } from "../source/reader.ts";
import { exceptInside, parseCidr, type ParsedCidr } from "./cidr.ts";
import type { PolicyReader } from "./context.ts";
import { parseLabelSelector } from "./parse-selector.ts";
import type {
  Cidr,
  NetworkPolicyPeer,
  NetworkPolicyPort,
  NetworkPolicyProtocol,
  NetworkPolicyRule,
  NetworkPolicySpec,
  PortRef,
} from "./types.ts";

type Path = readonly PathSegment[];

const SPEC_FIELDS = new Set(["podSelector", "policyTypes", "ingress", "egress"]);
const PEER_FIELDS = new Set(["podSelector", "namespaceSelector", "ipBlock"]);
const IP_BLOCK_FIELDS = new Set(["cidr", "except"]);
const PORT_FIELDS = new Set(["protocol", "port", "endPort"]);
const PROTOCOLS: readonly NetworkPolicyProtocol[] = ["TCP", "UDP", "SCTP"];
const POLICY_TYPES = ["Ingress", "Egress"] as const;

/** Reads a NetworkPolicy spec with the API server's validation (ValidateNetworkPolicySpec). */
export function parseNetworkPolicySpec(r: PolicyReader, node: SourceNode, path: Path): NetworkPolicySpec | undefined {
  const m = r.map(node, path, SPEC_FIELDS);
  if (m === undefined) return undefined;
  const psNode = field(m, "podSelector");
  const podSelector =
    psNode === undefined
      ? { matchLabels: [], matchExpressions: [], pos: m.pos }
      : parseLabelSelector(r, psNode, [...path, "podSelector"], "kubernetes");
  const ptNode = field(m, "policyTypes");
  let policyTypes: ("Ingress" | "Egress")[] | null | undefined = null;
  if (ptNode !== undefined) {
    policyTypes = r.list(ptNode, [...path, "policyTypes"], (n, p) => r.oneOf(n, p, POLICY_TYPES));
    if (policyTypes !== undefined && policyTypes.length > 2) {
      r.report(ptNode, [...path, "policyTypes"], "k8s.policy-types", "may not specify more than two policyTypes");
      policyTypes = undefined;
    }
  }
  const ingress = parseRules(r, m, path, "ingress", "from");
  const egress = parseRules(r, m, path, "egress", "to");
  if (podSelector === undefined || policyTypes === undefined || ingress === undefined || egress === undefined) return undefined;
  return { podSelector, policyTypes, ingress, egress };
}

function parseRules(
  r: PolicyReader,
  m: MapNode,
  path: Path,
  key: "ingress" | "egress",
  peersKey: "from" | "to",
): NetworkPolicyRule[] | undefined {
  const n = field(m, key);
  if (n === undefined) return [];
  return r.list(n, [...path, key], (item, p) => {
    const im = r.map(item, p, new Set([peersKey, "ports"]));
    if (im === undefined) return undefined;
    const peersNode = field(im, peersKey);
    const peers = peersNode === undefined ? [] : r.list(peersNode, [...p, peersKey], (x, xp) => parsePeer(r, x, xp));
    const portsNode = field(im, "ports");
    const ports = portsNode === undefined ? [] : r.list(portsNode, [...p, "ports"], (x, xp) => parsePort(r, x, xp));
    return peers && ports && { peers, ports, pos: im.pos, path: p };
  });
}

function parsePeer(r: PolicyReader, node: SourceNode, path: Path): NetworkPolicyPeer | undefined {
  const m = r.map(node, path, PEER_FIELDS);
  if (m === undefined) return undefined;
  const ps = field(m, "podSelector");
  const ns = field(m, "namespaceSelector");
  const ib = field(m, "ipBlock");
  const count = [ps, ns, ib].filter((x) => x !== undefined).length;
  if (count === 0) {
    r.report(m, path, "k8s.peer-required", "must specify a peer: podSelector, namespaceSelector or ipBlock");
    return undefined;
  }
  if (ib !== undefined && count > 1) {
    r.report(m, path, "k8s.peer-ipblock", "may not specify both ipBlock and another peer");
    return undefined;
  }
  if (ib !== undefined) return parseIpBlock(r, ib, [...path, "ipBlock"]);
  const podSelector = ps === undefined ? null : parseLabelSelector(r, ps, [...path, "podSelector"], "kubernetes");
  const namespaceSelector = ns === undefined ? null : parseLabelSelector(r, ns, [...path, "namespaceSelector"], "kubernetes");
  if (podSelector === undefined || namespaceSelector === undefined) return undefined;
  return { kind: "selectors", podSelector, namespaceSelector, pos: m.pos };
}

function parseIpBlock(r: PolicyReader, node: SourceNode, path: Path): NetworkPolicyPeer | undefined {
  const m = r.map(node, path, IP_BLOCK_FIELDS);
  if (m === undefined) return undefined;
  const cidrNode = field(m, "cidr");
  if (cidrNode === undefined) {
    r.report(m, [...path, "cidr"], "schema.required", "cidr is required");
    return undefined;
  }
  const cidr = readCidr(r, cidrNode, [...path, "cidr"]);
  const exceptNode = field(m, "except");
  const except = exceptNode === undefined ? [] : r.list(exceptNode, [...path, "except"], (n, p) => readCidr(r, n, p));
  if (cidr === undefined || except === undefined) return undefined;
  let ok = true;
  except.forEach((e, i) => {
    const inside = e.prefix.bits > cidr.prefix.bits && exceptInside(cidr, e.prefix);
    if (!inside) {
      r.report(
        itemAt(exceptNode!, i),
        [...path, "except", i],
        "k8s.ipblock-except",
        `${e.cidr} must be a strict subset of cidr ${cidr.cidr}`,
      );
      ok = false;
    }
  });
  const cidrs: Cidr[] = except.map((e) => e.cidr);
  return ok ? { kind: "ipBlock", cidr: cidr.cidr, except: cidrs, pos: m.pos } : undefined;
}

function readCidr(r: PolicyReader, node: SourceNode, path: Path): ParsedCidr | undefined {
  const text = r.string(node, path);
  if (text === undefined) return undefined;
  const c = parseCidr(text);
  if (c === undefined) r.report(node, path, "k8s.cidr", `"${text}" must be a valid CIDR, e.g. 10.0.0.0/16 or 2001:db8::/64`);
  return c;
}

/** ValidateNetworkPolicyPort: protocol, port (1–65535 or an IANA name) and endPort. */
function parsePort(r: PolicyReader, node: SourceNode, path: Path): NetworkPolicyPort | undefined {
  const m = r.map(node, path, PORT_FIELDS);
  if (m === undefined) return undefined;
  const protoNode = field(m, "protocol");
  const protocol = protoNode === undefined ? "TCP" : r.oneOf(protoNode, [...path, "protocol"], PROTOCOLS);
  const endNode = field(m, "endPort");
  const endPort = endNode === undefined ? null : r.integer(endNode, [...path, "endPort"]);
  const portNode = field(m, "port");
  let port: PortRef | null | undefined = null;
  if (portNode !== undefined) port = readIntOrStringPort(r, portNode, [...path, "port"]);
  if (protocol === undefined || endPort === undefined || port === undefined) return undefined;
  if (endPort !== null) {
    const why =
      port === null
        ? "may not be specified when `port` is not specified"
        : port.kind === "named"
          ? "may not be specified when `port` is non-numeric"
          : endPort < port.port
            ? "must be greater than or equal to `port`"
            : endPort < 1 || endPort > 65535
              ? "must be between 1 and 65535, inclusive"
              : undefined;
    if (why !== undefined) {
      r.report(endNode!, [...path, "endPort"], "k8s.end-port", `endPort ${endPort}: ${why}`);
      return undefined;
    }
  }
  return { protocol, port, endPort, pos: m.pos };
}

function readIntOrStringPort(r: PolicyReader, node: SourceNode, path: Path): PortRef | undefined {
  const v = node.kind === "scalar" ? node.value : undefined;
  if (typeof v === "number" && Number.isInteger(v)) {
    if (v >= 1 && v <= 65535) return { kind: "number", port: v };
    r.report(node, path, "k8s.port", `port ${v} must be between 1 and 65535, inclusive`);
    return undefined;
  }
  if (typeof v === "string") {
    const why = portNameProblem(v);
    if (why === undefined) return { kind: "named", name: v };
    const hint = /^[0-9]+$/.test(v) ? ` (a quoted number is a port name in a NetworkPolicy: write ${v} unquoted)` : "";
    r.report(node, path, "k8s.port", `invalid port name "${v}": ${why}${hint}`);
    return undefined;
  }
  r.report(node, path, "schema.type", "port must be a number or a port name");
  return undefined;
}

/** Kubernetes' IsValidPortName. */
function portNameProblem(p: string): string | undefined {
  if (p.length > 15) return "must be no more than 15 characters";
  if (!/^[-a-z0-9]+$/.test(p)) return "must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)";
  if (!/[a-z]/.test(p)) return "must contain at least one letter (a-z)";
  if (p.includes("--")) return "must not contain consecutive hyphens";
  if (p.startsWith("-") || p.endsWith("-")) return "must not begin or end with a hyphen";
  return undefined;
}
