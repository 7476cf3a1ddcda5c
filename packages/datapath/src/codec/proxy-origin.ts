/**
 * The proxy origins map (bpf/include/membrane/abi.h: proxy_origin_key, proxy_origin): where a UDP
 * flow redirected to a proxy was going, and its source's identity, by its source address and port.
 */
import { asIdentity, formatIp, parseIp, type NumericIdentity } from "@membrane/engine";

export const PROXY_ORIGIN_KEY = { size: 20, saddr: 0, sport: 16, proto: 18, family: 19 } as const;
export const PROXY_ORIGIN = { size: 24, daddr: 0, dport: 16, identity: 20 } as const;

/** Where a redirected datagram was going, and who sent it. */
export interface ProxyOrigin {
  readonly destination: string;
  readonly destinationPort: number;
  readonly identity: NumericIdentity;
}

/** The key of a source (undefined when `source` is not an IP). */
export function encodeProxyOriginKey(source: string, sourcePort: number, proto: number): Buffer | undefined {
  const s = parseIp(source);
  if (s === undefined) return undefined;
  const k = Buffer.alloc(PROXY_ORIGIN_KEY.size);
  k.set(s.bytes, PROXY_ORIGIN_KEY.saddr);
  k.writeUInt16BE(sourcePort, PROXY_ORIGIN_KEY.sport);
  k[PROXY_ORIGIN_KEY.proto] = proto;
  k[PROXY_ORIGIN_KEY.family] = s.family;
  return k;
}

/** Decodes a value (`family` is the key's). */
export function decodeProxyOrigin(v: Buffer, family: 4 | 6): ProxyOrigin {
  return {
    destination: formatIp({ family, bytes: v.subarray(PROXY_ORIGIN.daddr, PROXY_ORIGIN.daddr + (family === 6 ? 16 : 4)) }),
    destinationPort: v.readUInt16BE(PROXY_ORIGIN.dport),
    identity: asIdentity(v.readUInt32LE(PROXY_ORIGIN.identity)),
  };
}
