import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { Engine, loadScenario, policyKey, type HubbleFlow as Flow } from "@membrane/engine";
import { Lab, pipeLabFlows, runLive } from "@membrane/agent";
import { parseManifest } from "@membrane/manifest";

/**
 * The agent and its lab on real namespaces and the real kernel: restarts under traffic, changes
 * reaching the kernel, the wire and the engine held to each other, and the command lines.
 */
const root = fileURLToPath(new URL("../", import.meta.url));
const membrane = join(root, "packages/cli/bin/membrane");
const cluster = parseManifest(
  "testdata/contract/_cluster.yaml",
  readFileSync(join(root, "testdata/contract/_cluster.yaml"), "utf8"),
).documents;
const docs = (name: string, yaml: string) => parseManifest(name, yaml).documents;

const ONLY_A_TO_B = `apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: { name: b-from-a, namespace: ns1 }
spec:
  endpointSelector: { matchLabels: { app: b } }
  ingress:
    - fromEndpoints: [{ matchLabels: { app: a } }]
      toPorts: [{ ports: [{ port: "80", protocol: TCP }] }]
`;
const CASES = `apiVersion: membrane.dev/v1alpha1
kind: ConnectivityTest
metadata: { name: a-b }
spec:
  cases:
    - { from: ns1/a, to: ns1/b, port: 80, expect: allow }
    - { from: ns1/x, to: ns1/b, port: 80, expect: deny }
`;

