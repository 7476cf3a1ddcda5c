import { test } from "node:test";
import assert from "node:assert/strict";
import { toPlain } from "@membrane/engine";
import { parseManifest } from "./index.ts";
import { splitDocuments } from "./split-documents.ts";

// Each chunk as [its text, line, column of its start].
function chunks(text: string): [string, number, number][] {
  return splitDocuments(text).map((c) => [text.slice(c.start, c.end), c.line, c.start - c.lineStart + 1]);
}

test("split: a bare document", () => {
  assert.deepEqual(chunks("a: 1\nb: 2\n"), [["a: 1\nb: 2\n", 1, 1]]);
});

test("split: explicit documents start after their marker", () => {
  assert.deepEqual(chunks("---\na: 1\n--- |\n  x\n"), [
    ["\na: 1\n", 1, 4],
    [" |\n  x\n", 3, 4],
  ]);
});

test("split: directives and comments before a document are skipped; ... ends a document", () => {
  assert.deepEqual(chunks("# c\n%YAML 1.1\n---\na: 1\n...\n%TAG ! x\n---\nb\n"), [
    ["\na: 1\n", 3, 4],
    ["\nb\n", 7, 4],
  ]);
});

test("split: a bare document may follow ...", () => {
  assert.deepEqual(chunks("a\n...\nb\n"), [
    ["a\n", 1, 1],
    ["b\n", 3, 1],
  ]);
});

test("split: markers need a blank or the line end after them", () => {
  assert.deepEqual(chunks("a: ---\n----\n...x\n--- \n"), [
    ["a: ---\n----\n...x\n", 1, 1],
    [" \n", 4, 4],
  ]);
});

test("split: lone CR and CRLF line breaks", () => {
  assert.deepEqual(chunks("a\r---\r\nb"), [
    ["a\r", 1, 1],
    ["\r\nb", 2, 4],
  ]);
  const parsed = parseManifest("cr.yaml", "a: 1\rb:\r  - x\r---\rc: 2\r");
  assert.deepEqual(
    parsed.documents.map((d) => [d.pos.line, toPlain(d.root)]),
    [
      [1, { a: 1, b: ["x"] }],
      [5, { c: 2 }],
    ],
  );
});
