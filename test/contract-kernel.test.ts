import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { Engine, loadScenario, policyKey } from "@membrane/engine";
import { Lab, runLive, worldIpsOf } from "@membrane/agent";
import { parseManifest } from "@membrane/manifest";

/**
 * The verdict contract suite (testdata/contract) against the kernel: one lab of the shared
 * cluster, every file's policies applied to it through the engine's change sets and the node
 * agents (so the incremental path is what gets tested), its cases run as real traffic, and the
 * policies removed again. A case fails when the wire disagrees with the engine — verdict, and for
 * a drop the kernel reported, its side and reason — or with what the file expects.
 */
const dir = fileURLToPath(new URL("../testdata/contract/", import.meta.url));
const read = (name: string) => parseManifest(`testdata/contract/${name}`, readFileSync(dir + name, "utf8")).documents;
const cluster = read("_cluster.yaml");
const files = readdirSync(dir)
  .filter((f) => f.endsWith(".yaml") && !f.startsWith("_"))
  .sort();
const base = loadScenario(cluster);
const engine = new Engine(base.cluster, []);
let lab: Lab;
let ran = 0;

before(async () => {
  const tests = files.flatMap((f) => loadScenario([...cluster, ...read(f)]).tests);
  const started = await Lab.start(engine, worldIpsOf(engine, tests));
  assert.ok(started.ok, started.ok ? "" : JSON.stringify(started.error));
  lab = started.value;
});

after(async () => {
  await lab?.stop();
  console.log(`kernel contract: ${ran} cases compared on the wire`);
  assert.ok(ran > 100, `only ${ran} contract cases ran on the wire`);
});

const apply = (change: () => ReturnType<Engine["upsertPolicy"]>): void => {
  const cs = change();
  assert.deepEqual(lab.apply(cs), []);
};

for (const name of files) {
  test(`kernel contract: ${name.replace(/\.yaml$/, "")}`, async () => {
    const scenario = loadScenario([...cluster, ...read(name)]);
    for (const p of scenario.policies) apply(() => engine.upsertPolicy(p));
    try {
      const results = await runLive(lab, engine, scenario.tests);
      ran += results.filter((r) => r.actual !== "unsupported").length;
      const failures = results
        .filter((r) => !r.pass && r.actual !== "unsupported")
        .map(
          (r) => `[${r.index}] ${r.from} -> ${r.to} ${r.protocol}/${r.port}: expected ${r.expect}, got ${r.actual}: ${r.reason.summary}`,
        );
      assert.deepEqual(failures, []);
    } finally {
      for (const p of scenario.policies) apply(() => engine.deletePolicy(policyKey(p)));
    }
  });
}
