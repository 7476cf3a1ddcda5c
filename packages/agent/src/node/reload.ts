/**
 * A running agent's (lab or node) reaction to edited manifests: the paths are read again; every
 * policy goes through the engine again (an unchanged one yields an empty change set) and every one
 * gone is deleted; namespaces and pods that changed, came or went are given to the engine too (a
 * node's agent takes on its new pods). Each node agent applies the change sets to its kernel maps.
 * Invalid files change nothing: the kernel keeps the last good policy. Nodes and services are
 * taken at start.
 */
import { policyKey, sameValue, type Engine, type EngineOptions, type Pod, type ValidationOptions } from "@membrane/engine";
import { loadOneScenario } from "@membrane/inputs";
import type { Enforcement } from "./node-group.ts";

/** Applies the changes found in `paths`; one line per change, for the agent's log. */
export async function reloadManifests(
  lab: Enforcement,
  engine: Engine,
  paths: readonly string[],
  validation: ValidationOptions,
  options: EngineOptions,
): Promise<string[]> {
  const { loaded, problems } = await loadOneScenario(paths, validation, options);
  const errors = problems.filter((p) => p.severity === "error");
  if (errors.length > 0) return errors.map((p) => `not applied: ${p.file}:${p.line}: ${p.message}`);
  const wanted = new Map(loaded.scenario.policies.map((p) => [policyKey(p), p]));
  const log: string[] = [];
  const applyEach = (what: string, change: () => ReturnType<Engine["upsertPolicy"]>): void => {
    const t0 = performance.now();
    const cs = change();
    const errs = lab.apply(cs);
    const ms = (performance.now() - t0).toFixed(1);
    if (cs.changes.length > 0 || errs.length > 0)
      log.push(
        `${what}: ${cs.changes.length} endpoint map change(s) in the kernel in ${ms} ms${errs.length > 0 ? `; refused: ${JSON.stringify(errs)}` : ""}`,
      );
  };
  // Where a pod or namespace was read from is no part of it.
  const same = (a: Pod, b: Pod): boolean => sameValue({ ...a, source: null }, { ...b, source: null });
  for (const ns of loaded.scenario.cluster.namespaces.values()) {
    const held = engine.cluster.namespaces.get(ns.name);
    if (held === undefined || !sameValue(held, ns))
      applyEach(`${held === undefined ? "added" : "updated"} namespace ${ns.name}`, () => engine.upsertNamespace(ns));
  }
  const pods = new Map(loaded.scenario.cluster.pods.map((p) => [`${p.namespace}/${p.name}`, p]));
  const heldPods = new Map(engine.cluster.pods.map((p) => [`${p.namespace}/${p.name}`, p]));
  for (const [key, pod] of pods) {
    const held = heldPods.get(key);
    if (held === undefined || !same(held, pod))
      applyEach(`${held === undefined ? "added" : "updated"} pod ${key}`, () => engine.upsertPod(pod));
  }
  for (const [key, pod] of heldPods) if (!pods.has(key)) applyEach(`deleted pod ${key}`, () => engine.deletePod(pod.namespace, pod.name));
  for (const [key, p] of wanted) applyEach(`${engine.policies.has(key) ? "updated" : "added"} ${key}`, () => engine.upsertPolicy(p));
  for (const key of [...engine.policies.keys()]) if (!wanted.has(key)) applyEach(`deleted ${key}`, () => engine.deletePolicy(key));
  return log;
}
