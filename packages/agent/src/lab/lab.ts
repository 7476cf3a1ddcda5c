/**
 * A running lab: the cluster of an engine as network namespaces on this machine, one datapath and
 * node agent per node (maps pinned under their own bpffs folder, so a lab never touches a real
 * agent's /sys/fs/bpf/membrane), and a runtime process per pod, per node and for the world.
 * `stop()` removes exactly what `start()` made, by name.
 */
import { rmSync } from "node:fs";
import { err, ok, type ChangeSet, type Engine, type ProxyRecord, type Result } from "@membrane/engine";
import type { LearnedAnswer } from "@membrane/proxy";
import { collectConntrack, decodeEvent, loadDatapath, openRing, type DatapathEvent, type RingReader } from "@membrane/datapath";
import { attach, HOOKS, ifindexOf, type Hooks } from "../node/attach.ts";
import { NodeAgent, type AgentError } from "../node/node-agent.ts";
import { buildLab, teardownLab } from "./build.ts";
import { netnsPath } from "./exec.ts";
import { PodHandle } from "./pod-handle.ts";
import { NodeProxies } from "../proxy/node-proxies.ts";
import { planLab, PROXY_DEVICE, UPLINK_DEVICE, VXLAN_DEVICE, type LabPlan, type Routing } from "./plan.ts";

/** How often expired conntrack entries are collected (Cilium's GC interval adapts; 30 s is its usual floor). */
const CT_GC_INTERVAL_MS = 30_000;

/** The DNS cache's clock: seconds. */
const nowSeconds = (): number => Math.floor(Date.now() / 1000);

/** Applies an engine change to every node's kernel; what a kernel refuses is reported (the wire will disagree). */
function applyEverywhere(nodes: readonly LabNode[], cs: ChangeSet): void {
  for (const n of nodes) for (const e of n.agent.apply(cs)) process.stderr.write(`membrane lab: ${n.name}: ${JSON.stringify(e)}\n`);
}

/** Policy map capacity of a lab node (the datapath's POLICY_MAP_SIZE). */
const LAB_POLICY_MAP_SIZE = 65536;

export interface LabNode {
  readonly name: string;
  readonly agent: NodeAgent;
  readonly runtime: PodHandle;
  readonly ring: RingReader;
  /** The node's L7 proxies (they outlive agent restarts, as Cilium's Envoy does). */
  readonly proxies: NodeProxies;
}

export type LabError =
  { readonly kind: "command"; readonly message: string } | { readonly kind: "agent"; readonly errors: readonly AgentError[] };

/**
 * Loads node `i`'s datapath (its pin folder: maps are reused when pinned already), attaches the
 * programs to its pods' devices, and starts its agent on them.
 */
