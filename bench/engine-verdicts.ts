/**
 * Benchmarks on a 10,000-pod cluster with computed maps: `engine_verdicts_per_s` (L3/L4 flows
 * decided by the egress lookup at the source and the ingress lookup at the destination, as the
 * datapath does) and `test_cases_per_s` (`membrane test`'s path: a ConnectivityTest case resolved,
 * decided and explained; 100,000 cases, the median of three passes after a warm-up).
 */
import { Engine, loadScenario, PROTO, runTests, type ConnectivityTest, type TestCase } from "@membrane/engine";
import { parseManifest } from "@membrane/manifest";
import { clusterStream } from "./generate-cluster.ts";

const scenario = loadScenario(
  parseManifest("cluster.yaml", clusterStream({ namespaces: 200, podsPerNamespace: 50, policies: 1000 })).documents,
);
const engine = new Engine(scenario.cluster, scenario.policies);
engine.computeAll();
const eps = engine.endpoints();
let seed = 42;
const rand = (n: number): number => {
  seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
  return seed % n;
};
const PORTS = [80, 443, 5432, 8080, 9000, 9050, 9090, 25, 53];
const flows = Array.from({ length: 200_000 }, () => {
  const src = eps[rand(eps.length)]!;
  const dst = eps[rand(eps.length)]!;
  return {
    egress: engine.policyOf(src).egress.map,
    ingress: engine.policyOf(dst).ingress.map,
    srcId: src.identity.id,
    dstId: dst.identity.id,
    proto: rand(10) < 8 ? PROTO.TCP : PROTO.UDP,
    port: PORTS[rand(PORTS.length)]!,
  };
});
let allowed = 0;
const rounds = 10;
const t0 = performance.now();
for (let r = 0; r < rounds; r++) {
  for (const f of flows) {
    if (f.egress.verdict(f.dstId, f.proto, f.port) < 0) continue;
    if (f.ingress.verdict(f.srcId, f.proto, f.port) >= 0) allowed++;
  }
}
const verdictsPerS = (flows.length * rounds) / ((performance.now() - t0) / 1000);

const cases: TestCase[] = Array.from({ length: 100_000 }, (_, index) => {
  const src = eps[rand(eps.length)]!.pod;
  const dst = eps[rand(eps.length)]!.pod;
  return {
    index,
    from: { kind: "pod", namespace: src.namespace, name: src.name },
    to: { kind: "pod", namespace: dst.namespace, name: dst.name },
    port: PORTS[rand(PORTS.length)]!,
    protocol: "TCP",
    expect: "allow",
    l7: null,
    expectMatchType: null,
    expectDropReason: null,
    pos: { line: 1, column: 1, offset: 0 },
  };
});
const test: ConnectivityTest = { name: "bench", cases, file: "bench.yaml", document: 0 };
// One warm-up pass (the JIT), then the median of three: a single pass swung ±30% with where the
// collector's pauses fell.
runTests(engine, [{ ...test, cases: cases.slice(0, 20_000) }]);
const passes = Array.from({ length: 3 }, () => {
  const t1 = performance.now();
  const results = runTests(engine, [test]);
  return results.length / ((performance.now() - t1) / 1000);
}).sort((a, b) => a - b);
const casesPerS = passes[1]!;
console.log(
  JSON.stringify({
    engine_verdicts_per_s: Math.round(verdictsPerS),
    test_cases_per_s: Math.round(casesPerS),
    engine_verdicts_allowed_share: Number((allowed / (flows.length * rounds)).toFixed(3)),
  }),
);
