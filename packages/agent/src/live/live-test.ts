/**
 * `membrane test --live`: the ConnectivityTest cases as real traffic in a lab. Each case is decided
 * twice — by the engine, as `membrane test` does, and on the wire — and fails on its own when the
 * two disagree, whatever was expected. A drop is known at once from the datapath's drop event for
 * the flow; otherwise a connection has until the timeout.
 */
import {
  decide,
  formatPeerRef,
  KAFKA_API_KEYS,
  PROTO,
  runTests,
  type CaseResult,
  type ConnectivityTest,
  type Engine,
  type FlowPeerRef,
  type TestCase,
} from "@membrane/engine";
import { dropReasonName, type DatapathEvent } from "@membrane/datapath";
import { KAFKA_SAMPLE_VERSIONS, kafkaSampleRequest } from "@membrane/proxy";
import type { Lab } from "../lab/lab.ts";
import type { ConnectProtocol, PodHandle, Exchange } from "../lab/pod-handle.ts";
import { L7_DENIED } from "../lab/pod-protocol.ts";
import { labNodeOf } from "../lab/plan.ts";

export interface LiveOptions {
  readonly timeoutMs: number;
  readonly concurrency: number;
}

export const DEFAULT_LIVE_OPTIONS: LiveOptions = { timeoutMs: 2000, concurrency: 8 };

/** Where a peer lives in the lab: the process that plays it and its address. */
interface Place {
  readonly runtime: PodHandle;
  readonly ip: string;
  /** Set for world addresses: the fabric sends from this address. */
  readonly source?: string;
}

/** A case that can run on the wire, or why it cannot. */
type Runnable =
  | {
      readonly kind: "run";
      readonly from: Place;
      readonly to: Place;
      readonly port: number;
      readonly protocol: ConnectProtocol;
      /** The L7 request the case makes, if any; whether the flow goes to a proxy. */
      readonly l7: Exchange | null;
      readonly redirected: boolean;
      /** An FQDN destination: the cluster DNS the source asks for the name first. */
      readonly resolve: { readonly server: Place; readonly port: number; readonly name: string; readonly ip: string } | null;
    }
  | { readonly kind: "skip"; readonly why: string };

type Run = Extract<Runnable, { kind: "run" }>;

/** The case's L7 request as the pod's client sends it, or why it cannot be sent yet. */
function exchangeOf(c: TestCase): Exchange | null | string {
  const l7 = c.l7;
  if (l7 === null) return null;
  switch (l7.kind) {
    case "http":
      return { kind: "http", method: l7.method, path: l7.path, headers: [...l7.headers], host: l7.host };
    case "kafka": {
      const apiKey = KAFKA_API_KEYS.get(l7.apiKey.toLowerCase()) ?? (/^\d+$/.test(l7.apiKey) ? Number(l7.apiKey) : undefined);
      const request = apiKey === undefined || l7.topic === null ? null : kafkaSampleRequest(apiKey, l7.topic, l7.clientID);
      if (apiKey === undefined || request === null)
        return `Kafka ${l7.apiKey} requests without a topic, or of other API keys than produce, fetch and metadata, are not run live yet`;
      if (l7.apiVersion !== null && l7.apiVersion !== KAFKA_SAMPLE_VERSIONS.get(apiKey))
        return `the lab's Kafka client speaks ${l7.apiKey} v${KAFKA_SAMPLE_VERSIONS.get(apiKey)}, not v${l7.apiVersion}`;
      return { kind: "kafka", request: Buffer.from(request).toString("base64") };
    }
    case "dns":
      return c.protocol === "UDP" || c.protocol === "TCP"
        ? { kind: "dns", name: l7.query, l4Only: false }
        : `DNS over ${c.protocol} is not run live`;
    case "tls":
      return { kind: "tls", serverName: l7.serverName };
    case "grpc":
      return { kind: "grpc", path: `/${l7.service}/${l7.method}` };
  }
}

/** The cluster DNS a source asks (kube-system/kube-dns, through the engine's choice of backend), or why there is none. */
function clusterDns(lab: Lab, engine: Engine, from: FlowPeerRef): { server: Place; port: number } | string {
  const v = decide(engine, { from, to: { kind: "service", namespace: "kube-system", name: "kube-dns" }, port: 53, protocol: "UDP" });
  if (!v.ok || v.value.note !== null || v.value.destination.ip === null) return "no cluster DNS (kube-system/kube-dns) to ask";
  const server = place(lab, engine, { kind: "ip", ip: v.value.destination.ip });
  return typeof server === "string" ? server : { server, port: v.value.port };
}

