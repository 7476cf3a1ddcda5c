/** The byte layout of the conntrack map (bpf/include/membrane/abi.h: ct_key, ct_entry), for GC, dumps and the proxies' lookups. */
import { asIdentity, parseIp, type NumericIdentity } from "@membrane/engine";
import { addressAt } from "./address.ts";

export const CT_KEY = { size: 40, lo_addr: 0, hi_addr: 16, lo_port: 32, hi_port: 34, proto: 36, family: 37, endpoint_end: 38 } as const;
const CT_END_HI = 1;
/** ct_entry.flags (CT_F_*). */
export const CT_FLAGS = { replySeen: 1, closing: 2, ingress: 4 } as const;
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

interface End {
  readonly address: string;
  readonly port: number;
}

/** The flow's ends: the endpoint's, and the other. */
function endsOf(key: Buffer): { readonly endpoint: End; readonly remote: End } {
  const family = key[CT_KEY.family]!;
  const lo = { address: addressAt(key, CT_KEY.lo_addr, family), port: key.readUInt16BE(CT_KEY.lo_port) };
  const hi = { address: addressAt(key, CT_KEY.hi_addr, family), port: key.readUInt16BE(CT_KEY.hi_port) };
  return key[CT_KEY.endpoint_end] === CT_END_HI ? { endpoint: hi, remote: lo } : { endpoint: lo, remote: hi };
}

/** The destination of a flow its endpoint opened (from-container made the entry); null for one opened towards it. */
export function egressDestinationOf(key: Buffer, entry: Buffer): string | null {
  return (entry[CT_ENTRY.flags]! & CT_FLAGS.ingress) === 0 ? endsOf(key).remote.address : null;
}

/** A flow as one endpoint direction tracks it: the original direction's addresses and ports. */
export type ConntrackFlow = Pick<ConntrackEntry, "source" | "destination" | "sourcePort" | "destinationPort" | "proto" | "direction">;

/**
 * Encodes the key of a flow (undefined when an address is not an IP): its ends in bpf/lib/conntrack.h's
 * order (ct_end_before: the address byte by byte, then the port), the endpoint's being the
 * source for an egress flow and the destination for an ingress one.
 */
export function encodeConntrackKey(flow: ConntrackFlow): Buffer | undefined {
  const s = parseIp(flow.source);
  const d = parseIp(flow.destination);
  if (s === undefined || d === undefined || s.family !== d.family) return undefined;
  // Both of one family: comparing their bytes is comparing the key's 16-byte fields.
  const byAddress = Buffer.compare(s.bytes, d.bytes);
  const sourceLo = byAddress < 0 || (byAddress === 0 && flow.sourcePort < flow.destinationPort);
  const [lo, hi] = sourceLo ? [s, d] : [d, s];
  const k = Buffer.alloc(CT_KEY.size);
  k.set(lo.bytes, CT_KEY.lo_addr);
  k.set(hi.bytes, CT_KEY.hi_addr);
  k.writeUInt16BE(sourceLo ? flow.sourcePort : flow.destinationPort, CT_KEY.lo_port);
  k.writeUInt16BE(sourceLo ? flow.destinationPort : flow.sourcePort, CT_KEY.hi_port);
  k[CT_KEY.proto] = flow.proto;
  k[CT_KEY.family] = s.family;
  k[CT_KEY.endpoint_end] = (flow.direction === "egress") === sourceLo ? 0 : CT_END_HI;
  return k;
}

/** Decodes a key and its entry. */
export function decodeConntrack(key: Buffer, entry: Buffer): ConntrackEntry {
  const flags = entry[CT_ENTRY.flags]!;
  const ingress = (flags & CT_FLAGS.ingress) !== 0;
  const { endpoint, remote } = endsOf(key);
  const [source, destination] = ingress ? [remote, endpoint] : [endpoint, remote];
  return {
    source: source.address,
    destination: destination.address,
    sourcePort: source.port,
    destinationPort: destination.port,
    proto: key[CT_KEY.proto]!,
    direction: ingress ? "ingress" : "egress",
    expires: entry.readBigUInt64LE(CT_ENTRY.expires),
    packets: entry.readBigUInt64LE(CT_ENTRY.packets),
    bytes: entry.readBigUInt64LE(CT_ENTRY.bytes),
    replyPackets: entry.readBigUInt64LE(CT_ENTRY.reply_packets),
    remoteIdentity: asIdentity(entry.readUInt32LE(CT_ENTRY.remote_identity)),
    proxyPort: entry.readUInt16LE(CT_ENTRY.proxy_port),
    replySeen: (flags & CT_FLAGS.replySeen) !== 0,
    closing: (flags & CT_FLAGS.closing) !== 0,
  };
}
