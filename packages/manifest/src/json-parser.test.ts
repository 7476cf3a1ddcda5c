import { test } from "node:test";
import assert from "node:assert/strict";
import { toPlain } from "@membrane/engine";
import { parseManifest } from "./index.ts";
import { looksLikeJson } from "./json-parser.ts";

function values(text: string): unknown[] {
  const parsed = parseManifest("t.json", text);
  assert.deepEqual(parsed.issues, []);
  return parsed.documents.map((d) => toPlain(d.root));
}

test("json: detection by the first non-white character", () => {
  assert.equal(looksLikeJson('{"a": 1}'), true);
  assert.equal(looksLikeJson(" \r\n\t[1]"), true);
  assert.equal(looksLikeJson("\uFEFF{}"), true);
  assert.equal(looksLikeJson("# c\n{}"), false);
  assert.equal(looksLikeJson("a: {}"), false);
  assert.equal(looksLikeJson(""), false);
});

const cases: { name: string; text: string; want: unknown[] }[] = [
  { name: "object", text: '{"apiVersion": "v1", "kind": "Pod"}', want: [{ apiVersion: "v1", kind: "Pod" }] },
  { name: "nested", text: '{"a": {"b": [1, {"c": []}, {}]}}', want: [{ a: { b: [1, { c: [] }, {}] } }] },
  { name: "literals", text: "[true, false, null]", want: [[true, false, null]] },
  {
    name: "numbers",
    text: "[0, -0, 12, -3.5, 1e3, 2E-2, 1.5e+2, 123456789012345678]",
    want: [[0, -0, 12, -3.5, 1000, 0.02, 150, Number("123456789012345678")]],
  },
  {
    name: "string escapes",
    text: '["a\\"b\\\\c\\/d\\b\\f\\n\\r\\t", "\\u00e9\\ud83d\\ude00", "日本"]',
    want: [['a"b\\c/d\b\f\n\r\t', "é😀", "日本"]],
  },
  { name: "strings that look like YAML values stay strings", text: '["yes", "010", "~", "0x10"]', want: [["yes", "010", "~", "0x10"]] },
  { name: "whitespace and line breaks", text: '\r\n {\r\n\t"a" :\n 1 }\n', want: [{ a: 1 }] },
  { name: "a stream of values", text: '{"a": 1}\n{"b": 2} [3]', want: [{ a: 1 }, { b: 2 }, [3]] },
  { name: "a BOM", text: '\uFEFF{"a": 1}', want: [{ a: 1 }] },
];

for (const c of cases) {
  test(`json: ${c.name}`, () => {
    assert.deepEqual(values(c.text), c.want);
  });
}

test("json: documents are indexed and positioned", () => {
  const parsed = parseManifest("t.json", '{"a": 1}\n  [2]');
  assert.deepEqual(
    parsed.documents.map((d) => [d.file, d.index, d.pos.line, d.pos.column]),
    [
      ["t.json", 0, 1, 1],
      ["t.json", 1, 2, 3],
    ],
  );
});

test("json: agrees with JSON.parse", () => {
  const text = JSON.stringify({ a: [1, 2.5, "x\u0001y", { b: null, "c d": true }], e: "\u2028", f: -1e-7 }, null, 2);
  assert.deepEqual(values(text), [JSON.parse(text)]);
});
