import type { SourceNode } from "../source/node.ts";
import type { PathSegment } from "../source/problem.ts";
import { field, itemAt } from "../source/reader.ts";
import type { PolicyReader } from "./context.ts";
import { isServerNamePattern, parseL7Rules, parseSecretRef } from "./parse-l7.ts";
import { parsePortText } from "./port-syntax.ts";
import type { IcmpField, IcmpRule, ListenerRef, PortDenyRule, PortProtocol, PortProtocolName, PortRule, TlsContext } from "./types.ts";
import { ICMPV4_TYPES, ICMPV6_TYPES } from "./vocabulary.ts";

type Path = readonly PathSegment[];

const PORT_RULE_FIELDS = new Set(["ports", "rules", "serverNames", "terminatingTLS", "originatingTLS", "listener"]);
const PORT_DENY_RULE_FIELDS = new Set(["ports"]);
const PORT_FIELDS = new Set(["port", "endPort", "protocol"]);
const TLS_FIELDS = new Set(["secret", "trustedCA", "certificate", "privateKey"]);
const LISTENER_FIELDS = new Set(["envoyConfig", "name", "priority"]);
const ENVOY_CONFIG_FIELDS = new Set(["kind", "name"]);
const ICMP_RULE_FIELDS = new Set(["fields"]);
const ICMP_FIELD_FIELDS = new Set(["family", "type"]);
const PROTOCOLS: readonly PortProtocolName[] = ["TCP", "UDP", "SCTP", "VRRP", "IGMP", "ANY"];
const MAX_PORTS = 40;
const MAX_ICMP_FIELDS = 40;

/** Reads an allow section's port rule and applies PortRule.sanitize (V10, V12–V22, V27, V28). */
export function parsePortRule(r: PolicyReader, node: SourceNode, path: Path, direction: "ingress" | "egress"): PortRule | undefined {
  const m = r.map(node, path, PORT_RULE_FIELDS);
  if (m === undefined) return undefined;
  const rulesNode = field(m, "rules");
  const rules = rulesNode === undefined ? null : parseL7Rules(r, rulesNode, [...path, "rules"]);
  const ports = parsePorts(r, m, path, rules?.kind === "dns");
  const snNode = field(m, "serverNames");
  const serverNames = snNode === undefined ? [] : r.list(snNode, [...path, "serverNames"], (n, p) => r.string(n, p));
  const tls = (key: string): TlsContext | null | undefined => {
    const n = field(m, key);
    return n === undefined ? null : parseTlsContext(r, n, [...path, key]);
  };
  const terminatingTLS = tls("terminatingTLS");
  const originatingTLS = tls("originatingTLS");
  const listenerNode = field(m, "listener");
  const listener = listenerNode === undefined ? null : parseListener(r, listenerNode, [...path, "listener"]);
  if (rules === undefined || ports === undefined || serverNames === undefined) return undefined;
  if (terminatingTLS === undefined || originatingTLS === undefined || listener === undefined) return undefined;

  const fail = (at: SourceNode, p: Path, code: string, message: string): undefined => {
    r.report(at, p, code, message);
    return undefined;
  };
  if (rules?.kind === "dns" && direction === "ingress") {
    return fail(rulesNode!, [...path, "rules", "dns"], "cilium.dns-ingress", "DNS rules are not allowed on ingress");
  }
  if (serverNames.length > 0 && rules !== null && terminatingTLS === null) {
    return fail(
      snNode!,
      [...path, "serverNames"],
      "cilium.sni-with-l7",
      "serverNames are not allowed with L7 rules without TLS termination (terminatingTLS)",
    );
  }
  if (snNode !== undefined && serverNames.length === 0) {
    return fail(snNode, [...path, "serverNames"], "schema.min-items", "serverNames must not be empty when given");
  }
  for (const [i, name] of serverNames.entries()) {
    if (name === "") return fail(snNode!, [...path, "serverNames", i], "cilium.sni-empty", "empty server name is not allowed");
    if (!isServerNamePattern(name)) {
      return fail(
        snNode!,
        [...path, "serverNames", i],
        "schema.pattern",
        `invalid server name "${name}": use letters, digits, '-', '_', '*' and single dots`,
      );
    }
    if (serverNames.indexOf(name) !== i)
      return fail(snNode!, [...path, "serverNames", i], "schema.duplicate", `duplicate server name "${name}"`);
  }
  if (rules !== null && rules.kind !== "dns") {
    const i = ports.findIndex((p) => p.protocol !== "TCP");
    if (i >= 0) {
      return fail(
        portNode(m, i),
        [...path, "ports", i, "protocol"],
        "cilium.l7-protocol",
        `L7 rules can only apply to TCP (not ${ports[i]!.protocol}) except for DNS rules: set protocol: TCP`,
      );
    }
  }
  if (listener !== null && direction === "ingress") {
    return fail(listenerNode!, [...path, "listener"], "cilium.listener-ingress", `listener is not allowed on ingress (${listener.name})`);
  }
  if (listener !== null && rules !== null) {
    return fail(
      listenerNode!,
      [...path, "listener"],
      "cilium.listener-with-l7",
      `listener is not compatible with L7 rules (${listener.name})`,
    );
  }
  if (rules !== null) {
    const zero = ports.findIndex((p) => p.port?.kind === "number" && p.port.port === 0);
    if (zero >= 0)
      return fail(portNode(m, zero), [...path, "ports", zero, "port"], "cilium.l7-port-zero", "L7 rules can not be used when a port is 0");
    if (rules.kind === "dns" && ports.length === 0) {
      return fail(rulesNode!, [...path, "ports"], "cilium.dns-port", "port 53 must be specified for DNS rules");
    }
    if (!r.options.enableL7Proxy) {
      return fail(
        rulesNode!,
        [...path, "rules"],
        "cilium.l7-disabled",
        "L7 rules need the L7 proxy, which is disabled (enable-l7-proxy=false)",
      );
    }
  }
  return { ports, rules, serverNames, terminatingTLS, originatingTLS, listener, pos: m.pos };
}

