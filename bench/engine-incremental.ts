/**
 * Benchmark: incremental updates on a 10,000-pod cluster (`engine_incremental_p99_ms`): pod adds,
 * label changes and policy adds, each timed from the call to its change set.
 */
import { Engine, loadScenario, type Pod } from "@membrane/engine";
import { parseManifest } from "@membrane/manifest";
import { clusterStream } from "./generate-cluster.ts";

const size = { namespaces: 200, podsPerNamespace: 50, policies: 1000 };
const scenario = loadScenario(parseManifest("cluster.yaml", clusterStream(size)).documents);
const extra = loadScenario(parseManifest("more.yaml", clusterStream({ ...size, policies: 1400 })).documents).policies.slice(1000);
const engine = new Engine(scenario.cluster, scenario.policies);
engine.computeAll();
const times: Record<string, number[]> = { podAdd: [], labelChange: [], policyAdd: [] };
const time = (kind: string, f: () => unknown): void => {
  const t = performance.now();
  f();
  times[kind]!.push(performance.now() - t);
};
const pods = engine.cluster.pods;
for (let i = 0; i < 200; i++) {
  const template = pods[(i * 37) % pods.length]!;
  const pod: Pod = { ...template, name: `extra-${i}`, ips: [`10.250.${i >> 8}.${(i & 255) + 1}`] };
  time("podAdd", () => engine.upsertPod(pod));
  const victim = pods[(i * 53) % pods.length]!;
  time("labelChange", () =>
    engine.upsertPod({ ...victim, labels: new Map([...victim.labels, ["tier", ["web", "api", "db"][i % 3]!], ["rev", `r${i}`]]) }),
  );
  time("policyAdd", () => engine.upsertPolicy(extra[i % extra.length]!));
}
const all = Object.values(times)
  .flat()
  .sort((a, b) => a - b);
const p99 = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length * 0.99)]!;
console.log(
  JSON.stringify({
    engine_incremental_p99_ms: Number(p99(all).toFixed(2)),
    engine_incremental_pod_add_p99_ms: Number(p99(times["podAdd"]!).toFixed(2)),
    engine_incremental_label_change_p99_ms: Number(p99(times["labelChange"]!).toFixed(2)),
    engine_incremental_policy_add_p99_ms: Number(p99(times["policyAdd"]!).toFixed(2)),
  }),
);
