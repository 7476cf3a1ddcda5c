import type { ClusterObject } from "../manifest/load-manifests.ts";
import { parseIp } from "../net/ip.ts";
import type { MatchType } from "../policy/map-state.ts";
import type { SourceNode, Position } from "../source/node.ts";
import type { PathSegment } from "../source/problem.ts";
import { field, type Reader } from "../source/reader.ts";
import { parsePeerText, type FlowPeerRef, type FlowProtocol } from "../verdict/flow.ts";

/** The L7 part of a case: at most one of HTTP, Kafka, DNS or gRPC. */
export type CaseL7 =
  | {
      readonly kind: "http";
      readonly method: string;
      readonly path: string;
      readonly headers: ReadonlyMap<string, string>;
      readonly host: string | null;
    }
  | {
      readonly kind: "kafka";
      readonly apiKey: string;
      readonly topic: string | null;
      readonly clientID: string | null;
      readonly apiVersion: number | null;
    }
  | { readonly kind: "dns"; readonly query: string }
  | { readonly kind: "grpc"; readonly service: string; readonly method: string }
  /** A TLS connection whose ClientHello names `serverName` (null: none), for `serverNames` rules (membrane's addition). */
  | { readonly kind: "tls"; readonly serverName: string | null };

/** One case of a ConnectivityTest (`connectivity-test.md`), with membrane's optional expectations on how it is decided. */
export interface TestCase {
  readonly index: number;
  readonly from: FlowPeerRef;
  readonly to: FlowPeerRef;
  readonly port: number;
  readonly protocol: FlowProtocol;
  readonly expect: "allow" | "deny";
  readonly l7: CaseL7 | null;
  /** Extension: the match type the deciding entry must have. */
  readonly expectMatchType: MatchType | null;
  /** Extension: the drop reason a denied case must have. */
  readonly expectDropReason: "POLICY_DENIED" | "POLICY_DENY" | null;
  readonly pos: Position;
}

/** A ConnectivityTest document. */
export interface ConnectivityTest {
  readonly name: string;
  readonly cases: readonly TestCase[];
  readonly file: string;
  readonly document: number;
}

const CASE_FIELDS = new Set(["from", "to", "port", "protocol", "expect", "http", "kafka", "dns", "grpc", "tls", "matchType", "dropReason"]);
const PROTOCOLS: readonly FlowProtocol[] = ["TCP", "UDP", "SCTP", "ICMP", "ICMPv6"];
const MATCH_TYPES: readonly MatchType[] = ["NONE", "L3_ONLY", "L3_L4", "L4_ONLY", "ALL", "L3_PROTO", "PROTO_ONLY"];
type Path = readonly PathSegment[];

/** Reads a ConnectivityTest object. */
export function readConnectivityTest(r: Reader, o: ClusterObject): ConnectivityTest | undefined {
  r.map(o.node, o.path, new Set(["apiVersion", "kind", "metadata", "spec"]));
  const av = field(o.node, "apiVersion");
  if (av?.kind !== "scalar" || av.value !== "membrane.dev/v1alpha1")
    r.report(av ?? o.node, [...o.path, "apiVersion"], "schema.api-version", "ConnectivityTest must have apiVersion membrane.dev/v1alpha1");
  const meta = field(o.node, "metadata");
  const nameNode = meta?.kind === "map" ? field(meta, "name") : undefined;
  const name = nameNode === undefined ? undefined : r.string(nameNode, [...o.path, "metadata", "name"]);
  if (nameNode === undefined) r.report(meta ?? o.node, [...o.path, "metadata", "name"], "schema.required", "metadata.name is required");
  const specNode = field(o.node, "spec");
  const spec = specNode === undefined ? undefined : r.map(specNode, [...o.path, "spec"], new Set(["cases"]));
  if (specNode === undefined) r.report(o.node, [...o.path, "spec"], "schema.required", "spec is required");
  const casesNode = spec && field(spec, "cases");
  const cases = casesNode === undefined ? [] : r.list(casesNode, [...o.path, "spec", "cases"], (n, p) => readCase(r, n, p));
  if (name === undefined || cases === undefined || spec === undefined) return undefined;
  return { name, cases: cases.map((c, index) => ({ ...c, index })), file: o.file, document: o.document };
}