describe("a lab with one policy", () => {
  const scenario = loadScenario([...cluster, ...docs("policy.yaml", ONLY_A_TO_B), ...docs("cases.yaml", CASES)]);
  const engine = new Engine(scenario.cluster, scenario.policies);
  let lab: Lab;

  before(async () => {
    const started = await Lab.start(engine, []);
    assert.ok(started.ok, started.ok ? "" : JSON.stringify(started.error));
    lab = started.value;
  });
  after(() => lab?.stop());

  test("agent restarts under live traffic cut no allowed connection and let no denied packet through", async () => {
    const b = lab.plan.nodes.flatMap((n) => n.pods).find((p) => p.key === "ns1/b")!;
    await lab.pods.get("ns1/b")!.listen("TCP", 80);
    const stream = await lab.pods.get("ns1/a")!.stream(b.ip, 80, 2);
    assert.equal(stream.error, null);
    // Denied connection attempts the whole time, from the other pod.
    let probing = true;
    let attempts = 0;
    const leaks: string[] = [];
    const probe = (async () => {
      while (probing) {
        attempts++;
        const r = await lab.pods.get("ns1/x")!.connect({ protocol: "TCP", ip: b.ip, port: 80, timeoutMs: 150 }).result;
        if (r === null) leaks.push(`attempt ${attempts} connected`);
      }
    })();
    for (let i = 0; i < 3; i++) {
      const restarted = await lab.restartAgents(engine);
      assert.ok(restarted.ok, restarted.ok ? "" : JSON.stringify(restarted.error));
    }
    await new Promise((r) => setTimeout(r, 100));
    probing = false;
    await probe;
    const report = await stream.stop();
    assert.equal(report.error, null, "the allowed connection was never reset");
    assert.ok(report.sent > 50, `sent ${report.sent}`);
    assert.ok(report.echoed >= report.sent - 5, `echoed ${report.echoed} of ${report.sent}: bytes were lost`);
    assert.ok(attempts >= 3);
    assert.deepEqual(leaks, []);
  });

  test("a policy change the agent applies cuts an established connection it no longer allows (the datapath's cached verdict is dropped)", async () => {
    const b = lab.plan.nodes.flatMap((n) => n.pods).find((p) => p.key === "ns1/b")!;
    await lab.pods.get("ns1/b")!.listen("TCP", 80);
    const stream = await lab.pods.get("ns1/a")!.stream(b.ip, 80, 2);
    assert.equal(stream.error, null);
    await new Promise((r) => setTimeout(r, 200));
    // b now admits a on 81 only: the flow on 80, long established, is decided again and dropped.
    const moved = loadScenario([...cluster, ...docs("policy.yaml", ONLY_A_TO_B.replace('port: "80"', 'port: "81"'))]).policies[0]!;
    assert.deepEqual(lab.apply(engine.upsertPolicy(moved)), []);
    await new Promise((r) => setTimeout(r, 300));
    const cut = await stream.stop();
    assert.ok(cut.sent > 50, `sent ${cut.sent}`);
    assert.ok(cut.echoed < cut.sent - 20, `echoed ${cut.echoed} of ${cut.sent}: the established flow kept passing`);
    assert.deepEqual(lab.apply(engine.upsertPolicy(scenario.policies[0]!)), []);
  });

  test("a change the kernel does not get is a disagreement; applied, the wire agrees again", async () => {
    const allowX = loadScenario([
      ...cluster,
      ...docs(
        "allow-x.yaml",
        `apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: { name: b-from-x, namespace: ns1 }
spec:
  endpointSelector: { matchLabels: { app: b } }
  ingress:
    - fromEndpoints: [{ matchLabels: { app: x } }]
`,
      ),
    ]).policies[0]!;
    // The engine learns the policy; the kernel is not told.
    const cs = engine.upsertPolicy(allowX);
    const stale = await runLive(lab, engine, scenario.tests);
    assert.equal(stale[1]!.pass, false);
    assert.match(stale[1]!.reason.summary, /the wire and the engine disagree: the kernel denied .*POLICY_DENIED.*the engine says allow/);
    // Told, the kernel enforces it at once.
    assert.deepEqual(lab.apply(cs), []);
    const fresh = await runLive(lab, engine, scenario.tests);
    assert.deepEqual(
      fresh.map((r) => r.actual),
      ["allow", "allow"],
    );
    assert.match(fresh[1]!.reason.summary, /on the wire: connected/);
    lab.nodes.forEach((n) => n.agent.apply(engine.deletePolicy(policyKey(allowX))));
  });

  test("audit mode in the kernel: an audited deny lets traffic pass and reports AUDIT naming it; unmarked, it drops", async () => {
    const denyA = (audit: boolean) =>
      loadScenario([
        ...cluster,
        ...docs(
          "deny-a.yaml",
          `apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata:
  name: b-deny-a
  namespace: ns1
  annotations: { policy.membrane.dev/audit-mode: "${audit ? "enabled" : "disabled"}" }
spec:
  endpointSelector: { matchLabels: { app: b } }
  ingressDeny:
    - fromEndpoints: [{ matchLabels: { app: a } }]
`,
        ),
      ]).policies[0]!;
    const flows: Flow[] = [];
    const stop = pipeLabFlows(lab, engine, (r) => flows.push(r.flow));
    try {
      const apply = (cs: ReturnType<Engine["upsertPolicy"]>) => assert.deepEqual(lab.apply(cs), []);
      apply(engine.upsertPolicy(denyA(true)));
      const audited = await runLive(lab, engine, scenario.tests);
      assert.equal(audited[0]!.audited, true);
      assert.equal(audited[0]!.actual, "allow", audited[0]!.reason.summary);
      assert.equal(audited[0]!.pass, true, audited[0]!.reason.summary);
      const b = lab.plan.nodes.flatMap((n) => n.pods).find((p) => p.key === "ns1/b")!;
      const audit = flows.find((f) => f.verdict === "AUDIT" && f.IP?.destination === b.ip);
      assert.ok(audit, JSON.stringify(flows.map((f) => f.verdict)));
      assert.deepEqual(
        audit.ingress_denied_by?.map((p) => p.name),
        ["b-deny-a"],
      );
      // The mark removed: no map entry changes, yet the kernel's entry leaves audit mode.
      apply(engine.upsertPolicy(denyA(false)));
      const enforced = await runLive(lab, engine, scenario.tests);
      assert.equal(enforced[0]!.actual, "deny", enforced[0]!.reason.summary);
      assert.match(enforced[0]!.reason.summary, /on the wire: dropped by the kernel \(ingress, POLICY_DENY\)/);
      // The pod's own mark: its policy and entries stay the same, its deny entry goes into audit mode.
      const pod = engine.cluster.pods.find((p) => p.namespace === "ns1" && p.name === "b")!;
      apply(engine.upsertPod({ ...pod, annotations: new Map([["policy.membrane.dev/audit-mode", "enabled"]]) }));
      const podAudited = await runLive(lab, engine, scenario.tests);
      assert.equal(podAudited[0]!.audited, true);
      assert.equal(podAudited[0]!.pass, true, podAudited[0]!.reason.summary);
      apply(engine.upsertPod(pod));
    } finally {
      stop();
      lab.nodes.forEach((n) => n.agent.apply(engine.deletePolicy(policyKey(denyA(false)))));
    }
  });

  test("the agent reports how full the policy map is", () => {
    for (const n of lab.nodes) {
      const p = n.agent.pressure;
      assert.ok(p.entries > 0 && p.entries < p.capacity);
      assert.equal(p.high, false);
    }
  });
});

