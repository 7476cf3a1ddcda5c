/**
 * Benchmark: compute every endpoint's policy map on a 50,000-pod cluster (1,000 namespaces, 5,000
 * policies): `engine_full_compute_s`, `engine_full_compute_rss_mib`. Parsing the YAML is not timed.
 */
import { Engine, loadScenario } from "@membrane/engine";
import { parseManifest } from "@membrane/manifest";
import { clusterStream } from "./generate-cluster.ts";

const size = { namespaces: Number(process.env["NS"] ?? 1000), podsPerNamespace: 50, policies: Number(process.env["POLICIES"] ?? 5000) };
const scenario = loadScenario(parseManifest("cluster.yaml", clusterStream(size)).documents);
if (scenario.problems.some((p) => p.severity === "error")) throw new Error(JSON.stringify(scenario.problems.slice(0, 3)));
const start = performance.now();
const engine = new Engine(scenario.cluster, scenario.policies);
let entries = 0;
for (const ep of engine.endpoints()) {
  const p = engine.policyOf(ep);
  entries += p.ingress.map.size + p.egress.map.size;
}
const seconds = (performance.now() - start) / 1000;
console.log(
  JSON.stringify({
    engine_full_compute_s: Number(seconds.toFixed(2)),
    engine_full_compute_rss_mib: Number((process.resourceUsage().maxRSS / 1024).toFixed(0)),
    engine_endpoints: engine.endpoints().length,
    engine_map_entries: entries,
  }),
);
