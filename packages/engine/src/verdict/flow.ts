import type { EndpointInfo } from "../engine/engine.ts";
import { parseIp } from "../net/ip.ts";
import { err, ok, type Result } from "../result.ts";
import type { IdentityInfo } from "../policy/peer-selector.ts";

/** A side of a flow as the user names it (`connectivity-test.md`, "Endpoint forms"). */
export type FlowPeerRef =
  | { readonly kind: "pod"; readonly namespace: string; readonly name: string }
  | { readonly kind: "ip"; readonly ip: string }
  | { readonly kind: "node"; readonly name: string }
  | { readonly kind: "service"; readonly namespace: string; readonly name: string }
  | { readonly kind: "fqdn"; readonly fqdn: string; readonly ip: string }
  | { readonly kind: "entity"; readonly entity: string };

/** L4 protocols a flow can use. */
export type FlowProtocol = "TCP" | "UDP" | "SCTP" | "ICMP" | "ICMPv6";

/** A flow to decide: a new connection (or datagram) from one side to the other. */
export interface Flow {
  readonly from: FlowPeerRef;
  readonly to: FlowPeerRef;
  readonly port: number;
  readonly protocol: FlowProtocol;
}

/**
 * A resolved side: who it is, where it runs, and whether it enforces policy. `endpoint` is set for
 * pod endpoints; `hostOf` for a node's host network (a node, or a host-network pod).
 */
export interface Party {
  readonly display: string;
  readonly ip: string | null;
  readonly node: string | null;
  readonly endpoint: EndpointInfo | null;
  readonly hostOf: string | null;
  /** The identity this side has as seen from `viewerNode`. */
  identityFrom(viewerNode: string | null): IdentityInfo;
}

/** Formats a peer reference the way the user wrote it. */
export function formatPeerRef(r: FlowPeerRef): string {
  switch (r.kind) {
    case "pod":
      return `${r.namespace}/${r.name}`;
    case "ip":
      return r.ip;
    case "node":
      return `node:${r.name}`;
    case "service":
      return `service:${r.namespace}/${r.name}`;
    case "fqdn":
      return `${r.fqdn}(${r.ip})`;
    case "entity":
      return `entity:${r.entity}`;
  }
}

/** Reads a side written as text: `<namespace>/<pod>`, an IP, `node:<name>` or `service:<namespace>/<name>` (destinations only). */
export function parsePeerText(text: string, isDestination: boolean): Result<FlowPeerRef, string> {
  if (parseIp(text) !== undefined) return ok({ kind: "ip", ip: text });
  if (text.startsWith("node:") && text.length > 5) return ok({ kind: "node", name: text.slice(5) });
  const svc = /^service:([^/]+)\/(.+)$/.exec(text);
  if (svc !== null)
    return isDestination ? ok({ kind: "service", namespace: svc[1]!, name: svc[2]! }) : err("a service can only be a destination");
  const pod = /^([^/:]+)\/([^/]+)$/.exec(text);
  if (pod !== null) return ok({ kind: "pod", namespace: pod[1]!, name: pod[2]! });
  return err(`"${text}" is not a side: use <namespace>/<pod>, an IP, node:<name>, service:<namespace>/<name>, {fqdn, ip} or {entity}`);
}
