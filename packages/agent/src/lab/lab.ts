/**
 * A running lab: the cluster of an engine as network namespaces on this machine, one datapath and
 * node agent per node (maps pinned under their own bpffs folder, so a lab never touches a real
 * agent's /sys/fs/bpf/membrane), and a runtime process per pod, per node and for the world.
 * `stop()` removes exactly what `start()` made, by name.
 */
import { rmSync } from "node:fs";
import { err, ok, type ChangeSet, type Engine, type ProxyRecord, type Result } from "@membrane/engine";
import type { AgentError } from "../node/node-agent.ts";
import type { DatapathEvent } from "@membrane/datapath";
import { NodeGroup, type Enforcement, type EnforcingNode } from "../node/node-group.ts";
import { startNode, type NodeSetup, type NodeStartError } from "../node/start-node.ts";
import { buildLab, teardownLab } from "./build.ts";
import { PodHandle } from "./pod-handle.ts";
import { planLab, UPLINK_DEVICE, type LabPlan, type Routing } from "./plan.ts";

/** Policy map capacity of a lab node (the datapath's POLICY_MAP_SIZE). */
const LAB_POLICY_MAP_SIZE = 65536;

/** A lab node: enforcing, with the runtime process that plays its host. */
export interface LabNode extends EnforcingNode {
  readonly runtime: PodHandle;
}

export type LabError = NodeStartError;

/** What node `i` of the plan is to the datapath: its pods behind their veths, its own pin folder. */
function setupOf(plan: LabPlan, i: number, pinRoot: string): NodeSetup {
  const n = plan.nodes[i]!;
  return {
    name: n.name,
    netns: n.netns,
    endpoints: n.pods.map((p) => ({ key: p.key, device: p.device })),
    pinDir: `${pinRoot}/node${i}`,
    policyCapacity: LAB_POLICY_MAP_SIZE,
    tunnel: plan.routing === "tunnel",
    uplinks: [UPLINK_DEVICE],
  };
}

export class Lab implements Enforcement {
  readonly plan: LabPlan;
  readonly pods: ReadonlyMap<string, PodHandle>;
  readonly world: PodHandle;
  readonly #group: NodeGroup;
  readonly #runtimes: readonly PodHandle[];
  readonly #pinRoot: string;

  private constructor(
    plan: LabPlan,
    group: NodeGroup,
    runtimes: readonly PodHandle[],
    pods: Map<string, PodHandle>,
    world: PodHandle,
    pinRoot: string,
  ) {
    this.plan = plan;
    this.#group = group;
    this.#runtimes = runtimes;
    this.pods = pods;
    this.world = world;
    this.#pinRoot = pinRoot;
  }

  get nodes(): readonly LabNode[] {
    return this.#group.nodes.map((n, i) => ({ ...n, runtime: this.#runtimes[i]! }));
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
    const group = new NodeGroup(engine);
    for (const i of plan.nodes.keys()) {
      const node = await group.add(setupOf(plan, i, pinRoot));
      if (!node.ok) {
        await group.stop();
        return fail(node.error);
      }
    }
    const runtimes = plan.nodes.map((n) => PodHandle.start(n.netns));
    const pods = new Map(plan.nodes.flatMap((n) => n.pods.map((p) => [p.key, PodHandle.start(p.netns)] as const)));
    return ok(new Lab(plan, group, runtimes, pods, PodHandle.start(plan.fabricNetns), pinRoot));
  }

  /**
   * Restarts every node's agent as an upgrade would: the datapath is compiled and loaded again
   * (pinned maps reused), a new agent adopts the maps and syncs them, and tc swaps each device to
   * the new programs atomically.
   */
  async restartAgents(engine: Engine): Promise<Result<void, LabError>> {
    for (const i of this.plan.nodes.keys()) {
      const node = await startNode(engine, setupOf(this.plan, i, this.#pinRoot));
      if (!node.ok) return node;
      this.#group.replace(i, node.value);
    }
    return ok(undefined);
  }

  /** Collects expired conntrack entries and DNS answers now (the lab does it every 30 s); `now` in seconds. */
  collectGarbage(now?: number): void {
    this.#group.collectGarbage(now);
  }

  /** Applies an engine change to every node's kernel; what a kernel refused. */
  apply(cs: ChangeSet): AgentError[] {
    return this.#group.apply(cs);
  }

  /** Hears every datapath event of every node; returns a function that stops listening. */
  onEvent(listener: (node: string, e: DatapathEvent) => void): () => void {
    return this.#group.onEvent(listener);
  }

  /** Hears every L7 record of every node's proxies; returns a function that stops listening. */
  onProxyRecord(listener: (r: ProxyRecord) => void): () => void {
    return this.#group.onProxyRecord(listener);
  }

  /** Stops the runtimes and removes the namespaces and pins. */
  async stop(): Promise<void> {
    await this.#group.stop();
    await Promise.all([...this.pods.values(), ...this.#runtimes, this.world].map((p) => p.stop()));
    await teardownLab(this.plan);
    rmSync(this.#pinRoot, { recursive: true, force: true });
  }
}
