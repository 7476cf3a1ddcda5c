import { runTests, type CaseResult } from "@membrane/engine";
import { formatProblem, sortProblems } from "@membrane/inputs";
import { loadScenarios } from "@membrane/inputs";
import { caseFlows, writeFlowsFile } from "../flows-file.ts";
import { progressBar, type Output } from "../output.ts";
import type { EngineOptions, ValidationOptions } from "@membrane/engine";

/** Options of `membrane test`. */
export interface TestArgs {
  readonly paths: readonly string[];
  readonly output: "text" | "json" | "junit";
  readonly validation: ValidationOptions;
  readonly options: EngineOptions;
  /** Where to write the flows the cases produced (Hubble JSON lines), if anywhere. */
  readonly flows: string | null;
}

/** What a report shows of a case: the serializable part of a CaseResult, as the live runner sends it too. */
export type CaseView = Pick<
  CaseResult,
  "test" | "index" | "from" | "to" | "port" | "protocol" | "expect" | "actual" | "pass" | "audited" | "reason"
>;

/** Every case run, with the name of its scenario, and how many scenarios and tests there were. */
export interface TestReport {
  readonly scenarios: number;
  readonly tests: number;
  readonly cases: readonly { readonly scenario: string; readonly r: CaseView }[];
}

/**
 * `membrane test`: runs every ConnectivityTest case of every scenario (`connectivity-test.md`).
 * Exit status 0 when every case passes, 1 when any fails, 2 when the input is invalid.
 */
export async function test(args: TestArgs, out: Output): Promise<number> {
  const { scenarios, problems } = await loadScenarios(args.paths, args.validation, args.options);
  const errors = sortProblems(problems).filter((p) => p.severity === "error");
  if (errors.length > 0) {
    for (const p of errors) out.stderr(formatProblem(p));
    out.stderr(`membrane test: ${errors.length} error(s) in the input; no case was run`);
    return 2;
  }
  const total = scenarios.reduce((n, s) => n + s.scenario.tests.reduce((m, t) => m + t.cases.length, 0), 0);
  let before = 0;
  const results = scenarios.flatMap((s) => {
    const rs = runTests(
      s.engine,
      s.scenario.tests,
      total > 5000 ? { onProgress: (done) => out.status(progressBar(before + done, total, "cases")) } : {},
    );
    before += rs.length;
    return rs.map((r) => ({ scenario: s, r }));
  });
  out.status(null);
  if (args.flows !== null) {
    const t0 = Date.now();
    await writeFlowsFile(
      args.flows,
      results.flatMap(({ scenario, r }, i) => caseFlows(scenario.engine, r, new Date(t0 + i * 10).toISOString())),
    );
  }
  const tests = scenarios.reduce((n, s) => n + s.scenario.tests.length, 0);
  const cases = results.map(({ scenario, r }) => ({ scenario: scenario.name, r }));
  return report({ scenarios: scenarios.length, tests, cases }, args.output, out);
}

/** Prints a report in the chosen format; the exit status (1 when a case failed). */
export function report(rep: TestReport, output: TestArgs["output"], out: Output): number {
  const results = rep.cases;
  const passed = results.filter(({ r }) => r.pass).length;
  const unsupported = results.filter(({ r }) => r.actual === "unsupported").length;
  const failed = results.length - passed - unsupported;
  if (output === "json") out.stdout(JSON.stringify({ passed, failed, unsupported, cases: results.map(({ r }) => caseJson(r)) }, null, 2));
  else if (output === "junit") out.stdout(junit(results));
  else {
    for (const { scenario, r } of results) if (!r.pass) out.stdout(caseText(scenario, r));
    const audited = results.filter(({ r }) => r.audited).length;
    for (const { scenario, r } of results)
      if (r.audited && r.pass)
        out.stdout(
          `AUDIT ${scenario}: ${r.test}[${r.index}] ${r.from} -> ${r.to} ${r.protocol}/${r.port}: passes only because of audit mode\n  ${r.reason.summary}`,
        );
    out.stdout(
      `${rep.scenarios} scenario(s), ${rep.tests} test(s): ${passed} passed, ${failed} failed, ${unsupported} unsupported${audited > 0 ? `, ${audited} audited` : ""}`,
    );
  }
  return failed > 0 ? 1 : 0;
}

/** The JSON shape of `connectivity-test.md`, with the reason's details. */
export function caseJson(r: CaseView): object {
  return {
    test: r.test,
    index: r.index,
    from: r.from,
    to: r.to,
    port: r.port,
    protocol: r.protocol,
    expect: r.expect,
    actual: r.actual,
    pass: r.pass,
    audited: r.audited,
    reason: r.reason,
  };
}

function caseText(scenario: string, r: CaseView): string {
  const head = r.actual === "unsupported" ? "UNSUPPORTED" : "FAIL";
  const where = r.reason.file === null ? "" : ` (${r.reason.file}:${r.reason.line}${r.reason.path === null ? "" : ` ${r.reason.path}`})`;
  return [
    `${head} ${scenario}: ${r.test}[${r.index}] ${r.from} -> ${r.to} ${r.protocol}/${r.port}: expected ${r.expect}, got ${r.actual}`,
    `  ${r.reason.summary}${where}`,
  ].join("\n");
}

const esc = (s: string): string => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

function junit(results: TestReport["cases"]): string {
  const byTest = new Map<string, CaseView[]>();
  for (const { scenario, r } of results) {
    const key = `${scenario}: ${r.test}`;
    byTest.set(key, [...(byTest.get(key) ?? []), r]);
  }
  const suites = [...byTest].map(([name, rs]) => {
    const failures = rs.filter((r) => !r.pass && r.actual !== "unsupported").length;
    const skipped = rs.filter((r) => r.actual === "unsupported").length;
    const cases = rs.map((r) => {
      const title = esc(`[${r.index}] ${r.from} -> ${r.to} ${r.protocol}/${r.port} expect ${r.expect}`);
      const body = r.pass
        ? ""
        : r.actual === "unsupported"
          ? `<skipped message="${esc(r.reason.summary)}"/>`
          : `<failure message="${esc(`expected ${r.expect}, got ${r.actual}`)}">${esc(r.reason.summary)}</failure>`;
      return `    <testcase classname="${esc(name)}" name="${title}">${body}</testcase>`;
    });
    return `  <testsuite name="${esc(name)}" tests="${rs.length}" failures="${failures}" skipped="${skipped}">\n${cases.join("\n")}\n  </testsuite>`;
  });
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites>\n${suites.join("\n")}\n</testsuites>`;
}