async function startNode(
  engine: Engine,
  plan: LabPlan,
  i: number,
  pinRoot: string,
): Promise<Result<Omit<LabNode, "runtime" | "proxies">, LabError>> {
  const n = plan.nodes[i]!;
  const dp = await loadDatapath({ pinDir: `${pinRoot}/node${i}`, defines: { POLICY_MAP_SIZE: LAB_POLICY_MAP_SIZE, CT_MAP_SIZE: 65536 } });
  if (!dp.ok) return err({ kind: "command", message: `loading the datapath: ${dp.error.message}` });
  const endpoints: { key: string; ifindex: number }[] = [];
  for (const p of n.pods) {
    const ifindex = await ifindexOf(n.netns, p.device);
    if (!ifindex.ok) return err({ kind: "command", message: `${ifindex.error.command}: ${ifindex.error.message}` });
    endpoints.push({ key: p.key, ifindex: ifindex.value });
  }
  let tunnelIfindex: number | undefined;
  if (plan.routing === "tunnel") {
    const vxlan = await ifindexOf(n.netns, VXLAN_DEVICE);
    if (!vxlan.ok) return err({ kind: "command", message: `${vxlan.error.command}: ${vxlan.error.message}` });
    tunnelIfindex = vxlan.value;
  }
  const proxyIfindex = await ifindexOf(n.netns, PROXY_DEVICE);
  if (!proxyIfindex.ok) return err({ kind: "command", message: `${proxyIfindex.error.command}: ${proxyIfindex.error.message}` });
  // The maps first, then the programs: a device never runs a program against maps not yet synced.
  const { agent, errors } = NodeAgent.start(
    engine,
    n.name,
    dp.value,
    { policyCapacity: LAB_POLICY_MAP_SIZE, tunnelIfindex, proxyIfindex: proxyIfindex.value },
    endpoints,
  );
  if (errors.length > 0) return err({ kind: "agent", errors });
  const devices: [string, Hooks][] = [
    [PROXY_DEVICE, HOOKS.proxy],
    ...(plan.routing === "tunnel"
      ? ([
          [VXLAN_DEVICE, HOOKS.overlay],
          [UPLINK_DEVICE, HOOKS.netdev],
        ] as [string, Hooks][])
      : []),
    ...n.pods.map((p): [string, Hooks] => [p.device, HOOKS.endpoint]),
  ];
  for (const [device, hooks] of devices) {
    const attached = await attach(dp.value, n.netns, device, hooks);
    if (!attached.ok) return err({ kind: "command", message: `${attached.error.command}: ${attached.error.message}` });
  }
  const ring = openRing(dp.value.maps.events);
  if (!ring.ok) return err({ kind: "command", message: ring.error.message });
  return ok({ name: n.name, agent, ring: ring.value });
}

export class Lab {
  readonly plan: LabPlan;
  readonly pods: ReadonlyMap<string, PodHandle>;
  readonly world: PodHandle;
  readonly #nodes: LabNode[];
  readonly #pinRoot: string;
  #listeners = new Set<(node: string, e: DatapathEvent) => void>();
  readonly #records: Set<(r: ProxyRecord) => void>;
  readonly #engine: Engine;
  readonly #gc: NodeJS.Timeout;

  private constructor(
    engine: Engine,
    plan: LabPlan,
    nodes: LabNode[],
    pods: Map<string, PodHandle>,
    world: PodHandle,
    pinRoot: string,
    records: Set<(r: ProxyRecord) => void>,
  ) {
    this.plan = plan;
    this.#records = records;
    this.#nodes = nodes;
    this.pods = pods;
    this.world = world;
    this.#pinRoot = pinRoot;
    for (const n of nodes) this.#watch(n);
    this.#engine = engine;
    this.#gc = setInterval(() => this.collectGarbage(), CT_GC_INTERVAL_MS).unref();
  }

  get nodes(): readonly LabNode[] {
    return this.#nodes;
  }

  #watch(n: LabNode): void {
    n.ring.watch((samples) => {
      for (const s of samples) {
        const e = decodeEvent(s);
        if (e !== undefined) for (const l of this.#listeners) l(n.name, e);
      }
    });
  }

