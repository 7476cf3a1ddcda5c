/**
 * A running agent's (lab or node) reaction to edited policy files: the paths are read again, every policy goes
 * through the engine again (an unchanged one yields an empty change set) and every one gone is
 * deleted; each node agent applies the change sets to its kernel maps. Invalid files change
 * nothing: the kernel keeps the last good policy.
 */
import { policyKey, type Engine, type EngineOptions, type ValidationOptions } from "@membrane/engine";
import { loadOneScenario } from "@membrane/inputs";
import type { Enforcement } from "./node-group.ts";

/** Applies the policy changes found in `paths`; one line per change, for the agent's log. */
export async function reloadPolicies(
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
  for (const [key, p] of wanted) applyEach(`${engine.policies.has(key) ? "updated" : "added"} ${key}`, () => engine.upsertPolicy(p));
  for (const key of [...engine.policies.keys()]) if (!wanted.has(key)) applyEach(`deleted ${key}`, () => engine.deletePolicy(key));
  return log;
}
