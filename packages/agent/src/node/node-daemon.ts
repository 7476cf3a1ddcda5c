/**
 * `membrane agent --node NAME`: the agent of the node this process runs on. The cluster's pods
 * whose `spec.nodeName` is NAME are its endpoints; each one's host-side device is the one the
 * node routes its address through (as a CNI plugin such as Cilium's sets up: a veth and a /32
 * route). The datapath is loaded with its maps and programs pinned under one folder
 * (/sys/fs/bpf/membrane by default), reused across restarts and upgrades; the proxies listen in
 * this namespace. Stopping the agent leaves the programs and maps in place, so the kernel keeps
 * enforcing the last policy until the next agent adopts them (Cilium's agent restarts the same way).
 */
import { err, ok, parseIp, type ChangeSet, type Engine, type EndpointInfo, type ProxyRecord, type Result } from "@membrane/engine";
import type { AgentError } from "./node-agent.ts";
import type { DatapathEvent } from "@membrane/datapath";
import { ipBatch, run, sysctls } from "../exec.ts";
import { attach, HOOKS, ifindexes } from "./attach.ts";
import { NODE_SYSCTLS, PROXY_DEVICE, PROXY_DEVICE_LINKS, PROXY_ROUTING, PROXY_RULE_DELETE } from "./devices.ts";
import { NodeGroup, type Enforcement, type EnforcingNode } from "./node-group.ts";
import { watchRoutes } from "./route-watch.ts";
import { uplinks } from "./uplinks.ts";
import type { NodeStartError } from "./start-node.ts";

/** Where a node's datapath is pinned unless told otherwise. */
export const DEFAULT_PIN_DIR = "/sys/fs/bpf/membrane";

export interface DaemonOptions {
  readonly pinDir: string;
  /** The policy map's capacity (the datapath's POLICY_MAP_SIZE). */
  readonly policyCapacity: number;
  /** Where the agent says which pods it took on after start (a line each). */
  readonly log?: (line: string) => void;
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

/** An endpoint's device: the one its IPv4 address is routed through. */
function deviceFor(ep: EndpointInfo): Promise<Result<string, string>> {
  const ip = ep.pod.ips.find((a) => parseIp(a)?.family === 4);
  return ip === undefined ? Promise.resolve(err("no IPv4 address (the datapath's endpoints are IPv4 here)")) : deviceOf(ip);
}

export class NodeDaemon implements Enforcement {
  readonly #group: NodeGroup;
  readonly #engine: Engine;
  readonly #nodeName: string;
  readonly #log: (line: string) => void;
  /** Each enforced pod's device, by pod key. */
  readonly #endpoints: Map<string, string>;
  /** Each pod of this node left out, and why. */
  readonly #skipped: Map<string, string>;
  /** Pods being taken on (their devices looked up and attached). */
  readonly #pending = new Set<string>();
  /** Pods asked for again while being taken on: the routes read may predate the change that asked. */
  readonly #again = new Set<string>();
  /** The devices from_netdev is attached to (replies to the egress proxy's connections come in there). */
  readonly #uplinks: Set<string>;
  readonly #stopWatching: () => void;
  #stopped = false;

  private constructor(
    group: NodeGroup,
    engine: Engine,
    nodeName: string,
    log: (line: string) => void,
    endpoints: Map<string, string>,
    skipped: Map<string, string>,
    uplinkDevices: readonly string[],
  ) {
    this.#group = group;
    this.#engine = engine;
    this.#nodeName = nodeName;
    this.#log = log;
    this.#endpoints = endpoints;
    this.#skipped = skipped;
    this.#uplinks = new Set(uplinkDevices);
    // A pod left out for want of a routed device is tried again once the routes change, and once
    // now: a route may have come while the agent started. A new gateway route's device becomes an uplink.
    this.#stopWatching = watchRoutes(
      () => {
        this.#retry([]);
        this.#followUplinks().catch((e: unknown) => log(`  uplinks: ${String(e)}`));
      },
      (why) => log(`  route watch ended (${why}): left-out pods are tried again only at manifest changes`),
    );
    this.#retry([]);
  }

