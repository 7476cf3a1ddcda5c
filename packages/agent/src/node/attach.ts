/** Attaching the datapath's programs to devices with tc. */
import { ok, type Result } from "@membrane/engine";
import type { Datapath } from "@membrane/datapath";
import { inNetns, run, type CommandError } from "../exec.ts";

/** Which pinned program runs on each tc hook of a device. */
export interface Hooks {
  readonly ingress?: ProgramName;
  readonly egress?: ProgramName;
}

type ProgramName = keyof Datapath["programs"];

/** The hooks of every device kind the agent attaches to. */
export const HOOKS = {
  /** A pod's host-side veth: what the pod sends, what it receives. */
  endpoint: { ingress: "fromContainer", egress: "toContainer" },
  /** The VXLAN device (tunnel routing): the VNI becomes the sender's identity. */
  overlay: { ingress: "fromOverlay" },
  /** The device ingress L7 redirects are bounced to. */
  proxy: { ingress: "toProxy" },
  /**
   * The node's uplink: replies to the egress proxy's connections (sent from the proxied pod's
   * address) reach the proxy; in tunnel routing, proxied connections to other nodes' pods go into
   * the tunnel.
   */
  netdev: { ingress: "fromNetdev", egress: "toNetdev" },
} as const satisfies Record<string, Hooks>;

/**
 * Attaches each device's programs in `netns` (null: this one) with tc (clsact; `replace` swaps
 * atomically), every device in one tc batch: a node's pods are one process, not one each.
 */
export function attach(
  datapath: Datapath,
  netns: string | null,
  devices: readonly (readonly [device: string, hooks: Hooks])[],
): Promise<Result<string, CommandError>> {
  const batch = devices.flatMap(([device, hooks]) => [
    `qdisc replace dev ${device} clsact`,
    ...(["ingress", "egress"] as const).flatMap((hook) => {
      const program = hooks[hook];
      return program === undefined
        ? []
        : [`filter replace dev ${device} ${hook} pref 1 handle 1 bpf da object-pinned ${datapath.programPin(program)}`];
    }),
  ]);
  return inNetns(netns, "tc", ["-b", "-"], batch.join("\n") + "\n");
}

/** The ifindex of every device in `netns` (null: this one), by name, from one `ip link` listing. */
export async function ifindexes(netns: string | null): Promise<Result<ReadonlyMap<string, number>, CommandError>> {
  const r = await run("ip", [...(netns === null ? [] : ["-n", netns]), "-j", "link", "show"]);
  if (!r.ok) return r;
  return ok(new Map((JSON.parse(r.value) as { ifname: string; ifindex: number }[]).map((l) => [l.ifname, l.ifindex])));
}
