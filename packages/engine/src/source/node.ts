/**
 * Position-carrying document trees: what the manifest parser produces and what the policy API
 * validates. Keeping the position on every node is what lets any problem (and later any verdict)
 * point at file:line:column.
 */

/** A place in a source text. `line` and `column` count from 1; `offset` is a UTF-16 index from 0. */
export interface Position {
  readonly line: number;
  readonly column: number;
  readonly offset: number;
}

/** A scalar's resolved value, typed as Kubernetes' YAML reader (YAML 1.1 core rules) types it. */
export type ScalarValue = string | number | boolean | null;

/** A scalar node: a plain, quoted or block scalar after type resolution. */
export interface ScalarNode {
  readonly kind: "scalar";
  readonly pos: Position;
  readonly value: ScalarValue;
}

/** One `key: value` pair of a mapping. Keys are always strings (non-string keys are stringified). */
export interface MapEntry {
  readonly key: string;
  readonly keyPos: Position;
  readonly value: SourceNode;
}

/** A mapping, entries in source order. */
export interface MapNode {
  readonly kind: "map";
  readonly pos: Position;
  readonly entries: readonly MapEntry[];
}

/** A sequence, items in source order. */
export interface SeqNode {
  readonly kind: "seq";
  readonly pos: Position;
  readonly items: readonly SourceNode[];
}

/** Any node of a document tree. */
export type SourceNode = ScalarNode | MapNode | SeqNode;

/** One document of a source file: its index in the file (from 0) and its root (null when empty). */
export interface SourceDocument {
  readonly file: string;
  readonly index: number;
  readonly pos: Position;
  readonly root: SourceNode | null;
}

/** The start of every text. */
export const START: Position = { line: 1, column: 1, offset: 0 };

/** Converts a tree to the plain value it denotes (for JSON output and round-trip tests). */
export function toPlain(node: SourceNode | null): unknown {
  if (node === null) return null;
  switch (node.kind) {
    case "scalar":
      return node.value;
    case "seq":
      return node.items.map(toPlain);
    case "map": {
      const out: Record<string, unknown> = {};
      // defineProperty, not assignment: a key named "__proto__" is data, not the prototype.
      for (const e of node.entries)
        Object.defineProperty(out, e.key, { value: toPlain(e.value), enumerable: true, writable: true, configurable: true });
      return out;
    }
  }
}
