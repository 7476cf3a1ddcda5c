import type { Position, SourceNode } from "./node.ts";

/**
 * Builds a tree from a plain JSON-like value, giving each node its own line (in pre-order), for
 * callers that already hold parsed data (tests, JSON from an API) rather than source text.
 */
export function fromPlain(value: unknown): SourceNode {
  let line = 0;
  const next = (): Position => {
    line++;
    return { line, column: 1, offset: 0 };
  };
  const walk = (v: unknown): SourceNode => {
    const pos = next();
    if (Array.isArray(v)) return { kind: "seq", pos, items: v.map(walk) };
    if (v !== null && typeof v === "object") {
      return { kind: "map", pos, entries: Object.entries(v).map(([key, val]) => ({ key, keyPos: pos, value: walk(val) })) };
    }
    if (v === undefined || v === null) return { kind: "scalar", pos, value: null };
    if (typeof v === "string" || typeof v === "number" || typeof v === "boolean") return { kind: "scalar", pos, value: v };
    return { kind: "scalar", pos, value: String(v) };
  };
  return walk(value);
}
