import assert from "node:assert/strict";
import { readFileSync, rmSync } from "node:fs";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";
import { Engine, loadScenario } from "@membrane/engine";
import { heldPolicyEpoch, IPCACHE_KEY, loadDatapath, mapKeys, POLICY_KEY, type Datapath } from "@membrane/datapath";
import { parseManifest } from "@membrane/manifest";
import { NodeAgent } from "./node-agent.ts";

/**
 * The node agent over real kernel maps (no devices: the endpoints sit behind made-up ifindexes,
 * which is all the maps know of them). The contract cluster's node-a, with one policy.
 */
const clusterFile = fileURLToPath(new URL("../../../../testdata/contract/_cluster.yaml", import.meta.url));
const POLICY = `apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: { name: b-from-a, namespace: ns1 }
spec:
  endpointSelector: { matchLabels: { app: b } }
  ingress: [{ fromEndpoints: [{ matchLabels: { app: a } }], toPorts: [{ ports: [{ port: "80", protocol: TCP }] }] }]
---
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: { name: a-to-docs, namespace: ns1 }
spec:
  endpointSelector: { matchLabels: { app: a } }
  egress: [{ toCIDR: ["192.0.2.0/24"] }]
`;
const scenario = loadScenario([
  ...parseManifest("_cluster.yaml", readFileSync(clusterFile, "utf8")).documents,
  ...parseManifest("policy.yaml", POLICY).documents,
]);
const pins = `/sys/fs/bpf/membrane-test-agent-${process.pid}`;
let dp: Datapath;

before(async () => {
  const r = await loadDatapath({ pinDir: pins });
  assert.ok(r.ok, r.ok ? "" : r.error.message);
  dp = r.value;
});
after(() => rmSync(pins, { recursive: true, force: true }));

const localEndpoints = (engine: Engine) =>
  engine
    .endpoints()
    .filter((e) => e.pod.nodeName === "node-a")
    .map((e, i) => ({ key: e.key, ifindex: 100 + i }));
/** The kernel ipcache's prefixes, as text. */
const kernelPrefixes = (): string[] => {
  const keys = mapKeys(dp.maps.ipcache, IPCACHE_KEY.size);
  assert.ok(keys.ok);
  return keys.value
    .map((k) => `${k[IPCACHE_KEY.family] === 6 ? "v6" : "v4"} ${[...k.subarray(8, 24)].join(".")}/${k.readUInt32LE(0) - 32}`)
    .sort();
};
const kernelEntries = (): number => {
  const keys = mapKeys(dp.maps.policy, POLICY_KEY.size);
  assert.ok(keys.ok);
  return keys.value.length;
};

test("a restarted agent adopts the pinned maps: same endpoint ids, stale entries removed, nothing else touched", () => {
  const engine = new Engine(scenario.cluster, scenario.policies);
  const first = NodeAgent.start(engine, "node-a", dp, { policyCapacity: 1000 }, localEndpoints(engine));
  assert.deepEqual(first.errors, []);
  const held = kernelEntries();
  assert.equal(held, first.agent.pressure.entries);
  const prefixesBefore = kernelPrefixes();
  const ids = localEndpoints(engine).map((e) => first.agent.endpointId(e.key));
  // While "down", the policy is deleted: the new agent finds the old entries and removes what is stale.
  const later = new Engine(scenario.cluster, []);
  const second = NodeAgent.start(later, "node-a", dp, { policyCapacity: 1000 }, localEndpoints(later));
  assert.deepEqual(second.errors, []);
  assert.deepEqual(
    localEndpoints(later).map((e) => second.agent.endpointId(e.key)),
    ids,
  );
  assert.equal(kernelEntries(), second.agent.pressure.entries);
  assert.ok(kernelEntries() < held, "the policy's entries are gone");
  // The CIDR identity went with its policy: its ipcache prefix is gone too, and nothing else.
  const prefixesAfter = kernelPrefixes();
  assert.deepEqual(
    prefixesBefore.filter((p) => !prefixesAfter.includes(p)),
    ["v4 192.0.2.0.0.0.0.0.0.0.0.0.0.0.0.0/24"],
  );
  assert.equal(prefixesAfter.length, new Set(later.ipcacheFrom("node-a").map((r) => `${r.prefix.addr.bytes}/${r.prefix.bits}`)).size);
});

test("map pressure: high from 90% of the capacity the agent was given", () => {
  const engine = new Engine(scenario.cluster, scenario.policies);
  const roomy = NodeAgent.start(engine, "node-a", dp, { policyCapacity: 1000 }, localEndpoints(engine));
  assert.equal(roomy.agent.pressure.high, false);
  const entries = roomy.agent.pressure.entries;
  const tight = NodeAgent.start(engine, "node-a", dp, { policyCapacity: Math.floor(entries / 0.9) }, localEndpoints(engine));
  assert.deepEqual(tight.agent.pressure, { entries, capacity: Math.floor(entries / 0.9), high: true });
});

test("the agent bumps the policy epoch after every change it writes (and only then); a restarted agent goes on from the pinned one", () => {
  const engine = new Engine(scenario.cluster, []);
  const first = NodeAgent.start(engine, "node-a", dp, { policyCapacity: 1000 }, localEndpoints(engine));
  assert.deepEqual(first.errors, []);
  const started = heldPolicyEpoch(dp.maps.config);
  assert.ok(started > 0, "0 would switch the datapath's verdict cache off");
  // A policy selecting a local endpoint: map writes, then a new epoch.
  assert.deepEqual(first.agent.apply(engine.upsertPolicy(scenario.policies[0]!)), []);
  const changed = heldPolicyEpoch(dp.maps.config);
  assert.equal(changed, started + 1);
  // The same policy again changes nothing in the kernel: the epoch stays, cached verdicts stay valid.
  assert.deepEqual(first.agent.apply(engine.upsertPolicy(scenario.policies[0]!)), []);
  assert.equal(heldPolicyEpoch(dp.maps.config), changed);
  // So does a pod or namespace given again as it was (the engine's ipcache revision moves, the kernel's ipcache does not).
  const [pod] = engine.endpoints().map((e) => e.pod);
  assert.deepEqual(first.agent.apply(engine.upsertPod(pod!)), []);
  assert.deepEqual(first.agent.apply(engine.upsertNamespace(engine.cluster.namespaces.get(pod!.namespace)!)), []);
  assert.equal(heldPolicyEpoch(dp.maps.config), changed);
  // A new pod on another node is an ipcache write only: the epoch moves (its address now has an identity).
  assert.deepEqual(first.agent.apply(engine.upsertPod({ ...pod!, name: "newcomer", nodeName: "node-b", ips: ["10.99.0.7"] })), []);
  assert.equal(heldPolicyEpoch(dp.maps.config), changed + 1);
  // A new agent never reuses an epoch the old one may have cached verdicts under.
  const second = NodeAgent.start(engine, "node-a", dp, { policyCapacity: 1000 }, localEndpoints(engine));
  assert.deepEqual(second.errors, []);
  assert.ok(heldPolicyEpoch(dp.maps.config) > changed);
});
