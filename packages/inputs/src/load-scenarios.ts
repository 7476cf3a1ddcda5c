import { Engine, loadScenario, type EngineOptions, type Problem, type Scenario, type ValidationOptions } from "@membrane/engine";
import { readInputs } from "./read-inputs.ts";
import { groupScenarios } from "./scenario-groups.ts";

/** A scenario read from disk with its engine, ready to answer questions. */
export interface LoadedScenario {
  readonly name: string;
  readonly scenario: Scenario;
  readonly engine: Engine;
}

/** Reads every scenario of the paths (see groupScenarios) and builds an engine for each. */
export async function loadScenarios(
  paths: readonly string[],
  validation: ValidationOptions,
  options: EngineOptions,
): Promise<{ scenarios: LoadedScenario[]; problems: Problem[] }> {
  const scenarios: LoadedScenario[] = [];
  const problems: Problem[] = [];
  for (const { name, files } of await groupScenarios(paths)) {
    const inputs = await readInputs(files);
    problems.push(...inputs.problems);
    const scenario = loadScenario(inputs.documents, options.translation.clusterName, validation);
    problems.push(...scenario.problems);
    scenarios.push({ name, scenario, engine: new Engine(scenario.cluster, scenario.policies, options) });
  }
  return { scenarios, problems };
}

/** Reads all paths as one scenario (for commands that ask about one cluster). */
export async function loadOneScenario(
  paths: readonly string[],
  validation: ValidationOptions,
  options: EngineOptions,
): Promise<{ loaded: LoadedScenario; problems: Problem[] }> {
  const inputs = await readInputs(paths);
  const scenario = loadScenario(inputs.documents, options.translation.clusterName, validation);
  const loaded = { name: paths.join(" "), scenario, engine: new Engine(scenario.cluster, scenario.policies, options) };
  return { loaded, problems: [...inputs.problems, ...scenario.problems] };
}
