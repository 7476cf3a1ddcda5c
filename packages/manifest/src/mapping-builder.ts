import type { MapEntry, Position, SourceNode } from "@membrane/engine";
import type { Scratch } from "./scratch.ts";

// Below this many entries a linear scan finds duplicates faster than building a Map.
const SCAN_LIMIT = 12;

/**
 * Collects a mapping's entries in source order, finds duplicate keys, and applies YAML merge keys
 * (`<<`) as the YAML 1.1 merge type defines them: merged entries never override the mapping's own
 * keys, wherever the `<<` stands, and within a list of merged mappings the earlier mapping wins.
 */
export class MappingBuilder {
  /** The stack the entries are collected on. */
  readonly scratch: Scratch<MapEntry>;
  /** Where this mapping's entries start on the stack. */
  readonly base: number;
  /** The entries by key, once there are too many to scan. */
  byKey: Map<string, MapEntry> | null = null;
  /** Each merge source, with how many explicit entries came before it (where its entries go). */
  merges: { at: number; source: SourceNode }[] | null = null;

  /** Starts a mapping at the top of `scratch`. */
  constructor(scratch: Scratch<MapEntry>) {
    this.scratch = scratch;
    this.base = scratch.top;
  }

  /**
   * Adds an entry; returns the earlier entry with the same key instead when there is one (the
   * new entry is then dropped; the caller reports the duplicate).
   */
  add(key: string, keyPos: Position, value: SourceNode): MapEntry | undefined {
    const scratch = this.scratch;
    if (this.byKey === null) {
      const items = scratch.items;
      for (let i = this.base; i < scratch.top; i++) {
        const e = items[i] as MapEntry;
        if (e.key === key) return e;
      }
      if (scratch.top - this.base >= SCAN_LIMIT) {
        this.byKey = new Map(items.slice(this.base, scratch.top).map((e) => [e.key, e]));
      }
    } else {
      const earlier = this.byKey.get(key);
      if (earlier !== undefined) return earlier;
    }
    const entry: MapEntry = { key, keyPos, value };
    scratch.push(entry);
    this.byKey?.set(key, entry);
    return undefined;
  }

  /**
   * Records the value of a `<<` key. Returns false (and records nothing) unless it is a mapping
   * or a sequence of mappings.
   */
  addMerge(source: SourceNode): boolean {
    const valid = source.kind === "map" || (source.kind === "seq" && source.items.every((item) => item.kind === "map"));
    if (!valid) return false;
    (this.merges ??= []).push({ at: this.scratch.top - this.base, source });
    return true;
  }

  /**
   * Takes the entries off the scratch stack: explicit ones in source order, merged ones where
   * their `<<` stood. Call once, after all nested collections are finished.
   */
  finish(): MapEntry[] {
    const entries = this.scratch.take(this.base);
    const merges = this.merges;
    if (merges === null) return entries;
    const own = new Set(entries.map((e) => e.key));
    const out: MapEntry[] = [];
    let next = 0;
    for (let i = 0; i <= entries.length; i++) {
      for (let m = merges[next]; m !== undefined && m.at === i; m = merges[++next]) {
        for (const e of mergedEntries(m.source)) {
          if (own.has(e.key)) continue;
          own.add(e.key);
          out.push(e);
        }
      }
      const entry = entries[i];
      if (entry !== undefined) out.push(entry);
    }
    return out;
  }
}

function mergedEntries(source: SourceNode): readonly MapEntry[] {
  if (source.kind === "map") return source.entries;
  if (source.kind === "seq") return source.items.flatMap((item) => (item.kind === "map" ? item.entries : []));
  return [];
}
