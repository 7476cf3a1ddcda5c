import { test } from "node:test";
import assert from "node:assert/strict";
import { toPlain } from "@membrane/engine";
import { parseManifest } from "./index.ts";

// text → the first issue's code, line and column; the document must be left out.
const cases: { name: string; text: string; code: string; line: number; column: number }[] = [
  { name: "unterminated single quote", text: "a: 'x\nb: 1\n", code: "yaml.syntax", line: 1, column: 4 },
  { name: "unterminated double quote", text: 'a: "x\n', code: "yaml.syntax", line: 1, column: 4 },
  { name: "unknown escape", text: 'a: "x\\q"\n', code: "yaml.syntax", line: 1, column: 6 },
  { name: "short hex escape", text: 'a: "\\u12"\n', code: "yaml.syntax", line: 1, column: 5 },
  { name: "key indented too much", text: "a: 1\n  b: 2\n", code: "yaml.syntax", line: 2, column: 4 },
  { name: "nested key indented inconsistently", text: "a:\n  b: 1\n   c: 2\n", code: "yaml.syntax", line: 3, column: 5 },
  { name: "key indented too little", text: "a:\n    b: 1\n  c: 2\n", code: "yaml.syntax", line: 3, column: 3 },
  { name: "line without a colon", text: "a: 1\nb\nc: 2\n", code: "yaml.syntax", line: 2, column: 2 },
  { name: "mapping on the key's line", text: "a: b: c\n", code: "yaml.syntax", line: 1, column: 5 },
  { name: "sequence on the key's line", text: "a: - x\n", code: "yaml.syntax", line: 1, column: 4 },
  { name: "sequence entry among keys", text: "a:\n  b: 1\n  - c\n", code: "yaml.syntax", line: 3, column: 3 },
  { name: "content after the top-level node", text: "- a\nb: 1\n", code: "yaml.syntax", line: 2, column: 1 },
  { name: "text after a quoted value", text: 'a: "x" y\n', code: "yaml.syntax", line: 1, column: 8 },
  { name: "unclosed flow sequence", text: "a: [1, 2\n", code: "yaml.syntax", line: 1, column: 4 },
  { name: "unclosed flow mapping", text: "a: {x: 1\n", code: "yaml.syntax", line: 1, column: 4 },
  { name: "unclosed flow mapping before more keys", text: "a: {x: 1\nb: 2\n", code: "yaml.syntax", line: 2, column: 2 },
  { name: "mismatched flow brackets", text: "a: {x: 1]\n", code: "yaml.syntax", line: 1, column: 9 },
  { name: "missing flow entry", text: "a: [1,,2]\n", code: "yaml.syntax", line: 1, column: 7 },
  { name: "reserved indicator", text: "a: @x\n", code: "yaml.syntax", line: 1, column: 4 },
  { name: "directive inside a document", text: "a: 1\n%YAML 1.2\n", code: "yaml.syntax", line: 2, column: 1 },
  { name: "bad block indentation indicator", text: "a: |0\n  x\n", code: "yaml.syntax", line: 1, column: 5 },
  { name: "two anchors", text: "a: &x &y 1\n", code: "yaml.syntax", line: 1, column: 7 },
  { name: "tab indentation", text: "a:\n\tb: 1\n", code: "yaml.tab-indent", line: 2, column: 1 },
  { name: "tab after spaces in the indentation", text: "a:\n  \tb: 1\n", code: "yaml.tab-indent", line: 2, column: 3 },
  { name: "duplicate key", text: "a: 1\nb: 2\na: 3\n", code: "yaml.duplicate-key", line: 3, column: 1 },
  { name: "duplicate key after conversion", text: "1: a\n'1': b\n", code: "yaml.duplicate-key", line: 2, column: 1 },
  { name: "duplicate key in a flow mapping", text: "a: {x: 1, x: 2}\n", code: "yaml.duplicate-key", line: 1, column: 11 },
  { name: "unknown alias", text: "a: *nope\n", code: "yaml.unknown-alias", line: 1, column: 4 },
  { name: "alias before its anchor", text: "a: *x\nb: &x 1\n", code: "yaml.unknown-alias", line: 1, column: 4 },
  { name: "merge of a scalar", text: "<<: 1\n", code: "yaml.merge", line: 1, column: 5 },
  { name: "merge of a list with a scalar", text: "a: &a {x: 1}\n<<: [*a, 2]\n", code: "yaml.merge", line: 2, column: 5 },
  { name: "int tag on text", text: "a: !!int abc\n", code: "yaml.tag", line: 1, column: 10 },
  { name: "bool tag on text", text: "a: !!bool maybe\n", code: "yaml.tag", line: 1, column: 11 },
  { name: "map tag on a sequence", text: "a: !!map [1]\n", code: "yaml.tag", line: 1, column: 10 },
  { name: "explicit key", text: "? a\n: b\n", code: "yaml.unsupported", line: 1, column: 1 },
  { name: "complex key", text: "a:\n  {x: 1}: y\n", code: "yaml.unsupported", line: 2, column: 3 },
  {
    name: "aliases repeating too many nodes",
    text:
      "a: &a [x, x, x, x, x, x, x, x, x, x]\n" +
      "bcdef"
        .split("")
        .map((k, i) => `${k}: &${k} [${`*${"abcdef"[i]}, `.repeat(10)}]\n`)
        .join(""),
    code: "yaml.alias-limit",
    line: 5,
    column: 36,
  },
  { name: "too deep", text: "- ".repeat(600) + "x\n", code: "yaml.too-deep", line: 1, column: 1001 },
  { name: "JSON trailing comma", text: '{"a": 1,}', code: "json.syntax", line: 1, column: 9 },
  { name: "JSON unquoted key", text: "{a: 1}", code: "json.syntax", line: 1, column: 2 },
  { name: "JSON bad literal", text: '{"a": tru}', code: "json.syntax", line: 1, column: 7 },
  { name: "JSON raw line break in a string", text: '["x\ny"]', code: "json.syntax", line: 1, column: 4 },
  { name: "JSON leading zero", text: "[01]", code: "json.syntax", line: 1, column: 3 },
  { name: "JSON unclosed", text: "[1,\n 2", code: "json.syntax", line: 2, column: 3 },
  { name: "JSON duplicate key", text: '{"a": 1,\n "a": 2}', code: "json.duplicate-key", line: 2, column: 2 },
  { name: "JSON too deep", text: "[".repeat(600), code: "json.too-deep", line: 1, column: 502 },
];