function readCase(r: Reader, node: SourceNode, path: Path): Omit<TestCase, "index"> | undefined {
  const m = r.map(node, path, CASE_FIELDS);
  if (m === undefined) return undefined;
  const need = (key: string): SourceNode | undefined => {
    const n = field(m, key);
    if (n === undefined) r.report(m, [...path, key], "schema.required", `${key} is required`);
    return n;
  };
  const fromNode = need("from");
  const toNode = need("to");
  const expectNode = need("expect");
  const from = fromNode && readPeer(r, fromNode, [...path, "from"], false);
  const to = toNode && readPeer(r, toNode, [...path, "to"], true);
  const expect = expectNode && r.oneOf(expectNode, [...path, "expect"], ["allow", "deny"] as const);
  const protoNode = field(m, "protocol");
  const protocol = protoNode === undefined ? "TCP" : r.oneOf(protoNode, [...path, "protocol"], PROTOCOLS);
  const portNode = field(m, "port");
  const icmp = protocol === "ICMP" || protocol === "ICMPv6";
  let port: number | undefined = icmp ? (protocol === "ICMP" ? 8 : 128) : undefined;
  if (portNode !== undefined) {
    port = r.integer(portNode, [...path, "port"]);
    if (port !== undefined && (port < 0 || port > (icmp ? 255 : 65535))) {
      r.report(portNode, [...path, "port"], "schema.range", icmp ? "an ICMP case's port is the ICMP type: 0-255" : "port must be 0-65535");
      port = undefined;
    }
  } else if (!icmp) r.report(m, [...path, "port"], "schema.required", "port is required");
  const l7 = readL7(r, m, path);
  const mtNode = field(m, "matchType");
  const expectMatchType = mtNode === undefined ? null : r.oneOf(mtNode, [...path, "matchType"], MATCH_TYPES);
  const drNode = field(m, "dropReason");
  const expectDropReason =
    drNode === undefined ? null : r.oneOf(drNode, [...path, "dropReason"], ["POLICY_DENIED", "POLICY_DENY"] as const);
  if (
    !from ||
    !to ||
    !expect ||
    protocol === undefined ||
    port === undefined ||
    l7 === undefined ||
    expectMatchType === undefined ||
    expectDropReason === undefined
  )
    return undefined;
  return { from, to, port, protocol, expect, l7, expectMatchType, expectDropReason, pos: m.pos };
}

/** Reads a side: `ns/pod`, an IP, `node:<name>`, `service:<ns>/<name>`, `{fqdn, ip}` or `{entity}`. */
function readPeer(r: Reader, node: SourceNode, path: Path, isDestination: boolean): FlowPeerRef | undefined {
  if (node.kind === "map") {
    const m = r.map(node, path, new Set(["fqdn", "ip", "entity"]));
    if (m === undefined) return undefined;
    const entity = field(m, "entity");
    if (entity !== undefined) {
      const e = r.string(entity, [...path, "entity"]);
      return e === undefined ? undefined : { kind: "entity", entity: e };
    }
    const fqdn = field(m, "fqdn");
    const ip = field(m, "ip");
    if (fqdn === undefined || ip === undefined || !isDestination) {
      r.report(
        m,
        path,
        "scenario.peer",
        isDestination ? "an object side needs fqdn and ip, or entity" : "{fqdn, ip} can only be a destination",
      );
      return undefined;
    }
    const f = r.string(fqdn, [...path, "fqdn"]);
    const i = r.string(ip, [...path, "ip"]);
    if (i !== undefined && parseIp(i) === undefined) r.report(ip, [...path, "ip"], "scenario.ip", `"${i}" is not an IP address`);
    return f === undefined || i === undefined || parseIp(i) === undefined ? undefined : { kind: "fqdn", fqdn: f, ip: i };
  }
  const text = r.string(node, path);
  if (text === undefined) return undefined;
  const parsed = parsePeerText(text, isDestination);
  if (parsed.ok) return parsed.value;
  r.report(node, path, "scenario.peer", parsed.error);
  return undefined;
}

function readL7(r: Reader, m: Parameters<typeof field>[0], path: Path): CaseL7 | null | undefined {
  const kinds = ["http", "kafka", "dns", "grpc", "tls"].filter((k) => field(m, k) !== undefined);
  if (kinds.length === 0) return null;
  if (kinds.length > 1) {
    r.report(m, path, "scenario.l7", `a case may carry at most one of http, kafka, dns, grpc, tls (found ${kinds.join(", ")})`);
    return undefined;
  }
  const kind = kinds[0]!;
  const p = [...path, kind];
  const n = r.object(field(m, kind)!, p);
  if (n === undefined) return undefined;
  const str = (key: string, required: boolean): string | null | undefined => {
    const v = field(n, key);
    if (v === undefined) {
      if (required) r.report(n, [...p, key], "schema.required", `${key} is required`);
      return required ? undefined : null;
    }
    return r.string(v, [...p, key]);
  };
  switch (kind) {
    case "http": {
      const method = str("method", false);
      const pathText = str("path", false);
      const host = str("host", false);
      const hNode = field(n, "headers");
      const headers = hNode === undefined ? new Map<string, string>() : r.stringMap(hNode, [...p, "headers"]);
      if (method === undefined || pathText === undefined || host === undefined || headers === undefined) return undefined;
      return { kind, method: method ?? "GET", path: pathText ?? "/", headers, host };
    }
    case "kafka": {
      const apiKey = str("apiKey", true);
      const topic = str("topic", false);
      const clientID = str("clientID", false);
      const vNode = field(n, "apiVersion");
      const apiVersion = vNode === undefined ? null : r.integer(vNode, [...p, "apiVersion"]);
      if (!apiKey || topic === undefined || clientID === undefined || apiVersion === undefined) return undefined;
      return { kind, apiKey, topic, clientID, apiVersion };
    }
    case "dns": {
      const query = str("query", true);
      return query ? { kind, query } : undefined;
    }
    case "tls": {
      const serverName = str("serverName", false);
      return serverName === undefined ? undefined : { kind, serverName };
    }
    default: {
      const service = str("service", true);
      const method = str("method", true);
      return service && method ? { kind: "grpc", service, method } : undefined;
    }
  }
}
