import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { Engine, loadScenario, policyKey, runTests } from "@membrane/engine";
import { Lab, runLive } from "@membrane/agent";
import { parseManifest } from "@membrane/manifest";

/**
 * Differential property test of the whole datapath: random policies on the contract cluster,
 * programmed into the kernel through the engine's change sets, then every source × destination ×
 * port as real traffic in a lab. The kernel's verdict must equal the engine's for every flow.
 *
 * CI runs MEMBRANE_DIFF_ROUNDS rounds (default 6); a long run:
 *   MEMBRANE_DIFF_ROUNDS=500 MEMBRANE_DIFF_SEED=7 node --test test/datapath-differential.test.ts
 */
const ROUNDS = Number(process.env.MEMBRANE_DIFF_ROUNDS ?? 6);
const SEED = Number(process.env.MEMBRANE_DIFF_SEED ?? 20261121);

const dir = fileURLToPath(new URL("../testdata/contract/", import.meta.url));
const cluster = parseManifest("testdata/contract/_cluster.yaml", readFileSync(dir + "_cluster.yaml", "utf8")).documents;
const base = loadScenario(cluster);
const engine = new Engine(base.cluster, []);

const PODS = ["ns1/a", "ns1/b", "ns1/x", "ns2/c", "ns2/x", "ns1/web-0", "kube-system/coredns"];
const WORLD = "203.0.113.5";
const PEERS = [...PODS, "node:node-a", WORLD];
const PORTS = [
  { protocol: "TCP", port: 80 },
  { protocol: "TCP", port: 8080 },
  { protocol: "UDP", port: 53 },
  { protocol: "ICMP", port: 8 },
] as const;

const selector = fc.constantFrom("{}", "{ matchLabels: { app: a } }", "{ matchLabels: { app: x } }", "{ matchLabels: { app: b } }");
const peer = fc.oneof(
  selector.map((s) => `Endpoints: [${s}]`),
  fc.constantFrom("world", "host", "cluster", "all", "remote-node").map((e) => `Entities: [${e}]`),
  fc.constantFrom("203.0.113.0/24", "10.244.1.0/24", "0.0.0.0/0").map((c) => `CIDR: ["${c}"]`),
);
const ports = fc.option(fc.subarray([...PORTS.slice(0, 3)], { minLength: 1 }), { nil: undefined });
const rule = fc.record({ peer, ports, deny: fc.boolean() });
const policy = fc.record({
  namespace: fc.constantFrom("ns1", "ns2"),
  subject: selector,
  direction: fc.constantFrom("ingress", "egress"),
  rules: fc.array(rule, { minLength: 1, maxLength: 3 }),
});

type RandomPolicy = typeof policy extends fc.Arbitrary<infer T> ? T : never;

function policyYaml(p: RandomPolicy, name: string): string {
  const from = p.direction === "ingress" ? "from" : "to";
  const section = (deny: boolean): string =>
    p.rules
      .filter((r) => r.deny === deny)
      .map((r) => {
        const portsYaml =
          r.ports === undefined
            ? ""
            : `\n      toPorts: [{ ports: [${r.ports.map((x) => `{ port: "${x.port}", protocol: ${x.protocol} }`).join(", ")}] }]`;
        return `    - ${from}${r.peer}${portsYaml}`;
      })
      .join("\n");
  const allow = section(false);
  const deny = section(true);
  return [
    "apiVersion: cilium.io/v2",
    "kind: CiliumNetworkPolicy",
    `metadata: { name: ${name}, namespace: ${p.namespace} }`,
    "spec:",
    `  endpointSelector: ${p.subject}`,
    ...(allow ? [`  ${p.direction}:`, allow] : []),
    ...(deny ? [`  ${p.direction}Deny:`, deny] : []),
  ].join("\n");
}

function casesYaml(): string {
  const cases = PEERS.flatMap((from) =>
    PEERS.filter((to) => to !== from && !(from === WORLD && to.startsWith("node:")) && !(to === WORLD && from.startsWith("node:"))).flatMap(
      (to) => PORTS.map((p) => `    - { from: "${from}", to: "${to}", port: ${p.port}, protocol: ${p.protocol}, expect: allow }`),
    ),
  );
  return [
    "apiVersion: membrane.dev/v1alpha1",
    "kind: ConnectivityTest",
    "metadata: { name: differential }",
    "spec:",
    "  cases:",
    ...cases,
  ].join("\n");
}

const tests = loadScenario([...cluster, ...parseManifest("cases.yaml", casesYaml()).documents]).tests;
let lab: Lab;
let compared = 0;

before(async () => {
  const started = await Lab.start(engine, [WORLD]);
  assert.ok(started.ok, started.ok ? "" : JSON.stringify(started.error));
  lab = started.value;
});

after(async () => {
  await lab?.stop();
  console.log(`datapath differential: ${compared} flows compared (kernel = engine), ${ROUNDS} rounds, seed ${SEED}`);
});

const policySets = fc.sample(fc.array(policy, { minLength: 1, maxLength: 4 }), { seed: SEED, numRuns: ROUNDS });

for (const [round, set] of policySets.entries()) {
  test(`differential round ${round} (seed ${SEED})`, async () => {
    const yaml = set.map((p, i) => policyYaml(p, `rand-${round}-${i}`)).join("\n---\n");
    const scenario = loadScenario([...cluster, ...parseManifest(`round-${round}.yaml`, yaml).documents]);
    assert.deepEqual(
      scenario.problems.filter((p) => p.severity === "error").map((p) => p.message),
      [],
      yaml,
    );
    const apply = (cs: ReturnType<Engine["upsertPolicy"]>): void => assert.deepEqual(lab.apply(cs), []);
    for (const p of scenario.policies) apply(engine.upsertPolicy(p));
    try {
      const decided = runTests(engine, tests);
      const live = await runLive(lab, engine, tests);
      const disagreements = live.flatMap((r, i) => {
        if (r.actual === "unsupported") return [];
        compared++;
        const bad = r.actual !== decided[i]!.actual || /^the (wire and the engine disagree|lab could not)/.test(r.reason.summary);
        return bad ? [`${r.from} -> ${r.to} ${r.protocol}/${r.port}: ${r.reason.summary}`] : [];
      });
      assert.deepEqual(disagreements, [], yaml);
    } finally {
      for (const p of scenario.policies) apply(engine.deletePolicy(policyKey(p)));
    }
  });
}
