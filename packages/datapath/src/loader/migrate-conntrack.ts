/**
 * Carries conntrack entries over from an earlier layout when the programs are upgraded. The agent
 * reloads over its pinned maps and libbpf reuses any pin whose sizes match, so a map whose layout
 * changes takes a new name, and the old pin is read here:
 *
 * - at load, before any new program runs ({@link adoptEarlierConntrack}): the new map is emptied
 *   when it was pinned before the old one was (an upgrade, a rollback, an upgrade again: what it
 *   holds is stale), then every live entry is copied over;
 * - once the new programs are attached ({@link retireEarlierConntrack}): copied again, since the
 *   old programs kept tracking flows while the agent synced its maps, and the old pin is removed.
 *
 * The old map's entries are the flows' truth: they overwrite what the new programs made of the
 * same flows in between (a reply they took for a new flow). Best effort: conntrack is soft state,
 * and a failure here costs established flows their state, never the upgrade itself.
 *
 * `membrane_ct` (until the one-key layout): keyed by the tuple as the flow was opened and by which
 * program made the entry; its entries are laid out as today's, less CT_F_INGRESS.
 */
import { closeSync, existsSync, rmSync } from "node:fs";
import { join } from "node:path";
import { err, ok, type Result } from "@membrane/engine";
import { addressAt } from "../codec/address.ts";
import { CT_ENTRY, CT_FLAGS, CT_KEY, encodeConntrackKey } from "../codec/conntrack.ts";
import { mapDelete, mapInfo, mapKeys, mapLookup, mapUpdate, openPinnedMap, type KernelError, type MapFd } from "../kernel/bpf.ts";

const CURRENT_NAME = "membrane_ct_v2";
const V1 = {
  name: "membrane_ct",
  /** BPF_MAP_TYPE_LRU_HASH, and the sizes that layout had; a pin of any other shape is dropped unread. */
  type: 9,
  key: { size: 40, saddr: 0, daddr: 16, sport: 32, dport: 34, proto: 36, family: 37, dir: 38 },
  valueSize: CT_ENTRY.size,
} as const;

/** Whether the conntrack map pinned in `pinDir` will be a stale one: call before loading. */
export function staleConntrackPinned(pinDir: string): boolean {
  return existsSync(join(pinDir, V1.name)) && existsSync(join(pinDir, CURRENT_NAME));
}

/** Before the new programs run: empties `map` if `stale`, then copies the old pin's live entries in. Returns how many. */
export function adoptEarlierConntrack(pinDir: string, map: MapFd, stale: boolean): Result<number, KernelError> {
  if (!existsSync(join(pinDir, V1.name))) return ok(0);
  if (stale) {
    const keys = mapKeys(map, CT_KEY.size);
    if (!keys.ok) return keys;
    for (const k of keys.value) {
      const d = mapDelete(map, k);
      if (!d.ok) return err(d.error);
    }
  }
  return copyEarlier(pinDir, map);
}

/** After the new programs are attached: copies the old pin's live entries in again, then removes the pin. Returns how many. */
export function retireEarlierConntrack(pinDir: string, map: MapFd): Result<number, KernelError> {
  const pin = join(pinDir, V1.name);
  if (!existsSync(pin)) return ok(0);
  const copied = copyEarlier(pinDir, map);
  if (!copied.ok) return copied;
  try {
    rmSync(pin, { force: true });
  } catch (e) {
    return err({
      syscall: "unlink",
      code: (e as NodeJS.ErrnoException).code ?? "EIO",
      message: `removing ${pin}: ${(e as Error).message}`,
    });
  }
  return copied;
}

function copyEarlier(pinDir: string, map: MapFd): Result<number, KernelError> {
  const old = openPinnedMap(join(pinDir, V1.name));
  if (!old.ok) return old;
  try {
    const info = mapInfo(old.value);
    if (!info.ok) return info;
    const { type, keySize, valueSize } = info.value;
    if (type !== V1.type || keySize !== V1.key.size || valueSize !== V1.valueSize) return ok(0);
    // The old programs may still be writing: a key the walk sees twice is copied once.
    const keys = mapKeys(old.value, keySize);
    if (!keys.ok) return keys;
    const now = process.hrtime.bigint();
    const latest = new Map<string, { key: Buffer; entry: Buffer; expires: bigint }>();
    for (const k of keys.value) {
      const v = mapLookup(old.value, k, valueSize);
      if (!v.ok) return v;
      if (v.value === null) continue; // gone meanwhile
      const expires = v.value.readBigUInt64LE(CT_ENTRY.expires);
      if (expires <= now) continue;
      const family = k[V1.key.family]!;
      const ingress = k[V1.key.dir] === 1;
      const key = encodeConntrackKey({
        source: addressAt(k, V1.key.saddr, family),
        destination: addressAt(k, V1.key.daddr, family),
        sourcePort: k.readUInt16BE(V1.key.sport),
        destinationPort: k.readUInt16BE(V1.key.dport),
        proto: k[V1.key.proto]!,
        direction: ingress ? "ingress" : "egress",
      });
      if (key === undefined) continue;
      // A flow and its reverse opened at one endpoint were two entries and are one key now: the
      // one that lives longer is the one still in use.
      const id = key.toString("hex");
      if ((latest.get(id)?.expires ?? 0n) >= expires) continue;
      const entry = Buffer.from(v.value);
      if (ingress) entry[CT_ENTRY.flags] = entry[CT_ENTRY.flags]! | CT_FLAGS.ingress;
      latest.set(id, { key, entry, expires });
    }
    for (const { key, entry } of latest.values()) {
      const written = mapUpdate(map, key, entry);
      if (!written.ok) return err(written.error);
    }
    return ok(latest.size);
  } finally {
    closeSync(old.value);
  }
}
