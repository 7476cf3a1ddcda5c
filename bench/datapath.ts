/**
 * The eBPF datapath, side by side in one run on pod-to-pod traffic in a lab (root):
 *
 * - `datapath_tput_ratio_10k`: TCP throughput (iperf3, one stream, {@link TPUT_S} s) from client
 *   to server with membrane's programs attached and the client's policy map holding 10,000
 *   entries, divided by the same with no program on the devices: the median, over {@link ROUNDS}
 *   rounds after a warm-up, of each round's ratio, the two runs of a round back to back in
 *   alternating order. This VM's throughput drifts by ±25% over a minute (datapath-notes.md §8), a
 *   pair a few seconds apart shares the drift; the client is pinned to CPU 0 and the servers to
 *   CPU 1, as in the notes.
 * - `datapath_vs_nft_linear_10k`: new connections per second (wrk with `Connection: close` against
 *   nginx in the server pod, {@link CONN_S} s, medians over the rounds) under membrane, divided by
 *   the same under an nftables forward chain of 10,000 linear rules implementing the same
 *   allow-list (`ip saddr … ip daddr … accept`, the server's rule last, the replies' rule after
 *   it), with no program attached — the ruleset of datapath-notes.md §8 whose ratio the goal
 *   matches. Also reported: `datapath_vs_nft_ct_linear_10k`, the same rules behind a
 *   `ct state established,related accept` shortcut, so that only a connection's first packet walks
 *   them; against that ruleset the bound is the rest of the connection's cost, not the datapath:
 *   `datapath_nft_ct_ceiling_10k` is the same ratio with no program at all (a datapath that cost
 *   nothing would reach it).
 * - `policy_to_kernel_p99_ms`: on a 10,000-pod cluster with 1,000 policies, one node's agent over
 *   its kernel maps: from a policy change given to the engine to the kernel holding every change
 *   of that node's endpoints (engine change set + agent apply), p99 of 200 changes.
 *
 * Tools it needs and installs when missing (Debian): iperf3, nftables. Progress goes to stderr;
 * the last stdout line is the JSON of figures.
 */
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Engine, loadScenario, type Policy } from "@membrane/engine";
import { loadDatapath } from "@membrane/datapath";
import { attach as attachHooks, HOOKS, Lab, NodeAgent } from "@membrane/agent";
import { parseManifest } from "@membrane/manifest";
import { clusterStream } from "./generate-cluster.ts";
import { CLIENT_CPU, onCpu, progress, quantile, SERVER_CPU } from "./lib/procs.ts";

const TPUT_S = 2;
const CONN_S = 3;
const ROUNDS = 7;
const ENTRIES = 10_000;

