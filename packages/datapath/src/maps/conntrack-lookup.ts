import { ok, type Result } from "@membrane/engine";
import { CT_ENTRY, decodeConntrack, encodeConntrackKey, type ConntrackEntry, type ConntrackFlow } from "../codec/conntrack.ts";
import { mapLookup, type KernelError, type MapFd } from "../kernel/bpf.ts";

/**
 * The live conntrack entry of a flow, null when untracked or expired. The proxies ask it for the
 * identity the datapath gave a redirected flow's source (from the ipcache, the VNI or the egress
 * proxy's mark), so they enforce for the same source the kernel saw.
 */
export function lookupConntrack(
  map: MapFd,
  flow: ConntrackFlow,
  now: bigint = process.hrtime.bigint(),
): Result<ConntrackEntry | null, KernelError> {
  const key = encodeConntrackKey(flow);
  if (key === undefined) return ok(null);
  const v = mapLookup(map, key, CT_ENTRY.size);
  if (!v.ok) return v;
  if (v.value === null) return ok(null);
  const entry = decodeConntrack(key, v.value);
  // One key holds a flow's both directions: an entry for the flow opened the other way is not this one.
  return ok(entry.expires < now || entry.direction !== flow.direction ? null : entry);
}