const isServiceIp = (engine: Engine, ip: string): boolean => engine.cluster.services.some((s) => s.clusterIPs.includes(ip));

/** Every world address the cases talk to or from (the fabric hosts them). */
export function worldIpsOf(engine: Engine, tests: readonly ConnectivityTest[]): string[] {
  const ips = new Set<string>();
  const isWorld = (r: FlowPeerRef): r is Extract<FlowPeerRef, { kind: "ip" | "fqdn" }> =>
    (r.kind === "ip" || r.kind === "fqdn") &&
    engine.endpointByIp(r.ip) === undefined &&
    !engine.cluster.nodes.some((n) => n.addresses.includes(r.ip)) &&
    !isServiceIp(engine, r.ip);
  for (const t of tests) for (const c of t.cases) for (const r of [c.from, c.to]) if (isWorld(r)) ips.add(r.ip);
  // Backends of services without selectors are addresses outside the cluster.
  for (const svc of engine.cluster.services)
    for (const ip of svc.endpointAddresses) if (svc.selector === null && isWorld({ kind: "ip", ip })) ips.add(ip);
  return [...ips];
}

function place(lab: Lab, engine: Engine, r: FlowPeerRef): Place | string {
  switch (r.kind) {
    case "pod": {
      const key = `${r.namespace}/${r.name}`;
      const pod = engine.cluster.pods.find((p) => `${p.namespace}/${p.name}` === key);
      if (pod?.hostNetwork) return nodePlace(lab, labNodeOf(engine, pod.nodeName));
      const handle = lab.pods.get(key);
      const planned = lab.plan.nodes.flatMap((n) => n.pods).find((p) => p.key === key);
      if (handle === undefined || planned === undefined) return lab.plan.skipped.get(key) ?? `no pod ${key} in the lab`;
      return { runtime: handle, ip: planned.ip };
    }
    case "node":
      return nodePlace(lab, r.name);
    case "fqdn":
      return place(lab, engine, { kind: "ip", ip: r.ip });
    case "ip": {
      const ep = engine.endpointByIp(r.ip);
      if (ep !== undefined) return place(lab, engine, { kind: "pod", namespace: ep.pod.namespace, name: ep.pod.name });
      const node = lab.plan.nodes.find((n) => n.ip === r.ip);
      if (node !== undefined) return nodePlace(lab, node.name);
      return lab.plan.worldIps.includes(r.ip) ? { runtime: lab.world, ip: r.ip, source: r.ip } : `${r.ip} is not in the lab`;
    }
    default:
      return `${r.kind} peers are not run live yet`;
  }
}

function nodePlace(lab: Lab, name: string): Place | string {
  const i = lab.plan.nodes.findIndex((n) => n.name === name);
  return i < 0 ? `no node ${name} in the lab` : { runtime: lab.nodes[i]!.runtime, ip: lab.plan.nodes[i]!.ip };
}

