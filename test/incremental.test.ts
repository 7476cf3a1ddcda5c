import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import fc from "fast-check";
import { Engine, loadScenario, type ChangeSet, type EndpointPolicy, type Pod, type Policy } from "@membrane/engine";
import { parseManifest } from "@membrane/manifest";

/**
 * Incremental updates must land exactly where a full recomputation lands: after any sequence of
 * policy and pod changes, every endpoint's maps equal those of an engine built from scratch on the
 * final state, and applying the returned change sets to the old maps gives the new ones.
 */
const dir = fileURLToPath(new URL("../testdata/contract/", import.meta.url));
const docs = (name: string) => parseManifest(name, readFileSync(dir + name, "utf8")).documents;
const files = readdirSync(dir)
  .filter((f) => f.endsWith(".yaml") && !f.startsWith("_"))
  .sort();
const base = loadScenario(docs("_cluster.yaml"));
const allPolicies: Policy[] = files.flatMap((f) => loadScenario([...docs("_cluster.yaml"), ...docs(f)]).policies);
const key = (p: Policy) => `${p.kind}/${p.meta.namespace ?? ""}/${p.meta.name}`;

// Identity numbers depend on allocation order, so maps are compared with identities as their labels.
type Snapshot = Map<string, string>;
type Named = (id: number) => string;
function namer(e: Engine): Named {
  const names = new Map([...e.cache.identities()].map((i) => [i.id as number, i.labels.text]));
  return (id) => (id === 0 ? "any" : (names.get(id) ?? `#${id}`));
}
const line = (
  name: Named,
  d: string,
  k: { identity: number; proto: number; port: number; prefixLen: number },
  entry: { deny: boolean; proxyPort: number },
) => `${d} ${name(k.identity)}/${k.proto}/${k.port}/${k.prefixLen} ${entry.deny ? "D" : "A"}${entry.proxyPort}`;
const render = (name: Named, p: EndpointPolicy): string =>
  (["ingress", "egress"] as const)
    .flatMap((d) => p[d].map.entries().map((e) => line(name, d, e.key, e.entry)))
    .sort()
    .join("\n");

/** Every endpoint's maps, identities named by their labels (`byLabels`) or by number (what the kernel holds). */
function snapshot(e: Engine, byLabels: boolean): Snapshot {
  e.computeAll();
  const name: Named = byLabels ? namer(e) : String;
  return new Map(e.endpoints().map((ep) => [ep.key, render(name, e.policyOf(ep))]));
}

/** Applies change sets to a snapshot kept as entry lines per endpoint. */
function apply(lines: Map<string, Set<string>>, cs: ChangeSet): void {
  for (const c of cs.changes) {
    let set = lines.get(c.endpoint);
    if (set === undefined) lines.set(c.endpoint, (set = new Set()));
    const prefix = (k: { identity: number; proto: number; port: number; prefixLen: number }) =>
      line(String, c.direction, k, { deny: false, proxyPort: 0 }).replace(/ A0$/, " ");
    for (const r of c.removed) for (const l of [...set]) if (l.startsWith(prefix(r))) set.delete(l);
    for (const u of c.upserted) {
      for (const l of [...set]) if (l.startsWith(prefix(u.key))) set.delete(l);
      set.add(line(String, c.direction, u.key, u.entry));
    }
  }
  for (const k of cs.endpointsRemoved) lines.delete(k);
}

const asLines = (s: Snapshot) => new Map([...s].map(([k, v]) => [k, new Set(v.split("\n").filter((l) => l !== ""))]));

type Op =
  | { kind: "policy+"; i: number }
  | { kind: "policy-"; i: number }
  | { kind: "relabel"; pod: number; app: string }
  | { kind: "pod-"; pod: number }
  | { kind: "pod+"; n: number }
  | { kind: "ns"; ns: string; team: string }
  | { kind: "svc"; selector: string | null };

test("property: incremental changes equal a full recomputation, and change sets replay", () => {
  const op: fc.Arbitrary<Op> = fc.oneof(
    fc.record({ kind: fc.constant("policy+" as const), i: fc.nat({ max: allPolicies.length - 1 }) }),
    fc.record({ kind: fc.constant("policy-" as const), i: fc.nat({ max: allPolicies.length - 1 }) }),
    fc.record({ kind: fc.constant("relabel" as const), pod: fc.nat({ max: 20 }), app: fc.constantFrom("a", "b", "x", "web", "new") }),
    fc.record({ kind: fc.constant("pod-" as const), pod: fc.nat({ max: 20 }) }),
    fc.record({ kind: fc.constant("pod+" as const), n: fc.nat({ max: 200 }) }),
    fc.record({ kind: fc.constant("ns" as const), ns: fc.constantFrom("ns1", "ns2"), team: fc.constantFrom("a", "b", "c") }),
    fc.record({ kind: fc.constant("svc" as const), selector: fc.constantFrom("a", "b", null) }),
  );
  fc.assert(
    fc.property(fc.array(op, { minLength: 1, maxLength: 8 }), (ops) => {
      const engine = new Engine(base.cluster, []);
      const lines = asLines(snapshot(engine, false));
      const policies = new Map<string, Policy>();
      for (const o of ops) {
        const pods = engine.cluster.pods;
        let cs: ChangeSet;
        if (o.kind === "policy+") {
          const p = allPolicies[o.i]!;
          policies.set(key(p), p);
          cs = engine.upsertPolicy(p);
        } else if (o.kind === "policy-") {
          const p = allPolicies[o.i]!;
          policies.delete(key(p));
          cs = engine.deletePolicy(key(p));
        } else if (o.kind === "relabel") {
          const pod = pods[o.pod % pods.length];
          if (pod === undefined) continue;
          cs = engine.upsertPod({ ...pod, labels: new Map([...pod.labels, ["app", o.app]]) });
        } else if (o.kind === "pod-") {
          const pod = pods[o.pod % pods.length];
          if (pod === undefined) continue;
          cs = engine.deletePod(pod.namespace, pod.name);
        } else if (o.kind === "ns") {
          cs = engine.upsertNamespace({
            name: o.ns,
            labels: new Map([
              ["kubernetes.io/metadata.name", o.ns],
              ["team", o.team],
            ]),
          });
        } else if (o.kind === "svc") {
          const svc = engine.cluster.services.find((x) => x.name === "svc-a")!;
          cs = engine.upsertService({
            ...svc,
            selector: o.selector === null ? null : new Map([["app", o.selector]]),
            endpointAddresses: o.selector === null ? ["10.244.2.11"] : [],
          });
        } else {
          const template = pods[0]!;
          const pod: Pod = { ...template, name: `new-${o.n}`, ips: [`10.244.9.${o.n + 1}`] };
          cs = engine.upsertPod(pod);
        }
        apply(lines, cs);
      }
      const fresh = new Engine(engine.cluster, [...policies.values()]);
      const byKey = (m: Snapshot) => new Map([...m].sort());
      assert.deepEqual(byKey(snapshot(engine, true)), byKey(snapshot(fresh, true)), "incremental state equals a full recomputation");
      const replayed = new Map([...lines].map(([k, v]) => [k, [...v].sort().join("\n")]));
      assert.deepEqual(byKey(replayed), byKey(snapshot(engine, false)), "replaying the change sets gives the programmed maps");
    }),
    { numRuns: Number(process.env["FUZZ_RUNS"] ?? 150) },
  );
});