for (const c of cases) {
  test(`error: ${c.name}`, () => {
    const parsed = parseManifest("bad.yaml", c.text);
    assert.deepEqual(parsed.documents, []);
    const issue = parsed.issues[0];
    assert.ok(issue, "an issue is reported");
    assert.deepEqual([issue.code, issue.pos.line, issue.pos.column, issue.document], [c.code, c.line, c.column, 0]);
    assert.ok(issue.message.length > 10);
  });
}

test("error messages say what is wrong", () => {
  const message = (text: string): string => parseManifest("f", text).issues[0]?.message ?? "";
  assert.match(message("a: 1\na: 2\n"), /"a" appears twice.*line 1, column 1/);
  assert.match(message("a:\n\tb: 1\n"), /tab/);
  assert.match(message("a: *x\n"), /\*x/);
  assert.match(message('a: "x\n'), /no closing "/);
  assert.match(message("? a\n"), /not supported/);
  assert.match(message("a: {x: 1\nb: 2\n"), /opened at line 1, column 4 missing its "}"/);
});

test("every duplicate key of a document is reported", () => {
  const parsed = parseManifest("f", "a:\n  b: 1\n  b: 2\n  c: {d: 1, d: 2}\n");
  assert.deepEqual(
    parsed.issues.map((i) => [i.code, i.pos.line, i.pos.column]),
    [
      ["yaml.duplicate-key", 3, 3],
      ["yaml.duplicate-key", 4, 13],
    ],
  );
});

test("one bad document does not hide the next", () => {
  const text = ["a: 1", "---", "b: 'unterminated", "c: 2", "---", "d: [1, 2", "---", "\tbad: tab", "---", "e: 5", ""].join("\n");
  const parsed = parseManifest("multi.yaml", text);
  assert.deepEqual(
    parsed.documents.map((d) => [d.index, toPlain(d.root)]),
    [
      [0, { a: 1 }],
      [4, { e: 5 }],
    ],
  );
  assert.deepEqual(
    parsed.issues.map((i) => [i.document, i.code, i.pos.line]),
    [
      [1, "yaml.syntax", 3],
      [2, "yaml.syntax", 6],
      [3, "yaml.tab-indent", 8],
    ],
  );
});

test("a duplicate key fails only its own document", () => {
  const parsed = parseManifest("f", "a: 1\na: 2\n---\nb: 1\n");
  assert.deepEqual(
    parsed.documents.map((d) => d.index),
    [1],
  );
  assert.deepEqual(
    parsed.issues.map((i) => i.document),
    [0],
  );
});

test("text after the document end marker", () => {
  const parsed = parseManifest("f", "a: 1\n... junk\n---\nb: 2\n");
  assert.deepEqual(
    parsed.documents.map((d) => [d.index, toPlain(d.root)]),
    [
      [0, { a: 1 }],
      [2, { b: 2 }],
    ],
  );
  assert.deepEqual(
    parsed.issues.map((i) => [i.document, i.code, i.pos.line, i.pos.column]),
    [[1, "yaml.syntax", 2, 5]],
  );
});

test("JSON: values after a broken one are not read, earlier ones are kept", () => {
  const parsed = parseManifest("f.json", '{"a": 1}\n{"b": 2}\n[3,\n{"c": 4}');
  assert.deepEqual(
    parsed.documents.map((d) => [d.index, toPlain(d.root)]),
    [
      [0, { a: 1 }],
      [1, { b: 2 }],
    ],
  );
  assert.deepEqual(
    parsed.issues.map((i) => [i.document, i.code]),
    [[2, "json.syntax"]],
  );
});

test("parseManifest never throws, whatever the input", () => {
  const inputs = ["\u0000", "\r", "- [", "&", "*", "!", "|", ">", "'", '"', "{", "[", "a: |\n\t", ":", "? ", "- - -", "\uFEFF", "\uD800"];
  for (const text of inputs) {
    assert.doesNotThrow(() => parseManifest("f", text));
  }
});
