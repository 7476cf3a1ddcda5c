import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { asIdentity, Engine, loadScenario } from "@membrane/engine";
import { parseManifest } from "@membrane/manifest";
import { loadObject, type MapFd, type ProgramFd } from "../kernel/bpf.ts";
import { compileForTest, pinDirectory } from "../kernel/test-support/fixture.ts";
import { kernelVerdict, POLICY_LOOKUP_TEST } from "../kernel/test-support/policy-query.ts";
import { PolicyMapWriter } from "./policy-map.ts";

const STAR_WARS = fileURLToPath(new URL("../../../../examples/star-wars/", import.meta.url));

function starWars(): Engine {
  const docs = readdirSync(STAR_WARS)
    .filter((f) => f.endsWith(".yaml"))
    .flatMap((f) => parseManifest(f, readFileSync(STAR_WARS + f, "utf8")).documents);
  const scenario = loadScenario(docs);
  return new Engine(scenario.cluster, scenario.policies);
}

interface Kernel {
  readonly prog: ProgramFd;
  readonly map: MapFd;
  close(): void;
}

async function kernel(mapSize?: number): Promise<Kernel> {
  const object = await compileForTest(fileURLToPath(POLICY_LOOKUP_TEST), mapSize === undefined ? {} : { POLICY_MAP_SIZE: mapSize });
  const pins = pinDirectory();
  const o = loadObject(object.path, pins.path);
  assert.ok(o.ok, o.ok ? "" : o.error.message);
  return {
    prog: o.value.programs.get("policy_lookup_test")!,
    map: o.value.maps.get("membrane_policy")!,
    close: () => {
      pins.remove();
      object.remove();
    },
  };
}

/** Every (endpoint, direction, peer identity, protocol, port) the scenario can ask about, engine vs kernel. */
function compareAll(engine: Engine, k: Kernel, ids: Map<string, number>): { compared: number; verdicts: string[] } {
  const peers = [...new Set([1, 2, ...engine.endpoints().map((e) => e.identity.id)])];
  const verdicts: string[] = [];
  let compared = 0;
  for (const ep of engine.endpoints()) {
    const policy = engine.policyOf(ep);
    for (const direction of ["ingress", "egress"] as const) {
      for (const peer of peers)
        for (const proto of [6, 17])
          for (const port of [53, 80, 443, 8080]) {
            const want = policy[direction].map.verdict(asIdentity(peer), proto, port);
            const got = kernelVerdict(k.prog, ids.get(ep.key)!, direction, peer, proto, port);
            assert.equal(got, want, `${ep.key} ${direction} from/to ${peer} ${proto}/${port}`);
            verdicts.push(`${ep.key} ${direction} ${peer} ${proto}/${port} ${want}`);
            compared++;
          }
    }
  }
  return { compared, verdicts };
}

function endpointIds(engine: Engine): Map<string, number> {
  return new Map(engine.endpoints().map((e, i) => [e.key, i + 1]));
}

function syncAll(engine: Engine, writer: PolicyMapWriter): void {
  for (const ep of engine.endpoints())
    for (const direction of ["ingress", "egress"] as const) {
      const r = writer.sync(ep.key, direction, engine.policyOf(ep)[direction].map.entries());
      assert.ok(r.ok, r.ok ? "" : r.error.cause.message);
    }
}

test("the kernel's policy map follows the engine: a full sync, then a change set", async () => {
  const engine = starWars();
  const k = await kernel();
  try {
    const ids = endpointIds(engine);
    const writer = new PolicyMapWriter(k.map, (key) => ids.get(key)!);
    syncAll(engine, writer);
    const before = compareAll(engine, k, ids);
    assert.ok(before.compared > 100);

    const policy = [...engine.policies.keys()][0]!;
    const change = engine.deletePolicy(policy);
    assert.ok(change.changes.length > 0);
    assert.deepEqual(writer.apply(change.changes), []);
    const after = compareAll(engine, k, ids);
    assert.notDeepEqual(after.verdicts, before.verdicts, "deleting the policy changes some verdict");

    // A deleted pod's change set takes every one of its entries out of the kernel.
    const gone = engine.endpoints().find((ep) => engine.policyOf(ep).ingress.map.size > 0)!;
    const sizeBefore = writer.size;
    const entries = engine.policyOf(gone).ingress.map.size + engine.policyOf(gone).egress.map.size;
    const ingressKeys = engine
      .policyOf(gone)
      .ingress.map.entries()
      .map((e) => e.key);
    assert.deepEqual(writer.apply(engine.deletePod(gone.pod.namespace, gone.pod.name).changes), []);
    assert.equal(writer.size, sizeBefore - entries);
    for (const key of ingressKeys)
      assert.equal(kernelVerdict(k.prog, ids.get(gone.key)!, "ingress", key.identity, key.proto || 6, key.port), -133);
  } finally {
    k.close();
  }
});

test("fail closed: a change the full map refuses leaves the endpoint on its last good entries", async () => {
  const engine = starWars();
  const ids = endpointIds(engine);
  const total = engine.endpoints().reduce((n, ep) => n + engine.policyOf(ep).ingress.map.size + engine.policyOf(ep).egress.map.size, 0);
  const k = await kernel(total + 1);
  try {
    const writer = new PolicyMapWriter(k.map, (key) => ids.get(key)!);
    syncAll(engine, writer);
    assert.equal(writer.size, total);
    const before = compareAll(engine, k, ids);

    // The map has room for one more entry: the first new key goes in, the second is refused, and
    // the sync is rolled back (the first one taken out again).
    const victim = engine.endpoints()[0]!;
    const grown = [
      ...engine.policyOf(victim).ingress.map.entries(),
      ...Array.from({ length: 3 }, (_, i) => ({
        key: { identity: asIdentity(900 + i), proto: 6, port: 9000 + i, prefixLen: 16 },
        entry: { deny: false, precedence: 0, proxyPort: 0, parser: null, derivedFrom: [] },
      })),
    ];
    const r = writer.sync(victim.key, "ingress", grown);
    assert.ok(!r.ok);
    assert.equal(r.error.endpoint, victim.key);
    assert.equal(r.error.cause.syscall, "bpf_map_update_elem");
    assert.equal(writer.size, total);
    assert.deepEqual(compareAll(engine, k, ids).verdicts, before.verdicts);
    for (let i = 0; i < 3; i++) assert.equal(kernelVerdict(k.prog, ids.get(victim.key)!, "ingress", 900 + i, 6, 9000 + i), -133);
  } finally {
    k.close();
  }
});
