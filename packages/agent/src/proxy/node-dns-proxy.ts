/**
 * The DNS proxy of one node (Cilium's DNS proxy for toFQDNs, `policy-semantics.md` §8.4–§8.5):
 * transparent UDP and TCP listeners on the node's loopback at the engine's DNS proxy port. A
 * redirected datagram does not say where it was going, so the datapath records it (the proxy
 * origins map); the answer goes back from that address on a transparent socket, as if the server
 * had sent it. Allowed answers are taught to the engine before they are relayed, so the client's
 * next connection to an answered address is already allowed in the kernel.
 */
import dgram from "node:dgram";
import { createServer, isIPv4 } from "node:net";
import { asIdentity, err, ok, PROTO, proxyPortFor, type Engine, type ProxyRecord, type Result } from "@membrane/engine";
import { lookupProxyOrigin, markedSocket, transparentListener, type Datapath, type ProxyOrigin } from "@membrane/datapath";
import {
  DnsProxy,
  listenServer,
  parseHostPort,
  type Dialer,
  type DnsFlowRecord,
  type DnsPeer,
  type DnsPolicyContext,
  type DnsRoute,
  type LearnedAnswer,
  type UdpDialer,
} from "@membrane/proxy";
import type { EnginePolicySource } from "./engine-policy-source.ts";
import { egressSource, upstreamMark } from "./upstream-socket.ts";
import { trackedConnection } from "./tracked-connection.ts";

/** What the node's proxies share. */
export interface NodeProxyContext {
  readonly engine: Engine;
  readonly nodeName: string;
  /** The node's network namespace (a path such as /run/netns/NAME; null: this process's own). */
  readonly netns: string | null;
  readonly maps: Pick<Datapath["maps"], "conntrack" | "proxyOrigins">;
  readonly policy: EnginePolicySource;
  /** Opens marked TCP connections in the node's namespace. */
  readonly dial: Dialer;
}

/** What the DNS proxy reports. */
export interface DnsProxyEvents {
  /** An allowed answer, before it is relayed (the proxy waits for a returned promise, up to its limit). */
  readonly onAnswer: (answer: LearnedAnswer) => void | Promise<void>;
  readonly onRecord: (record: ProxyRecord) => void;
  readonly onError: (message: string) => void;
}

/** A running DNS proxy of a node. */
export interface NodeDnsProxy {
  /** Stops it: listeners, upstream exchanges and reply sockets. */
  close(): Promise<void>;
}

/** Starts the node's DNS proxy; fails when its sockets cannot be made. */
export async function startNodeDnsProxy(ctx: NodeProxyContext, events: DnsProxyEvents): Promise<Result<NodeDnsProxy, string>> {
  const port = proxyPortFor("dns", "egress");
  const udpFd = transparentListener(ctx.netns, "127.0.0.1", port, "udp");
  const tcpFd = transparentListener(ctx.netns, "127.0.0.1", port, "tcp");
  if (!udpFd.ok) return err(`the DNS proxy's UDP socket: ${udpFd.error.message}`);
  if (!tcpFd.ok) return err(`the DNS proxy's TCP socket: ${tcpFd.error.message}`);
  const udp = dgram.createSocket("udp4");
  udp.bind({ fd: udpFd.value });
  const tcp = createServer({ allowHalfOpen: true });
  const listening = await listenServer(tcp, { fd: tcpFd.value });
  if (!listening.ok) return err(`the DNS proxy's TCP socket: ${listening.error}`);
  // The proxy hands one peer object to both the route and the reply of a datagram: one map lookup serves both.
  const origins = new WeakMap<DnsPeer, ProxyOrigin | null>();
  const originOf = (peer: DnsPeer): ProxyOrigin | null => {
    let o = origins.get(peer);
    if (o === undefined) {
      const found = lookupProxyOrigin(ctx.maps.proxyOrigins, peer.remote.host, peer.remote.port, PROTO.UDP);
      o = found.ok ? found.value : null;
      origins.set(peer, o);
    }
    return o;
  };
  const replies = new Map<string, dgram.Socket>();
  /** The transparent socket a reply leaves from: the address the query was sent to. */
  const replyFrom = (peer: DnsPeer): dgram.Socket | null => {
    const origin = originOf(peer);
    if (origin === null) return null;
    const key = `${origin.destination}|${origin.destinationPort}`;
    let s = replies.get(key);
    if (s === undefined) {
      const fd = transparentListener(ctx.netns, origin.destination, origin.destinationPort, "udp");
      if (!fd.ok) return null;
      s = dgram.createSocket(isIPv4(origin.destination) ? "udp4" : "udp6");
      s.on("error", () => undefined);
      s.bind({ fd: fd.value });
      replies.set(key, s);
    }
    return s;
  };
  const dialUdp: UdpDialer = (upstream) => {
    const s = dgram.createSocket(isIPv4(upstream.host) ? "udp4" : "udp6");
    const fd = markedSocket(ctx.netns, isIPv4(upstream.host) ? 4 : 6, upstream.mark ?? 0, "udp", upstream.source);
    if (fd.ok) s.bind({ fd: fd.value });
    else setImmediate(() => s.emit("error", new Error(`upstream socket: ${fd.error.message}`)));
    return s;
  };
  const started = await DnsProxy.start({
    listen: { udp, tcp, address: { host: "127.0.0.1", port } },
    routeOf: (peer) => routeOf(ctx, peer, originOf),
    policy: ctx.policy,
    replyFrom,
    dial: ctx.dial,
    dialUdp,
    onAnswer: events.onAnswer,
    onFlow: (r) => {
      const record = dnsRecord(ctx.nodeName, r, port);
      if (record !== null) events.onRecord(record);
    },
    onError: events.onError,
  });
  if (!started.ok) return started;
  const proxy = started.value;
  return ok({
    close: async () => {
      await proxy.close();
      for (const s of replies.values()) s.close();
    },
  });
}

