/**
 * A running lab: the cluster of an engine as network namespaces on this machine, one datapath and
 * node agent per node (maps pinned under their own bpffs folder, so a lab never touches a real
 * agent's /sys/fs/bpf/membrane), and a runtime process per pod, per node and for the world.
 * `stop()` removes exactly what `start()` made, by name.
 */
import { rmSync } from "node:fs";
import { err, ok, type Engine, type Result } from "@membrane/engine";
import { decodeEvent, loadDatapath, openRing, type DatapathEvent, type RingReader } from "@membrane/datapath";
import { attachEndpoint, ifindexOf } from "../node/attach.ts";
import { NodeAgent, type AgentError } from "../node/node-agent.ts";
import { buildLab, teardownLab } from "./build.ts";
import { PodHandle } from "./pod-handle.ts";
import { planLab, type LabPlan } from "./plan.ts";

/** Policy map capacity of a lab node (the datapath's POLICY_MAP_SIZE). */
const LAB_POLICY_MAP_SIZE = 65536;

export interface LabNode {
  readonly name: string;
  readonly agent: NodeAgent;
  readonly runtime: PodHandle;
  readonly ring: RingReader;
}

export type LabError =
  { readonly kind: "command"; readonly message: string } | { readonly kind: "agent"; readonly errors: readonly AgentError[] };

export class Lab {
  readonly plan: LabPlan;
  readonly nodes: readonly LabNode[];
  readonly pods: ReadonlyMap<string, PodHandle>;
  readonly world: PodHandle;
  readonly #pinRoot: string;
  #listeners = new Set<(node: string, e: DatapathEvent) => void>();

  private constructor(plan: LabPlan, nodes: LabNode[], pods: Map<string, PodHandle>, world: PodHandle, pinRoot: string) {
    this.plan = plan;
    this.nodes = nodes;
    this.pods = pods;
    this.world = world;
    this.#pinRoot = pinRoot;
    for (const n of nodes) {
      n.ring.watch((samples) => {
        for (const s of samples) {
          const e = decodeEvent(s);
          if (e !== undefined) for (const l of this.#listeners) l(n.name, e);
        }
      });
    }
  }

  /** Builds the lab for every pod of the engine's cluster, with `worldIps` hosted by the fabric. */
  static async start(engine: Engine, worldIps: readonly string[]): Promise<Result<Lab, LabError>> {
    const id =
      (process.pid % 0x10000).toString(16).padStart(4, "0") +
      Math.floor(Math.random() * 0x100)
        .toString(16)
        .padStart(2, "0");
    const plan = planLab(engine, id, worldIps);
    const pinRoot = `/sys/fs/bpf/membrane-lab-${id}`;
    const fail = async (e: LabError): Promise<Result<Lab, LabError>> => {
      await teardownLab(plan);
      rmSync(pinRoot, { recursive: true, force: true });
      return err(e);
    };
    const built = await buildLab(plan);
    if (!built.ok) return fail({ kind: "command", message: `${built.error.command}: ${built.error.message}` });
    const nodes: LabNode[] = [];
    for (const [i, n] of plan.nodes.entries()) {
      const dp = await loadDatapath({
        pinDir: `${pinRoot}/node${i}`,
        defines: { POLICY_MAP_SIZE: LAB_POLICY_MAP_SIZE, CT_MAP_SIZE: 65536 },
      });
      if (!dp.ok) return fail({ kind: "command", message: `loading the datapath: ${dp.error.message}` });
      const agent = new NodeAgent(engine, n.name, dp.value, LAB_POLICY_MAP_SIZE);
      const errors = agent.sync();
      for (const p of n.pods) {
        const attached = await attachEndpoint(dp.value, n.netns, p.device);
        if (!attached.ok) return fail({ kind: "command", message: `${attached.error.command}: ${attached.error.message}` });
        const ifindex = await ifindexOf(n.netns, p.device);
        if (!ifindex.ok) return fail({ kind: "command", message: `${ifindex.error.command}: ${ifindex.error.message}` });
        errors.push(...agent.addEndpoint(p.key, ifindex.value));
      }
      if (errors.length > 0) return fail({ kind: "agent", errors });
      const ring = openRing(dp.value.maps.events);
      if (!ring.ok) return fail({ kind: "command", message: ring.error.message });
      nodes.push({ name: n.name, agent, runtime: PodHandle.start(n.netns), ring: ring.value });
    }
    const pods = new Map(plan.nodes.flatMap((n) => n.pods.map((p) => [p.key, PodHandle.start(p.netns)] as const)));
    return ok(new Lab(plan, nodes, pods, PodHandle.start(plan.fabricNetns), pinRoot));
  }

  /** Hears every datapath event of every node; returns a function that stops listening. */
  onEvent(listener: (node: string, e: DatapathEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Stops the runtimes and removes the namespaces and pins. */
  async stop(): Promise<void> {
    for (const n of this.nodes) n.ring.watch(null);
    await Promise.all([...this.pods.values(), ...this.nodes.map((n) => n.runtime), this.world].map((p) => p.stop()));
    await teardownLab(this.plan);
    rmSync(this.#pinRoot, { recursive: true, force: true });
  }
}
