/** The byte layout of the conntrack map (bpf/include/membrane/abi.h: ct_key, ct_entry), for GC, dumps and the proxies' lookups. */
import { asIdentity, parseIp, type NumericIdentity } from "@membrane/engine";
import { addressAt } from "./address.ts";

export const CT_KEY = { size: 40, saddr: 0, daddr: 16, sport: 32, dport: 34, proto: 36, family: 37, dir: 38 } as const;
export const CT_ENTRY = {
  size: 48,
  expires: 0,
  packets: 8,
  bytes: 16,
  reply_packets: 24,
  remote_identity: 32,
  proxy_port: 36,
  tcp_flags: 38,
  flags: 39,
  policy_epoch: 40,
  tunnel_endpoint: 44,
} as const;

/** One tracked flow, as the endpoint that tracks it saw it. */
export interface ConntrackEntry {
  readonly source: string;
  readonly destination: string;
  readonly sourcePort: number;
  readonly destinationPort: number;
  readonly proto: number;
  /** egress: tracked by from-container (the endpoint opened it); ingress: by to-container. */
  readonly direction: "egress" | "ingress";
  /** bpf_ktime_get_ns() deadline, in nanoseconds of CLOCK_MONOTONIC. */
  readonly expires: bigint;
  readonly packets: bigint;
  readonly bytes: bigint;
  readonly replyPackets: bigint;
  readonly remoteIdentity: NumericIdentity;
  readonly proxyPort: number;
  readonly replySeen: boolean;
  readonly closing: boolean;
}

/** The destination of a flow its source endpoint tracks (CT_EGRESS); null for one its destination tracks. */
export function egressDestinationOf(key: Buffer): string | null {
  return key[CT_KEY.dir] === 0 ? addressAt(key, CT_KEY.daddr, key[CT_KEY.family]!) : null;
}

/** A flow as one endpoint direction tracks it: the original direction's addresses and ports. */
export type ConntrackFlow = Pick<ConntrackEntry, "source" | "destination" | "sourcePort" | "destinationPort" | "proto" | "direction">;

/** Encodes the key of a flow (undefined when an address is not an IP). */
export function encodeConntrackKey(flow: ConntrackFlow): Buffer | undefined {
  const s = parseIp(flow.source);
  const d = parseIp(flow.destination);
  if (s === undefined || d === undefined || s.family !== d.family) return undefined;
  const k = Buffer.alloc(CT_KEY.size);
  k.set(s.bytes, CT_KEY.saddr);
  k.set(d.bytes, CT_KEY.daddr);
  k.writeUInt16BE(flow.sourcePort, CT_KEY.sport);
  k.writeUInt16BE(flow.destinationPort, CT_KEY.dport);
  k[CT_KEY.proto] = flow.proto;
  k[CT_KEY.family] = s.family;
  k[CT_KEY.dir] = flow.direction === "ingress" ? 1 : 0;
  return k;
}

/** Decodes a key and its entry. */
export function decodeConntrack(key: Buffer, entry: Buffer): ConntrackEntry {
  const family = key[CT_KEY.family]!;
  const flags = entry[CT_ENTRY.flags]!;
  return {
    source: addressAt(key, CT_KEY.saddr, family),
    destination: addressAt(key, CT_KEY.daddr, family),
    sourcePort: key.readUInt16BE(CT_KEY.sport),
    destinationPort: key.readUInt16BE(CT_KEY.dport),
    proto: key[CT_KEY.proto]!,
    direction: key[CT_KEY.dir] === 1 ? "ingress" : "egress",
    expires: entry.readBigUInt64LE(CT_ENTRY.expires),
    packets: entry.readBigUInt64LE(CT_ENTRY.packets),
    bytes: entry.readBigUInt64LE(CT_ENTRY.bytes),
    replyPackets: entry.readBigUInt64LE(CT_ENTRY.reply_packets),
    remoteIdentity: asIdentity(entry.readUInt32LE(CT_ENTRY.remote_identity)),
    proxyPort: entry.readUInt16LE(CT_ENTRY.proxy_port),
    replySeen: (flags & 1) !== 0,
    closing: (flags & 2) !== 0,
  };
}