describe("two nodes", () => {
  const scenario = loadScenario([...cluster, ...docs("policy.yaml", ONLY_A_TO_B)]);
  const engine = new Engine(scenario.cluster, scenario.policies);
  /** Every route to another node's pods — the nodes' and the fabric's — which only native routing needs. */
  const dropPodRoutes = (lab: Lab): void => {
    for (const n of lab.plan.nodes)
      for (const o of lab.plan.nodes)
        if (o !== n) for (const p of o.pods) execFileSync("ip", ["-n", n.netns, "route", "del", `${p.ip}/32`]);
    for (const p of lab.plan.nodes.flatMap((n) => n.pods)) execFileSync("ip", ["-n", lab.plan.fabricNetns, "route", "del", `${p.ip}/32`]);
  };
  const cross = async (lab: Lab) => {
    const c = lab.plan.nodes.flatMap((n) => n.pods).find((p) => p.key === "ns2/c")!;
    await lab.pods.get("ns2/c")!.listen("TCP", 8080);
    return lab.pods.get("ns1/a")!.connect({ protocol: "TCP", ip: c.ip, port: 8080, timeoutMs: 1000 }).result;
  };

  test("tunnel routing: pod traffic to the other node goes through VXLAN (no routes needed) and is enforced there", async () => {
    const started = await Lab.start(engine, [], "tunnel");
    assert.ok(started.ok, started.ok ? "" : JSON.stringify(started.error));
    const lab = started.value;
    try {
      dropPodRoutes(lab);
      assert.equal(await cross(lab), null, "ns1/a (node-a) reaches ns2/c (node-b)");
      // Across the tunnel, ns1/x (node-b) → ns1/b (node-a) is still judged by b's ingress: denied.
      const b = lab.plan.nodes.flatMap((n) => n.pods).find((p) => p.key === "ns1/b")!;
      await lab.pods.get("ns1/b")!.listen("TCP", 80);
      assert.equal(await lab.pods.get("ns1/x")!.connect({ protocol: "TCP", ip: b.ip, port: 80, timeoutMs: 500 }).result, "ETIMEDOUT");
      const results = await runLive(lab, engine, loadScenario([...cluster, ...docs("cases.yaml", CASES)]).tests);
      assert.deepEqual(
        results.map((r) => [r.actual, r.pass]),
        [
          ["allow", true],
          ["deny", true],
        ],
      );
    } finally {
      await lab.stop();
    }
  });

  test("native routing: the same traffic needs the routes", async () => {
    const started = await Lab.start(engine, [], "native");
    assert.ok(started.ok, started.ok ? "" : JSON.stringify(started.error));
    const lab = started.value;
    try {
      assert.equal(await cross(lab), null);
      dropPodRoutes(lab);
      assert.notEqual(await cross(lab), null);
    } finally {
      await lab.stop();
    }
  });
});

/** Runs the membrane command line; resolves to its exit status and output. */
function cli(args: readonly string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(membrane, args, { cwd: root });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("close", (status) => resolve({ status: status ?? -1, stdout, stderr }));
  });
}

