/**
 * Bringing up one node's enforcement: its datapath loaded (maps reused when pinned already), its
 * agent started on the endpoints' devices (maps synced before any program runs), the programs
 * attached, and its event ring opened. Shared by the lab's nodes and `membrane agent --node`.
 */
import { err, ok, type Engine, type Result } from "@membrane/engine";
import { loadDatapath, openRing, retireEarlierConntrack, upstreamPortsHonoured, type RingReader } from "@membrane/datapath";
import { attach, HOOKS, ifindexes, type Hooks } from "./attach.ts";
import { PROXY_DEVICE, VXLAN_DEVICE } from "./devices.ts";
import { NodeAgent, type AgentError } from "./node-agent.ts";
import { netnsPath } from "../exec.ts";

/** What a node is made of, as the datapath sees it. */
export interface NodeSetup {
  readonly name: string;
  /** Its network namespace, by name; null: this process's own (a real node). */
  readonly netns: string | null;
  /** Each local endpoint (`namespace/pod`) and its host-side device. */
  readonly endpoints: readonly { readonly key: string; readonly device: string }[];
  /** Where the datapath's maps and programs are pinned. */
  readonly pinDir: string;
  readonly policyCapacity: number;
  /** Tunnel routing: the VXLAN device gets its program too. */
  readonly tunnel: boolean;
  /** The devices other nodes' and the world's traffic arrives on (the proxies' replies come back there). */
  readonly uplinks: readonly string[];
}

export type NodeStartError =
  { readonly kind: "command"; readonly message: string } | { readonly kind: "agent"; readonly errors: readonly AgentError[] };

/** A node whose kernel enforces the engine's policy. */
export interface StartedNode {
  readonly agent: NodeAgent;
  readonly ring: RingReader;
  /** What starting did that an operator should hear of (the datapath's load notices). */
  readonly notices: readonly string[];
}

const commandError = (e: { readonly command: string; readonly message: string }): NodeStartError => ({
  kind: "command",
  message: `${e.command}: ${e.message}`,
});

export async function startNode(engine: Engine, setup: NodeSetup): Promise<Result<StartedNode, NodeStartError>> {
  const dp = await loadDatapath({ pinDir: setup.pinDir, defines: { POLICY_MAP_SIZE: setup.policyCapacity, CT_MAP_SIZE: 65536 } });
  if (!dp.ok) return err({ kind: "command", message: `loading the datapath: ${dp.error.message}` });
  const links = await ifindexes(setup.netns);
  if (!links.ok) return err(commandError(links.error));
  const ifindexOf = (device: string): Result<number, NodeStartError> => {
    const ifindex = links.value.get(device);
    return ifindex === undefined ? err({ kind: "command", message: `${setup.name}: no device ${device}` }) : ok(ifindex);
  };
  const endpoints: { key: string; ifindex: number }[] = [];
  for (const e of setup.endpoints) {
    const ifindex = ifindexOf(e.device);
    if (!ifindex.ok) return ifindex;
    endpoints.push({ key: e.key, ifindex: ifindex.value });
  }
  let tunnelIfindex: number | undefined;
  if (setup.tunnel) {
    const vxlan = ifindexOf(VXLAN_DEVICE);
    if (!vxlan.ok) return vxlan;
    tunnelIfindex = vxlan.value;
  }
  const proxyIfindex = ifindexOf(PROXY_DEVICE);
  if (!proxyIfindex.ok) return proxyIfindex;
  // The maps first, then the programs: a device never runs a program against maps not yet synced.
  const { agent, errors } = NodeAgent.start(
    engine,
    setup.name,
    dp.value,
    {
      policyCapacity: setup.policyCapacity,
      tunnelIfindex,
      proxyIfindex: proxyIfindex.value,
      proxyUpstreamPorts: upstreamPortsHonoured(setup.netns === null ? null : netnsPath(setup.netns)),
    },
    endpoints,
  );
  if (errors.length > 0) return err({ kind: "agent", errors });
  const devices: [string, Hooks][] = [
    [PROXY_DEVICE, HOOKS.proxy],
    ...(setup.tunnel ? [[VXLAN_DEVICE, HOOKS.overlay] as [string, Hooks]] : []),
    ...setup.uplinks.map((d): [string, Hooks] => [d, HOOKS.netdev]),
    ...setup.endpoints.map((e): [string, Hooks] => [e.device, HOOKS.endpoint]),
  ];
  const attached = await attach(dp.value, setup.netns, devices);
  if (!attached.ok) return err(commandError(attached.error));
  // The earlier programs are gone from every device: what they tracked until now is final.
  const retired = retireEarlierConntrack(setup.pinDir, dp.value.maps.conntrack);
  const notices = retired.ok
    ? dp.value.notices
    : [...dp.value.notices, `conntrack: the earlier layout's pin not retired (${retired.error.message})`];
  const ring = openRing(dp.value.maps.events);
  if (!ring.ok) return err({ kind: "command", message: ring.error.message });
  return ok({ agent, ring: ring.value, notices });
}
