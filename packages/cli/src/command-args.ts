import type { EngineOptions, ValidationOptions } from "@membrane/engine";
import { formatProblem, sortProblems } from "@membrane/inputs";
import { loadOneScenario, type LoadedScenario } from "@membrane/inputs";
import type { Output } from "./output.ts";
import { toYaml } from "./format-yaml.ts";

/** What every command that reads one scenario gets. */
export interface ScenarioArgs {
  readonly paths: readonly string[];
  readonly output: string;
  readonly validation: ValidationOptions;
  readonly options: EngineOptions;
}

/** Loads one scenario, or prints its errors and returns undefined (the caller exits 2). */
export async function loadOrReport(args: ScenarioArgs, out: Output, command: string): Promise<LoadedScenario | undefined> {
  const { loaded, problems } = await loadOneScenario(args.paths, args.validation, args.options);
  const errors = sortProblems(problems).filter((p) => p.severity === "error");
  if (errors.length === 0) return loaded;
  for (const p of errors) out.stderr(formatProblem(p));
  out.stderr(`membrane ${command}: ${errors.length} error(s) in the input`);
  return undefined;
}

/** Renders rows as aligned columns (kubectl style). */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  return [header, ...rows].map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join("   ")).join("\n");
}

/** Whether an output format is a data format (`json`, `yaml`) rather than text for people. */
export function isData(output: string): boolean {
  return output === "json" || output === "yaml";
}

/** Data as `-o json` or `-o yaml` asks. */
export function formatData(output: string, data: unknown): string {
  return output === "yaml" ? toYaml(data).trimEnd() : JSON.stringify(data, null, 2);
}
