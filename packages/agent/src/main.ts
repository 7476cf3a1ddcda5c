/**
 * membrane's node agent (Linux, root), started by `membrane agent …` and `membrane test --live`.
 *
 *   --lab <paths…>        the cluster of the paths as a lab on this machine, enforced by the eBPF
 *                         datapath; policy files are watched and every change reaches the kernel
 *                         incrementally. Ctrl-C tears the lab down.
 *   --node NAME <paths…>  the agent of the node this process runs on: NAME's pods of the cluster,
 *                         found behind the devices their addresses are routed to, enforced by the
 *                         datapath pinned under --bpf-root (default /sys/fs/bpf/membrane); policy
 *                         files are watched. Ctrl-C stops the agent; the kernel keeps enforcing.
 *   --live-test <paths…>  each scenario's ConnectivityTest cases as real traffic in a lab; prints
 *                         the report as JSON (`membrane test --live` renders it).
 *   --flows FILE          with any mode: the kernel's events and the proxies' records as Hubble flows (JSON lines).
 *   --observer-listen     with --lab or --node: where the observer API listens (default 127.0.0.1:4245, as
 *                         Hubble's); --ring-capacity N flows are kept (default 4,095).
 */
import { watch } from "node:fs";
import { parseArgs } from "node:util";
import { ENGINE_FLAGS, engineOptions, formatProblem, loadOneScenario, loadScenarios, validationOptions } from "@membrane/inputs";
import { Lab } from "./lab/lab.ts";
import { DEFAULT_PIN_DIR, NodeDaemon } from "./node/node-daemon.ts";
import type { Enforcement } from "./node/node-group.ts";
import { runLive, worldIpsOf, DEFAULT_LIVE_OPTIONS } from "./live/live-test.ts";
import { reloadManifests } from "./node/reload.ts";
import { fileSink, pipeLabFlows } from "./observer/lab-flows.ts";
import { DEFAULT_RING_CAPACITY, FlowObserver } from "./observer/flow-observer.ts";
import { serveObserver, type AgentFigures } from "./server/observer-server.ts";
import type { Engine } from "@membrane/engine";
import { readCounters } from "@membrane/datapath";

const USAGE = `membrane agent: the node agent (Linux, root)

Usage:
  membrane agent --lab <paths…> [--flows FILE] [--observer-listen HOST:PORT] [--ring-capacity N] [policy settings]
  membrane agent --node NAME <paths…> [--bpf-root DIR] [--flows FILE] [--observer-listen HOST:PORT] [--ring-capacity N] [policy settings]
  membrane test --live <paths…> [-o text|json|junit] [--timeout-ms N] [--flows FILE]`;

/** The agent's figures for /metrics: map fill, lost events and regenerations per node; policies and identities. */
function agentFigures(lab: Enforcement, engine: Engine): AgentFigures {
  return {
    policies: engine.policies.size,
    identities: engine.cache.identityCount,
    nodes: lab.nodes.map((n) => {
      const c = readCounters(n.agent.datapath.maps.counters);
      const lost = c.ok ? Number(c.value["events-lost"].packets + c.value["events-rate-limited"].packets) : 0;
      const { count, seconds } = n.agent.regenerations;
      return {
        name: n.name,
        policyEntries: n.agent.pressure.entries,
        policyCapacity: n.agent.pressure.capacity,
        lostEvents: lost,
        regenerations: count,
        regenerationSeconds: seconds,
      };
    }),
  };
}

/** Says so when a node's policy map is nearly full, before a change fails for lack of room. */
function warnPressure(lab: Enforcement): void {
  for (const n of lab.nodes) {
    const p = n.agent.pressure;
    if (p.high)
      process.stderr.write(
        `membrane agent: warning: node ${n.name}'s policy map holds ${p.entries} of ${p.capacity} entries; changes that need more will be refused\n`,
      );
  }
}

/** Builds the lab of a cluster and says what it is made of; null (said why) when it cannot. */
async function startLab(engine: Engine, tests: Parameters<typeof worldIpsOf>[1]): Promise<{ value: Enforcement } | null> {
  const lab = await Lab.start(engine, worldIpsOf(engine, tests));
  if (!lab.ok) {
    process.stderr.write(`membrane agent: cannot build the lab: ${JSON.stringify(lab.error)}\n`);
    return null;
  }
  for (const n of lab.value.plan.nodes) {
    process.stdout.write(`node ${n.name}: netns ${n.netns}, ${n.ip}\n`);
    for (const p of n.pods) process.stdout.write(`  pod ${p.key}: ${p.ip} (nsenter --net=/run/netns/${p.netns} …)\n`);
  }
  return lab;
}

