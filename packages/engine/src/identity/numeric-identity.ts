import { LabelSet } from "../labels/label-set.ts";

/** A security identity: a number that stands for a set of labels (Cilium's NumericIdentity). */
export type NumericIdentity = number & { readonly __brand: "NumericIdentity" };

/** Makes a NumericIdentity from a number known to be one. */
export function asIdentity(n: number): NumericIdentity {
  return n as NumericIdentity;
}

/** Reserved identities with Cilium's numbers (pkg/identity/numericidentity.go). */
export const RESERVED = {
  unknown: asIdentity(0),
  host: asIdentity(1),
  world: asIdentity(2),
  unmanaged: asIdentity(3),
  health: asIdentity(4),
  init: asIdentity(5),
  remoteNode: asIdentity(6),
  kubeApiserver: asIdentity(7),
  ingress: asIdentity(8),
  worldIpv4: asIdentity(9),
  worldIpv6: asIdentity(10),
} as const;

/** The first cluster-global identity (cluster ID 0). */
export const MIN_CLUSTER_IDENTITY = 256;
/** Local-scope identities (CIDR, FQDN) have bit 24 set and never leave the node. */
export const LOCAL_SCOPE_BIT = 1 << 24;

const reserved = (...names: string[]): LabelSet => LabelSet.of(names.map((key) => ({ source: "reserved", key, value: "" })));

/** The labels of each reserved identity that can be a policy peer or subject. */
export const RESERVED_LABELS: ReadonlyMap<NumericIdentity, LabelSet> = new Map([
  [RESERVED.host, reserved("host")],
  [RESERVED.world, reserved("world")],
  [RESERVED.unmanaged, reserved("unmanaged")],
  [RESERVED.health, reserved("health")],
  [RESERVED.init, reserved("init")],
  [RESERVED.remoteNode, reserved("remote-node")],
  [RESERVED.kubeApiserver, reserved("kube-apiserver", "remote-node")],
  [RESERVED.ingress, reserved("ingress")],
  [RESERVED.worldIpv4, reserved("world-ipv4")],
  [RESERVED.worldIpv6, reserved("world-ipv6")],
]);

/** Cilium's name for a reserved identity (`reserved:host` → "host"). */
export function reservedName(id: NumericIdentity): string | undefined {
  for (const [name, n] of Object.entries(RESERVED)) if (n === id) return name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
  return undefined;
}

/** Whether `id` is a local-scope (CIDR/FQDN) identity. */
export function isLocalScope(id: NumericIdentity): boolean {
  return (id & LOCAL_SCOPE_BIT) !== 0;
}
