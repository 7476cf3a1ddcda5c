/**
 * Programs the kernel's policy map (bpf/lib/policy.h) from the engine's map states and change
 * sets. It keeps a shadow of what the kernel holds per endpoint and direction, so a change that
 * the kernel refuses part-way (a full map, an error) is rolled back: the endpoint stays on its
 * last good policy — fail closed, never a half-applied mix — and the error says which endpoint.
 */
import { err, ok, type MapChange, type PolicyEntry, type PolicyKey, type Result } from "@membrane/engine";
import { mapDelete, mapEntries, mapUpdate, type KernelError, type MapFd } from "../kernel/bpf.ts";
import {
  decodePolicyEntry,
  decodePolicyKey,
  encodePolicyEntry,
  encodePolicyKey,
  POLICY_ENTRY,
  POLICY_KEY,
  type Direction,
} from "../codec/policy.ts";

/** A change the kernel refused, after its endpoint was put back on its previous entries. */
export interface PolicyMapError {
  readonly endpoint: string;
  readonly direction: Direction;
  readonly cause: KernelError;
}

/** Per key: the entry, and the value the kernel holds for it (an unchanged value is not written again). */
type Shadow = Map<string, { readonly key: PolicyKey; readonly entry: PolicyEntry; readonly value: Buffer }>;

const keyText = (k: PolicyKey): string => `${k.identity}/${k.proto}/${k.port}/${k.prefixLen}`;

/** One node's policy map: endpoint keys (`namespace/pod`) are given numeric ids by the caller. */
export class PolicyMapWriter {
  readonly #map: MapFd;
  readonly #epId: (endpoint: string) => number;
  readonly #shadow = new Map<string, Shadow>();
  readonly #audited: (endpoint: string, entry: PolicyEntry) => boolean;
  #writes = 0;

  /** `audited` tells which deny entries are in audit mode (default: none). */
  constructor(
    map: MapFd,
    endpointId: (endpoint: string) => number,
    audited: (endpoint: string, entry: PolicyEntry) => boolean = () => false,
  ) {
    this.#map = map;
    this.#epId = endpointId;
    this.#audited = audited;
  }

  /** Kernel writes and deletes made so far (an entry given again with the same kernel value is not one). */
  get writes(): number {
    return this.#writes;
  }

  /** How many entries the kernel holds for all endpoints (what map pressure is measured against). */
  get size(): number {
    let n = 0;
    for (const s of this.#shadow.values()) n += s.size;
    return n;
  }

  /**
   * Takes over what the kernel already holds (an agent restart: the pinned map kept running), so
   * the next sync of each endpoint removes only what is stale. Entries of endpoint ids that
   * `endpointOf` does not know (pods gone meanwhile) are deleted at once.
   */
  adopt(endpointOf: (epId: number) => string | undefined): Result<void, KernelError> {
    const entries = mapEntries(this.#map, POLICY_KEY.size, POLICY_ENTRY.size);
    if (!entries.ok) return entries;
    for (const [k, v] of entries.value) {
      const { epId, direction, key } = decodePolicyKey(k);
      const endpoint = endpointOf(epId);
      if (endpoint === undefined) {
        const d = mapDelete(this.#map, k);
        if (!d.ok) return d;
        continue;
      }
      const id = `${endpoint} ${direction}`;
      let shadow = this.#shadow.get(id);
      if (shadow === undefined) this.#shadow.set(id, (shadow = new Map()));
      shadow.set(keyText(key), { key, entry: decodePolicyEntry(v), value: Buffer.from(v) });
    }
    return ok(undefined);
  }

  /** Replaces an endpoint's entries in one direction with `entries` (a full sync, e.g. at start). */
  sync(endpoint: string, direction: Direction, entries: readonly { key: PolicyKey; entry: PolicyEntry }[]): Result<void, PolicyMapError> {
    const current = this.#shadow.get(`${endpoint} ${direction}`) ?? new Map();
    const wanted = new Set(entries.map((e) => keyText(e.key)));
    const removed = [...current.values()].filter((e) => !wanted.has(keyText(e.key))).map((e) => e.key);
    return this.#apply({ endpoint, direction, upserted: entries, removed });
  }

  /** Applies a change set's map changes, each endpoint-direction all or nothing; the errors of those refused. */
  apply(changes: readonly MapChange[]): PolicyMapError[] {
    const errors: PolicyMapError[] = [];
    for (const c of changes) {
      const r = this.#apply(c);
      if (!r.ok) errors.push(r.error);
    }
    return errors;
  }

  #apply(c: Pick<MapChange, "endpoint" | "direction" | "upserted" | "removed">): Result<void, PolicyMapError> {
    const id = `${c.endpoint} ${c.direction}`;
    let shadow = this.#shadow.get(id);
    if (shadow === undefined) this.#shadow.set(id, (shadow = new Map()));
    const epId = this.#epId(c.endpoint);
    // Undo log: what each key held before this change (undefined: absent).
    const undo: { key: PolicyKey; before: PolicyEntry | undefined }[] = [];
    const valueOf = (key: PolicyKey, entry: PolicyEntry): Buffer => encodePolicyEntry(key, entry, this.#audited(c.endpoint, entry));
    const write = (key: PolicyKey, entry: PolicyEntry, value = valueOf(key, entry)): Result<void, KernelError> => {
      const w = mapUpdate(this.#map, encodePolicyKey(epId, c.direction, key), value);
      if (w.ok) shadow.set(keyText(key), { key, entry, value });
      return w;
    };
    const fail = (cause: KernelError): Result<void, PolicyMapError> => {
      for (const { key, before } of undo.reverse()) {
        if (before !== undefined) write(key, before);
        else {
          mapDelete(this.#map, encodePolicyKey(epId, c.direction, key));
          shadow.delete(keyText(key));
        }
      }
      return err({ endpoint: c.endpoint, direction: c.direction, cause });
    };
    // Upserts first, then removals (as Cilium syncs its policy maps): a key in both the old and the
    // new map is never briefly absent.
    for (const { key, entry } of c.upserted) {
      const held = shadow.get(keyText(key));
      const value = valueOf(key, entry);
      if (held !== undefined && held.value.equals(value)) {
        shadow.set(keyText(key), { ...held, entry });
        continue;
      }
      const w = write(key, entry, value);
      if (!w.ok) return fail(w.error);
      undo.push({ key, before: held?.entry });
      this.#writes++;
    }
    for (const key of c.removed) {
      const before = shadow.get(keyText(key))?.entry;
      const d = mapDelete(this.#map, encodePolicyKey(epId, c.direction, key));
      if (!d.ok) return fail(d.error);
      undo.push({ key, before });
      shadow.delete(keyText(key));
      this.#writes++;
    }
    // A deleted endpoint's change set removes all its keys: nothing of it stays behind.
    if (shadow.size === 0) this.#shadow.delete(id);
    return ok(undefined);
  }
}
