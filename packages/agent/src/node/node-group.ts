/**
 * The nodes whose kernels enforce one engine's policy on this machine — a lab's, or the one real
 * node of `membrane agent --node` — with what they share: every node's datapath events and proxy
 * records fanned out to listeners, DNS answers a proxy learned applied to every node before the
 * client gets them, and garbage collection of conntrack and expired DNS answers.
 */
import { err, ok, type ChangeSet, type Engine, type ProxyRecord, type Result } from "@membrane/engine";
import { collectConntrack, decodeEvent, type DatapathEvent } from "@membrane/datapath";
import type { LearnedAnswer } from "@membrane/proxy";
import { netnsPath } from "../exec.ts";
import { NodeProxies } from "../proxy/node-proxies.ts";
import type { AgentError, NodeAgent } from "./node-agent.ts";
import { startNode, type NodeSetup, type NodeStartError, type StartedNode } from "./start-node.ts";
import type { RingReader } from "@membrane/datapath";

/** How often expired conntrack entries are collected (Cilium's GC interval adapts; 30 s is its usual floor). */
const CT_GC_INTERVAL_MS = 30_000;

/** The DNS cache's clock: seconds. */
const nowSeconds = (): number => Math.floor(Date.now() / 1000);

/** One node enforcing: its agent over its kernel maps, its event ring and its L7 proxies. */
export interface EnforcingNode {
  readonly name: string;
  readonly agent: NodeAgent;
  readonly ring: RingReader;
  /** The node's L7 proxies (they outlive agent restarts, as Cilium's Envoy does). */
  readonly proxies: NodeProxies;
}

/** What the agent's command line drives, whatever runs the nodes (the lab or a real node). */
export interface Enforcement {
  readonly nodes: readonly EnforcingNode[];
  /** Applies an engine change to every node's kernel; what a kernel refused. */
  apply(cs: ChangeSet): AgentError[];
  onEvent(listener: (node: string, e: DatapathEvent) => void): () => void;
  onProxyRecord(listener: (r: ProxyRecord) => void): () => void;
  stop(): Promise<void>;
}

/** A started node's notices, a line each, as the agent's other failures are told. */
function announce(node: string, started: StartedNode): void {
  for (const n of started.notices) process.stderr.write(`membrane: ${node}: ${n}\n`);
}

export class NodeGroup {
  readonly #engine: Engine;
  readonly #nodes: EnforcingNode[] = [];
  readonly #listeners = new Set<(node: string, e: DatapathEvent) => void>();
  readonly #records = new Set<(r: ProxyRecord) => void>();
  readonly #gc: NodeJS.Timeout;

  constructor(engine: Engine) {
    this.#engine = engine;
    this.#gc = setInterval(() => this.collectGarbage(), CT_GC_INTERVAL_MS).unref();
  }

  get nodes(): readonly EnforcingNode[] {
    return this.#nodes;
  }

  /** Starts a node's datapath, agent and proxies, and joins it to the group. */
  async add(setup: NodeSetup): Promise<Result<EnforcingNode, NodeStartError>> {
    const started = await startNode(this.#engine, setup);
    if (!started.ok) return started;
    announce(setup.name, started.value);
    const proxies = await NodeProxies.start(
      this.#engine,
      setup.name,
      setup.netns === null ? null : netnsPath(setup.netns),
      started.value.agent.datapath.maps,
      {
        onRecord: (r) => {
          for (const l of this.#records) l(r);
        },
        onDnsAnswer: (a: LearnedAnswer) => this.#applyLearned(this.#engine.learnDnsAnswer(a.name, a.ips, a.ttlSeconds, nowSeconds())),
        // Malformed frames, upstream failures: worth a line, as the agent's other failures are.
        onError: (m) => process.stderr.write(`membrane: ${setup.name}: ${m}\n`),
      },
    );
    if (!proxies.ok) {
      started.value.ring.watch(null);
      return err({ kind: "command", message: proxies.error });
    }
    const node = { name: setup.name, ...started.value, proxies: proxies.value };
    this.#nodes.push(node);
    this.#watch(node);
    return ok(node);
  }

  /** Puts a restarted agent (and its ring) in place of node `i`'s; its proxies stay. */
  replace(i: number, started: StartedNode): void {
    const old = this.#nodes[i]!;
    announce(old.name, started);
    old.ring.watch(null);
    this.#nodes[i] = { ...old, ...started };
    this.#watch(this.#nodes[i]!);
  }

  #watch(n: EnforcingNode): void {
    n.ring.watch((samples) => {
      for (const s of samples) {
        const e = decodeEvent(s);
        if (e !== undefined) for (const l of this.#listeners) l(n.name, e);
      }
    });
  }

  /** Applies an engine change to every node's kernel; what a kernel refused. */
  apply(cs: ChangeSet): AgentError[] {
    return this.#nodes.flatMap((n) => n.agent.apply(cs));
  }

  /** Applies a change learned at run time (DNS answers, their expiry); what a kernel refuses is logged (the wire will disagree). */
  #applyLearned(cs: ChangeSet): void {
    for (const e of this.apply(cs)) process.stderr.write(`membrane: a kernel refused a learned change: ${JSON.stringify(e)}\n`);
  }

  /**
   * Collects expired conntrack entries, then expired DNS answers (Cilium's DNS GC): an expired
   * answer still used by a live connection stays (Cilium's zombie) until the connection ends; the
   * others close what they opened. `now` is the DNS cache's clock (seconds).
   */
  collectGarbage(now = nowSeconds()): void {
    const live = new Set<string>();
    for (const n of this.#nodes) {
      const gc = collectConntrack(n.agent.datapath.maps.conntrack);
      if (gc.ok) for (const ip of gc.value.liveDestinations) live.add(ip);
    }
    this.#applyLearned(this.#engine.expireDns(now, live));
  }

  /** Hears every datapath event of every node; returns a function that stops listening. */
  onEvent(listener: (node: string, e: DatapathEvent) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Hears every L7 record of every node's proxies; returns a function that stops listening. */
  onProxyRecord(listener: (r: ProxyRecord) => void): () => void {
    this.#records.add(listener);
    return () => this.#records.delete(listener);
  }

  /** Stops collecting, watching and proxying (the kernel programs stay: the datapath keeps enforcing). */
  async stop(): Promise<void> {
    clearInterval(this.#gc);
    for (const n of this.#nodes) n.ring.watch(null);
    await Promise.all(this.#nodes.map((n) => n.proxies.stop()));
  }
}
