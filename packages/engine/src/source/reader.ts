import type { MapNode, Position, ScalarNode, SeqNode, SourceNode } from "./node.ts";
import type { Issue, PathSegment, Severity } from "./problem.ts";

/**
 * Reads a position-carrying tree field by field and collects every problem it meets instead of
 * stopping at the first (kubectl's strict decoding reports them all). Each `read*` returns the
 * typed value, or `undefined` after recording why it could not.
 */
export class Reader {
  readonly issues: Issue[] = [];

  report(
    node: { readonly pos: Position },
    path: readonly PathSegment[],
    code: string,
    message: string,
    severity: Severity = "error",
  ): void {
    this.issues.push({ severity, code, path, pos: node.pos, message });
  }

  /** Expects a mapping whose keys are all in `fields`; unknown keys are errors (strict decoding). */
  map(node: SourceNode, path: readonly PathSegment[], fields: ReadonlySet<string>): MapNode | undefined {
    if (node.kind !== "map") {
      if (node.kind === "scalar" && node.value === null) return { kind: "map", pos: node.pos, entries: [] };
      this.report(node, path, "schema.type", `must be an object, not ${describe(node)}`);
      return undefined;
    }
    for (const e of node.entries) {
      if (!fields.has(e.key)) {
        this.report({ pos: e.keyPos }, [...path, e.key], "schema.unknown-field", `unknown field "${e.key}"`);
      }
    }
    return node;
  }

  /** Expects a mapping and reads only what the caller asks for (objects such as Pods carry much more). */
  object(node: SourceNode, path: readonly PathSegment[]): MapNode | undefined {
    if (node.kind === "map") return node;
    if (node.kind === "scalar" && node.value === null) return { kind: "map", pos: node.pos, entries: [] };
    this.report(node, path, "schema.type", `must be an object, not ${describe(node)}`);
    return undefined;
  }

  /** Expects a mapping of string to string (labels, matchLabels, l7 maps). */
  stringMap(node: SourceNode, path: readonly PathSegment[]): Map<string, string> | undefined {
    if (node.kind !== "map") {
      if (node.kind === "scalar" && node.value === null) return new Map();
      this.report(node, path, "schema.type", `must be an object of strings, not ${describe(node)}`);
      return undefined;
    }
    const out = new Map<string, string>();
    let ok = true;
    for (const e of node.entries) {
      const v = e.value.kind === "scalar" && e.value.value === null ? "" : this.string(e.value, [...path, e.key]);
      if (v === undefined) ok = false;
      else out.set(e.key, v);
    }
    return ok ? out : undefined;
  }

  /** Expects a sequence; `null` (an empty YAML value) reads as an empty list, as in Kubernetes. */
  seq(node: SourceNode, path: readonly PathSegment[]): SeqNode | undefined {
    if (node.kind === "seq") return node;
    if (node.kind === "scalar" && node.value === null) return { kind: "seq", pos: node.pos, items: [] };
    this.report(node, path, "schema.type", `must be a list, not ${describe(node)}`);
    return undefined;
  }

  /** Reads each item of a list with `item`; the list is undefined when any item failed. */
  list<T>(
    node: SourceNode,
    path: readonly PathSegment[],
    item: (n: SourceNode, p: readonly PathSegment[]) => T | undefined,
  ): T[] | undefined {
    const s = this.seq(node, path);
    if (s === undefined) return undefined;
    const out: T[] = [];
    let ok = true;
    s.items.forEach((n, i) => {
      const v = item(n, [...path, i]);
      if (v === undefined) ok = false;
      else out.push(v);
    });
    return ok ? out : undefined;
  }

  /** Expects a string scalar (JSON type string; a YAML `80` or `true` is not one). */
  string(node: SourceNode, path: readonly PathSegment[]): string | undefined {
    if (node.kind === "scalar" && typeof node.value === "string") return node.value;
    this.report(node, path, "schema.type", `must be a string, not ${describe(node)}`);
    return undefined;
  }

  /** Expects an integer scalar. */
  integer(node: SourceNode, path: readonly PathSegment[]): number | undefined {
    if (node.kind === "scalar" && typeof node.value === "number" && Number.isInteger(node.value)) return node.value;
    this.report(node, path, "schema.type", `must be an integer, not ${describe(node)}`);
    return undefined;
  }

  /** Expects a boolean scalar. */
  boolean(node: SourceNode, path: readonly PathSegment[]): boolean | undefined {
    if (node.kind === "scalar" && typeof node.value === "boolean") return node.value;
    this.report(node, path, "schema.type", `must be a boolean, not ${describe(node)}`);
    return undefined;
  }

  /** Expects one of `values` (a string enum). */
  oneOf<T extends string>(node: SourceNode, path: readonly PathSegment[], values: readonly T[]): T | undefined {
    const s = this.string(node, path);
    if (s === undefined) return undefined;
    if ((values as readonly string[]).includes(s)) return s as T;
    this.report(node, path, "schema.enum", `unsupported value "${s}": must be one of ${values.map((v) => `"${v}"`).join(", ")}`);
    return undefined;
  }
}

/** Says what a node is, for "must be X, not Y" messages. */
export function describe(node: SourceNode): string {
  if (node.kind === "map") return "an object";
  if (node.kind === "seq") return "a list";
  return describeScalar(node);
}

function describeScalar(node: ScalarNode): string {
  const v = node.value;
  if (v === null) return "null";
  if (typeof v === "string") return `the string ${JSON.stringify(v)}`;
  if (typeof v === "number") return `the number ${v}`;
  return `the boolean ${v}`;
}

/**
 * Looks up a field of a mapping. A field set to null counts as absent, as Kubernetes prunes JSON
 * nulls before validation and Go decodes them to the zero value.
 */
export function field(node: MapNode, key: string): SourceNode | undefined {
  for (const e of node.entries) {
    if (e.key === key) return e.value.kind === "scalar" && e.value.value === null ? undefined : e.value;
  }
  return undefined;
}

/** The `i`th item of a sequence node, or the node itself when it is not a sequence (for positions). */
export function itemAt(node: SourceNode, i: number): SourceNode {
  return node.kind === "seq" ? (node.items[i] ?? node) : node;
}
