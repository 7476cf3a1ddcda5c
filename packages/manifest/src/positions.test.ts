import { test } from "node:test";
import assert from "node:assert/strict";
import type { MapNode, Position, SeqNode, SourceNode } from "@membrane/engine";
import { parseManifest } from "./index.ts";

// [line, column, offset] of a position.
function at(p: Position): [number, number, number] {
  return [p.line, p.column, p.offset];
}

function root(text: string, doc = 0): SourceNode {
  const parsed = parseManifest("p.yaml", text);
  assert.deepEqual(parsed.issues, []);
  const node = parsed.documents[doc]?.root;
  assert.ok(node);
  return node;
}

function map(node: SourceNode | undefined): MapNode {
  assert.equal(node?.kind, "map");
  return node as MapNode;
}

function seq(node: SourceNode | undefined): SeqNode {
  assert.equal(node?.kind, "seq");
  return node as SeqNode;
}

test("positions: block mapping and its keys and values", () => {
  const text = "apiVersion: v1\nmetadata:\n  name: web\n  labels: {app: x}\n";
  const r = map(root(text));
  assert.deepEqual(at(r.pos), [1, 1, 0]);
  const [apiVersion, metadata] = r.entries;
  assert.deepEqual(at(apiVersion!.keyPos), [1, 1, 0]);
  assert.deepEqual(at(apiVersion!.value.pos), [1, 13, 12]);
  assert.deepEqual(at(metadata!.keyPos), [2, 1, 15]);
  const m = map(metadata!.value);
  assert.deepEqual(at(m.pos), [3, 3, 27]);
  assert.deepEqual(at(m.entries[0]!.value.pos), [3, 9, 33]);
  const labels = map(m.entries[1]!.value);
  assert.deepEqual(at(labels.pos), [4, 11, 47]);
  assert.deepEqual(at(labels.entries[0]!.keyPos), [4, 12, 48]);
  assert.deepEqual(at(labels.entries[0]!.value.pos), [4, 17, 53]);
});

test("positions: block sequence starts at its first dash; items where their content starts", () => {
  const text = "ports:\n  - port: 80\n    protocol: TCP\n  -   8080\n";
  const ports = seq(map(root(text)).entries[0]!.value);
  assert.deepEqual(at(ports.pos), [2, 3, 9]);
  const first = map(ports.items[0]);
  assert.deepEqual(at(first.pos), [2, 5, 11]);
  assert.deepEqual(at(first.entries[1]!.keyPos), [3, 5, 24]);
  assert.deepEqual(at(ports.items[1]!.pos), [4, 7, 44]);
});

test("positions: quoted scalars start at the quote, block scalars at the indicator", () => {
  const r = map(root("a: 'x'\nb: \"y\"\nc: |\n  z\n"));
  assert.deepEqual(at(r.entries[0]!.value.pos), [1, 4, 3]);
  assert.deepEqual(at(r.entries[1]!.value.pos), [2, 4, 10]);
  assert.deepEqual(at(r.entries[2]!.value.pos), [3, 4, 17]);
});

test("positions: a node after properties starts at its content", () => {
  const r = map(root("a: &x !!str v\nb: &m\n  k: 1\n"));
  assert.deepEqual(at(r.entries[0]!.value.pos), [1, 13, 12]);
  assert.deepEqual(at(r.entries[1]!.value.pos), [3, 3, 22]);
});

test("positions: flow collections start at their bracket", () => {
  const r = map(root("a: [1, {b: 2}]\n"));
  const a = seq(r.entries[0]!.value);
  assert.deepEqual(at(a.pos), [1, 4, 3]);
  assert.deepEqual(at(a.items[0]!.pos), [1, 5, 4]);
  assert.deepEqual(at(a.items[1]!.pos), [1, 8, 7]);
  assert.deepEqual(at(map(a.items[1]).entries[0]!.keyPos), [1, 9, 8]);
});

test("positions: later documents count lines from the file start", () => {
  const parsed = parseManifest("p.yaml", "a: 1\n---\n# c\nb: 2\n--- x\n");
  assert.deepEqual(
    parsed.documents.map((d) => [d.index, at(d.pos)]),
    [
      [0, [1, 1, 0]],
      [1, [4, 1, 13]],
      [2, [5, 5, 22]],
    ],
  );
  assert.deepEqual(at(map(parsed.documents[1]!.root!).entries[0]!.value.pos), [4, 4, 16]);
});

test("positions: CRLF counts as one line break; offsets stay UTF-16 indexes", () => {
  const r = map(root("a: 1\r\nb: é😀 x\r\nc: 2\r\n"));
  assert.deepEqual(at(r.entries[1]!.keyPos), [2, 1, 6]);
  assert.deepEqual(at(r.entries[2]!.keyPos), [3, 1, 16]);
});

test("positions: a BOM is not a column", () => {
  const r = map(root("\uFEFFa: 1\n"));
  assert.deepEqual(at(r.entries[0]!.keyPos), [1, 1, 1]);
});

test("positions: empty values point just after their indicator", () => {
  const r = map(root("a:\nb: 1\n"));
  assert.deepEqual(at(r.entries[0]!.value.pos), [1, 3, 2]);
});

test("positions: JSON nodes", () => {
  const r = map(root('{\n  "a": [1, "x"],\n  "b": {"c": null}\n}\n'));
  assert.deepEqual(at(r.pos), [1, 1, 0]);
  assert.deepEqual(at(r.entries[0]!.keyPos), [2, 3, 4]);
  const a = seq(r.entries[0]!.value);
  assert.deepEqual(at(a.pos), [2, 8, 9]);
  assert.deepEqual(at(a.items[1]!.pos), [2, 12, 13]);
  assert.deepEqual(at(map(r.entries[1]!.value).entries[0]!.value.pos), [3, 14, 32]);
});