for (const [tool, pkg] of [
  ["iperf3", "iperf3"],
  ["nft", "nftables"],
] as const) {
  try {
    execFileSync("sh", ["-c", `command -v ${tool}`], { stdio: "ignore" });
  } catch {
    progress(`installing ${pkg}`);
    execFileSync("apt-get", ["install", "-y", "-qq", pkg], { stdio: "ignore", env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" } });
  }
}

// ------------------------------------------------------------------ the lab: client and server
const CLIENT_IP = "10.244.1.10";
const SERVER_IP = "10.244.1.11";
/** The other 9,999 allowed destinations: /32s nobody uses, as an allow-list of that size has. */
const others = Array.from({ length: ENTRIES - 1 }, (_, i) => `10.${100 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}`);
const manifests = `apiVersion: v1
kind: Node
metadata: { name: node-a }
status: { addresses: [{ type: InternalIP, address: 172.18.0.2 }] }
---
apiVersion: v1
kind: Namespace
metadata: { name: bench }
---
apiVersion: v1
kind: Pod
metadata: { name: client, namespace: bench, labels: { app: client } }
spec: { nodeName: node-a, containers: [{ name: c }] }
status: { podIP: ${CLIENT_IP} }
---
apiVersion: v1
kind: Pod
metadata: { name: server, namespace: bench, labels: { app: server } }
spec: { nodeName: node-a, containers: [{ name: c }] }
status: { podIP: ${SERVER_IP} }
---
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: { name: client-allow-list, namespace: bench }
spec:
  endpointSelector: { matchLabels: { app: client } }
  egress:
    - toCIDR: [${others.map((ip) => `"${ip}/32"`).join(", ")}]
    - toEndpoints: [{ matchLabels: { app: server } }]
`;

function inNetns(netns: string, cmd: string, args: readonly string[], input?: string): string {
  return execFileSync("nsenter", [`--net=/run/netns/${netns}`, cmd, ...args], { encoding: "utf8", input, stdio: ["pipe", "pipe", "pipe"] });
}

function background(netns: string, cmd: string, args: readonly string[]): ChildProcess {
  return spawn("nsenter", [`--net=/run/netns/${netns}`, cmd, ...args], { stdio: "ignore" });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function labFigures(): Promise<Record<string, number>> {
  const scenario = loadScenario(parseManifest("bench.yaml", manifests).documents);
  const engine = new Engine(scenario.cluster, scenario.policies);
  const started = await Lab.start(engine, []);
  if (!started.ok) throw new Error(`cannot build the lab: ${JSON.stringify(started.error)}`);
  const lab = started.value;
  const nodeNs = lab.plan.nodes[0]!.netns;
  const client = lab.plan.nodes[0]!.pods.find((p) => p.key === "bench/client")!;
  const server = lab.plan.nodes[0]!.pods.find((p) => p.key === "bench/server")!;
  const dir = mkdtempSync(join(tmpdir(), "membrane-bench-dp-"));
  const servers: ChildProcess[] = [];
  try {
    const entries = lab.nodes[0]!.agent.pressure.entries;
    progress(`policy map: ${entries} entries`);
    const attach = async (): Promise<void> => {
      const r = await attachHooks(
        lab.nodes[0]!.agent.datapath,
        nodeNs,
        [client, server].map((p) => [p.device, HOOKS.endpoint] as const),
      );
      if (!r.ok) throw new Error(r.error.message);
    };
    const detach = (): void => {
      for (const p of [client, server]) inNetns(nodeNs, "tc", ["qdisc", "del", "dev", p.device, "clsact"]);
    };
    /** The allow-list as linear nftables rules; `shortcut`: established traffic accepted before them. */
    const nft = (on: boolean, shortcut = true): void => {
      if (!on) {
        inNetns(nodeNs, "nft", ["delete", "table", "inet", "bench"]);
        return;
      }
      // Without the shortcut the replies need their own rule, at the end like the rest.
      const reply = shortcut ? [] : [`  ip saddr ${SERVER_IP} ip daddr ${CLIENT_IP} accept`];
      const rules = [...[...others, SERVER_IP].map((ip) => `  ip saddr ${CLIENT_IP} ip daddr ${ip} accept`), ...reply].join("\n");
      const file = join(dir, "rules.nft");
      writeFileSync(
        file,
        `table inet bench {\n chain forward {\n  type filter hook forward priority 0; policy drop;\n${shortcut ? "  ct state established,related accept\n" : ""}${rules}\n }\n}\n`,
      );
      inNetns(nodeNs, "nft", ["-f", file]);
    };
    // Servers in the server pod: iperf3 and nginx answering every request with a tiny body.
    servers.push(background(server.netns, ...onCpu(SERVER_CPU, "iperf3", ["-s", "-B", SERVER_IP])));
    writeFileSync(
      join(dir, "nginx.conf"),
      `worker_processes 1;\nerror_log ${dir}/error.log warn;\npid ${dir}/nginx.pid;\nevents { worker_connections 4096; }\nhttp { access_log off; server { listen ${SERVER_IP}:80 reuseport backlog=4096; location / { return 200 "ok"; } } }\n`,
    );
    servers.push(background(server.netns, ...onCpu(SERVER_CPU, "nginx", ["-c", join(dir, "nginx.conf"), "-g", "daemon off;"])));
    await sleep(500);
    const tput = (): number => {
      const out = inNetns(client.netns, ...onCpu(CLIENT_CPU, "iperf3", ["-c", SERVER_IP, "-t", String(TPUT_S), "-J"]));
      return (JSON.parse(out) as { end: { sum_received: { bits_per_second: number } } }).end.sum_received.bits_per_second;
    };
    const connRate = (): number => {
      const out = inNetns(
        client.netns,
        ...onCpu(CLIENT_CPU, "wrk", ["-t1", "-c32", `-d${CONN_S}s`, "-H", "Connection: close", `http://${SERVER_IP}/`]),
      );
      const m = /Requests\/sec:\s+([\d.]+)/.exec(out);
      if (m === null) throw new Error(`wrk said: ${out}`);
      return Number(m[1]);
    };
    const runs = { tputMembrane: [] as number[], tputNone: [] as number[], tputRatio: [] as number[] };
    const conns = { membrane: [] as number[], none: [] as number[], nft: [] as number[], nftCt: [] as number[] };
    const measureConns = (into: number[], label: string): void => {
      into.push(connRate());
      progress(`  ${label}: ${into.at(-1)!.toFixed(0)} connections/s`);
    };
    tput(); // warm-up: the first seconds after the lab starts run slow
    for (let round = 0; round < ROUNDS; round++) {
      progress(`round ${round + 1} of ${ROUNDS}`);
      // A pair back to back, in alternating order; the programs stay attached between rounds.
      let membrane: number;
      let none: number;
      if (round % 2 === 0) {
        membrane = tput();
        detach();
        none = tput();
        await attach();
      } else {
        detach();
        none = tput();
        await attach();
        membrane = tput();
      }
      runs.tputMembrane.push(membrane);
      runs.tputNone.push(none);
      runs.tputRatio.push(membrane / none);
      progress(`  throughput: membrane ${(membrane / 1e9).toFixed(2)}, no program ${(none / 1e9).toFixed(2)} Gbit/s`);
      measureConns(conns.membrane, "membrane");
      detach();
      measureConns(conns.none, "no program");
      nft(true, false);
      measureConns(conns.nft, "nftables, 10,000 linear rules");
      nft(false);
      nft(true);
      measureConns(conns.nftCt, "nftables, conntrack shortcut + 10,000 linear rules");
      nft(false);
      await attach();
    }
    const median = (xs: number[]): number => quantile([...xs], 0.5);
    const conn = { membrane: median(conns.membrane), none: median(conns.none), nft: median(conns.nft), nftCt: median(conns.nftCt) };
    return {
      datapath_tput_ratio_10k: Number(median(runs.tputRatio).toFixed(3)),
      datapath_vs_nft_linear_10k: Number((conn.membrane / conn.nft).toFixed(2)),
      datapath_policy_map_entries: entries,
      datapath_tput_membrane_gbit_s: Number((median(runs.tputMembrane) / 1e9).toFixed(2)),
      datapath_tput_no_program_gbit_s: Number((median(runs.tputNone) / 1e9).toFixed(2)),
      datapath_conn_per_s_membrane: Math.round(conn.membrane),
      datapath_conn_per_s_no_program: Math.round(conn.none),
      datapath_conn_per_s_nft_linear: Math.round(conn.nft),
      datapath_conn_per_s_nft_ct_linear: Math.round(conn.nftCt),
      datapath_vs_nft_ct_linear_10k: Number((conn.membrane / conn.nftCt).toFixed(2)),
      datapath_nft_ct_ceiling_10k: Number((conn.none / conn.nftCt).toFixed(2)),
    };
  } finally {
    for (const s of servers) s.kill();
    await lab.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

// ------------------------------------------------------------------ policy change → kernel
async function policyToKernel(): Promise<Record<string, number>> {
  const size = { namespaces: 200, podsPerNamespace: 50, policies: 1000 };
  const scenario = loadScenario(parseManifest("cluster.yaml", clusterStream(size)).documents);
  const extra: Policy[] = loadScenario(parseManifest("more.yaml", clusterStream({ ...size, policies: 1200 })).documents).policies.slice(
    1000,
  );
  const engine = new Engine(scenario.cluster, scenario.policies);
  const pins = `/sys/fs/bpf/membrane-bench-${process.pid}`;
  try {
    const dp = await loadDatapath({ pinDir: pins });
    if (!dp.ok) throw new Error(dp.error.message);
    // One node's endpoints, each behind a (device-less) ifindex: the maps are what is measured.
    const local = engine.endpoints().filter((e) => e.pod.nodeName === "node-0");
    const { agent, errors } = NodeAgent.start(
      engine,
      "node-0",
      dp.value,
      { policyCapacity: 262144 },
      local.map((e, i) => ({ key: e.key, ifindex: 10_000 + i })),
    );
    if (errors.length > 0) throw new Error(JSON.stringify(errors.slice(0, 3)));
    progress(`node-0: ${local.length} endpoints, ${agent.pressure.entries} policy entries`);
    const times: number[] = [];
    let changes = 0;
    for (const p of extra) {
      const t = performance.now();
      const cs = engine.upsertPolicy(p);
      const failed = agent.apply(cs);
      times.push(performance.now() - t);
      if (failed.length > 0) throw new Error(JSON.stringify(failed.slice(0, 3)));
      changes += cs.changes.filter((c) => local.some((e) => e.key === c.endpoint)).length;
    }
    progress(`${times.length} policy changes, ${changes} endpoint map changes on node-0`);
    return { policy_to_kernel_p99_ms: Number(quantile(times, 0.99).toFixed(2)) };
  } finally {
    rmSync(pins, { recursive: true, force: true });
  }
}

const figures = { ...(await labFigures()), ...(await policyToKernel()) };
console.log(JSON.stringify(figures));
