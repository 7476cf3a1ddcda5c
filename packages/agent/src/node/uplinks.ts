/** Finding a real node's uplinks. */
import { ok, type Result } from "@membrane/engine";
import { run, type CommandError } from "../exec.ts";

/**
 * The devices of this namespace's routes through a gateway (the default route's, and those to other
 * nodes' pod ranges in native routing, multipath ones included): where traffic from other nodes
 * and the world arrives, as Cilium detects its devices. A pod's /32 route has no gateway; a pod's
 * device (`podDevices`) is never one, whatever its routes: it keeps its own programs. `agent
 * --node` asks at start and again whenever its routes change.
 */
export async function uplinks(podDevices: ReadonlySet<string>): Promise<Result<readonly string[], CommandError>> {
  const r = await run("ip", ["-j", "-4", "route", "show"]);
  if (!r.ok) return r;
  type Hop = { gateway?: string; dev?: string };
  const routes = JSON.parse(r.value) as (Hop & { nexthops?: Hop[] })[];
  // A multipath route lists its gateways and devices as next hops.
  const hops = routes.flatMap((route) => [route, ...(route.nexthops ?? [])]);
  const devices = hops.flatMap((h) => (h.gateway !== undefined && h.dev !== undefined && !podDevices.has(h.dev) ? [h.dev] : []));
  return ok([...new Set(devices)]);
}
