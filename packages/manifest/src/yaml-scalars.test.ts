import { test } from "node:test";
import assert from "node:assert/strict";
import { toPlain } from "@membrane/engine";
import { parseManifest } from "./index.ts";

// The value of key `a` in a one-document text; fails on any issue.
function valueOfA(text: string): unknown {
  const parsed = parseManifest("t.yaml", text);
  assert.deepEqual(parsed.issues, []);
  assert.equal(parsed.documents.length, 1);
  return (toPlain(parsed.documents[0]?.root ?? null) as Record<string, unknown>)["a"];
}

const cases: { name: string; text: string; want: unknown }[] = [
  // Plain scalars
  { name: "plain with inner spaces", text: "a: hello  world\n", want: "hello  world" },
  { name: "plain with a colon not followed by a space", text: "a: http://x:80/p?q=1\n", want: "http://x:80/p?q=1" },
  { name: "plain with # not preceded by a space", text: "a: issue#42 # comment\n", want: "issue#42" },
  { name: "plain starting with - ? : and a character", text: "a: [-x, ?y, :z]\n", want: ["-x", "?y", ":z"] },
  { name: "plain over several lines", text: "a: one\n  two\n   three\nb: x\n", want: "one two three" },
  { name: "plain with empty lines folds to newlines", text: "a: one\n\n  two\n\n\n  three\n", want: "one\ntwo\n\nthree" },
  { name: "plain continuation starting with a dash", text: "a: one\n  - two\n", want: "one - two" },
  { name: "plain ends at a comment line", text: "a: one\n# c\nb: x\n", want: "one" },
  { name: "plain with unicode", text: "a: grüße 日本 🎉\n", want: "grüße 日本 🎉" },
  { name: "plain trailing blanks dropped", text: "a: x  \t\n", want: "x" },
  // Single-quoted
  { name: "single-quoted with '' escape", text: "a: 'it''s'\n", want: "it's" },
  { name: "single-quoted keeps backslashes", text: "a: 'c:\\dir\\n'\n", want: "c:\\dir\\n" },
  { name: "single-quoted over lines", text: "a: 'one\n  two\n\n  three'\n", want: "one two\nthree" },
  { name: "single-quoted with # and :", text: "a: 'x: #y'\n", want: "x: #y" },
  // Double-quoted
  { name: "double-quoted simple", text: 'a: "x y"\n', want: "x y" },
  {
    name: "double-quoted escapes",
    text: 'a: "\\0\\a\\b\\t\\n\\v\\f\\r\\e\\ \\"\\/\\\\\\N\\_\\L\\P"\n',
    want: '\0\x07\b\t\n\v\f\r\x1b "/\\\u0085\u00a0\u2028\u2029',
  },
  { name: "double-quoted hex escapes", text: 'a: "\\x41\\u00e9\\U0001F600\\ud83d\\ude00"\n', want: "Aé😀😀" },
  { name: "double-quoted escaped tab character", text: 'a: "x\\\ty"\n', want: "x\ty" },
  { name: "double-quoted line folding", text: 'a: "one  \n   two\n\n  three"\n', want: "one two\nthree" },
  { name: "double-quoted escaped line break", text: 'a: "one\\\n   two"\n', want: "onetwo" },
  { name: "double-quoted escaped space before a break is kept", text: 'a: "one\\ \n  two"\n', want: "one  two" },
  // Literal block scalars
  { name: "literal clip", text: "a: |\n  one\n   two\n\n\nb: 1\n", want: "one\n two\n" },
  { name: "literal strip", text: "a: |-\n  one\n\n", want: "one" },
  { name: "literal keep", text: "a: |+\n  one\n\n\nb: 1\n", want: "one\n\n\n" },
  { name: "literal leading empty lines", text: "a: |\n\n\n  one\n", want: "\n\none\n" },
  { name: "literal with explicit indentation", text: "a: |2\n    indented\n  base\n", want: "  indented\nbase\n" },
  { name: "literal indicators in either order", text: "a: |-2\n   x\nb: |2-\n   y\n", want: " x" },
  { name: "literal with a header comment", text: "a: | # note\n  x\n", want: "x\n" },
  { name: "literal keeps # and quotes", text: "a: |\n  # not a comment\n  'q' \"d\"\n", want: "# not a comment\n'q' \"d\"\n" },
  { name: "literal keeps tabs after the indentation", text: "a: |\n  \tx\n", want: "\tx\n" },
  { name: "literal at the end without a final line break", text: "a: |\n  x", want: "x" },
  { name: "empty literal", text: "a: |\nb: 1\n", want: "" },
  { name: "empty literal keep", text: "a: |+\n\n\nb: 1\n", want: "\n\n" },
  // Folded block scalars
  { name: "folded", text: "a: >\n  one\n  two\n\n  three\n", want: "one two\nthree\n" },
  { name: "folded keeps more-indented lines", text: "a: >\n  one\n    code\n  two\n", want: "one\n  code\ntwo\n" },
  { name: "folded strip", text: "a: >-\n  one\n  two\n", want: "one two" },
  {
    name: "folded spec example 8.10",
    text: "a: >\n\n  folded\n  line\n\n  next\n  line\n    * bullet\n\n    * list\n    * lines\n\n  last\n  line\n\n# Comment\n",
    want: "\nfolded line\nnext line\n  * bullet\n\n  * list\n  * lines\n\nlast line\n",
  },
  { name: "block scalar in a sequence", text: "a:\n- |\n  x\n- >-\n  y\n  z\n", want: ["x\n", "y z"] },
  { name: "block scalar in a compact mapping", text: "a:\n- k: |\n    x\n  j: 1\n", want: [{ k: "x\n", j: 1 }] },
];

for (const c of cases) {
  test(`yaml scalar: ${c.name}`, () => {
    assert.deepEqual(valueOfA(c.text), c.want);
  });
}

test("yaml scalar: quoted and block scalars are always strings", () => {
  assert.deepEqual(valueOfA("a: ['1', \"true\", |-\n    null\n  ]\n".replace("|-\n    null\n  ", '"~"')), ["1", "true", "~"]);
  assert.deepEqual(valueOfA("a: |-\n  10\n"), "10");
  assert.deepEqual(valueOfA("a: >-\n  yes\n"), "yes");
});
