import { test } from "node:test";
import assert from "node:assert/strict";
import { toPlain } from "@membrane/engine";
import { parseManifest } from "./index.ts";

// The plain values of a text's documents; fails on any issue.
function values(text: string): unknown[] {
  const parsed = parseManifest("t.yaml", text);
  assert.deepEqual(parsed.issues, []);
  return parsed.documents.map((d) => toPlain(d.root));
}

const cases: { name: string; text: string; want: unknown[] }[] = [
  { name: "block mapping", text: "a: 1\nb: two\n", want: [{ a: 1, b: "two" }] },
  { name: "nested block mapping", text: "a:\n  b:\n    c: x\n  d: w\ne: z\n", want: [{ a: { b: { c: "x" }, d: "w" }, e: "z" }] },
  { name: "block sequence", text: "- a\n- b\n-   c\n", want: [["a", "b", "c"]] },
  { name: "nested block sequences", text: "- - a\n  - b\n- - c\n", want: [[["a", "b"], ["c"]]] },
  {
    name: "compact mappings in a sequence",
    text: "- name: a\n  value: 1\n- name: b\n  value: 2\n",
    want: [
      [
        { name: "a", value: 1 },
        { name: "b", value: 2 },
      ],
    ],
  },
  {
    name: "sequence at the key's indentation",
    text: "ports:\n- 80\n- 443\nname: x\n",
    want: [{ ports: [80, 443], name: "x" }],
  },
  {
    name: "same-indentation sequence inside a compact mapping",
    text: "- key:\n  - a\n  - b\n  other: c\n",
    want: [[{ key: ["a", "b"], other: "c" }]],
  },
  { name: "empty values are null", text: "a:\nb: # nothing\nc:\n- \n-\n", want: [{ a: null, b: null, c: [null, null] }] },
  { name: "value on the next line", text: "a:\n  text\nb:\n  - x\n", want: [{ a: "text", b: ["x"] }] },
  {
    name: "flow collections",
    text: "a: {b: 1, c: [x, \"y\", 'z'], d: {}}\ne: []\n",
    want: [{ a: { b: 1, c: ["x", "y", "z"], d: {} }, e: [] }],
  },
  {
    name: "flow collections spanning lines with comments",
    text: "a: [\n  1, # one\n  2,\n]\nb: {p: 1,\n  q: 2}\n",
    want: [{ a: [1, 2], b: { p: 1, q: 2 } }],
  },
  { name: "flow mapping without values", text: "a: {p, q: }\n", want: [{ a: { p: null, q: null } }] },
  { name: "one-pair mappings in a flow sequence", text: "a: [p: 1, q]\n", want: [{ a: [{ p: 1 }, "q"] }] },
  { name: "JSON-like flow mapping", text: '{"a":1, "b":[true,null]}\n'.replace("{", "x: {"), want: [{ x: { a: 1, b: [true, null] } }] },
  { name: "flow plain scalars with colons", text: "a: [http://x:80/p, a:b]\n", want: [{ a: ["http://x:80/p", "a:b"] }] },
  { name: "comments everywhere", text: "# head\na: 1 # tail\n# middle\n\nb: # after key\n  c: 2\n# end\n", want: [{ a: 1, b: { c: 2 } }] },
  { name: "quoted keys", text: '"k8s:app": web\n\'a b\': 1\n"": empty\n', want: [{ "k8s:app": "web", "a b": 1, "": "empty" }] },
  { name: "directives are ignored", text: "%YAML 1.1\n%TAG ! tag:example.com,2000:\n---\na: 1\n", want: [{ a: 1 }] },
  { name: "byte order mark", text: "\uFEFFa: 1\n", want: [{ a: 1 }] },
  { name: "CRLF line endings", text: "a: 1\r\nb:\r\n  - x\r\n  - |\r\n    l1\r\n    l2\r\n", want: [{ a: 1, b: ["x", "l1\nl2\n"] }] },
  { name: "a scalar document", text: "--- hello\n", want: ["hello"] },
  { name: "a block scalar on the marker line", text: "--- |\n  text\n", want: ["text\n"] },
  { name: "a flow document", text: "--- [1, 2]\n", want: [[1, 2]] },
  {
    name: "anchors and aliases",
    text: "a: &x {p: 1}\nb: *x\nc: &s str\nd: *s\n",
    want: [{ a: { p: 1 }, b: { p: 1 }, c: "str", d: "str" }],
  },
  {
    name: "anchor on its own line",
    text: "base: &b\n  p: 1\n  q: 2\nitems:\n- &i\n  m: 1\n- *i\n",
    want: [{ base: { p: 1, q: 2 }, items: [{ m: 1 }, { m: 1 }] }],
  },
  {
    name: "merge key with one mapping",
    text: "base: &b {p: 1, q: 2}\nc:\n  <<: *b\n  q: 3\n",
    want: [{ base: { p: 1, q: 2 }, c: { p: 1, q: 3 } }],
  },
  {
    name: "explicit keys win over merged ones wherever they stand",
    text: "base: &b {p: 1, q: 2}\nc:\n  q: 3\n  <<: *b\n",
    want: [{ base: { p: 1, q: 2 }, c: { q: 3, p: 1 } }],
  },
  {
    name: "merge key with a list: earlier mappings win",
    text: "a: &a {p: 1}\nb: &b {p: 2, q: 2}\nc:\n  <<: [*a, *b]\n  z: 3\n",
    want: [{ a: { p: 1 }, b: { p: 2, q: 2 }, c: { p: 1, q: 2, z: 3 } }],
  },
  { name: "merge key in a flow mapping", text: "a: &a {p: 1}\nb: {<<: *a, q: 2}\n", want: [{ a: { p: 1 }, b: { p: 1, q: 2 } }] },
  { name: "a quoted << is an ordinary key", text: '"<<": 1\n', want: [{ "<<": 1 }] },
  {
    name: "core tags are applied",
    text: 'a: !!str 10\nb: !!int "10"\nc: !!float 1\nd: !!bool "yes"\ne: !!null ~\nf: !!str\ng: !!map {x: 1}\nh: !!seq [1]\n',
    want: [{ a: "10", b: 10, c: 1, d: true, e: null, f: "", g: { x: 1 }, h: [1] }],
  },
  { name: "verbatim core tag", text: "a: !<tag:yaml.org,2002:str> 5\n", want: [{ a: "5" }] },
  {
    name: "other tags are ignored (scalars stay text)",
    text: "a: !custom 5\nb: !foo {x: 1}\nc: ! 7\n",
    want: [{ a: "5", b: { x: 1 }, c: "7" }],
  },
  { name: "tag and anchor together", text: "a: !!str &x 5\nb: *x\n", want: [{ a: "5", b: "5" }] },
  { name: "tab as separator after a colon", text: "a:\t1\nb: [x,\tc]\n", want: [{ a: 1, b: ["x", "c"] }] },
  { name: "a top-level scalar over several lines", text: "one\ntwo\n\nthree\n", want: ["one two\nthree"] },
  { name: "alias used as a key", text: "a: &k key\n*k : v\n", want: [{ a: "key", key: "v" }] },
];

