import assert from "node:assert/strict";
import { test } from "node:test";
import { fromPlain } from "../source/from-plain.ts";
import { loadManifests } from "../manifest/load-manifests.ts";
import { DEFAULT_VALIDATION_OPTIONS } from "./context.ts";
import { VALIDATION_CASES } from "./validation-table.ts";

for (const c of VALIDATION_CASES) {
  test(`validation: ${c.name}`, () => {
    const doc = { file: "t.yaml", index: 0, pos: { line: 1, column: 1, offset: 0 }, root: fromPlain(c.doc) };
    const result = loadManifests([doc], { ...DEFAULT_VALIDATION_OPTIONS, ...c.options });
    const errors = result.problems.filter((p) => p.severity === "error");
    if (c.expect === "valid") {
      assert.deepEqual(errors, [], "expected no errors");
      assert.equal(result.policies.length, 1);
      return;
    }
    const { code, path, severity = "error" } = c.expect;
    const found = result.problems.find((p) => p.code === code && p.path === path && p.severity === severity);
    assert.ok(
      found,
      `expected ${severity} ${code} at ${path}, got ${JSON.stringify(result.problems.map((p) => [p.severity, p.code, p.path, p.message]))}`,
    );
    assert.equal(result.policies.length, severity === "error" ? 0 : 1, "an error rejects the whole policy; a warning does not");
  });
}
