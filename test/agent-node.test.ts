import assert from "node:assert/strict";
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { after, before, test } from "node:test";
import { fileURLToPath } from "node:url";

/**
 * `membrane agent --node` on a node made the way a CNI makes one: a network namespace stands for
 * the machine, each pod is a namespace behind a veth with a /32 route. The agent runs inside the
 * machine's namespace as it would on a real node, finds the pods' devices by their routes,
 * enforces L3/L4 and L7 on real traffic, follows policy edits, takes on a pod added to the
 * manifests while it runs (and one left out once it is routed), and leaves the kernel enforcing when it stops; a new agent adopts what
 * the old one pinned.
 */
const root = fileURLToPath(new URL("../", import.meta.url));
const id = `${process.pid % 10000}`;
const NODE = `mbrn${id}-node`;
const POD_A = `mbrn${id}-a`;
const POD_B = `mbrn${id}-b`;
/** A pod the cluster learns of only while the agent runs (its veth is there from the start, as a CNI made it). */
const POD_C = `mbrn${id}-c`;
const A_IP = "10.77.0.10";
const B_IP = "10.77.0.11";
const C_IP = "10.77.0.12";
const pinDir = `/sys/fs/bpf/membrane-node-test-${id}`;
const dir = mkdtempSync(join(tmpdir(), "membrane-node-"));
const flowsFile = `${dir}-flows.json`;

const ip = (...args: string[]): string => execFileSync("ip", args, { encoding: "utf8" });
const inNs = (ns: string, cmd: string, args: readonly string[]): ChildProcess =>
  spawn("nsenter", [`--net=/run/netns/${ns}`, cmd, ...args], { stdio: ["ignore", "pipe", "pipe"] });

const CLUSTER = `apiVersion: v1
kind: Node
metadata: { name: node-a }
status: { addresses: [{ type: InternalIP, address: 172.30.0.2 }] }
---
apiVersion: v1
kind: Node
metadata: { name: node-b }
status: { addresses: [{ type: InternalIP, address: 172.30.0.3 }] }
---
apiVersion: v1
kind: Namespace
metadata: { name: shop }
---
apiVersion: v1
kind: Pod
metadata: { name: web, namespace: shop, labels: { app: web } }
spec: { nodeName: node-a, containers: [{ name: c }] }
status: { podIP: ${A_IP} }
---
apiVersion: v1
kind: Pod
metadata: { name: api, namespace: shop, labels: { app: api } }
spec: { nodeName: node-a, containers: [{ name: c }] }
status: { podIP: ${B_IP} }
---
apiVersion: v1
kind: Pod
metadata: { name: ghost, namespace: shop, labels: { app: ghost } }
spec: { nodeName: node-a, containers: [{ name: c }] }
status: { podIP: 10.77.9.9 }
---
apiVersion: v1
kind: Pod
metadata: { name: elsewhere, namespace: shop, labels: { app: web } }
spec: { nodeName: node-b, containers: [{ name: c }] }
status: { podIP: 10.78.0.10 }
`;

/** api admits web on 8080 (any request) and on 80 only GET /public; `port` moves the plain rule. */
const policy = (port: number): string => `apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: { name: api-ingress, namespace: shop }
spec:
  endpointSelector: { matchLabels: { app: api } }
  ingress:
    - fromEndpoints: [{ matchLabels: { app: web } }]
      toPorts:
        - ports: [{ port: "${port}", protocol: TCP }]
        - ports: [{ port: "80", protocol: TCP }]
          rules: { http: [{ method: GET, path: /public }] }
`;

/** A pod the agent is not told of at start: another api replica. */
const CART = `---
apiVersion: v1
kind: Pod
metadata: { name: cart, namespace: shop, labels: { app: api } }
spec: { nodeName: node-a, containers: [{ name: c }] }
status: { podIP: ${C_IP} }
`;

/** What web gets from api (or `to`): the body of an HTTP GET (or the TCP greeting), or the error that ended it. */
function fromWeb(port: number, path: string | null, to = B_IP): Promise<string> {
  const script =
    path === null
      ? `const s=require("net").connect(${port},"${to}");s.on("data",d=>{console.log(d.toString().trim());process.exit()});s.on("error",e=>{console.log(e.code);process.exit()})`
      : `require("http").get("http://${to}:${port}${path}",r=>{let b="";r.on("data",d=>b+=d);r.on("end",()=>{console.log(r.statusCode+" "+b.trim());process.exit()})}).on("error",e=>{console.log(e.code);process.exit()})`;
  const child = inNs(POD_A, process.execPath, ["-e", `setTimeout(()=>{console.log("TIMEOUT");process.exit()},1500);${script}`]);
  let out = "";
  child.stdout!.on("data", (d: Buffer) => (out += d.toString()));
  return once(child, "close").then(() => out.trim());
}