function runnable(lab: Lab, engine: Engine, c: TestCase, r: CaseResult): Runnable {
  const l7 = exchangeOf(c);
  if (typeof l7 === "string") return { kind: "skip", why: l7 };
  const sides = r.verdict === null ? [] : [r.verdict.egress, r.verdict.ingress];
  const redirected = sides.some((s) => s?.outcome === "redirect");
  const parsers = sides.flatMap((s) => (s?.outcome === "redirect" && s.lookup.kind === "match" ? [s.lookup.entry.parser] : []));
  const unserved = parsers.find((p) => p !== "http" && p !== "kafka" && p !== "dns" && p !== "tls");
  if (unserved !== undefined)
    return { kind: "skip", why: `the flow is redirected to the ${unserved} proxy, which the lab does not run yet` };
  if (c.protocol === "SCTP" || c.protocol === "ICMPv6") return { kind: "skip", why: `${c.protocol} is not run live yet` };
  if (c.protocol === "ICMP" && c.port !== 8) return { kind: "skip", why: "only ICMP echo (type 8) is run live" };
  const from = place(lab, engine, c.from);
  if (typeof from === "string") return { kind: "skip", why: from };
  // A service is reached at the backend and target port the engine chose: policy sees the flow
  // after load balancing (§7.1), and the lab has no load balancer of its own.
  // An entity destination (kube-apiserver) is the address the engine resolved it to.
  const service = c.to.kind === "service" || c.to.kind === "entity" || (c.to.kind === "ip" && isServiceIp(engine, c.to.ip));
  if (service && (r.verdict === null || r.verdict.note !== null || r.verdict.destination.ip === null))
    return { kind: "skip", why: r.verdict?.note ?? `${formatPeerRef(c.to)} has no address to reach` };
  const target: FlowPeerRef = service ? { kind: "ip", ip: r.verdict!.destination.ip! } : c.to;
  const to = place(lab, engine, target);
  if (typeof to === "string") return { kind: "skip", why: to };
  let resolve: Run["resolve"] = null;
  if (c.to.kind === "fqdn") {
    const dns = clusterDns(lab, engine, c.from);
    if (typeof dns === "string") return { kind: "skip", why: dns };
    resolve = { ...dns, name: c.to.fqdn, ip: c.to.ip };
  }
  // A plain datagram to the DNS proxy goes nowhere: a query stands in for it, whatever its answer.
  const plainDns = l7 === null && c.protocol === "UDP" && parsers.includes("dns");
  const exchange: Exchange | null = plainDns ? { kind: "dns", name: "membrane.invalid", l4Only: true } : l7;
  return { kind: "run", from, to, port: service ? r.verdict!.port : c.port, protocol: c.protocol, l7: exchange, redirected, resolve };
}

/** What happened on the wire; for a drop the kernel reported, where and why. */
interface WireOutcome {
  readonly verdict: "allow" | "deny" | "error";
  readonly detail: string;
  readonly drop?: { readonly direction: "ingress" | "egress"; readonly reason: string };
}

const TCP_SYN = 0x02;

const flowKey = (proto: number, src: string, dst: string, port: number): string => `${proto} ${src} ${dst} ${port}`;

