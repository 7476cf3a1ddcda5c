import { test } from "node:test";
import assert from "node:assert/strict";
import { isScalar, parseAllDocuments } from "yaml";
import { toPlain } from "@membrane/engine";
import { parseManifest } from "./index.ts";
import { MANIFESTS } from "./test-support/manifests.ts";

for (const [name, text] of Object.entries(MANIFESTS)) {
  test(`realistic manifest ${name}: same values as the yaml library (YAML 1.1)`, () => {
    const parsed = parseManifest(name, text);
    assert.deepEqual(parsed.issues, []);
    const theirs = parseAllDocuments(text, { version: "1.1" })
      // The library keeps an empty document (after a trailing `---`) as null; this parser drops it.
      .filter((d) => !(isScalar(d.contents) && d.contents.source === ""))
      .map((d) => {
        assert.deepEqual(d.errors, []);
        return d.toJS() as unknown;
      });
    assert.deepEqual(
      parsed.documents.map((d) => toPlain(d.root)),
      theirs,
    );
  });
}

test("realistic manifests: spot checks of Kubernetes typing", () => {
  const deployment = toPlain(parseManifest("d", MANIFESTS["deployment.yaml"] ?? "").documents[0]?.root ?? null) as {
    spec: { revisionHistoryLimit: number; template: { spec: { volumes: { configMap: { defaultMode: number } }[] } } };
  };
  assert.equal(deployment.spec.revisionHistoryLimit, 8);
  assert.equal(deployment.spec.template.spec.volumes[0]?.configMap.defaultMode, 0o644);
});