const servers: ChildProcess[] = [];

/** Starts the agent in the machine's namespace; resolves with its stdout lines up to "agent running". */
async function startAgent(): Promise<{ child: ChildProcess; lines: string[] }> {
  const child = inNs(NODE, process.execPath, [
    join(root, "packages/agent/src/main.ts"),
    "--node",
    "node-a",
    dir,
    "--bpf-root",
    pinDir,
    "--flows",
    flowsFile,
    "--observer-listen",
    "127.0.0.1:0",
  ]);
  const lines: string[] = [];
  let stderr = "";
  child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
  // Read to the end: the agent keeps logging (policy changes), and a closed pipe would end it.
  const input = createInterface({ input: child.stdout! });
  return new Promise((resolve, reject) => {
    input.on("line", (line) => {
      lines.push(line);
      if (line.startsWith("agent running")) resolve({ child, lines });
    });
    input.on("close", () => reject(new Error(`the agent exited: ${lines.join("\n")}\n${stderr}`)));
  });
}

async function stopAgent(child: ChildProcess): Promise<void> {
  child.kill("SIGTERM");
  await once(child, "close");
}

before(() => {
  ip("netns", "add", NODE);
  ip("netns", "add", POD_A);
  ip("netns", "add", POD_B);
  ip("netns", "add", POD_C);
  const batch = [
    "link set lo up",
    "addr add 169.254.1.1/32 dev lo",
    `link add lxc-a type veth peer name eth0 netns ${POD_A}`,
    `link add lxc-b type veth peer name eth0 netns ${POD_B}`,
    `link add lxc-c type veth peer name eth0 netns ${POD_C}`,
    "link set lxc-a up",
    "link set lxc-b up",
    "link set lxc-c up",
    `route add ${A_IP}/32 dev lxc-a`,
    `route add ${B_IP}/32 dev lxc-b`,
    `route add ${C_IP}/32 dev lxc-c`,
  ];
  execFileSync("ip", ["-n", NODE, "-b", "-"], { input: batch.join("\n") + "\n" });
  for (const [ns, addr] of [
    [POD_A, A_IP],
    [POD_B, B_IP],
    [POD_C, C_IP],
  ] as const)
    execFileSync("ip", ["-n", ns, "-b", "-"], {
      input: [
        "link set lo up",
        "link set eth0 up",
        `addr add ${addr}/32 dev eth0`,
        "route add 169.254.1.1/32 dev eth0 scope link",
        "route add default via 169.254.1.1 dev eth0",
      ].join("\n"),
    });
  writeFileSync(join(dir, "cluster.yaml"), CLUSTER);
  writeFileSync(join(dir, "policy.yaml"), policy(8080));
  // api's servers (and cart's, the same): a greeting on 8080 and 9090, HTTP on 80.
  for (const ns of [POD_B, POD_C])
    servers.push(
      inNs(ns, process.execPath, [
        "-e",
        `const net=require("net");for(const p of [8080,9090])net.createServer(s=>s.end("hello "+p)).listen(p);require("http").createServer((q,r)=>r.end("api "+q.url)).listen(80);`,
      ]),
    );
});

after(() => {
  for (const s of servers) s.kill();
  for (const ns of [NODE, POD_A, POD_B, POD_C])
    try {
      ip("netns", "delete", ns);
    } catch {
      // absent already
    }
  rmSync(pinDir, { recursive: true, force: true });
  rmSync(dir, { recursive: true, force: true });
  rmSync(flowsFile, { force: true });
});

