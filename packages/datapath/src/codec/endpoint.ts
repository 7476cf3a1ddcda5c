/** The byte layout of the endpoints map (bpf/include/membrane/abi.h: endpoint_info), keyed by a u32 ifindex. */
import type { IpAddress, NumericIdentity } from "@membrane/engine";

export const ENDPOINT_INFO = { size: 32, ep_id: 0, identity: 4, flags: 8, ipv4: 12, ipv6: 16 } as const;

export const ENDPOINT_FLAGS = { ingressEnforced: 1, egressEnforced: 2, hasIpv4: 4, hasIpv6: 8, ingressAudit: 16, egressAudit: 32 } as const;

/** What the datapath knows of a local endpoint. */
export interface EndpointRecord {
  readonly epId: number;
  readonly identity: NumericIdentity;
  readonly ingressEnforced: boolean;
  readonly egressEnforced: boolean;
  /** Audit mode for drops for want of an allow, per direction. */
  readonly ingressAudit: boolean;
  readonly egressAudit: boolean;
  readonly addresses: readonly IpAddress[];
}

/** The key: the ifindex of the endpoint's host-side veth. */
export function encodeEndpointKey(ifindex: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(ifindex, 0);
  return b;
}

/** `struct endpoint_info` (the first address of each family is the one the pod may send from). */
export function encodeEndpointInfo(ep: EndpointRecord): Buffer {
  const b = Buffer.alloc(ENDPOINT_INFO.size);
  b.writeUInt32LE(ep.epId, ENDPOINT_INFO.ep_id);
  b.writeUInt32LE(ep.identity, ENDPOINT_INFO.identity);
  let flags =
    (ep.ingressEnforced ? ENDPOINT_FLAGS.ingressEnforced : 0) |
    (ep.egressEnforced ? ENDPOINT_FLAGS.egressEnforced : 0) |
    (ep.ingressAudit ? ENDPOINT_FLAGS.ingressAudit : 0) |
    (ep.egressAudit ? ENDPOINT_FLAGS.egressAudit : 0);
  const v4 = ep.addresses.find((a) => a.family === 4);
  const v6 = ep.addresses.find((a) => a.family === 6);
  if (v4 !== undefined) {
    b.set(v4.bytes, ENDPOINT_INFO.ipv4);
    flags |= ENDPOINT_FLAGS.hasIpv4;
  }
  if (v6 !== undefined) {
    b.set(v6.bytes, ENDPOINT_INFO.ipv6);
    flags |= ENDPOINT_FLAGS.hasIpv6;
  }
  b.writeUInt32LE(flags, ENDPOINT_INFO.flags);
  return b;
}

/** Reads back the endpoint id of a `struct endpoint_info`, and the ifindex of its key. */
export function decodeEndpoint(key: Buffer, info: Buffer): { readonly ifindex: number; readonly epId: number } {
  return { ifindex: key.readUInt32LE(0), epId: info.readUInt32LE(ENDPOINT_INFO.ep_id) };
}
