/** Finding a real node's uplinks. */
import { ok, type Result } from "@membrane/engine";
import { run, type CommandError } from "../exec.ts";

/**
 * The devices of `netns`'s routes through a gateway (the default route's, and those to other
 * nodes' pod ranges in native routing): where traffic from other nodes and the world arrives, as
 * Cilium detects its devices. A pod's /32 route has no gateway.
 */
export async function uplinks(netns: string | null): Promise<Result<readonly string[], CommandError>> {
  const r = await run("ip", [...(netns === null ? [] : ["-n", netns]), "-j", "-4", "route", "show"]);
  if (!r.ok) return r;
  const routes = JSON.parse(r.value) as { gateway?: string; dev?: string }[];
  return ok([...new Set(routes.flatMap((route) => (route.gateway !== undefined && route.dev !== undefined ? [route.dev] : [])))]);
}
