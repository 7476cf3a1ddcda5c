/**
 * `membrane agent --node NAME`: the agent of the node this process runs on. The cluster's pods
 * whose `spec.nodeName` is NAME are its endpoints; each one's host-side device is the one the
 * node routes its address through (as a CNI plugin such as Cilium's sets up: a veth and a /32
 * route). The datapath is loaded with its maps and programs pinned under one folder
 * (/sys/fs/bpf/membrane by default), reused across restarts and upgrades; the proxies listen in
 * this namespace. Stopping the agent leaves the programs and maps in place, so the kernel keeps
 * enforcing the last policy until the next agent adopts them (Cilium's agent restarts the same way).
 */
import { err, ok, parseIp, type ChangeSet, type Engine, type ProxyRecord, type Result } from "@membrane/engine";
import type { AgentError } from "./node-agent.ts";
import type { DatapathEvent } from "@membrane/datapath";
import { ipBatch, run, sysctls } from "../exec.ts";
import { ifindexes } from "./attach.ts";
import { NODE_SYSCTLS, PROXY_DEVICE, PROXY_DEVICE_LINKS, PROXY_ROUTING, PROXY_RULE_DELETE } from "./devices.ts";
import { NodeGroup, type Enforcement, type EnforcingNode } from "./node-group.ts";
import type { NodeStartError } from "./start-node.ts";

/** Where a node's datapath is pinned unless told otherwise. */
export const DEFAULT_PIN_DIR = "/sys/fs/bpf/membrane";

export interface DaemonOptions {
  readonly pinDir: string;
  /** The policy map's capacity (the datapath's POLICY_MAP_SIZE). */
  readonly policyCapacity: number;
}

/** A pod of this node the agent cannot enforce for, and why. */
export interface SkippedEndpoint {
  readonly key: string;
  readonly why: string;
}

/** The device this node routes `ip` through, when it is a local one (no gateway): the endpoint's veth. */
async function deviceOf(ip: string): Promise<Result<string, string>> {
  const r = await run("ip", ["-j", "route", "get", ip]);
  if (!r.ok) return err(`${ip} is not routed to a local device of this node (${r.error.message.replace(/^RTNETLINK answers: /, "")})`);
  const [route] = JSON.parse(r.value) as { dev?: string; gateway?: string; type?: string }[];
  if (route?.dev === undefined || route.gateway !== undefined || route.type === "local" || route.dev === "lo")
    return err(`${ip} is not routed to a local device of this node`);
  return ok(route.dev);
}

export class NodeDaemon implements Enforcement {
  readonly #group: NodeGroup;
  /** The pods of this node left out (no device), as found at start. */
  readonly skipped: readonly SkippedEndpoint[];
  /** Each enforced pod and its device. */
  readonly endpoints: readonly { readonly key: string; readonly device: string }[];

  private constructor(group: NodeGroup, endpoints: NodeDaemon["endpoints"], skipped: readonly SkippedEndpoint[]) {
    this.#group = group;
    this.endpoints = endpoints;
    this.skipped = skipped;
  }

  get nodes(): readonly EnforcingNode[] {
    return this.#group.nodes;
  }

  /** Sets up this node's proxy plumbing, finds its pods' devices, and starts enforcing. */
  static async start(engine: Engine, nodeName: string, options: DaemonOptions): Promise<Result<NodeDaemon, NodeStartError>> {
    const settings = await sysctls(null, NODE_SYSCTLS);
    if (!settings.ok) return err({ kind: "command", message: `${settings.error.command}: ${settings.error.message}` });
    // Idempotent across restarts: the rule is removed before it is added; the device is kept.
    await ipBatch(null, [PROXY_RULE_DELETE]);
    const links = await ifindexes(null);
    const hasDevice = links.ok && links.value.has(PROXY_DEVICE);
    const plumbing = await ipBatch(null, [...PROXY_ROUTING, ...(hasDevice ? [] : PROXY_DEVICE_LINKS)]);
    if (!plumbing.ok) return err({ kind: "command", message: `${plumbing.error.command}: ${plumbing.error.message}` });
    const endpoints: { key: string; device: string }[] = [];
    const skipped: SkippedEndpoint[] = [];
    for (const ep of engine.endpoints()) {
      if (ep.pod.nodeName !== nodeName) continue;
      const ip = ep.pod.ips.find((a) => parseIp(a)?.family === 4);
      const device = ip === undefined ? err("no IPv4 address (the datapath's endpoints are IPv4 here)") : await deviceOf(ip);
      if (device.ok) endpoints.push({ key: ep.key, device: device.value });
      else skipped.push({ key: ep.key, why: device.error });
    }
    const group = new NodeGroup(engine);
    const node = await group.add({
      name: nodeName,
      netns: null,
      endpoints,
      pinDir: options.pinDir,
      policyCapacity: options.policyCapacity,
      tunnel: null,
    });
    if (!node.ok) {
      await group.stop();
      return node;
    }
    return ok(new NodeDaemon(group, endpoints, skipped));
  }

  apply(cs: ChangeSet): AgentError[] {
    return this.#group.apply(cs);
  }

  onEvent(listener: (node: string, e: DatapathEvent) => void): () => void {
    return this.#group.onEvent(listener);
  }

  onProxyRecord(listener: (r: ProxyRecord) => void): () => void {
    return this.#group.onProxyRecord(listener);
  }

  /** Stops the agent; the kernel keeps enforcing with the pinned maps and attached programs. */
  stop(): Promise<void> {
    return this.#group.stop();
  }
}