/**
 * A query's policy and server. The client is a local endpoint sending through its egress DNS
 * rules; the server is where the datagram was going (the proxy origins map) or the connection's
 * local address (TCP, assigned transparently), and the flow must be one the datapath tracked.
 */
function routeOf(ctx: NodeProxyContext, peer: DnsPeer, originOf: (peer: DnsPeer) => ProxyOrigin | null): DnsRoute | null {
  const { engine } = ctx;
  const client = engine.endpointByIp(peer.remote.host);
  if (client === undefined) return null;
  let server: { host: string; port: number };
  if (peer.protocol === "udp") {
    const origin = originOf(peer);
    if (origin === null) return null;
    server = { host: origin.destination, port: origin.destinationPort };
  } else {
    if (trackedConnection(ctx.maps.conntrack, peer.remote, peer.local, "egress") === null) return null;
    server = peer.local;
  }
  const peerIdentity = engine.identityOfIp(server.host, ctx.nodeName);
  const destination = engine.endpointByIp(server.host);
  const context: DnsPolicyContext = ctx.policy.contextFor(
    {
      endpoint: client.key,
      direction: "egress",
      peer: peerIdentity,
      proto: peer.protocol === "udp" ? PROTO.UDP : PROTO.TCP,
      port: server.port,
    },
    client.identity.id,
    destination?.key ?? server.host,
  );
  return {
    context,
    upstream: {
      ...server,
      mark: upstreamMark("egress", client.identity.id),
      ...egressSource(ctx.nodeName, peer.remote.host, destination),
    },
  };
}

/** A DNS record as the engine's ProxyRecord (Hubble's `l7.dns`). */
function dnsRecord(node: string, r: DnsFlowRecord, proxyPort: number): ProxyRecord | null {
  const client = parseHostPort(r.client);
  const server = parseHostPort(r.server);
  if (client === null || server === null) return null;
  const d = r.dns;
  const qtype = d.qtypes[0] ?? "A";
  return {
    node,
    direction: "egress",
    type: r.type,
    verdict: r.verdict === "ERROR" ? "DROPPED" : r.verdict,
    proto: r.protocol === "udp" ? PROTO.UDP : PROTO.TCP,
    client: { ip: client.host, port: client.port, identity: asIdentity(r.sourceIdentity) },
    server: { ip: server.host, port: server.port },
    proxyPort,
    l7: {
      ...(r.latencyNs === undefined ? {} : { latency_ns: Number(r.latencyNs) }),
      dns: {
        query: d.query,
        qtypes: d.qtypes,
        ...(d.rcode === undefined ? {} : { rcode: d.rcode }),
        ...(d.ips === undefined ? {} : { ips: d.ips }),
        ...(d.ttl === undefined ? {} : { ttl: d.ttl }),
        ...(d.cnames === undefined ? {} : { cnames: d.cnames }),
        ...(d.rrtypes === undefined ? {} : { rrtypes: d.rrtypes }),
      },
    },
    summary:
      r.type === "REQUEST"
        ? `DNS Query ${d.query} ${qtype}`
        : `DNS Answer ${d.ips === undefined ? "" : `"${d.ips.join(",")}" `}TTL: ${d.ttl ?? 0} (Proxy ${d.query} ${qtype})`,
    time: r.time.toISOString(),
  };
}
