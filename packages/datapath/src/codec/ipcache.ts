/** The byte layout of the ipcache map (bpf/include/membrane/abi.h: ipcache_key, ipcache_entry). */
import { asIdentity, type IpPrefix, type NumericIdentity } from "@membrane/engine";

export const IPCACHE_KEY = { size: 24, prefixlen: 0, family: 4, addr: 8 } as const;
export const IPCACHE_ENTRY = { size: 12, identity: 0, tunnel_endpoint: 4, flags: 8 } as const;
/** The family byte always matches. */
export const IPCACHE_FIXED_PREFIX = 32;

/** `struct ipcache_key` for a prefix. */
export function encodeIpcacheKey(prefix: IpPrefix): Buffer {
  const b = Buffer.alloc(IPCACHE_KEY.size);
  b.writeUInt32LE(IPCACHE_FIXED_PREFIX + prefix.bits, IPCACHE_KEY.prefixlen);
  b[IPCACHE_KEY.family] = prefix.addr.family;
  b.set(prefix.addr.bytes, IPCACHE_KEY.addr);
  return b;
}

/** `struct ipcache_entry`: the identity, and the node hosting the address (none for local or non-pod addresses). */
export function encodeIpcacheEntry(identity: NumericIdentity, tunnelEndpoint: Uint8Array | null = null): Buffer {
  const b = Buffer.alloc(IPCACHE_ENTRY.size);
  b.writeUInt32LE(identity, IPCACHE_ENTRY.identity);
  if (tunnelEndpoint !== null) b.set(tunnelEndpoint, IPCACHE_ENTRY.tunnel_endpoint);
  return b;
}

/** Reads back an ipcache key and entry: the prefix and its identity. */
export function decodeIpcache(
  key: Buffer,
  entry: Buffer,
): { readonly prefix: IpPrefix; readonly identity: NumericIdentity; readonly tunnelEndpoint: Uint8Array | undefined } {
  const family = key[IPCACHE_KEY.family] === 6 ? 6 : 4;
  const bytes = Uint8Array.from(key.subarray(IPCACHE_KEY.addr, IPCACHE_KEY.addr + (family === 6 ? 16 : 4)));
  const tunnel = Uint8Array.from(entry.subarray(IPCACHE_ENTRY.tunnel_endpoint, IPCACHE_ENTRY.tunnel_endpoint + 4));
  return {
    prefix: { addr: { family, bytes }, bits: key.readUInt32LE(IPCACHE_KEY.prefixlen) - IPCACHE_FIXED_PREFIX },
    identity: asIdentity(entry.readUInt32LE(IPCACHE_ENTRY.identity)),
    tunnelEndpoint: tunnel.some((x) => x !== 0) ? tunnel : undefined,
  };
}