  /**
   * Builds the lab for every pod of the engine's cluster, with `worldIps` hosted by the fabric.
   * Nodes reach each other's pods through VXLAN with the sender's identity in the VNI (Cilium's
   * default), or by native routing.
   */
  static async start(engine: Engine, worldIps: readonly string[], routing: Routing = "tunnel"): Promise<Result<Lab, LabError>> {
    const id =
      (process.pid % 0x10000).toString(16).padStart(4, "0") +
      Math.floor(Math.random() * 0x100)
        .toString(16)
        .padStart(2, "0");
    const plan = planLab(engine, id, worldIps, routing);
    const pinRoot = `/sys/fs/bpf/membrane-lab-${id}`;
    const fail = async (e: LabError): Promise<Result<Lab, LabError>> => {
      await teardownLab(plan);
      rmSync(pinRoot, { recursive: true, force: true });
      return err(e);
    };
    const built = await buildLab(plan);
    if (!built.ok) return fail({ kind: "command", message: `${built.error.command}: ${built.error.message}` });
    const nodes: LabNode[] = [];
    const records = new Set<(r: ProxyRecord) => void>();
    const onRecord = (r: ProxyRecord): void => {
      for (const l of records) l(r);
    };
    // What a DNS proxy learned reaches every node's kernel before the client gets the answer.
    const onDnsAnswer = (a: LearnedAnswer): void =>
      applyEverywhere(nodes, engine.learnDnsAnswer(a.name, a.ips, a.ttlSeconds, nowSeconds()));
    for (const [i, n] of plan.nodes.entries()) {
      const node = await startNode(engine, plan, i, pinRoot);
      if (!node.ok) return fail(node.error);
      const proxies = await NodeProxies.start(engine, n.name, netnsPath(n.netns), node.value.agent.datapath.maps, {
        onRecord,
        onDnsAnswer,
        // Malformed frames, upstream failures: worth a line, as the agent's other failures are.
        onError: (m) => process.stderr.write(`membrane lab: ${n.name}: ${m}\n`),
      });
      if (!proxies.ok) {
        await Promise.all(nodes.map((x) => x.proxies.stop()));
        return fail({ kind: "command", message: proxies.error });
      }
      nodes.push({ ...node.value, runtime: PodHandle.start(n.netns), proxies: proxies.value });
    }
    const pods = new Map(plan.nodes.flatMap((n) => n.pods.map((p) => [p.key, PodHandle.start(p.netns)] as const)));
    return ok(new Lab(engine, plan, nodes, pods, PodHandle.start(plan.fabricNetns), pinRoot, records));
  }

  /**
   * Restarts every node's agent as an upgrade would: the datapath is compiled and loaded again
   * (pinned maps reused), a new agent adopts the maps and syncs them, and tc swaps each device to
   * the new programs atomically.
   */
  async restartAgents(engine: Engine): Promise<Result<void, LabError>> {
    for (const [i, old] of this.#nodes.entries()) {
      const node = await startNode(engine, this.plan, i, this.#pinRoot);
      if (!node.ok) return node;
      old.ring.watch(null);
      this.#nodes[i] = { ...node.value, runtime: old.runtime, proxies: old.proxies };
      this.#watch(this.#nodes[i]!);
    }
    return ok(undefined);
  }

  /**
   * Collects expired conntrack entries, then expired DNS answers (Cilium's DNS GC): an expired
   * answer still used by a live connection stays (Cilium's zombie) until the connection ends; the
   * others close what they opened. `now` is the DNS cache's clock (seconds).
   */
  collectGarbage(now = nowSeconds()): void {
    const live = new Set<string>();
    for (const n of this.#nodes) {
      const gc = collectConntrack(n.agent.datapath.maps.conntrack);
      if (gc.ok) for (const ip of gc.value.liveDestinations) live.add(ip);
    }
    applyEverywhere(this.#nodes, this.#engine.expireDns(now, live));
  }

  /** Hears every datapath event of every node; returns a function that stops listening. */
  onEvent(listener: (node: string, e: DatapathEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Hears every L7 record of every node's proxies; returns a function that stops listening. */
  onProxyRecord(listener: (r: ProxyRecord) => void): () => void {
    this.#records.add(listener);
    return () => this.#records.delete(listener);
  }

  /** Stops the runtimes and removes the namespaces and pins. */
  async stop(): Promise<void> {
    clearInterval(this.#gc);
    for (const n of this.#nodes) n.ring.watch(null);
    await Promise.all(this.#nodes.map((n) => n.proxies.stop()));
    await Promise.all([...this.pods.values(), ...this.#nodes.map((n) => n.runtime), this.world].map((p) => p.stop()));
    await teardownLab(this.plan);
    rmSync(this.#pinRoot, { recursive: true, force: true });
  }
}
