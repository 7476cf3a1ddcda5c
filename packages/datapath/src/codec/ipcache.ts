/** The byte layout of the ipcache map (bpf/include/membrane/abi.h: ipcache_key, ipcache_entry). */
import type { IpPrefix, NumericIdentity } from "@membrane/engine";

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
