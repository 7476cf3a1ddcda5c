/**
 * The shape of a lab: which network namespaces, devices and addresses a cluster becomes on this
 * machine. Pure: `buildLab` carries it out and `teardownLab` removes exactly these names.
 *
 *   fabric netns ── br0 ── eth0 of each node netns (the node's InternalIPs, native routing)
 *        └─ lo: the world addresses the scenario talks to
 *   node netns ── lxc<i> ═ eth0 of each pod netns (/32 pod address, default via ROUTER_IP)
 */
import { parseIp, type Engine } from "@membrane/engine";

/** The pods' default gateway, on every node's loopback (answered by ARP as a local address). */
export const ROUTER_IP = "169.254.1.1";
/** The fabric's own address: every node's default route (towards the world addresses). */
export const FABRIC_IP = "169.254.2.1";
/** The address of a node the cluster gives none. */
const DEFAULT_NODE_IP = "10.254.0.1";

export interface PodPlan {
  /** `namespace/name`. */
  readonly key: string;
  readonly node: string;
  readonly netns: string;
  /** The host-side veth in the node's netns. */
  readonly device: string;
  readonly ip: string;
}

export interface NodePlan {
  readonly name: string;
  readonly netns: string;
  /** The node's port on the fabric bridge (in the fabric netns). */
  readonly fabricPort: string;
  readonly ip: string;
  readonly pods: readonly PodPlan[];
}

/** How pods reach pods on other nodes (Cilium's routing modes; tunnel is its default). */
export type Routing = "tunnel" | "native";

/** A lab node's uplink to the fabric. */
export const UPLINK_DEVICE = "eth0";

export interface LabPlan {
  readonly id: string;
  readonly routing: Routing;
  readonly fabricNetns: string;
  readonly nodes: readonly NodePlan[];
  /** World addresses hosted by the fabric. */
  readonly worldIps: readonly string[];
  /** Pods the lab cannot run, with why (IPv6-only). */
  readonly skipped: ReadonlyMap<string, string>;
}

/** The node a pod runs on in the lab: its own, or the lab's single default node. */
export function labNodeOf(engine: Engine, nodeName: string | null): string {
  return nodeName !== null && engine.cluster.nodes.some((n) => n.name === nodeName)
    ? nodeName
    : (engine.cluster.nodes[0]?.name ?? "lab-node");
}

/** Plans a lab for every pod endpoint of the engine's cluster and the given world addresses. */
export function planLab(engine: Engine, id: string, worldIps: readonly string[], routing: Routing): LabPlan {
  const names = engine.cluster.nodes.length > 0 ? engine.cluster.nodes.map((n) => n.name) : ["lab-node"];
  const skipped = new Map<string, string>();
  const podsOf = new Map<string, PodPlan[]>(names.map((n) => [n, []]));
  let podIndex = 0;
  for (const ep of engine.endpoints()) {
    const ip = ep.pod.ips.find((a) => parseIp(a)?.family === 4);
    if (ip === undefined) {
      skipped.set(ep.key, "the lab runs IPv4 pods only");
      continue;
    }
    const node = labNodeOf(engine, ep.pod.nodeName);
    const i = podIndex++;
    podsOf.get(node)!.push({ key: ep.key, node, netns: `mbr${id}-p${i}`, device: `lxc${i}`, ip });
  }
  const nodes = names.map((name, i): NodePlan => {
    const node = engine.cluster.nodes.find((n) => n.name === name);
    const ip = node?.addresses.find((a) => parseIp(a)?.family === 4) ?? DEFAULT_NODE_IP;
    return { name, netns: `mbr${id}-n${i}`, fabricPort: `n${i}`, ip, pods: podsOf.get(name)! };
  });
  return { id, routing, fabricNetns: `mbr${id}-f`, nodes, worldIps: [...new Set(worldIps)], skipped };
}

/** Every network namespace of a plan (teardown deletes these, by name). */
export function namespacesOf(plan: LabPlan): string[] {
  return [plan.fabricNetns, ...plan.nodes.flatMap((n) => [n.netns, ...n.pods.map((p) => p.netns)])];
}