/** Reads a deny section's port rule: ports only, no L7. */
export function parsePortDenyRule(r: PolicyReader, node: SourceNode, path: Path): PortDenyRule | undefined {
  const m = r.map(node, path, PORT_DENY_RULE_FIELDS);
  if (m === undefined) return undefined;
  const ports = parsePorts(r, m, path, false);
  return ports && { ports, pos: m.pos };
}

function portNode(m: Parameters<typeof field>[0], i: number): SourceNode {
  return itemAt(field(m, "ports")!, i);
}

function parsePorts(r: PolicyReader, m: Parameters<typeof field>[0], path: Path, hasDnsRules: boolean): PortProtocol[] | undefined {
  const n = field(m, "ports");
  if (n === undefined) return [];
  const ports = r.list(n, [...path, "ports"], (item, p) => parsePortProtocol(r, item, p, hasDnsRules));
  if (ports !== undefined && ports.length > MAX_PORTS) {
    r.report(n, [...path, "ports"], "cilium.too-many-ports", `too many ports (${ports.length}): the maximum is ${MAX_PORTS}`);
    return undefined;
  }
  return ports;
}

/** Reads `{port, endPort, protocol}` with PortProtocol.sanitize's rules. */
function parsePortProtocol(r: PolicyReader, node: SourceNode, path: Path, hasDnsRules: boolean): PortProtocol | undefined {
  const m = r.map(node, path, PORT_FIELDS);
  if (m === undefined) return undefined;
  const protoNode = field(m, "protocol");
  const protocol = protoNode === undefined ? "ANY" : r.oneOf(protoNode, [...path, "protocol"], PROTOCOLS);
  const endNode = field(m, "endPort");
  const endPort = endNode === undefined ? null : r.integer(endNode, [...path, "endPort"]);
  const portNode = field(m, "port");
  const portText = portNode === undefined ? "" : r.string(portNode, [...path, "port"]);
  if (protocol === undefined || endPort === undefined || portText === undefined) return undefined;
  if (endPort !== null && (endPort < 0 || endPort > 65535)) {
    r.report(endNode!, [...path, "endPort"], "schema.range", `endPort ${endPort} is out of range: must be 0-65535`);
    return undefined;
  }
  const extended = protocol === "VRRP" || protocol === "IGMP";
  if (extended && !r.options.enableExtendedIpProtocols) {
    r.report(protoNode!, [...path, "protocol"], "cilium.extended-protocol", `protocol ${protocol} needs enable-extended-ip-protocols`);
    return undefined;
  }
  if (portText === "") {
    if (r.options.enableExtendedIpProtocols) return { port: null, endPort, protocol, pos: m.pos };
    r.report(portNode ?? m, [...path, "port"], "cilium.port-required", "port must be specified");
    return undefined;
  }
  const parsed = parsePortText(portText);
  if (parsed.kind === "invalid") {
    r.report(portNode!, [...path, "port"], "cilium.port", parsed.reason);
    return undefined;
  }
  if (extended && !(parsed.kind === "number" && parsed.port === 0)) {
    r.report(portNode!, [...path, "port"], "cilium.port", `port must be empty or 0 with protocol ${protocol}`);
    return undefined;
  }
  if (hasDnsRules && parsed.kind === "number" && endPort !== null && endPort > parsed.port) {
    r.report(endNode!, [...path, "endPort"], "cilium.dns-port-range", "DNS rules do not support port ranges");
    return undefined;
  }
  return { port: parsed, endPort, protocol, pos: m.pos };
}