test("membrane test --live: the star-wars cases on the wire, in the CLI's report, with the kernel's events as Hubble flows", async () => {
  const dir = mkdtempSync(join(tmpdir(), "membrane-flows-"));
  const flows = join(dir, "flows.jsonl");
  try {
    const r = await cli(["test", "--live", "examples/star-wars", "-o", "json", "--flows", flows]);
    assert.equal(r.status, 0, r.stderr);
    const report = JSON.parse(r.stdout) as { passed: number; failed: number; cases: { actual: string; reason: { summary: string } }[] };
    assert.equal(report.failed, 0);
    assert.ok(report.passed >= 4);
    assert.ok(report.cases.some((c) => c.actual === "deny" && /dropped by the kernel \(ingress, POLICY_DENIED\)/.test(c.reason.summary)));
    // The kernel's drop of tiefighter → deathstar:443, as `membrane observe` shows it.
    const o = await cli(["observe", "--input-file", flows, "--verdict", "DROPPED", "--to-port", "443", "-o", "json"]);
    assert.equal(o.status, 0, o.stderr);
    const dropped = o.stdout
      .trim()
      .split("\n")
      .map((l) => (JSON.parse(l) as { flow: Flow }).flow);
    assert.ok(dropped.length >= 1, o.stdout);
    const f = dropped.find((x) => x.event_type?.type === 5) ?? dropped[0]!;
    assert.equal(f.source?.pod_name, "tiefighter");
    assert.equal(f.destination?.namespace, "default");
    assert.equal(f.traffic_direction, "INGRESS");
    assert.equal(f.drop_reason_desc, "POLICY_DENIED");
    assert.equal(f.node_name, "kind-worker");
    assert.deepEqual(
      f.ingress_denied_by?.map((p) => p.name),
      ["rule1"],
    );
    // Pods' IPv6 link control never shows up as spoofing.
    const spoofed = await cli(["observe", "--input-file", flows, "--drop-reason-desc", "INVALID_SOURCE_IP", "-o", "json"]);
    assert.equal(spoofed.stdout.trim(), "");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("membrane agent --lab applies an edited policy file to the kernel and tears down on SIGTERM", async () => {
  const dir = mkdtempSync(join(tmpdir(), "membrane-lab-"));
  cpSync(join(root, "examples/star-wars"), dir, { recursive: true });
  const child = spawn(membrane, ["agent", "--lab", dir], { cwd: root });
  let out = "";
  const seen = (re: RegExp) =>
    new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${re}; got:\n${out}`)), 20000);
      const check = (): void => {
        if (re.test(out)) {
          clearTimeout(timer);
          resolve();
        }
      };
      child.stdout.on("data", check);
      check();
    });
  child.stdout.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr.on("data", (d: Buffer) => (out += d.toString()));
  try {
    await seen(/lab running/);
    const file = join(dir, "sw-l3-l4-l7-policy.yaml");
    const edited = readFileSync(file, "utf8").replace("org: empire", "org: alliance");
    // The watcher may still be settling: write again until the agent has seen the edit.
    const rewrite = setInterval(() => writeFileSync(file, edited), 1000);
    writeFileSync(file, edited);
    await seen(/updated CiliumNetworkPolicy\/default\/rule1: \d+ endpoint map change\(s\) in the kernel in [\d.]+ ms/).finally(() =>
      clearInterval(rewrite),
    );
    const exited = new Promise<number | null>((resolve) => child.on("close", resolve));
    child.kill("SIGTERM");
    assert.equal(await exited, 0, out);
    assert.match(out, /lab removed/);
    const made = [...out.matchAll(/(?:netns |\/run\/netns\/)(mbr[\w-]+)/g)].map((m) => m[1]!);
    assert.ok(made.length > 0);
    const left = existsSync("/run/netns") ? readdirSync("/run/netns") : [];
    assert.deepEqual(
      made.filter((ns) => left.includes(ns)),
      [],
      "every namespace the lab made is gone",
    );
  } finally {
    // SIGTERM lets the agent tear its lab down; only a stuck one is killed.
    if (child.exitCode === null) {
      const closed = new Promise((resolve) => child.on("close", resolve));
      child.kill("SIGTERM");
      await Promise.race([closed, new Promise((r) => setTimeout(r, 10000))]);
      child.kill("SIGKILL");
    }
    rmSync(dir, { recursive: true, force: true });
  }
});

/**
 * Runs `membrane agent --lab examples/star-wars` with `agentFlags`, follows it with `membrane observe
 * -f` and `observeFlags`, and makes a connection attempt from the tiefighter to the deathstar's
 * TCP/443 once a second (the follower may still be starting; it also gets the ring's last 100)
 * until a flow is printed; `check` gets that flow and the observer's address.
 */
async function observeAttempts(
  agentFlags: string[],
  observeFlags: string[],
  check: (f: Flow, server: string) => Promise<void>,
): Promise<void> {
  const child = spawn(membrane, ["agent", "--lab", "examples/star-wars", "--observer-listen", "127.0.0.1:0", ...agentFlags], { cwd: root });
  let out = "";
  child.stdout.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr.on("data", (d: Buffer) => (out += d.toString()));
  const until = async (re: RegExp, text: () => string, what: string): Promise<RegExpExecArray> => {
    for (let i = 0; i < 200; i++) {
      const m = re.exec(text());
      if (m !== null) return m;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`timed out waiting for ${what}; got:\n${text()}`);
  };
  let follower: ReturnType<typeof spawn> | undefined;
  try {
    const server = (await until(/observer API on (http:\/\/\S+)/, () => out, "the observer API"))[1]!;
    await until(/lab running/, () => out, "the lab");
    const tiefighter = (await until(/pod default\/tiefighter: \S+ \(nsenter --net=\/run\/netns\/(\S+)/, () => out, "the pods"))[1]!;
    const deathstar = (await until(/pod default\/deathstar-\S+: (\S+) /, () => out, "the pods"))[1]!;
    let followed = "";
    follower = spawn(membrane, ["observe", "--server", server, "-f", "--last", "100", ...observeFlags, "-o", "json"], { cwd: root });
    follower.stdout!.on("data", (d: Buffer) => (followed += d.toString()));
    const attempt = (): void => {
      spawn("nsenter", [`--net=/run/netns/${tiefighter}`, "timeout", "1", "bash", "-c", `echo > /dev/tcp/${deathstar}/443`]);
    };
    attempt();
    const again = setInterval(attempt, 1000);
    const line = (await until(/^\{.*\}$/m, () => followed, "a followed flow").finally(() => clearInterval(again)))[0];
    await check((JSON.parse(line) as { flow: Flow }).flow, server);
  } finally {
    follower?.kill("SIGINT");
    const closed = new Promise((resolve) => child.on("close", resolve));
    child.kill("SIGTERM");
    await Promise.race([closed, new Promise((r) => setTimeout(r, 10000))]);
  }
}

// The deathstar admits only TCP/80 from the empire (rule1), so the tiefighter's TCP/443 is a policy drop.
test("membrane observe follows the agent: a denied connection shows DROPPED with its policy; metrics count it", async () => {
  await observeAttempts([], ["--verdict", "DROPPED", "-t", "policy-verdict"], async (f, server) => {
    assert.equal(f.verdict, "DROPPED");
    assert.equal(f.source?.pod_name, "tiefighter");
    assert.equal(f.traffic_direction, "INGRESS");
    assert.deepEqual(
      f.ingress_denied_by?.map((p) => p.name),
      ["rule1"],
    );
    const metrics = await (await fetch(`${server}/metrics`)).text();
    assert.match(metrics, /^hubble_drop_total\{reason="POLICY_DENIED",protocol="TCP"\} [1-9]/m);
    assert.match(metrics, /^hubble_policy_verdicts_total\{direction="ingress",match="none",action="dropped"\} [1-9]/m);
    assert.match(metrics, /^membrane_policy_map_entries\{node="kind-worker"\} [1-9]/m);
    assert.match(metrics, /^membrane_identities [1-9]/m);
    assert.match(metrics, /^membrane_policy_regenerations_total\{node="kind-worker"\} \d+$/m);
    const status = (await (await fetch(`${server}/v1/status`)).json()) as { max_flows: number; seen_flows: number };
    assert.equal(status.max_flows, 4095);
    assert.ok(status.seen_flows >= 2);
  });
});

test("with --policy-audit-mode the same attempt passes the kernel and membrane observe shows AUDIT naming the policy", async () => {
  await observeAttempts(["--policy-audit-mode"], ["--verdict", "AUDIT"], async (f, server) => {
    assert.equal(f.verdict, "AUDIT");
    assert.equal(f.source?.pod_name, "tiefighter");
    assert.deepEqual(
      f.ingress_denied_by?.map((p) => p.name),
      ["rule1"],
    );
    const metrics = await (await fetch(`${server}/metrics`)).text();
    assert.match(metrics, /^hubble_policy_verdicts_total\{direction="ingress",match="none",action="audit"\} [1-9]/m);
    assert.doesNotMatch(metrics, /^hubble_drop_total\{reason="POLICY_DENIED"/m);
  });
});
