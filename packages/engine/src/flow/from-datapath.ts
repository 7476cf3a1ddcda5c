/**
 * Hubble flows from what the kernel datapath reported (policy-verdict and drop events, §7.4): the
 * addresses are resolved to endpoints and identities as the reporting node sees them, and the
 * policies behind the verdict are read from the same map entry the kernel used.
 */
import type { Engine } from "../engine/engine.ts";
import type { NumericIdentity } from "../identity/numeric-identity.ts";
import { protocolName } from "../policy/protocol.ts";
import { clean, flowEndpoint, logsOf, policiesOf } from "./from-verdict.ts";
import { EVENT_TYPE, type Flow, type FlowEndpoint, type FlowL4, type TcpFlags } from "./flow.ts";

/** One datapath event, as plain data (the datapath package decodes it from the ring buffer). */
export interface DatapathRecord {
  readonly kind: "policy-verdict" | "drop";
  readonly direction: "ingress" | "egress";
  /** The node whose datapath reported it. */
  readonly node: string;
  /** 0 allowed, > 0 the proxy port, < 0 the drop code. */
  readonly verdict: number;
  readonly dropReasonName: string | null;
  readonly matchType: number;
  readonly remoteIdentity: NumericIdentity;
  readonly proto: number;
  readonly source: string;
  readonly destination: string;
  readonly sourcePort: number;
  /** The port policy looked up (for ICMP the type). */
  readonly destinationPort: number;
  readonly tcpFlags: number;
  /** Audit mode let the would-be drop in `verdict` pass. */
  readonly audited: boolean;
  readonly time: string;
}

const TCP_FLAG_BITS: readonly [keyof TcpFlags, number][] = [
  ["FIN", 0x01],
  ["SYN", 0x02],
  ["RST", 0x04],
  ["PSH", 0x08],
  ["ACK", 0x10],
  ["URG", 0x20],
  ["ECE", 0x40],
  ["CWR", 0x80],
];

function l4Of(r: DatapathRecord): FlowL4 | undefined {
  switch (r.proto) {
    case 6:
      return {
        TCP: {
          source_port: r.sourcePort,
          destination_port: r.destinationPort,
          flags: Object.fromEntries(TCP_FLAG_BITS.filter(([, bit]) => (r.tcpFlags & bit) !== 0).map(([n]) => [n, true])),
        },
      };
    case 17:
      return { UDP: { source_port: r.sourcePort, destination_port: r.destinationPort } };
    case 132:
      return { SCTP: { source_port: r.sourcePort, destination_port: r.destinationPort } };
    case 1:
      return { ICMPv4: { type: r.destinationPort, code: 0 } };
    case 58:
      return { ICMPv6: { type: r.destinationPort, code: 0 } };
  }
  return undefined;
}

/** An address as Hubble shows it from `node`: the pod behind it, or the identity the kernel used. */
function endpointAt(engine: Engine, ip: string, node: string, identity?: NumericIdentity): FlowEndpoint {
  const ep = engine.endpointByIp(ip) ?? null;
  const info = ep?.identity ?? engine.identityOfIp(ip, node);
  return flowEndpoint(engine, ep, identity === undefined || ep !== null ? info : { ...info, id: identity });
}

/** The Hubble flow of one datapath event. */
export function datapathFlow(engine: Engine, r: DatapathRecord): Flow {
  const local = engine.endpointByIp(r.direction === "egress" ? r.source : r.destination);
  const dir = r.direction === "egress" ? "egress" : "ingress";
  // The entry the kernel chose, looked up again in the engine's map for the same key.
  const side = local === undefined ? undefined : engine.policyOf(local)[r.direction];
  const lookup = side?.map.lookup(r.remoteIdentity, r.proto, r.destinationPort);
  const policies = side === undefined || lookup === undefined ? [] : policiesOf({ lookup, enforcement: side.enforcement }, engine.revision);
  const dropped = r.verdict < 0 && !r.audited;
  const remote = r.remoteIdentity;
  return clean({
    time: r.time,
    verdict: r.audited ? "AUDIT" : dropped ? "DROPPED" : r.verdict > 0 ? "REDIRECTED" : "FORWARDED",
    drop_reason: dropped ? -r.verdict : undefined,
    drop_reason_desc: dropped ? (r.dropReasonName ?? undefined) : undefined,
    IP: { source: r.source, destination: r.destination, ipVersion: r.source.includes(":") ? "IPv6" : "IPv4" },
    l4: l4Of(r),
    source: endpointAt(engine, r.source, r.node, r.direction === "ingress" ? remote : undefined),
    destination: endpointAt(engine, r.destination, r.node, r.direction === "egress" ? remote : undefined),
    Type: "L3_L4",
    node_name: r.node,
    event_type: r.kind === "drop" ? { type: EVENT_TYPE.drop, sub_type: -r.verdict } : { type: EVENT_TYPE.policyVerdict },
    traffic_direction: r.direction === "egress" ? "EGRESS" : "INGRESS",
    policy_match_type: r.kind === "policy-verdict" ? r.matchType : undefined,
    proxy_port: r.verdict > 0 ? r.verdict : undefined,
    is_reply: false,
    // An audited flow names the policies that would have dropped it.
    [dropped || r.audited ? `${dir}_denied_by` : `${dir}_allowed_by`]: policies.length > 0 ? policies : undefined,
    policy_log: lookup === undefined ? undefined : logsOf({ lookup }),
    Summary: `${protocolName(r.proto)}${r.kind === "drop" ? " (kernel drop)" : ""}`,
  });
}
