import { ok, type Result } from "@membrane/engine";
import { decodeProxyOrigin, encodeProxyOriginKey, PROXY_ORIGIN, type ProxyOrigin } from "../codec/proxy-origin.ts";
import { mapLookup, type KernelError, type MapFd } from "../kernel/bpf.ts";

/** Where the datagram a proxy received from `source:sourcePort` was going; null when the datapath did not redirect it. */
export function lookupProxyOrigin(map: MapFd, source: string, sourcePort: number, proto: number): Result<ProxyOrigin | null, KernelError> {
  const key = encodeProxyOriginKey(source, sourcePort, proto);
  if (key === undefined) return ok(null);
  const v = mapLookup(map, key, PROXY_ORIGIN.size);
  if (!v.ok) return v;
  return ok(v.value === null ? null : decodeProxyOrigin(key, v.value));
}
