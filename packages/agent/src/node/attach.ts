/** Attaching the endpoint programs to a device with tc (clsact; `replace` swaps programs atomically). */
import { err, ok, type Result } from "@membrane/engine";
import type { Datapath } from "@membrane/datapath";
import { inNetns, run, type CommandError } from "../lab/exec.ts";

/** Attaches from_container (device ingress) and to_container (device egress) to `device` in `netns`. */
export function attachEndpoint(datapath: Datapath, netns: string, device: string): Promise<Result<string, CommandError>> {
  const batch = [
    `qdisc replace dev ${device} clsact`,
    `filter replace dev ${device} ingress pref 1 handle 1 bpf da object-pinned ${datapath.programPin("fromContainer")}`,
    `filter replace dev ${device} egress pref 1 handle 1 bpf da object-pinned ${datapath.programPin("toContainer")}`,
  ];
  return inNetns(netns, "tc", ["-b", "-"], batch.join("\n") + "\n");
}

/** Attaches from_overlay to the ingress of the node's VXLAN device (tunnel routing). */
export function attachOverlay(datapath: Datapath, netns: string, device: string): Promise<Result<string, CommandError>> {
  const batch = [
    `qdisc replace dev ${device} clsact`,
    `filter replace dev ${device} ingress pref 1 handle 1 bpf da object-pinned ${datapath.programPin("fromOverlay")}`,
  ];
  return inNetns(netns, "tc", ["-b", "-"], batch.join("\n") + "\n");
}

/** The ifindex of `device` in `netns`. */
export async function ifindexOf(netns: string, device: string): Promise<Result<number, CommandError>> {
  const r = await run("ip", ["-n", netns, "-j", "link", "show", "dev", device]);
  if (!r.ok) return r;
  const [link] = JSON.parse(r.value) as { ifindex: number }[];
  return link === undefined ? err({ command: `ip link show dev ${device}`, message: "no such device" }) : ok(link.ifindex);
}
