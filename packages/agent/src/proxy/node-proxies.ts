/**
 * membrane's L7 proxies serving one node (datapath-notes.md §6, Cilium's proxy ports): for each
 * parser and direction a transparent listener on the node's loopback at the engine's proxy port,
 * in the node's network namespace. The datapath assigns redirected flows to them — egress ones
 * from the sending pod's device, ingress ones through the proxy device — so an accepted socket's
 * local address is the flow's original destination; the source identity is the one the datapath
 * recorded for the flow in conntrack. Allowed requests go upstream on a socket marked with that
 * identity, and to another node's pod from the egress flow's pod address (upstream-socket.ts): the
 * destination's datapath checks the flow as its real source, never as this host.
 */
import { isIPv4, Socket } from "node:net";
import { asIdentity, err, ok, PROTO, proxyPortFor, type Engine, type IdentityInfo, type ProxyRecord, type Result } from "@membrane/engine";
import { markedSocket, transparentListener, type MapFd } from "@membrane/datapath";
import {
  failedSocket,
  HttpProxy,
  KafkaProxy,
  TlsProxy,
  type ConnectionContext,
  type ConnectionRoute,
  type Dialer,
  type KafkaFlowRecord,
  type L7FlowRecord,
  type LearnedAnswer,
  type TlsFlowRecord,
} from "@membrane/proxy";
import { EnginePolicySource } from "./engine-policy-source.ts";
import { egressSource, upstreamMark } from "./upstream-socket.ts";
import { trackedConnection } from "./tracked-connection.ts";
import { startNodeDnsProxy, type NodeDnsProxy, type NodeProxyContext } from "./node-dns-proxy.ts";

/** The parsers served by a TCP proxy here besides DNS (l7proto ports have no listener: their flows fail closed). */
const SERVED = ["http", "kafka", "tls"] as const;
type Direction = "ingress" | "egress";

const ignore = (): void => undefined;

/** What the proxies of a node report: an L7 record per request and response, DNS answers to learn, and why a connection failed. */
export interface ProxyEvents {
  readonly onRecord?: (record: ProxyRecord) => void;
  /** An allowed DNS answer, before the client gets it (the DNS proxy waits for a returned promise). */
  readonly onDnsAnswer?: (answer: LearnedAnswer) => void | Promise<void>;
  readonly onError?: (message: string) => void;
}

/** Who talks to whom on a proxied connection, for its records. */
interface Peers {
  readonly client: ProxyRecord["client"];
  readonly server: ProxyRecord["server"];
  readonly proxyPort: number;
}

type NodeProxy = HttpProxy | KafkaProxy | TlsProxy | NodeDnsProxy;

export class NodeProxies {
  readonly #proxies: NodeProxy[];

  private constructor(proxies: NodeProxy[]) {
    this.#proxies = proxies;
  }

  /**
   * Starts the proxies of node `nodeName`, whose network namespace is at `netns` (a path such as
   * /run/netns/NAME; null: this process's own); `maps` are its datapath's. Fails when a listener
   * cannot be made (the port taken, no privilege).
   */
  static async start(
    engine: Engine,
    nodeName: string,
    netns: string | null,
    maps: NodeProxyContext["maps"],
    events: ProxyEvents = {},
  ): Promise<Result<NodeProxies, string>> {
    const policy = new EnginePolicySource(engine);
    const peers = new WeakMap<ConnectionContext, Peers>();
    const onRecord = events.onRecord ?? ignore;
    const record = (r: L7FlowRecord | KafkaFlowRecord | TlsFlowRecord): void => {
      const p = peers.get(r.connection);
      if (p !== undefined) onRecord(proxyRecord(nodeName, r, p));
    };
    const dial: Dialer = (upstream) => {
      const fd = markedSocket(netns, isIPv4(upstream.host) ? 4 : 6, upstream.mark ?? 0, "tcp", upstream.source);
      if (!fd.ok) return failedSocket(`upstream socket: ${fd.error.message}`);
      return new Socket({ fd: fd.value, readable: true, writable: true }).connect(upstream.port, upstream.host);
    };
    const proxies: NodeProxy[] = [];
    const stop = (): Promise<void> => new NodeProxies(proxies).stop();
    for (const parser of SERVED)
      for (const direction of ["ingress", "egress"] as const) {
        const port = proxyPortFor(parser, direction);
        const route = (socket: Socket): ConnectionRoute | null => {
          const r = routeOf(engine, policy, maps.conntrack, nodeName, direction, socket);
          if (r !== null)
            peers.set(r.context, {
              client: { ip: socket.remoteAddress!, port: socket.remotePort!, identity: asIdentity(r.context.sourceIdentity) },
              server: { ip: r.upstream.host, port: r.upstream.port },
              proxyPort: port,
            });
          return r;
        };
        const options = { policy, route, dial, onFlow: record, onError: events.onError ?? ignore };
        const proxy = parser === "http" ? new HttpProxy(options) : parser === "kafka" ? new KafkaProxy(options) : new TlsProxy(options);
        proxies.push(proxy);
        // A transparent listener on the namespace's loopback at the proxy port.
        const fd = transparentListener(netns, "127.0.0.1", port);
        const listening = fd.ok ? await proxy.listenFd(fd.value) : err(fd.error.message);
        if (!listening.ok) {
          await stop();
          return err(`the ${direction} ${parser} proxy of ${nodeName}: ${listening.error}`);
        }
      }
    const dns = await startNodeDnsProxy(
      { engine, nodeName, netns, maps, policy, dial },
      { onAnswer: events.onDnsAnswer ?? ignore, onRecord, onError: events.onError ?? ignore },
    );
    if (!dns.ok) {
      await stop();
      return err(`the DNS proxy of ${nodeName}: ${dns.error}`);
    }
    proxies.push(dns.value);
    return ok(new NodeProxies(proxies));
  }

