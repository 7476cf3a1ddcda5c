import type { MapEntry, Position, SourceNode } from "../../engine/src/source/node.ts";

// Below this many entries a linear scan finds duplicates faster than building a Map.
const SCAN_LIMIT = 12;

/**
 * Collects a mapping's entries in source order, finds duplicate keys, and applies YAML merge keys
 * (`<<`) the way YAML 1.1 defines them and go-yaml implements them: merged entries never override
 * the mapping's own keys, and within a list of merged mappings the earlier mapping wins.
 */
export class MappingBuilder {
  readonly entries: MapEntry[] = [];
  byKey: Map<string, MapEntry> | null = null;
  // Each merge source, with how many explicit entries came before it (where its entries go).
  merges: { at: number; source: SourceNode }[] | null = null;

  /**
   * Adds an entry; returns the earlier entry with the same key instead when there is one (the
   * new entry is then dropped; the caller reports the duplicate).
   */
  add(key: string, keyPos: Position, value: SourceNode): MapEntry | undefined {
    const entries = this.entries;
    if (this.byKey === null) {
      for (let i = 0; i < entries.length; i++) {
        const e = entries[i] as MapEntry;
        if (e.key === key) return e;
      }
      if (entries.length >= SCAN_LIMIT) this.byKey = new Map(entries.map((e) => [e.key, e]));
    } else {
      const earlier = this.byKey.get(key);
      if (earlier !== undefined) return earlier;
    }
    const entry: MapEntry = { key, keyPos, value };
    entries.push(entry);
    this.byKey?.set(key, entry);
    return undefined;
  }

  /**
   * Records the value of a `<<` key. Returns false (and records nothing) unless it is a mapping
   * or a sequence of mappings.
   */
  addMerge(source: SourceNode): boolean {
    const valid =
      source.kind === "map" || (source.kind === "seq" && source.items.every((item) => item.kind === "map"));
    if (!valid) return false;
    (this.merges ??= []).push({ at: this.entries.length, source });
    return true;
  }

  /** The final entries: explicit ones in source order, merged ones where their `<<` stood. */
  finish(): MapEntry[] {
    const merges = this.merges;
    if (merges === null) return this.entries;
    const own = new Set(this.entries.map((e) => e.key));
    const out: MapEntry[] = [];
    let next = 0;
    for (let i = 0; i <= this.entries.length; i++) {
      for (let m = merges[next]; m !== undefined && m.at === i; m = merges[++next]) {
        for (const e of mergedEntries(m.source)) {
          if (own.has(e.key)) continue;
          own.add(e.key);
          out.push(e);
        }
      }
      const entry = this.entries[i];
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