function parseTlsContext(r: PolicyReader, node: SourceNode, path: Path): TlsContext | undefined {
  const m = r.map(node, path, TLS_FIELDS);
  if (m === undefined) return undefined;
  const secretNode = field(m, "secret");
  if (secretNode === undefined) {
    r.report(m, [...path, "secret"], "schema.required", "secret is required");
    return undefined;
  }
  const secret = parseSecretRef(r, secretNode, [...path, "secret"]);
  const str = (key: string): string | null | undefined => {
    const n = field(m, key);
    return n === undefined ? null : r.string(n, [...path, key]);
  };
  const trustedCA = str("trustedCA");
  const certificate = str("certificate");
  const privateKey = str("privateKey");
  if (secret === undefined || trustedCA === undefined || certificate === undefined || privateKey === undefined) return undefined;
  return { secret, trustedCA, certificate, privateKey };
}

function parseListener(r: PolicyReader, node: SourceNode, path: Path): ListenerRef | undefined {
  const m = r.map(node, path, LISTENER_FIELDS);
  if (m === undefined) return undefined;
  const ecNode = field(m, "envoyConfig");
  const nameNode = field(m, "name");
  if (ecNode === undefined) r.report(m, [...path, "envoyConfig"], "schema.required", "envoyConfig is required");
  if (nameNode === undefined) r.report(m, [...path, "name"], "schema.required", "name is required");
  if (ecNode === undefined || nameNode === undefined) return undefined;
  const ec = r.map(ecNode, [...path, "envoyConfig"], ENVOY_CONFIG_FIELDS);
  const kindNode = ec && field(ec, "kind");
  const ecNameNode = ec && field(ec, "name");
  if (ec !== undefined && ecNameNode === undefined) r.report(ec, [...path, "envoyConfig", "name"], "schema.required", "name is required");
  const kind =
    kindNode === undefined
      ? "CiliumEnvoyConfig"
      : r.oneOf(kindNode, [...path, "envoyConfig", "kind"], ["CiliumEnvoyConfig", "CiliumClusterwideEnvoyConfig"] as const);
  const ecName = ecNameNode && r.string(ecNameNode, [...path, "envoyConfig", "name"]);
  const name = r.string(nameNode, [...path, "name"]);
  const prioNode = field(m, "priority");
  const priority = prioNode === undefined ? null : r.integer(prioNode, [...path, "priority"]);
  if (priority !== null && priority !== undefined && (priority < 1 || priority > 100)) {
    r.report(prioNode!, [...path, "priority"], "schema.range", "priority must be from 1 to 100");
    return undefined;
  }
  if (kind === undefined || ecName === undefined || name === undefined || priority === undefined) return undefined;
  return { envoyConfig: { kind, name: ecName }, name, priority };
}

/** Reads an `icmps` item (V10, V11) and resolves type names per family. */
export function parseIcmpRule(r: PolicyReader, node: SourceNode, path: Path): IcmpRule | undefined {
  const m = r.map(node, path, ICMP_RULE_FIELDS);
  if (m === undefined) return undefined;
  const fNode = field(m, "fields");
  const fields = fNode === undefined ? [] : r.list(fNode, [...path, "fields"], (n, p) => parseIcmpField(r, n, p));
  if (fields !== undefined && fields.length > MAX_ICMP_FIELDS) {
    r.report(
      fNode!,
      [...path, "fields"],
      "cilium.too-many-icmp",
      `too many ICMP fields (${fields.length}): the maximum is ${MAX_ICMP_FIELDS}`,
    );
    return undefined;
  }
  return fields && { fields, pos: m.pos };
}

function parseIcmpField(r: PolicyReader, node: SourceNode, path: Path): IcmpField | undefined {
  const m = r.map(node, path, ICMP_FIELD_FIELDS);
  if (m === undefined) return undefined;
  const famNode = field(m, "family");
  const family = famNode === undefined ? "IPv4" : r.oneOf(famNode, [...path, "family"], ["IPv4", "IPv6"] as const);
  const typeNode = field(m, "type");
  if (typeNode === undefined) {
    r.report(m, [...path, "type"], "schema.required", "type is required");
    return undefined;
  }
  if (family === undefined) return undefined;
  const names = family === "IPv4" ? ICMPV4_TYPES : ICMPV6_TYPES;
  const v = typeNode.kind === "scalar" ? typeNode.value : undefined;
  let type: number | undefined;
  if (typeof v === "number" && Number.isInteger(v)) type = v;
  else if (typeof v === "string" && /^[0-9]+$/.test(v)) type = Number(v);
  else if (typeof v === "string") type = names.get(v);
  if (type === undefined) {
    r.report(
      typeNode,
      [...path, "type"],
      "cilium.icmp-type",
      `unknown ${family} ICMP type ${JSON.stringify(v ?? null)}: use 0-255 or a name such as ${[...names.keys()].slice(0, 3).join(", ")}`,
    );
    return undefined;
  }
  if (type < 0 || type > 255) {
    r.report(typeNode, [...path, "type"], "cilium.icmp-type", `ICMP type ${type} is out of range: must be 0-255`);
    return undefined;
  }
  return { family, type, pos: m.pos };
}
