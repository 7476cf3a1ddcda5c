import dgram from "node:dgram";
import { createServer, isIPv6, type Server, type Socket } from "node:net";
import { err, ok, type Result } from "@membrane/engine";
import { plainDialer, plainUdpDialer, type Dialer, type UdpDialer } from "../common/dial.ts";
import type { DnsPeer, DnsPolicySource, DnsRouteResolver, HostPort } from "./context.ts";
import type { AnswerListener, DnsFlowListener } from "./flow-record.ts";
import { DEFAULT_DNS_PROXY_LIMITS, type DnsProxyLimits } from "./limits.ts";
import { QueryHandler, type RejectCode } from "./query-handler.ts";
import { TcpSession } from "./tcp-session.ts";
import { Upstreams } from "./upstreams.ts";

/** Sockets bound elsewhere (a node's transparent listeners), and the address they serve. */
export interface DnsSockets {
  readonly udp: dgram.Socket;
  readonly tcp: Server;
  readonly address: HostPort;
}

/** What a DNS proxy is built from. */
export interface DnsProxyOptions {
  /** The address to listen on (port 0 picks a free port, the same one for UDP and TCP), or sockets already listening. */
  readonly listen: HostPort | DnsSockets;
  /**
   * The UDP socket a reply to `peer` leaves from (default: the listener). A transparent proxy
   * answers from the address the query was sent to; null drops the reply.
   */
  readonly replyFrom?: (peer: DnsPeer) => dgram.Socket | null;
  /** How upstream connections and sockets are opened (default: plain ones). */
  readonly dial?: Dialer;
  readonly dialUdp?: UdpDialer;
  /** Finds each query's policy context and original server. */
  readonly routeOf: DnsRouteResolver;
  readonly policy: DnsPolicySource;
  /** Receives what allowed answers teach, before they are relayed. */
  readonly onAnswer?: AnswerListener;
  /** Receives one flow record per query and per response. */
  readonly onFlow?: DnsFlowListener;
  /** The answer to a denied query: REFUSED (Cilium's default) or NXDOMAIN. */
  readonly rejectCode?: RejectCode;
  readonly limits?: Partial<DnsProxyLimits>;
  /** The clock of flow records (default: the system clock). */
  readonly now?: () => Date;
  /** Internal errors worth a log line (default: ignored). */
  readonly onError?: (message: string) => void;
}

/** How many times a free port is sought when UDP got one that TCP cannot have. */
const BIND_ATTEMPTS = 8;

/**
 * membrane's DNS proxy (Cilium's, `policy-semantics.md` §8.4): a UDP and a TCP server on one
 * address and port. Each query's first question decides: a name the connection's DNS rules allow
 * goes to the original server over the same protocol and its answer comes back (after `onAnswer`
 * learned from it); any other name gets REFUSED (or NXDOMAIN). Malformed queries are dropped (UDP)
 * or end the connection (TCP); failures after a query was accepted get SERVFAIL.
 */
export class DnsProxy {
  readonly #handler: QueryHandler;
  readonly #upstreams: Upstreams;
  readonly #limits: DnsProxyLimits;
  readonly #udp: dgram.Socket;
  readonly #tcp: Server;
  readonly #sessions = new Set<TcpSession>();
  readonly #address: HostPort;
  readonly #onError: (message: string) => void;
  readonly #replyFrom: (peer: DnsPeer) => dgram.Socket | null;
  #closing: Promise<void> | undefined;