  /** Stops listening and closes every proxied connection. */
  async stop(): Promise<void> {
    await Promise.all(this.#proxies.map((p) => p.close()));
  }
}

/**
 * Where an accepted connection goes and whose policy it is under. An egress flow's source is the
 * local endpoint that sent it; an ingress flow's is the remote identity the destination's
 * datapath recorded (from the ipcache, the VNI or the egress proxy's mark). A flow the datapath
 * did not track here is not served.
 */
function routeOf(
  engine: Engine,
  policy: EnginePolicySource,
  conntrack: MapFd,
  nodeName: string,
  direction: Direction,
  socket: Socket,
): ConnectionRoute | null {
  const { remoteAddress, remotePort, localAddress, localPort } = socket;
  if (remoteAddress === undefined || remotePort === undefined || localAddress === undefined || localPort === undefined) return null;
  const tracked = trackedConnection(
    conntrack,
    { host: remoteAddress, port: remotePort },
    { host: localAddress, port: localPort },
    direction,
  );
  if (tracked === null) return null;
  const endpoint = engine.endpointByIp(direction === "ingress" ? localAddress : remoteAddress);
  if (endpoint === undefined) return null;
  const source: IdentityInfo | undefined = direction === "ingress" ? engine.cache.identity(tracked.remoteIdentity) : endpoint.identity;
  if (source === undefined) return null;
  const peer = direction === "ingress" ? source : engine.identityOfIp(localAddress, nodeName);
  const server = direction === "ingress" ? endpoint : engine.endpointByIp(localAddress);
  const context = policy.contextFor(
    { endpoint: endpoint.key, direction, peer, proto: PROTO.TCP, port: localPort },
    source.id,
    server?.key ?? localAddress,
  );
  const upstream = { host: localAddress, port: localPort, mark: upstreamMark(direction, source.id) };
  return { context, upstream: direction === "egress" ? { ...upstream, ...egressSource(nodeName, remoteAddress, server) } : upstream };
}

/** A proxy's record as the engine's ProxyRecord (Hubble's l7 fields; its summary line). */
function proxyRecord(node: string, r: L7FlowRecord | KafkaFlowRecord | TlsFlowRecord, p: Peers): ProxyRecord {
  const base = {
    node,
    direction: r.connection.direction,
    type: "type" in r ? r.type : ("REQUEST" as const),
    verdict: r.verdict,
    proto: PROTO.TCP,
    ...p,
    time: r.time.toISOString(),
  };
  // Hubble has no TLS record: an L7 request flow whose summary names the server asked for.
  if ("serverName" in r) return { ...base, l7: {}, summary: `TLS ClientHello ${r.serverName ?? "(no server name)"}: ${r.why}` };
  const latency = r.type === "RESPONSE" ? { latency_ns: Number(r.latencyNs) } : {};
  if ("http" in r) {
    const h = r.http;
    const code = "code" in h ? h.code : undefined;
    return {
      ...base,
      l7: {
        ...latency,
        http: { ...(code === undefined ? {} : { code }), method: h.method, url: h.url, protocol: h.protocol, headers: h.headers },
      },
      summary:
        code === undefined
          ? `${h.protocol} ${h.method} ${h.url}`
          : `${h.protocol} ${code} ${Math.round(Number(latency.latency_ns ?? 0) / 1e6)}ms (${h.method} ${h.url})`,
    };
  }
  const k = r.kafka;
  return {
    ...base,
    l7: {
      ...latency,
      kafka: {
        error_code: k.errorCode ?? 0,
        api_version: k.apiVersion,
        api_key: k.apiKey,
        correlation_id: k.correlationId,
        topic: k.topic,
      },
    },
    summary: `Kafka ${r.type === "REQUEST" ? "request" : "response"} ${k.apiKey} correlation id ${k.correlationId} topic '${k.topic}'`,
  };
}
