/**
 * The proxy origins map (bpf/include/membrane/abi.h: proxy_origin_key, proxy_origin): where a UDP
 * flow redirected to a proxy was going, and its source's identity, by its source address and port.
 */
import { asIdentity, parseIp, type NumericIdentity } from "@membrane/engine";
import { addressAt } from "./address.ts";

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

/** Decodes a value (its addresses are of the key's family). */
export function decodeProxyOrigin(key: Buffer, v: Buffer): ProxyOrigin {
  return {
    destination: addressAt(v, PROXY_ORIGIN.daddr, key[PROXY_ORIGIN_KEY.family]!),
    destinationPort: v.readUInt16BE(PROXY_ORIGIN.dport),
    identity: asIdentity(v.readUInt32LE(PROXY_ORIGIN.identity)),
  };
}