/** Starts the agent of this node and says which pods it enforces for; null (said why) when it cannot. */
async function startThisNode(engine: Engine, name: string, pinDir = DEFAULT_PIN_DIR): Promise<{ value: Enforcement } | null> {
  if (!engine.cluster.nodes.some((n) => n.name === name))
    process.stderr.write(`membrane agent: warning: the cluster has no node ${name}\n`);
  const daemon = await NodeDaemon.start(engine, name, {
    pinDir,
    policyCapacity: NODE_POLICY_MAP_SIZE,
    log: (line) => process.stdout.write(line + "\n"),
  });
  if (!daemon.ok) {
    process.stderr.write(`membrane agent: cannot start the agent of ${name}: ${JSON.stringify(daemon.error)}\n`);
    return null;
  }
  process.stdout.write(`node ${name}: datapath pinned under ${pinDir}\n`);
  for (const e of daemon.value.endpoints) process.stdout.write(`  pod ${e.key}: ${e.device}\n`);
  for (const s of daemon.value.skipped) process.stdout.write(`  pod ${s.key}: not enforced (${s.why})\n`);
  return daemon;
}

/** A real node's policy map capacity: Cilium's default (bpf-policy-map-max), the size whose filling is cilium/cilium#28337. */
const NODE_POLICY_MAP_SIZE = 16384;

async function main(argv: readonly string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        ...ENGINE_FLAGS,
        lab: { type: "boolean" },
        node: { type: "string" },
        "bpf-root": { type: "string" },
        "live-test": { type: "boolean" },
        "timeout-ms": { type: "string" },
        flows: { type: "string" },
        "observer-listen": { type: "string" },
        "ring-capacity": { type: "string" },
      },
    });
  } catch (e) {
    process.stderr.write(`membrane agent: ${(e as Error).message}\n${USAGE}\n`);
    return 2;
  }
  const v = parsed.values;
  const options = engineOptions(v);
  const modes = [v.lab === true, v["live-test"] === true, v.node !== undefined].filter(Boolean).length;
  if (typeof options === "string" || parsed.positionals.length === 0 || modes !== 1) {
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
      const file = v.flows === undefined ? null : fileSink(v.flows, scenarios.indexOf(s) > 0);
      const unpipe = file === null ? null : pipeLabFlows(lab.value, s.engine, file.write);
      try {
        const results = await runLive(lab.value, s.engine, s.scenario.tests, { ...DEFAULT_LIVE_OPTIONS, timeoutMs });
        cases.push(
          ...results.map(({ test, index, from, to, port, protocol, expect, actual, pass, audited, reason }) => ({
            scenario: s.name,
            r: { test, index, from, to, port, protocol, expect, actual, pass, audited, reason },
          })),
        );
      } finally {
        unpipe?.();
        await file?.close();
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
  const lab =
    v.node === undefined ? await startLab(loaded.engine, loaded.scenario.tests) : await startThisNode(loaded.engine, v.node, v["bpf-root"]);
  if (lab === null) return 3;
  let reloading = Promise.resolve();
  const watchers = parsed.positionals.map((p) =>
    watch(p, { recursive: true }, () => {
      reloading = reloading.then(async () => {
        for (const line of await reloadManifests(lab.value, loaded.engine, parsed.positionals, validation, options))
          process.stdout.write(line + "\n");
        warnPressure(lab.value);
      });
    }),
  );
  // The kernel's events become flows: in the observer ring (served to `membrane observe`), and a file if asked.
  const observed = new FlowObserver(v["ring-capacity"] === undefined ? DEFAULT_RING_CAPACITY : Number(v["ring-capacity"]));
  const file = v.flows === undefined ? null : fileSink(v.flows, false);
  if (file !== null) observed.follow(file.write);
  const unpipe = pipeLabFlows(lab.value, loaded.engine, (r) => observed.push(r));
  const [host, port] = (v["observer-listen"] ?? "127.0.0.1:4245").split(/:(?=\d+$)/);
  const observer = await serveObserver(observed, () => agentFigures(lab.value, loaded.engine), host!, Number(port));
  process.stdout.write(`observer API on http://${observer.address.address}:${observer.address.port} (membrane observe --server …)\n`);
  warnPressure(lab.value);
  process.stdout.write(
    v.node === undefined ? "lab running; policy files are watched; Ctrl-C tears it down\n" : "agent running; policy files are watched\n",
  );
  await new Promise<void>((resolve) => {
    process.once("SIGINT", resolve);
    process.once("SIGTERM", resolve);
  });
  for (const w of watchers) w.close();
  await reloading;
  unpipe();
  observer.server.closeAllConnections();
  observer.server.close();
  await file?.close();
  await lab.value.stop();
  process.stdout.write(v.node === undefined ? "lab removed\n" : "agent stopped; the datapath keeps enforcing\n");
  return 0;
}

process.exitCode = await main(process.argv.slice(2));
