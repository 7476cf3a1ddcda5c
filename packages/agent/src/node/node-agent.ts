/**
 * One node's agent: keeps the kernel maps of that node's datapath equal to what the engine
 * decided — the ipcache as the node sees it, each local endpoint's device record, and each local
 * endpoint's policy map — from a full sync at start, then from the engine's change sets. A map the
 * kernel refuses leaves that endpoint on its last good policy (PolicyMapWriter rolls back), and the
 * error says which endpoint; the map's fill level is reported before it runs out.
 */
import { formatIp, parseIp, type ChangeSet, type Engine, type EndpointInfo, type IpPrefix } from "@membrane/engine";
import {
  heldPolicyEpoch,
  writeDatapathConfig,
  EndpointMapWriter,
  IpcacheMapWriter,
  PolicyMapWriter,
  type Datapath,
  type DatapathConfig,
  type IpcacheMapError,
  type KernelError,
  type PolicyMapError,
} from "@membrane/datapath";

/** Something the kernel refused while the agent programmed it. */
export type AgentError =
  | { readonly kind: "policy"; readonly error: PolicyMapError }
  | { readonly kind: "ipcache"; readonly error: IpcacheMapError }
  | { readonly kind: "endpoint"; readonly endpoint: string; readonly error: KernelError }
  /** The datapath's settings (config map), or adopting the pinned maps. */
  | { readonly kind: "datapath"; readonly what: string; readonly error: KernelError };

/** How full the policy map is: entries held, capacity, and whether it is past the warning level. */
export interface MapPressure {
  readonly entries: number;
  readonly capacity: number;
  readonly high: boolean;
}

/** How a node agent runs. */
export interface NodeAgentOptions {
  /** The policy map's size (POLICY_MAP_SIZE), what pressure is measured against. */
  readonly policyCapacity: number;
  /** The VXLAN device's ifindex for tunnel routing; absent: native routing. */
  readonly tunnelIfindex?: number | undefined;
  /** The proxy device's ifindex (ingress L7 redirects are bounced there); absent: ingress redirects fail closed. */
  readonly proxyIfindex?: number | undefined;
  /** Events each CPU may send per second (default {@link DEFAULT_EVENTS_PER_SECOND}). */
  readonly eventsPerSecond?: number | undefined;
  /** The egress proxy's transparent upstream sockets get ports from PROXY_UPSTREAM_PORTS here (upstreamPortsHonoured). */
  readonly proxyUpstreamPorts?: boolean | undefined;
}

/** Enough for every new flow of a busy node; a drop flood beyond it is counted, not sent. */
export const DEFAULT_EVENTS_PER_SECOND = 50_000;

/** Warn at 90% (Cilium's policy map filling up is a known outage: cilium/cilium#28337). */
const PRESSURE_WARNING = 0.9;

/** How often and how long the agent has programmed the kernel from engine changes (Cilium's policy regeneration figures). */
export interface Regenerations {
  readonly count: number;
  readonly seconds: number;
}

export class NodeAgent {
  readonly #engine: Engine;
  readonly #node: string;
  readonly #policy: PolicyMapWriter;
  readonly #ipcache: IpcacheMapWriter;
  readonly #endpoints: EndpointMapWriter;
  readonly #capacity: number;
  /** Tunnel routing: other nodes' pods are reached through the VXLAN device. */
  readonly #tunnel: boolean;
  /** The loaded datapath; holding it keeps the object (and every map and program fd) alive as long as the agent. */
  readonly datapath: Datapath;
  /** Local endpoints: `namespace/pod` → the ifindex of its host-side device and its endpoint id. */
  readonly #local = new Map<string, { readonly ifindex: number; readonly epId: number }>();
  #nextId = 1;
  #regenerations = { count: 0, seconds: 0 };
  /** The engine's ipcache revision the kernel's ipcache was last synced to. */
  #ipcacheRevision: string | null = null;
  /** What the config map holds (its policy epoch is bumped after every change the agent makes). */
  #config: DatapathConfig = { eventsPerSecond: DEFAULT_EVENTS_PER_SECOND };

