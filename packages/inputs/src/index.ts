/** @membrane/inputs: manifests from disk into documents and scenarios (Node only). */
export { readInputs, readStdin, type Inputs } from "./read-inputs.ts";
export { groupScenarios, isManifestFile } from "./scenario-groups.ts";
export { loadScenarios, loadOneScenario, type LoadedScenario } from "./load-scenarios.ts";
export { ENGINE_FLAGS, ENGINE_FLAGS_HELP, engineOptions, validationOptions } from "./engine-flags.ts";
export { formatProblem, sortProblems } from "./format-problems.ts";
