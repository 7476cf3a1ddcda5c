import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { Engine, loadScenario, runTests } from "@membrane/engine";
import { parseManifest } from "@membrane/manifest";

/**
 * The verdict contract suite (testdata/contract): each file is one case of `policy-semantics.md`
 * (§6–§7 rules, §10 edge cases), run on the shared cluster. The engine must decide every case as
 * written; the kernel datapath will be held to the same files.
 */
const dir = fileURLToPath(new URL("../testdata/contract/", import.meta.url));
const read = (name: string) => parseManifest(`testdata/contract/${name}`, readFileSync(dir + name, "utf8")).documents;
const cluster = read("_cluster.yaml");

for (const name of readdirSync(dir)
  .filter((f) => f.endsWith(".yaml") && !f.startsWith("_"))
  .sort()) {
  test(`contract: ${name.replace(/\.yaml$/, "")}`, () => {
    const scenario = loadScenario([...cluster, ...read(name)]);
    assert.deepEqual(
      scenario.problems.filter((p) => p.severity === "error"),
      [],
    );
    assert.ok(scenario.tests.length > 0, "each contract file carries a ConnectivityTest");
    const results = runTests(new Engine(scenario.cluster, scenario.policies), scenario.tests);
    const failures = results
      .filter((r) => !r.pass)
      .map(
        (r) =>
          `[${r.index}] ${r.from} -> ${r.to} ${r.protocol}/${r.port}: expected ${r.expect}, got ${r.actual} (${r.reason.matchType}, ${r.reason.dropReason}): ${r.reason.summary}`,
      );
    assert.deepEqual(failures, []);
  });
}
