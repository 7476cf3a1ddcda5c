/**
 * membrane's node agent (Linux, root), started by `membrane agent …` and `membrane test --live`.
 *
 *   --lab <paths…>        the cluster of the paths as a lab on this machine, enforced by the eBPF
 *                         datapath; policy files are watched and every change reaches the kernel
 *                         incrementally. Ctrl-C tears the lab down.
 *   --live-test <paths…>  each scenario's ConnectivityTest cases as real traffic in a lab; prints
 *                         the report as JSON (`membrane test --live` renders it).
 *   --flows FILE          with either: the kernel's events as Hubble flows (JSON lines).
 */
import { watch } from "node:fs";
import { parseArgs } from "node:util";
import { ENGINE_FLAGS, engineOptions, formatProblem, loadOneScenario, loadScenarios, validationOptions } from "@membrane/inputs";
import { Lab } from "./lab/lab.ts";
import { runLive, worldIpsOf, DEFAULT_LIVE_OPTIONS } from "./live/live-test.ts";
import { reloadPolicies } from "./lab/reload.ts";
import { recordKernelFlows } from "./observer/kernel-flows.ts";

const USAGE = `membrane agent: the node agent (Linux, root)

Usage:
  membrane agent --lab <paths…> [--flows FILE] [policy settings]
  membrane test --live <paths…> [-o text|json|junit] [--timeout-ms N] [--flows FILE]`;

/** Says so when a node's policy map is nearly full, before a change fails for lack of room. */
function warnPressure(lab: Lab): void {
  for (const n of lab.nodes) {
    const p = n.agent.pressure;
    if (p.high)
      process.stderr.write(
        `membrane agent: warning: node ${n.name}'s policy map holds ${p.entries} of ${p.capacity} entries; changes that need more will be refused\n`,
      );
  }
}

async function main(argv: readonly string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        ...ENGINE_FLAGS,
        lab: { type: "boolean" },
        "live-test": { type: "boolean" },
        "timeout-ms": { type: "string" },
        flows: { type: "string" },
      },
    });
  } catch (e) {
    process.stderr.write(`membrane agent: ${(e as Error).message}\n${USAGE}\n`);
    return 2;
  }
  const v = parsed.values;
  const options = engineOptions(v);
  if (typeof options === "string" || parsed.positionals.length === 0 || v.lab === v["live-test"]) {
    process.stderr.write(`${typeof options === "string" ? `membrane agent: ${options}\n` : ""}${USAGE}\n`);
    return 2;
  }
  if (process.getuid?.() !== 0) {
    process.stderr.write("membrane agent: the datapath needs root (network namespaces, tc, BPF)\n");
    return 2;
  }
  const validation = validationOptions(v);
  if (v["live-test"]) {
    const { scenarios, problems } = await loadScenarios(parsed.positionals, validation, options);
    const errors = problems.filter((p) => p.severity === "error");
    if (errors.length > 0) {
      for (const p of errors) process.stderr.write(formatProblem(p) + "\n");
      return 2;
    }
    const timeoutMs = v["timeout-ms"] === undefined ? DEFAULT_LIVE_OPTIONS.timeoutMs : Number(v["timeout-ms"]);
    const cases = [];
    for (const s of scenarios) {
      const lab = await Lab.start(s.engine, worldIpsOf(s.engine, s.scenario.tests));
      if (!lab.ok) {
        process.stderr.write(`membrane agent: cannot build the lab of ${s.name}: ${JSON.stringify(lab.error)}\n`);
        return 3;
      }
      // Every scenario appends its kernel flows to the one file.
      const stopFlows = v.flows === undefined ? null : recordKernelFlows(lab.value, s.engine, v.flows, scenarios.indexOf(s) > 0);
      try {
        const results = await runLive(lab.value, s.engine, s.scenario.tests, { ...DEFAULT_LIVE_OPTIONS, timeoutMs });
        cases.push(
          ...results.map(({ test, index, from, to, port, protocol, expect, actual, pass, audited, reason }) => ({
            scenario: s.name,
            r: { test, index, from, to, port, protocol, expect, actual, pass, audited, reason },
          })),
        );
      } finally {
        await stopFlows?.();
        await lab.value.stop();
      }
    }
    const tests = scenarios.reduce((n, s) => n + s.scenario.tests.length, 0);
    process.stdout.write(JSON.stringify({ scenarios: scenarios.length, tests, cases }) + "\n");
    return 0;
  }
  const { loaded, problems } = await loadOneScenario(parsed.positionals, validation, options);
  for (const p of problems) process.stderr.write(formatProblem(p) + "\n");
  if (problems.some((p) => p.severity === "error")) return 2;
  const lab = await Lab.start(loaded.engine, worldIpsOf(loaded.engine, loaded.scenario.tests));
  if (!lab.ok) {
    process.stderr.write(`membrane agent: cannot build the lab: ${JSON.stringify(lab.error)}\n`);
    return 3;
  }
  for (const n of lab.value.plan.nodes) {
    process.stdout.write(`node ${n.name}: netns ${n.netns}, ${n.ip}\n`);
    for (const p of n.pods) process.stdout.write(`  pod ${p.key}: ${p.ip} (nsenter --net=/run/netns/${p.netns} …)\n`);
  }
  let reloading = Promise.resolve();
  const watchers = parsed.positionals.map((p) =>
    watch(p, { recursive: true }, () => {
      reloading = reloading.then(async () => {
        for (const line of await reloadPolicies(lab.value, loaded.engine, parsed.positionals, validation, options))
          process.stdout.write(line + "\n");
        warnPressure(lab.value);
      });
    }),
  );
  const stopFlows = v.flows === undefined ? null : recordKernelFlows(lab.value, loaded.engine, v.flows, false);
  warnPressure(lab.value);
  process.stdout.write("lab running; policy files are watched; Ctrl-C tears it down\n");
  await new Promise<void>((resolve) => {
    process.once("SIGINT", resolve);
    process.once("SIGTERM", resolve);
  });
  for (const w of watchers) w.close();
  await reloading;
  await stopFlows?.();
  await lab.value.stop();
  process.stdout.write("lab removed\n");
  return 0;
}

process.exitCode = await main(process.argv.slice(2));
