import { test } from "node:test";
import assert from "node:assert/strict";
import { toPlain } from "@membrane/engine";
import { parseManifest } from "./index.ts";
import { keyFromText } from "./key-string.ts";
import { resolvePlain } from "./scalar-resolve.ts";

// Plain scalar text → value, as go-yaml v2 (YAML 1.1) resolves it for Kubernetes.
const typing: [string, unknown][] = [
  ["", null],
  ["~", null],
  ["null", null],
  ["Null", null],
  ["NULL", null],
  ["nULL", "nULL"],
  ...["y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE", "on", "On", "ON"].map((w): [string, unknown] => [w, true]),
  ...["n", "N", "no", "No", "NO", "false", "False", "FALSE", "off", "Off", "OFF"].map((w): [string, unknown] => [w, false]),
  ["yES", "yES"],
  ["tRUE", "tRUE"],
  ["0", 0],
  ["-0", 0],
  ["42", 42],
  ["+42", 42],
  ["-17", -17],
  ["1_000_000", 1000000],
  ["0x1F", 31],
  ["0XfF", 255],
  ["-0x10", -16],
  ["0o17", 15],
  ["010", 8],
  ["-010", -8],
  ["0b1010", 10],
  ["-0b11", -3],
  ["08", 8],
  ["09.5", 9.5],
  ["0x", "0x"],
  ["0xG", "0xG"],
  ["9223372036854775807", 2 ** 63],
  ["18446744073709551615", 2 ** 64],
  ["99999999999999999999", 1e20],
  ["0xFFFFFFFFFFFFFFFF", 2 ** 64],
  ["0x1FFFFFFFFFFFFFFFF", "0x1FFFFFFFFFFFFFFFF"],
  ["1.5", 1.5],
  ["-1.5", -1.5],
  ["1.", 1],
  [".5", 0.5],
  ["+.5", 0.5],
  ["1e3", 1000],
  ["1.5E-2", 0.015],
  ["1_000.5", 1000.5],
  ["1e400", "1e400"],
  [".inf", Infinity],
  [".Inf", Infinity],
  [".INF", Infinity],
  ["+.inf", Infinity],
  ["-.inf", -Infinity],
  ["-.Inf", -Infinity],
  [".nan", NaN],
  [".NaN", NaN],
  [".NAN", NaN],
  [".iNf", ".iNf"],
  ["._5", "._5"],
  ["2001-12-14", "2001-12-14"],
  ["2001-12-14t21:59:43.10-05:00", "2001-12-14t21:59:43.10-05:00"],
  ["1:20", "1:20"],
  ["1.2.3", "1.2.3"],
  ["10.0.0.0/8", "10.0.0.0/8"],
  ["-", "-"],
  ["<<", "<<"],
  ["e5", "e5"],
  ["0.1.2", "0.1.2"],
];

for (const [text, want] of typing) {
  test(`scalar typing: ${JSON.stringify(text)}`, () => {
    assert.deepEqual(resolvePlain(text), want);
  });
}

test("scalar typing applies to plain scalars in documents, not to quoted ones", () => {
  const parsed = parseManifest("t", "a: 010\nb: '010'\nc: on\nd: \"on\"\ne: 0x10\nf: ~\ng:\n");
  assert.deepEqual(toPlain(parsed.documents[0]?.root ?? null), { a: 8, b: "010", c: true, d: "on", e: 16, f: null, g: null });
});

// Key text → the string Kubernetes makes of it (go-yaml's value, then sigs.k8s.io/yaml's key).
const keys: [string, boolean, string][] = [
  ["name", true, "name"],
  ["80", true, "80"],
  ["0x10", true, "16"],
  ["010", true, "8"],
  ["1_000", true, "1000"],
  ["0xFFFFFFFFFFFFFFFF", true, "18446744073709551615"],
  ["true", true, "true"],
  ["on", true, "true"],
  ["y", true, "true"],
  ["n", true, "false"],
  ["null", true, "null"],
  ["~", true, "null"],
  ["1.5", true, "1.5"],
  ["1e3", true, "1000"],
  ["1e6", true, "1e+06"],
  ["123456.7", true, "123456.7"],
  ["1234567.0", true, "1.234567e+06"],
  ["0.0001", true, "0.0001"],
  ["0.00001", true, "1e-05"],
  ["0.1", true, "0.1"],
  ["3.14159265358979", true, "3.1415927"],
  ["1e40", true, ".inf"],
  [".inf", true, ".inf"],
  ["-.inf", true, "-.inf"],
  [".nan", true, ".nan"],
  ["08", true, "8"],
  ["80", false, "80"],
  ["true", false, "true"],
];

for (const [text, plain, want] of keys) {
  test(`key string: ${plain ? "plain" : "quoted"} ${JSON.stringify(text)} → ${JSON.stringify(want)}`, () => {
    assert.equal(keyFromText(text, plain, null), want);
  });
}

test("key string: tags apply to keys", () => {
  assert.equal(keyFromText("80", true, "tag:yaml.org,2002:str"), "80");
  assert.equal(keyFromText("0x10", false, "tag:yaml.org,2002:int"), "16");
});

test("keys in documents become strings", () => {
  const parsed = parseManifest("t", "80: a\ntrue: b\nnull: c\n0x1F: d\n'0x1F': e\n{1.5: f}: x\n".replace("{1.5: f}: x\n", "1.5: f\n"));
  assert.deepEqual(Object.keys(toPlain(parsed.documents[0]?.root ?? null) as object), ["31", "80", "true", "null", "0x1F", "1.5"]);
});