for (const c of cases) {
  test(`yaml structure: ${c.name}`, () => {
    assert.deepEqual(values(c.text), c.want);
  });
}

test("documents: split at --- and ..., empty ones dropped, indexes stable", () => {
  const text = "---\na: 1\n---\n# only a comment\n---\nb: 2\n...\n# between\n---\n- c\n---\n";
  const parsed = parseManifest("f.yaml", text);
  assert.deepEqual(parsed.issues, []);
  assert.deepEqual(
    parsed.documents.map((d) => [d.index, toPlain(d.root)]),
    [
      [0, { a: 1 }],
      [1, { b: 2 }],
      [2, ["c"]],
    ],
  );
  assert.ok(parsed.documents.every((d) => d.file === "f.yaml"));
});

test("documents: a marker line inside a block scalar still ends the document", () => {
  const parsed = parseManifest("f.yaml", "a: |\n  x\n---\nb: 2\n");
  assert.deepEqual(
    parsed.documents.map((d) => toPlain(d.root)),
    [{ a: "x\n" }, { b: 2 }],
  );
});

test("documents: --- needs a space or line end to be a marker", () => {
  assert.deepEqual(values("a: 1\n---x: 2\n".replace("---x: 2", "b: ---x")), [{ a: 1, b: "---x" }]);
  assert.deepEqual(values("--- \t\na: 1\n"), [{ a: 1 }]);
});

test("documents: a document of only null is kept", () => {
  assert.deepEqual(values("---\n~\n---\nnull\n"), [null, null]);
});

test("documents: an empty file and a comment-only file have no documents", () => {
  assert.deepEqual(parseManifest("e", ""), { documents: [], issues: [] });
  assert.deepEqual(parseManifest("e", "# nothing\n\n---\n...\n"), { documents: [], issues: [] });
});

test("aliases yield the anchored node itself", () => {
  const parsed = parseManifest("f", "a: &x {p: 1}\nb: *x\n");
  const root = parsed.documents[0]?.root;
  assert.ok(root?.kind === "map");
  assert.equal(root.entries[0]?.value, root.entries[1]?.value);
});
