/**
 * Hubble flows from what membrane's L7 proxies reported: one per request when it is decided and
 * one per response (Hubble's REQUEST / RESPONSE L7 records, event type 129). A response travels
 * back, so its source is the server and `is_reply` is set, as Hubble shows Envoy's records. The
 * policies named are those of the redirect entry: they allowed a forwarded request, and their L7
 * rules are what a dropped one did not match.
 */
import type { Engine } from "../engine/engine.ts";
import type { NumericIdentity } from "../identity/numeric-identity.ts";
import { clean, flowEndpoint, policiesOf } from "./from-verdict.ts";
import { EVENT_TYPE, type Flow, type FlowL7 } from "./flow.ts";

/** One proxy record, as plain data (the proxies record it; the agent adds where and between whom). */
export interface ProxyRecord {
  /** The node whose proxy handled the connection. */
  readonly node: string;
  /** The side whose policy the proxy enforced. */
  readonly direction: "ingress" | "egress";
  readonly type: "REQUEST" | "RESPONSE";
  /** AUDIT: a request the proxy would have denied, let through by audit mode. */
  readonly verdict: "FORWARDED" | "DROPPED" | "AUDIT";
  /** TCP or UDP (DNS). */
  readonly proto: number;
  /** The connection's client and server (the original destination). */
  readonly client: { readonly ip: string; readonly port: number; readonly identity: NumericIdentity };
  readonly server: { readonly ip: string; readonly port: number };
  readonly proxyPort: number;
  /** The L7 record: `http`, `kafka` or `dns` (none for TLS, which Hubble has no record for), with `latency_ns` on responses. */
  readonly l7: Omit<FlowL7, "type">;
  readonly summary: string;
  readonly time: string;
}

/** The Hubble flow of one proxy record. */
export function proxyFlow(engine: Engine, r: ProxyRecord): Flow {
  const clientEp = engine.endpointByIp(r.client.ip) ?? null;
  const serverEp = engine.endpointByIp(r.server.ip) ?? null;
  const clientId = clientEp?.identity ?? engine.cache.identity(r.client.identity) ?? engine.identityOfIp(r.client.ip, r.node);
  const client = flowEndpoint(engine, clientEp, clientId);
  const serverId = serverEp?.identity ?? engine.identityOfIp(r.server.ip, r.node);
  const server = flowEndpoint(engine, serverEp, serverId);
  const local = r.direction === "ingress" ? serverEp : clientEp;
  const side = local === null ? undefined : engine.policyOf(local)[r.direction];
  const peer = r.direction === "ingress" ? clientId.id : serverId.id;
  const lookup = side?.map.lookup(peer, r.proto, r.server.port);
  const policies = side === undefined || lookup === undefined ? [] : policiesOf({ lookup, enforcement: side.enforcement }, engine.revision);
  const reply = r.type === "RESPONSE";
  const [from, to] = reply ? [r.server, r.client] : [r.client, r.server];
  return clean({
    time: r.time,
    verdict: r.verdict,
    IP: { source: from.ip, destination: to.ip, ipVersion: from.ip.includes(":") ? "IPv6" : "IPv4" },
    l4:
      r.proto === 17
        ? { UDP: { source_port: from.port, destination_port: to.port } }
        : { TCP: { source_port: from.port, destination_port: to.port } },
    source: reply ? server : client,
    destination: reply ? client : server,
    Type: "L7",
    node_name: r.node,
    l7: { type: r.type, ...r.l7 },
    event_type: { type: EVENT_TYPE.l7 },
    traffic_direction: r.direction === "ingress" ? "INGRESS" : "EGRESS",
    is_reply: reply,
    proxy_port: r.proxyPort,
    // An audited request names the policies whose L7 rules would have denied it.
    [`${r.direction}_${r.verdict === "FORWARDED" ? "allowed" : "denied"}_by`]: policies.length > 0 ? policies : undefined,
    Summary: r.summary,
  });
}