  /** Each enforced pod and its device. */
  get endpoints(): readonly { readonly key: string; readonly device: string }[] {
    return [...this.#endpoints].map(([key, device]) => ({ key, device }));
  }

  /** The pods of this node left out (no device), and why. */
  get skipped(): readonly SkippedEndpoint[] {
    return [...this.#skipped].map(([key, why]) => ({ key, why }));
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
    const endpoints = new Map<string, string>();
    const skipped = new Map<string, string>();
    for (const ep of engine.endpoints()) {
      if (ep.pod.nodeName !== nodeName) continue;
      const device = await deviceFor(ep);
      if (device.ok) endpoints.set(ep.key, device.value);
      else skipped.set(ep.key, device.error);
    }
    const found = await uplinks(new Set(endpoints.values()));
    if (!found.ok) return err({ kind: "command", message: `${found.error.command}: ${found.error.message}` });
    const group = new NodeGroup(engine);
    const node = await group.add({
      name: nodeName,
      netns: null,
      endpoints: [...endpoints].map(([key, device]) => ({ key, device })),
      pinDir: options.pinDir,
      policyCapacity: options.policyCapacity,
      tunnel: false,
      uplinks: found.value,
    });
    if (!node.ok) {
      await group.stop();
      return node;
    }
    return ok(new NodeDaemon(group, engine, nodeName, options.log ?? (() => {}), endpoints, skipped, found.value));
  }

  /**
   * Applies an engine change. Pods of this node that came with it, and those left out so far (their
   * devices may be routed by now; a route change tries them too), are taken on once their devices
   * are found: maps first, then the device's programs. A deleted pod's record goes with its change set (its device, if still
   * there, then drops everything).
   */
  apply(cs: ChangeSet): AgentError[] {
    const errors = this.#group.apply(cs);
    for (const key of cs.endpointsRemoved) {
      this.#endpoints.delete(key);
      this.#skipped.delete(key);
    }
    this.#retry(cs.endpointsAdded);
    return errors;
  }

  /** Attaches the netdev programs to a device that became an uplink (one that stops being one keeps them: harmless). */
  async #followUplinks(): Promise<void> {
    const found = await uplinks(new Set(this.#endpoints.values()));
    const node = this.#group.nodes[0];
    if (!found.ok || node === undefined || this.#stopped) return;
    for (const device of found.value) {
      if (this.#uplinks.has(device)) continue;
      this.#uplinks.add(device);
      const attached = await attach(node.agent.datapath, null, [[device, HOOKS.netdev]]);
      this.#log(attached.ok ? `  uplink ${device}` : `  uplink ${device}: not attached (${attached.error.message})`);
      if (!attached.ok) this.#uplinks.delete(device);
    }
  }

  /** Takes on `added` pods and tries every left-out one again. */
  #retry(added: readonly string[]): void {
    for (const key of new Set([...added, ...this.#skipped.keys()])) this.#takeOnLater(key);
  }

  #takeOnLater(key: string): void {
    if (this.#stopped) return;
    this.#takeOn(key).catch((e: unknown) => this.#leaveOut(key, String(e)));
  }

  async #takeOn(key: string): Promise<void> {
    const ep = this.#engine.endpoint(key);
    const node = this.#group.nodes[0];
    if (ep === undefined || ep.pod.nodeName !== this.#nodeName || node === undefined) return;
    if (this.#endpoints.has(key)) return;
    if (this.#pending.has(key)) {
      this.#again.add(key);
      return;
    }
    this.#pending.add(key);
    try {
      const device = await deviceFor(ep);
      if (!device.ok) return this.#leaveOut(key, device.error);
      const links = await ifindexes(null);
      if (!links.ok) return this.#leaveOut(key, links.error.message);
      const ifindex = links.value.get(device.value);
      if (ifindex === undefined) return this.#leaveOut(key, `no device ${device.value}`);
      // Idempotent: a pod whose attach failed before keeps its endpoint id.
      const errors = node.agent.addEndpoint(key, ifindex);
      if (errors.length > 0) return this.#leaveOut(key, JSON.stringify(errors));
      const attached = await attach(node.agent.datapath, null, [[device.value, HOOKS.endpoint]]);
      if (!attached.ok) return this.#leaveOut(key, attached.error.message);
      this.#skipped.delete(key);
      this.#endpoints.set(key, device.value);
      this.#log(`  pod ${key}: ${device.value}`);
    } finally {
      this.#pending.delete(key);
      if (this.#again.delete(key)) this.#takeOnLater(key);
    }
  }

  /** Says a pod is left out, once per reason. */
  #leaveOut(key: string, why: string): void {
    if (this.#skipped.get(key) === why) return;
    this.#skipped.set(key, why);
    this.#log(`  pod ${key}: not enforced (${why})`);
  }

  onEvent(listener: (node: string, e: DatapathEvent) => void): () => void {
    return this.#group.onEvent(listener);
  }

  onProxyRecord(listener: (r: ProxyRecord) => void): () => void {
    return this.#group.onProxyRecord(listener);
  }

  /** Stops the agent; the kernel keeps enforcing with the pinned maps and attached programs. */
  stop(): Promise<void> {
    this.#stopped = true;
    this.#stopWatching();
    return this.#group.stop();
  }
}