test("membrane agent --node enforces its pods on real traffic, follows edits, and leaves the kernel enforcing when stopped", async () => {
  const { child, lines } = await startAgent();
  try {
    assert.ok(lines.includes("  pod shop/web: lxc-a"), lines.join("\n"));
    assert.ok(lines.includes("  pod shop/api: lxc-b"), lines.join("\n"));
    assert.ok(
      lines.some((l) => l.startsWith("  pod shop/ghost: not enforced (10.77.9.9 is not routed to a local device")),
      lines.join("\n"),
    );
    assert.ok(!lines.some((l) => l.includes("shop/elsewhere")), "another node's pod is not this agent's");
    // L3/L4: 8080 admitted, 9090 dropped by api's ingress.
    assert.equal(await fromWeb(8080, null), "hello 8080");
    assert.equal(await fromWeb(9090, null), "TIMEOUT");
    // L7 through this node's HTTP proxy.
    assert.equal(await fromWeb(80, "/public"), "200 api /public");
    assert.equal(await fromWeb(80, "/private"), "403 Access denied");
    // The observer API serves this node's figures and flows (inside the machine's namespace).
    const observer = /observer API on (http:\/\/[\d.:]+)/.exec(lines.join("\n"))![1]!;
    const metrics = execFileSync("nsenter", [`--net=/run/netns/${NODE}`, "curl", "-sf", `${observer}/metrics`], { encoding: "utf8" });
    assert.match(metrics, /membrane_policy_map_capacity\{node="node-a"\} 16384/);
    assert.match(metrics, /hubble_http_requests_total\{.*method="GET".*\} [1-9]/);
    // An edit of the policy file reaches the kernel.
    writeFileSync(join(dir, "policy.yaml"), policy(9090));
    let moved = "";
    for (let i = 0; i < 20 && moved !== "hello 9090"; i++) {
      await new Promise((r) => setTimeout(r, 100));
      moved = await fromWeb(9090, null);
    }
    assert.equal(moved, "hello 9090", lines.join("\n") + readFileSync(flowsFile, "utf8").split("\n").slice(-6).join("\n"));
    assert.equal(await fromWeb(8080, null), "TIMEOUT");
    // A pod added to the manifests while the agent runs: found by its route, its maps written, its device attached.
    assert.equal(await fromWeb(8080, null, C_IP), "hello 8080", "no program on cart's device yet");
    writeFileSync(join(dir, "cluster.yaml"), CLUSTER + CART);
    for (let i = 0; i < 30 && !lines.includes("  pod shop/cart: lxc-c"); i++) await new Promise((r) => setTimeout(r, 100));
    assert.ok(lines.includes("  pod shop/cart: lxc-c"), lines.join("\n"));
    assert.equal(await fromWeb(9090, null, C_IP), "hello 9090");
    assert.equal(await fromWeb(8080, null, C_IP), "TIMEOUT");
    // A pod left out for want of a route is taken on once the CNI routes it (the agent follows the routing table).
    execFileSync("ip", ["-n", NODE, "-b", "-"], {
      input: ["link add lxc-g type veth peer name lxc-g-peer", "link set lxc-g up", "route add 10.77.9.9/32 dev lxc-g"].join("\n") + "\n",
    });
    for (let i = 0; i < 30 && !lines.includes("  pod shop/ghost: lxc-g"); i++) await new Promise((r) => setTimeout(r, 100));
    assert.ok(lines.includes("  pod shop/ghost: lxc-g"), lines.join("\n"));
    const filters = execFileSync("tc", ["-n", NODE, "filter", "show", "dev", "lxc-g", "egress"], { encoding: "utf8" });
    assert.match(filters, /to_container/);
    // A device that gets a gateway route becomes an uplink: replies to the egress proxy come in there.
    execFileSync("ip", ["-n", NODE, "-b", "-"], {
      input:
        [
          "link add upl0 type veth peer name upl0-peer",
          "addr add 10.98.0.1/24 dev upl0",
          "link set upl0 up",
          "link set upl0-peer up",
          "route add 10.99.0.0/16 via 10.98.0.2 dev upl0 onlink",
        ].join("\n") + "\n",
    });
    for (let i = 0; i < 30 && !lines.includes("  uplink upl0"); i++) await new Promise((r) => setTimeout(r, 100));
    assert.ok(lines.includes("  uplink upl0"), lines.join("\n"));
    assert.match(execFileSync("tc", ["-n", NODE, "filter", "show", "dev", "upl0", "ingress"], { encoding: "utf8" }), /from_netdev/);
  } finally {
    await stopAgent(child);
  }
  // Stopped: the kernel keeps enforcing the last policy.
  assert.equal(await fromWeb(9090, null), "hello 9090");
  assert.equal(await fromWeb(8080, null), "TIMEOUT");
  assert.equal(await fromWeb(8080, null, C_IP), "TIMEOUT");
  // The kernel's events were the agent's flows: a policy verdict for web → api, a drop on 8080.
  const flows = readFileSync(flowsFile, "utf8")
    .trim()
    .split("\n")
    .map(
      (l) => JSON.parse(l) as { flow: { verdict: string; l4?: { TCP?: { destination_port: number } }; source?: { pod_name?: string } } },
    );
  assert.ok(
    flows.some((f) => f.flow.verdict === "DROPPED" && f.flow.l4?.TCP?.destination_port === 8080 && f.flow.source?.pod_name === "web"),
  );
  // A new agent adopts the pinned maps (the same kernel maps, not new ones) and programs.
  const policyMapId = (): number =>
    (
      JSON.parse(execFileSync("bpftool", ["-j", "map", "show", "pinned", `${pinDir}/membrane_policy`], { encoding: "utf8" })) as {
        id: number;
      }
    ).id;
  const before = policyMapId();
  const again = await startAgent();
  try {
    assert.equal(policyMapId(), before);
    assert.ok(again.lines.includes("  pod shop/cart: lxc-c"), again.lines.join("\n"));
    assert.equal(await fromWeb(9090, null), "hello 9090");
    assert.equal(await fromWeb(80, "/private"), "403 Access denied");
  } finally {
    await stopAgent(again.child);
  }
});
