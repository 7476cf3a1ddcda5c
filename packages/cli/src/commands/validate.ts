import { loadManifests, type ValidationOptions } from "@membrane/engine";
import { formatProblem, sortProblems } from "@membrane/inputs";
import { formatData, isData } from "../command-args.ts";
import type { Output } from "../output.ts";
import { readInputs } from "@membrane/inputs";

/** Options of `membrane validate`. */
export interface ValidateArgs {
  readonly paths: readonly string[];
  readonly output: "text" | "json" | "yaml";
  readonly options: ValidationOptions;
}

/**
 * `membrane validate`: reads every path, validates every policy as Cilium and the API server
 * would, prints every problem. Exit status 0 without errors (warnings allowed), 2 with any.
 */
export async function validate(args: ValidateArgs, out: Output): Promise<number> {
  const inputs = await readInputs(args.paths);
  const manifests = loadManifests(inputs.documents, args.options);
  const problems = sortProblems([...inputs.problems, ...manifests.problems]);
  const errors = problems.filter((p) => p.severity === "error").length;
  if (isData(args.output)) {
    out.stdout(formatData(args.output, problems));
  } else {
    for (const p of problems) out.stdout(formatProblem(p));
    const warnings = problems.length - errors;
    out.stdout(
      `${inputs.files} file(s), ${inputs.documents.length} document(s): ${manifests.policies.length} valid ${manifests.policies.length === 1 ? "policy" : "policies"}, ${errors} error(s), ${warnings} warning(s)`,
    );
  }
  return errors > 0 ? 2 : 0;
}
