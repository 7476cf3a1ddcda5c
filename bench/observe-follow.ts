/**
 * Benchmark: `observe_follow_latency_ms` — from a packet dropped in the kernel to its line printed
 * by `membrane observe -f` following the agent: a lab of the star-wars example, the agent's observer
 * API in this process, the CLI as its own process. The tiefighter pod tries deathstar:443 (denied)
 * {@link N} times; each printed drop's latency is its arrival here minus the flow's time (the
 * kernel's timestamp on the wall clock, millisecond precision). p99 is reported.
 */
import { spawn } from "node:child_process";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { DEFAULT_ENGINE_OPTIONS, DEFAULT_VALIDATION_OPTIONS, type HubbleFlow } from "@membrane/engine";
import { loadOneScenario } from "@membrane/inputs";
import { FlowObserver, Lab, pipeLabFlows, serveObserver, worldIpsOf } from "@membrane/agent";
import { progress, quantile, ROOT } from "./lib/procs.ts";

const N = 300;
const { loaded } = await loadOneScenario([join(ROOT, "examples/star-wars")], DEFAULT_VALIDATION_OPTIONS, DEFAULT_ENGINE_OPTIONS);
const started = await Lab.start(loaded.engine, worldIpsOf(loaded.engine, loaded.scenario.tests));
if (!started.ok) throw new Error(JSON.stringify(started.error));
const lab = started.value;
const observer = new FlowObserver();
const unpipe = pipeLabFlows(lab, loaded.engine, (r) => observer.push(r));
const { server, address } = await serveObserver(
  observer,
  () => ({ policies: 0, identities: loaded.engine.cache.identityCount, nodes: [] }),
  "127.0.0.1",
  0,
);
const follower = spawn(join(ROOT, "packages/cli/bin/membrane"), [
  "observe",
  "--server",
  `http://127.0.0.1:${address.port}`,
  "-f",
  "-t",
  "drop",
  "-o",
  "json",
]);
const latencies: number[] = [];
createInterface({ input: follower.stdout }).on("line", (line) => {
  const arrived = Date.now();
  const f = (JSON.parse(line) as { flow: HubbleFlow }).flow;
  latencies.push(arrived - Date.parse(f.time!));
});
try {
  await new Promise((r) => setTimeout(r, 1500));
  const deathstar = lab.plan.nodes.flatMap((n) => n.pods).find((p) => p.key.startsWith("default/deathstar"))!;
  const tiefighter = lab.pods.get("default/tiefighter")!;
  for (let i = 0; i < N; i++) {
    await tiefighter.connect({ protocol: "TCP", ip: deathstar.ip, port: 443, timeoutMs: 20 }).result;
    if (i % 100 === 0) progress(`${i}/${N} drops, ${latencies.length} printed`);
  }
  await new Promise((r) => setTimeout(r, 1000));
  progress(`${latencies.length} printed drops (SYN retransmissions included)`);
  console.log(
    JSON.stringify({
      observe_follow_latency_ms: Number(quantile(latencies, 0.99).toFixed(2)),
      observe_follow_latency_p50_ms: Number(quantile(latencies, 0.5).toFixed(2)),
      observe_follow_flows: latencies.length,
    }),
  );
} finally {
  follower.kill("SIGINT");
  unpipe();
  server.closeAllConnections();
  server.close();
  await lab.stop();
}
