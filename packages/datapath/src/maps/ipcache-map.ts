/**
 * Programs the kernel's ipcache (bpf/lib/ipcache.h) from the engine's view of addresses as one
 * node sees them. It keeps a shadow of what the kernel holds, so each sync writes only the
 * prefixes that changed; a refused write is reported and the prefix stays as the kernel had it.
 */
import { formatPrefix, type IpPrefix, type NumericIdentity } from "@membrane/engine";
import { err, ok, type Result } from "@membrane/engine";
import { mapDelete, mapEntries, mapUpdate, type KernelError, type MapFd } from "../kernel/bpf.ts";
import { decodeIpcache, encodeIpcacheEntry, encodeIpcacheKey, IPCACHE_ENTRY, IPCACHE_KEY } from "../codec/ipcache.ts";

export interface IpcacheRecord {
  readonly prefix: IpPrefix;
  readonly identity: NumericIdentity;
  /** The node hosting the address, for tunnel routing (IPv4 bytes); absent: local or not a pod. */
  readonly tunnelEndpoint?: Uint8Array | undefined;
}

const tunnelText = (r: IpcacheRecord): string => (r.tunnelEndpoint === undefined ? "" : r.tunnelEndpoint.join("."));

export interface IpcacheMapError {
  readonly prefix: string;
  readonly cause: KernelError;
}

export class IpcacheMapWriter {
  readonly #map: MapFd;
  readonly #shadow = new Map<string, IpcacheRecord>();
  #writes = 0;

  constructor(map: MapFd) {
    this.#map = map;
  }

  get size(): number {
    return this.#shadow.size;
  }

  /** Kernel writes and deletes made so far: unchanged across a sync that found the kernel up to date. */
  get writes(): number {
    return this.#writes;
  }

  /** Takes over what the kernel already holds (an agent restart), so the next sync removes only what is stale. */
  adopt(): Result<void, KernelError> {
    const entries = mapEntries(this.#map, IPCACHE_KEY.size, IPCACHE_ENTRY.size);
    if (!entries.ok) return err(entries.error);
    for (const [k, v] of entries.value) {
      const r = decodeIpcache(k, v);
      this.#shadow.set(formatPrefix(r.prefix), r);
    }
    return ok(undefined);
  }

  /** Makes the kernel hold exactly `records`: new and changed prefixes first, then removals. */
  sync(records: readonly IpcacheRecord[]): IpcacheMapError[] {
    const errors: IpcacheMapError[] = [];
    const wanted = new Map(records.map((r) => [formatPrefix(r.prefix), r]));
    for (const [text, r] of wanted) {
      const held = this.#shadow.get(text);
      if (held !== undefined && held.identity === r.identity && tunnelText(held) === tunnelText(r)) continue;
      const w = mapUpdate(this.#map, encodeIpcacheKey(r.prefix), encodeIpcacheEntry(r.identity, r.tunnelEndpoint ?? null));
      if (w.ok) {
        this.#shadow.set(text, r);
        this.#writes++;
      } else errors.push({ prefix: text, cause: w.error });
    }
    for (const [text, r] of this.#shadow) {
      if (wanted.has(text)) continue;
      const d = mapDelete(this.#map, encodeIpcacheKey(r.prefix));
      if (d.ok) {
        this.#shadow.delete(text);
        this.#writes++;
      } else errors.push({ prefix: text, cause: d.error });
    }
    return errors;
  }
}
