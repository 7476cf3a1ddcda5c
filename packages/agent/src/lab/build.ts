/**
 * Turns a LabPlan into network namespaces, veths, addresses and routes, and removes them again by
 * name. Every node has routes to every pod address by its node's address (native routing; host
 * traffic always uses them); in tunnel routing the endpoint programs send pod traffic for other
 * nodes through the node's VXLAN device instead. A pod reaches everything through its node, where
 * the endpoint programs sit.
 */
import { err, ok, type Result } from "@membrane/engine";
import { ipBatch, run, sysctls, type CommandError } from "../exec.ts";
import { NODE_SYSCTLS, PROXY_DEVICE_LINKS, PROXY_ROUTING, VXLAN_DEVICE } from "../node/devices.ts";
import { FABRIC_IP, namespacesOf, ROUTER_IP, UPLINK_DEVICE, type LabPlan, type NodePlan } from "./plan.ts";

/** Cilium's VXLAN port. */
const VXLAN_PORT = 8472;
/** The fabric carries encapsulated pod packets: room for VXLAN's 50 bytes on top of a 1500-byte pod MTU. */
const FABRIC_MTU = 9000;

async function all(steps: readonly Promise<Result<unknown, CommandError>>[]): Promise<Result<void, CommandError>> {
  for (const r of await Promise.all(steps)) if (!r.ok) return err(r.error);
  return ok(undefined);
}

/** Creates the lab's namespaces and links. On failure what was made is left for `teardownLab`. */
export async function buildLab(plan: LabPlan): Promise<Result<void, CommandError>> {
  const created = await ipBatch(
    null,
    namespacesOf(plan).map((ns) => `netns add ${ns}`),
  );
  if (!created.ok) return created;
  // The fabric: a bridge joining the nodes, the world addresses on its loopback.
  const fabric = await ipBatch(plan.fabricNetns, [
    "link set lo up",
    "link add br0 type bridge",
    `link set br0 mtu ${FABRIC_MTU} up`,
    `addr add ${FABRIC_IP}/32 dev br0`,
    ...plan.worldIps.map((ip) => `addr add ${ip}/32 dev lo`),
    ...plan.nodes.flatMap((n) => [
      `link add ${n.fabricPort} mtu ${FABRIC_MTU} type veth peer name eth0 mtu ${FABRIC_MTU} netns ${n.netns}`,
      `link set ${n.fabricPort} master br0 up`,
      `route add ${n.ip}/32 dev br0`,
      ...n.pods.map((p) => `route add ${p.ip}/32 via ${n.ip} dev br0 onlink`),
    ]),
  ]);
  if (!fabric.ok) return fabric;
  const steps: Promise<Result<unknown, CommandError>>[] = plan.nodes.map((n) => buildNode(plan, n));
  steps.push(sysctls(plan.fabricNetns, ["net.ipv4.ip_forward=1"]));
  return all(steps);
}

async function buildNode(plan: LabPlan, n: NodePlan): Promise<Result<void, CommandError>> {
  const others = plan.nodes.filter((o) => o !== n);
  const node = await ipBatch(n.netns, [
    "link set lo up",
    `addr add ${ROUTER_IP}/32 dev lo`,
    `link set ${UPLINK_DEVICE} up`,
    `addr add ${n.ip}/32 dev ${UPLINK_DEVICE}`,
    `route add ${FABRIC_IP}/32 dev ${UPLINK_DEVICE} src ${n.ip}`,
    `route add default via ${FABRIC_IP} dev ${UPLINK_DEVICE} onlink src ${n.ip}`,
    ...others.flatMap((o) => [
      `route add ${o.ip}/32 dev ${UPLINK_DEVICE} src ${n.ip}`,
      ...o.pods.map((p) => `route add ${p.ip}/32 via ${o.ip} dev ${UPLINK_DEVICE} onlink src ${n.ip}`),
    ]),
    ...PROXY_ROUTING,
    ...PROXY_DEVICE_LINKS,
    // Tunnel routing: the datapath redirects other nodes' pods' packets here; host traffic keeps the routes.
    ...(plan.routing === "tunnel"
      ? [`link add ${VXLAN_DEVICE} type vxlan dstport ${VXLAN_PORT} external`, `link set ${VXLAN_DEVICE} up`]
      : []),
    ...n.pods.map((p) => `link add ${p.device} type veth peer name eth0 netns ${p.netns}`),
    ...n.pods.flatMap((p) => [`link set ${p.device} up`, `route add ${p.ip}/32 dev ${p.device} src ${n.ip}`]),
  ]);
  if (!node.ok) return node;
  const pods = n.pods.map((p) =>
    ipBatch(p.netns, [
      "link set lo up",
      "link set eth0 up",
      `addr add ${p.ip}/32 dev eth0`,
      `route add ${ROUTER_IP}/32 dev eth0 scope link`,
      `route add default via ${ROUTER_IP} dev eth0 src ${p.ip}`,
    ]),
  );
  const forwarding = sysctls(n.netns, NODE_SYSCTLS);
  return all([...pods, forwarding]);
}

/** Removes every namespace of the plan (with them go their devices, addresses and routes). Absent ones are fine. */
export async function teardownLab(plan: LabPlan): Promise<void> {
  const existing = await run("ip", ["netns", "list"]);
  const present = new Set(existing.ok ? existing.value.split("\n").map((l) => l.split(" ")[0]) : []);
  const names = namespacesOf(plan).filter((ns) => present.has(ns));
  await ipBatch(
    null,
    names.map((ns) => `netns delete ${ns}`),
  );
}