  private constructor(engine: Engine, nodeName: string, datapath: Datapath, options: NodeAgentOptions) {
    this.#engine = engine;
    this.#node = nodeName;
    this.#policy = new PolicyMapWriter(
      datapath.maps.policy,
      (ep) => this.#local.get(ep)?.epId ?? 0,
      // Only a deny can be audited: allows (nearly every entry) skip the endpoint lookup.
      (key, entry) => {
        const ep = entry.deny ? engine.endpoint(key) : undefined;
        return ep !== undefined && engine.entryAudited(ep, entry);
      },
    );
    this.#ipcache = new IpcacheMapWriter(datapath.maps.ipcache);
    this.#endpoints = new EndpointMapWriter(datapath.maps.endpoints);
    this.#capacity = options.policyCapacity;
    this.#tunnel = options.tunnelIfindex !== undefined;
    this.datapath = datapath;
  }

  /**
   * Starts the agent of a node whose endpoints sit behind the given devices. What the pinned maps
   * already hold is adopted first — an endpoint keeps the id it had, so a restarted or upgraded
   * agent rewrites identical entries and removes only stale ones: the maps are never emptied, no
   * allowed connection is cut and no denied packet passes in between. Then everything is synced.
   */
  static start(
    engine: Engine,
    nodeName: string,
    datapath: Datapath,
    options: NodeAgentOptions,
    endpoints: readonly { readonly key: string; readonly ifindex: number }[],
  ): { agent: NodeAgent; errors: AgentError[] } {
    const agent = new NodeAgent(engine, nodeName, datapath, options);
    const kernelError = (error: KernelError): AgentError => ({ kind: "datapath", what: "adopting the pinned maps", error });
    const held = agent.#endpoints.read();
    if (!held.ok) return { agent, errors: [kernelError(held.error)] };
    const wanted = new Set(endpoints.map((e) => e.ifindex));
    for (const ifindex of held.value.keys()) if (!wanted.has(ifindex)) agent.#endpoints.delete(ifindex);
    agent.#nextId = Math.max(0, ...held.value.values()) + 1;
    for (const e of endpoints) agent.#local.set(e.key, { ifindex: e.ifindex, epId: held.value.get(e.ifindex) ?? agent.#nextId++ });
    // The epoch goes on from what the pinned map holds (the sync below writes the next one): a
    // flow cached by the previous agent under its epoch is never taken as decided on these maps.
    agent.#config = {
      eventsPerSecond: options.eventsPerSecond ?? DEFAULT_EVENTS_PER_SECOND,
      tunnelIfindex: options.tunnelIfindex ?? 0,
      proxyIfindex: options.proxyIfindex ?? 0,
      policyEpoch: heldPolicyEpoch(datapath.maps.config),
      proxyUpstreamPorts: options.proxyUpstreamPorts ?? false,
    };
    const byId = new Map([...agent.#local].map(([key, l]) => [l.epId, key]));
    const adopted = [agent.#policy.adopt((id) => byId.get(id)), agent.#ipcache.adopt()];
    const errors = adopted.flatMap((r) => (r.ok ? [] : [kernelError(r.error)]));
    errors.push(...agent.sync());
    return { agent, errors };
  }

  get node(): string {
    return this.#node;
  }

  /** The endpoint id the datapath knows an endpoint by (undefined: not local). */
  endpointId(key: string): number | undefined {
    return this.#local.get(key)?.epId;
  }

  /** The local endpoint with a given endpoint id. */
  endpointById(epId: number): EndpointInfo | undefined {
    for (const [key, l] of this.#local) if (l.epId === epId) return this.#engine.endpoint(key);
    return undefined;
  }

  get pressure(): MapPressure {
    const entries = this.#policy.size;
    return { entries, capacity: this.#capacity, high: entries >= this.#capacity * PRESSURE_WARNING };
  }

  /** Programs everything from the engine's current state. */
  sync(): AgentError[] {
    const errors = this.#syncIpcache();
    for (const key of this.#local.keys()) errors.push(...this.#programEndpoint(key));
    return [...errors, ...this.#bumpEpoch()];
  }

  /**
   * After the maps changed: established flows decided on the old maps are decided again at their
   * next packet (the datapath caches a flow's verdict under the epoch it was reached in). Never 0,
   * which tells the datapath not to cache.
   */
  #bumpEpoch(): AgentError[] {
    const next = ((this.#config.policyEpoch ?? 0) + 1) >>> 0 || 1;
    this.#config = { ...this.#config, policyEpoch: next };
    const r = writeDatapathConfig(this.datapath.maps.config, this.#config);
    return r.ok ? [] : [{ kind: "datapath", what: "writing the datapath's settings", error: r.error }];
  }

  /** Engine changes applied so far, and the time spent programming the kernel for them. */
  get regenerations(): Regenerations {
    return { ...this.#regenerations };
  }

  /** Applies one change of the engine: the local endpoints' map changes, their records, and the ipcache. */
  apply(cs: ChangeSet): AgentError[] {
    const t0 = process.hrtime.bigint();
    const errors = this.#apply(cs);
    this.#regenerations.count++;
    this.#regenerations.seconds += Number(process.hrtime.bigint() - t0) / 1e9;
    return errors;
  }

  #apply(cs: ChangeSet): AgentError[] {
    const writes = this.#kernelWrites();
    const local = cs.changes.filter((c) => this.#local.has(c.endpoint));
    const errors: AgentError[] = this.#policy.apply(local).map((error) => ({ kind: "policy", error }));
    // Audit marks arrive as map changes too: a marked policy gives its entries new origins, a re-added pod gets all its entries again.
    for (const key of new Set(local.map((c) => c.endpoint))) errors.push(...this.#writeRecord(key));
    for (const key of cs.endpointsRemoved) this.#forget(key);
    errors.push(...this.#syncIpcache());
    // Only after the maps are written: a packet in between still finds the old epoch and looks up.
    // A pod or namespace given again re-sends entries and moves the engine's ipcache revision, but
    // the kernel holds the same: no new epoch, cached verdicts stay.
    if (this.#kernelWrites() !== writes || errors.length > 0) errors.push(...this.#bumpEpoch());
    return errors;
  }

  /**
   * Takes on an endpoint that appeared after start (a pod scheduled here later): its policy and
   * device record are written before its device runs a program (the caller attaches them after).
   */
  addEndpoint(key: string, ifindex: number): AgentError[] {
    if (this.#local.has(key)) return [];
    const writes = this.#kernelWrites();
    this.#local.set(key, { ifindex, epId: this.#nextId++ });
    const errors = this.#programEndpoint(key);
    if (this.#kernelWrites() !== writes || errors.length > 0) errors.push(...this.#bumpEpoch());
    return errors;
  }

  /** Writes and deletes made in the policy, endpoints and ipcache maps so far. */
  #kernelWrites(): number {
    return this.#policy.writes + this.#endpoints.writes + this.#ipcache.writes;
  }

  #syncIpcache(): AgentError[] {
    const revision = this.#engine.ipcacheRevision;
    if (revision === this.#ipcacheRevision) return [];
    const nodeIps = this.#tunnel ? this.#nodeIpv4s() : new Map<string, Uint8Array>();
    const records = this.#engine.ipcacheFrom(this.#node).map((r) => ({ ...r, tunnelEndpoint: this.#tunnelEndpoint(r.prefix, nodeIps) }));
    const errors = this.#ipcache.sync(records).map((error): AgentError => ({ kind: "ipcache", error }));
    // A refused prefix is retried at the next change.
    if (errors.length === 0) this.#ipcacheRevision = revision;
    return errors;
  }

  /** In tunnel mode, the address of the other node hosting a pod address (Cilium's ipcache tunnel endpoint). */
  #tunnelEndpoint(prefix: IpPrefix, nodeIps: ReadonlyMap<string, Uint8Array>): Uint8Array | undefined {
    if (!this.#tunnel || prefix.addr.family !== 4 || prefix.bits !== 32) return undefined;
    const ep = this.#engine.endpointByIp(formatIp(prefix.addr));
    if (ep === undefined || ep.pod.nodeName === null || ep.pod.nodeName === this.#node) return undefined;
    return nodeIps.get(ep.pod.nodeName);
  }

  /** Each node's first IPv4 address (the tunnel endpoint of its pods), once per sync. */
  #nodeIpv4s(): Map<string, Uint8Array> {
    const ips = new Map<string, Uint8Array>();
    for (const n of this.#engine.cluster.nodes) {
      const ip = n.addresses.map((a) => parseIp(a)).find((a) => a?.family === 4);
      if (ip !== undefined) ips.set(n.name, ip.bytes);
    }
    return ips;
  }

  #programEndpoint(key: string): AgentError[] {
    const ep = this.#engine.endpoint(key);
    if (ep === undefined) return [];
    const policy = this.#engine.policyOf(ep);
    const errors: AgentError[] = [];
    for (const direction of ["ingress", "egress"] as const) {
      const r = this.#policy.sync(key, direction, policy[direction].map.entries());
      if (!r.ok) errors.push({ kind: "policy", error: r.error });
    }
    errors.push(...this.#writeRecord(key));
    return errors;
  }

  #writeRecord(key: string): AgentError[] {
    const local = this.#local.get(key);
    const ep = this.#engine.endpoint(key);
    if (local === undefined || ep === undefined) return [];
    const policy = this.#engine.policyOf(ep);
    const r = this.#endpoints.upsert(local.ifindex, {
      epId: local.epId,
      identity: ep.identity.id,
      ingressEnforced: policy.ingress.enforcement.kind !== "not-enforced",
      egressEnforced: policy.egress.enforcement.kind !== "not-enforced",
      ingressAudit: this.#engine.defaultDenyAudited(ep, "ingress"),
      egressAudit: this.#engine.defaultDenyAudited(ep, "egress"),
      addresses: ep.pod.ips.flatMap((ip) => parseIp(ip) ?? []),
    });
    return r.ok ? [] : [{ kind: "endpoint", endpoint: key, error: r.error }];
  }

  /** A deleted pod: its device record goes (the device then drops everything); its policy keys went with its change set. */
  #forget(key: string): void {
    const local = this.#local.get(key);
    if (local === undefined) return;
    this.#endpoints.delete(local.ifindex);
    this.#local.delete(key);
  }
}