  private constructor(
    handler: QueryHandler,
    upstreams: Upstreams,
    limits: DnsProxyLimits,
    udp: dgram.Socket,
    tcp: Server,
    address: HostPort,
    onError: (message: string) => void,
    replyFrom: ((peer: DnsPeer) => dgram.Socket | null) | undefined,
  ) {
    this.#handler = handler;
    this.#replyFrom = replyFrom ?? (() => udp);
    this.#onError = onError;
    this.#upstreams = upstreams;
    this.#limits = limits;
    this.#udp = udp;
    this.#tcp = tcp;
    this.#address = address;
    udp.on("message", (msg, rinfo) => this.#onDatagram(msg, rinfo));
    // A send to a vanished client, and the like: nothing to do but go on.
    udp.on("error", () => undefined);
    tcp.on("connection", (socket) => this.#onConnection(socket));
  }

  /** Starts a proxy: binds UDP and TCP on the same port. */
  static async start(options: DnsProxyOptions): Promise<Result<DnsProxy, string>> {
    const limits: DnsProxyLimits = { ...DEFAULT_DNS_PROXY_LIMITS, ...options.limits };
    const listen = options.listen;
    const bound = "udp" in listen ? ok({ udp: listen.udp, tcp: listen.tcp, port: listen.address.port }) : await bindBoth(listen);
    if (!bound.ok) return bound;
    const upstreams = new Upstreams(limits, options.dial ?? plainDialer, options.dialUdp ?? plainUdpDialer);
    const onError = options.onError ?? (() => undefined);
    const handler = new QueryHandler({
      routeOf: options.routeOf,
      policy: options.policy,
      upstreams,
      limits,
      rejectCode: options.rejectCode ?? "refused",
      onAnswer: options.onAnswer,
      onFlow: options.onFlow,
      now: options.now ?? (() => new Date()),
      onError,
    });
    const { udp, tcp, port } = bound.value;
    const host = "udp" in listen ? listen.address.host : listen.host;
    return ok(new DnsProxy(handler, upstreams, limits, udp, tcp, { host, port }, onError, options.replyFrom));
  }

  /** The address both servers listen on. */
  get address(): HostPort {
    return this.#address;
  }

  /** Queries being served now. */
  get inFlight(): number {
    return this.#handler.inFlight;
  }

  #onDatagram(msg: Buffer, rinfo: dgram.RemoteInfo): void {
    if (this.#closing !== undefined) return;
    const peer = { protocol: "udp", remote: { host: rinfo.address, port: rinfo.port }, local: this.#address } as const;
    this.#handler.handle(new Uint8Array(msg.buffer, msg.byteOffset, msg.length), peer).then(
      (reply) => {
        if (reply !== null && this.#closing === undefined) this.#replyFrom(peer)?.send(reply, rinfo.port, rinfo.address);
      },
      (e: unknown) => this.#onError(`udp query from ${rinfo.address}:${rinfo.port} failed: ${String(e)}`),
    );
  }

  #onConnection(socket: Socket): void {
    if (this.#closing !== undefined || this.#sessions.size >= this.#limits.maxTcpConnections) {
      socket.destroy();
      return;
    }
    const session = new TcpSession(socket, this.#handler, this.#limits, this.#onError, () => this.#sessions.delete(session));
    this.#sessions.add(session);
  }

  /** Stops listening, ends every connection and upstream exchange; resolves when all sockets are closed. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#upstreams.close();
      for (const s of this.#sessions) s.destroy();
      await Promise.all([new Promise<void>((r) => this.#tcp.close(() => r())), new Promise<void>((r) => this.#udp.close(() => r()))]);
    })();
    return this.#closing;
  }
}

/** Binds a UDP socket and a TCP server on one port of `listen.host` (port 0: a free one for both). */
async function bindBoth(listen: HostPort): Promise<Result<{ udp: dgram.Socket; tcp: Server; port: number }, string>> {
  let last = "";
  for (let attempt = 0; attempt < (listen.port === 0 ? BIND_ATTEMPTS : 1); attempt++) {
    const udp = dgram.createSocket(isIPv6(listen.host) ? "udp6" : "udp4");
    const udpBound = await new Promise<Result<number, string>>((resolve) => {
      const onError = (e: Error): void => resolve(err(e.message));
      udp.once("error", onError);
      udp.bind(listen.port, listen.host, () => {
        udp.off("error", onError);
        resolve(ok(udp.address().port));
      });
    });
    if (!udpBound.ok) {
      closeQuietly(udp);
      return err(`cannot listen on udp ${listen.host}:${listen.port}: ${udpBound.error}`);
    }
    const tcp = createServer({ allowHalfOpen: true });
    const tcpBound = await new Promise<Result<void, string>>((resolve) => {
      const onError = (e: Error): void => resolve(err(e.message));
      tcp.once("error", onError);
      tcp.listen({ port: udpBound.value, host: listen.host, exclusive: true }, () => {
        tcp.off("error", onError);
        resolve(ok(undefined));
      });
    });
    if (tcpBound.ok) return ok({ udp, tcp, port: udpBound.value });
    last = tcpBound.error;
    closeQuietly(udp);
  }
  return err(`cannot listen on tcp ${listen.host}:${listen.port}: ${last}`);
}

function closeQuietly(udp: dgram.Socket): void {
  try {
    udp.close();
  } catch {
    // Already closed by the failed bind.
  }
}