/** Runs every case of `tests` in the lab; results are in `membrane test`'s shape, `actual` being the wire's verdict. */
export async function runLive(
  lab: Lab,
  engine: Engine,
  tests: readonly ConnectivityTest[],
  options = DEFAULT_LIVE_OPTIONS,
): Promise<CaseResult[]> {
  // Deciding an FQDN case teaches the engine its name's answer: the kernels learn it too, so both
  // sides decide on the same state.
  const unapplied: unknown[] = [];
  const decided = runTests(engine, tests, { onChange: (cs) => unapplied.push(...lab.apply(cs)) });
  if (unapplied.length > 0) throw new Error(`the lab's kernels refused what the engine learned: ${JSON.stringify(unapplied)}`);
  const cases = tests.flatMap((t) => t.cases);
  const plans = cases.map((c, i) => runnable(lab, engine, c, decided[i]!));
  // Servers first: each destination listens on what its cases need; the cluster DNS knows the FQDN cases' names.
  // (A runtime listens once per port and address, however many cases ask.)
  const listens = plans.flatMap((p) =>
    p.kind === "run" && p.protocol !== "ICMP" ? [p.to.runtime.listen(p.protocol === "UDP" ? "UDP" : "TCP", p.port, p.to.source)] : [],
  );
  for (const p of plans)
    if (p.kind === "run" && p.resolve !== null) {
      const { server, port, name, ip } = p.resolve;
      listens.push(server.runtime.listen("UDP", port, server.source), server.runtime.zone({ [name]: ip }));
    }
  const failedListen = (await Promise.all(listens)).find((e) => e !== null);
  if (failedListen !== undefined && failedListen !== null) throw new Error(`a lab server could not listen: ${failedListen}`);
  // Drops are reported by the datapath as they happen: a waiting case learns its fate at once.
  const waiting = new Map<string, Set<(e: DatapathEvent) => void>>();
  const stop = lab.onEvent((_node, e) => {
    // A TCP case is decided by its SYN; a late packet of an earlier connection of the same flow is not its fate.
    const opening = e.proto !== PROTO.TCP || (e.tcpFlags & TCP_SYN) !== 0;
    if (e.kind === "drop" && opening) for (const w of waiting.get(flowKey(e.proto, e.source, e.destination, e.destinationPort)) ?? []) w(e);
  });
  const wire = new Map<string, Promise<WireOutcome>>();
  const outcome = (p: Run, c: TestCase) => {
    // A plain TCP case to a proxied flow can only see the handshake: the proxy holds the
    // connection until the client speaks, so the server's greeting never comes.
    const exchange: Exchange | undefined = p.l7 ?? (p.protocol === "TCP" && p.redirected ? { kind: "handshake" } : undefined);
    const flow = flowKey(PROTO[c.protocol], p.from.ip, p.to.ip, p.port);
    // Cases of one flow making different requests each run; the same request runs once.
    const key = `${flow} ${JSON.stringify(exchange ?? null)}`;
    let result = wire.get(key);
    if (result === undefined) {
      result = (async () => {
        // An FQDN destination: the name is asked first, through the source's DNS proxy if it has one.
        const resolved =
          p.resolve === null
            ? null
            : await p.from.runtime.connect({
                protocol: "UDP",
                ip: p.resolve.server.ip,
                port: p.resolve.port,
                timeoutMs: options.timeoutMs,
                exchange: { kind: "dns", name: p.resolve.name, l4Only: false },
              }).result;
        // A client that cannot resolve the name never connects (and its address was never learned).
        if (p.resolve !== null && resolved !== null)
          return { verdict: "deny" as const, detail: `${p.resolve.name} did not resolve (${resolved}), so nothing connected` };
        const asked = p.resolve === null ? "" : `; ${p.resolve.name} resolved first`;
        const pending = p.from.runtime.connect({
          protocol: p.protocol,
          ip: p.to.ip,
          port: p.port,
          timeoutMs: options.timeoutMs,
          source: p.from.source,
          exchange,
        });
        let dropped: DatapathEvent | undefined;
        const onDrop = (e: DatapathEvent): void => {
          dropped = e;
          pending.cancel();
        };
        const waiters = waiting.get(flow) ?? new Set();
        waiting.set(flow, waiters.add(onDrop));
        const error = await pending.result;
        waiters.delete(onDrop);
        if (error === null)
          return { verdict: "allow" as const, detail: `${p.l7 === null ? "connected" : `the ${p.l7.kind} request was answered`}${asked}` };
        if (error.startsWith(L7_DENIED))
          return { verdict: "deny" as const, detail: `denied by the L7 proxy (${error.slice(L7_DENIED.length + 2)})` };
        if (dropped !== undefined)
          return {
            verdict: "deny" as const,
            detail: `dropped by the kernel (${dropped.direction}, ${dropReasonName(dropped.verdict)})`,
            drop: { direction: dropped.direction, reason: dropReasonName(dropped.verdict) },
          };
        // Silence (or a reset) is how a drop without its event looks; anything else is the lab failing.
        if (error === "ETIMEDOUT" || error === "ECONNRESET") return { verdict: "deny" as const, detail: `no answer (${error})${asked}` };
        return { verdict: "error" as const, detail: error };
      })();
      wire.set(key, result);
    }
    return result;
  };
  const out: CaseResult[] = new Array(cases.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    for (let i = next++; i < cases.length; i = next++) {
      const c = cases[i]!;
      const r = decided[i]!;
      const p = plans[i]!;
      if (p.kind === "skip" || r.actual === "unsupported") {
        const why = p.kind === "skip" ? p.why : r.reason.summary;
        out[i] = { ...r, actual: "unsupported", pass: false, reason: { ...r.reason, summary: `not run live: ${why}` } };
        continue;
      }
      const w = await outcome(p, c);
      if (w.verdict === "error") {
        out[i] = { ...r, actual: "deny", pass: false, reason: { ...r.reason, summary: `the lab could not run the case: ${w.detail}` } };
        continue;
      }
      // A drop must also be the engine's drop: the same side, for the same reason.
      const side = r.verdict?.decidedBy ?? null;
      const agree =
        w.verdict === r.actual &&
        (w.drop === undefined || side === null || (w.drop.direction === side.direction && w.drop.reason === r.reason.dropReason));
      const summary = agree
        ? `${r.reason.summary} — on the wire: ${w.detail}`
        : `the wire and the engine disagree: the kernel ${w.verdict === "allow" ? "allowed" : "denied"} (${w.detail}), the engine says ${r.actual}${side === null ? "" : ` at ${side.direction}`}: ${r.reason.summary}`;
      out[i] = { ...r, actual: w.verdict, pass: agree && w.verdict === c.expect, reason: { ...r.reason, summary } };
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  stop();
  return out;
}
