/** @membrane/inputs: manifests from disk into documents and scenarios (Node only). */
export { readInputs, readStdin, type Inputs } from "./read-inputs.ts";
export { groupScenarios, isManifestFile } from "./scenario-groups.ts";
export { loadScenarios, loadOneScenario, type LoadedScenario } from "./load-scenarios.ts";
