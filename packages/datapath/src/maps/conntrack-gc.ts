/**
 * Conntrack garbage collection (Cilium's ctmap GC): entries past their deadline are deleted. The
 * datapath already ignores expired entries and the LRU map evicts under pressure; collecting keeps
 * the map's room for live flows. Deadlines are bpf_ktime_get_ns() values, CLOCK_MONOTONIC — the
 * clock of process.hrtime.bigint() on Linux.
 */
import { err, ok, type Result } from "@membrane/engine";
import { mapDelete, mapKeys, mapLookup, type KernelError, type MapFd } from "../kernel/bpf.ts";
import { CT_ENTRY, CT_KEY, egressDestinationOf } from "../codec/conntrack.ts";

/**
 * What one collection did, and the destinations of the live flows pods opened (the DNS cache
 * keeps those: Cilium's zombies; flows into a pod end at the pod, never at an FQDN address).
 */
export interface GcReport {
  readonly scanned: number;
  readonly deleted: number;
  readonly liveDestinations: ReadonlySet<string>;
}

/** Deletes every entry whose deadline is before `now` (default: the monotonic clock now). */
export function collectConntrack(map: MapFd, now: bigint = process.hrtime.bigint()): Result<GcReport, KernelError> {
  const keys = mapKeys(map, CT_KEY.size);
  if (!keys.ok) return err(keys.error);
  let deleted = 0;
  const liveDestinations = new Set<string>();
  for (const k of keys.value) {
    const v = mapLookup(map, k, CT_ENTRY.size);
    if (!v.ok) return err(v.error);
    if (v.value === null) continue;
    if (v.value.readBigUInt64LE(CT_ENTRY.expires) >= now) {
      const destination = egressDestinationOf(k, v.value);
      if (destination !== null) liveDestinations.add(destination);
      continue;
    }
    const d = mapDelete(map, k);
    if (!d.ok) return err(d.error);
    if (d.value) deleted++;
  }
  return ok({ scanned: keys.value.length, deleted, liveDestinations });
}
