/**
 * Carries conntrack entries over from an earlier layout when the programs are upgraded: the agent
 * reloads over its pinned maps, and libbpf reuses a pin whenever sizes match, so a map whose
 * layout changes takes a new name and its old pin is read here, written in the new layout, and
 * removed. Established flows keep their state across the upgrade (replies stay replies); a flow
 * the old programs open between this copy and tc attaching the new ones is decided again by them.
 *
 * `membrane_ct` (until the one-key layout): keyed by the tuple as the flow was opened and by which
 * program made the entry; its entries are laid out as today's, less CT_F_INGRESS.
 */
import { closeSync, existsSync, rmSync } from "node:fs";
import { join } from "node:path";
import { err, ok, type Result } from "@membrane/engine";
import { addressAt } from "../codec/address.ts";
import { CT_ENTRY, CT_FLAGS, encodeConntrackKey } from "../codec/conntrack.ts";
import { mapKeys, mapLookup, mapUpdate, openPinnedMap, type KernelError, type MapFd } from "../kernel/bpf.ts";

const V1_NAME = "membrane_ct";
const V1_KEY = { size: 40, saddr: 0, daddr: 16, sport: 32, dport: 34, proto: 36, family: 37, dir: 38 } as const;

/** Moves the entries of an earlier layout's pin in `pinDir` into `map`; returns how many it moved (0 when there was none). */
export function migrateConntrack(pinDir: string, map: MapFd): Result<number, KernelError> {
  const pin = join(pinDir, V1_NAME);
  if (!existsSync(pin)) return ok(0);
  const old = openPinnedMap(pin);
  if (!old.ok) return old;
  try {
    const keys = mapKeys(old.value, V1_KEY.size);
    if (!keys.ok) return keys;
    let moved = 0;
    for (const k of keys.value) {
      const v = mapLookup(old.value, k, CT_ENTRY.size);
      if (!v.ok) return v;
      if (v.value === null) continue; // gone meanwhile
      const family = k[V1_KEY.family]!;
      const ingress = k[V1_KEY.dir] === 1;
      const key = encodeConntrackKey({
        source: addressAt(k, V1_KEY.saddr, family),
        destination: addressAt(k, V1_KEY.daddr, family),
        sourcePort: k.readUInt16BE(V1_KEY.sport),
        destinationPort: k.readUInt16BE(V1_KEY.dport),
        proto: k[V1_KEY.proto]!,
        direction: ingress ? "ingress" : "egress",
      });
      if (key === undefined) continue;
      const entry = Buffer.from(v.value);
      if (ingress) entry[CT_ENTRY.flags] = entry[CT_ENTRY.flags]! | CT_FLAGS.ingress;
      const written = mapUpdate(map, key, entry);
      if (!written.ok) return err(written.error);
      moved++;
    }
    rmSync(pin);
    return ok(moved);
  } finally {
    closeSync(old.value);
  }
}
